"""Run an example subscriber against `make run`: poll a queue and hand each message to the
example's `lambda_handler`, as Lambda's SQS event source would.

`make run` has no Lambda to subscribe to the topic; a queue subscribed through a trigger
(raw delivery) stands in for it, and this loop is the function. A message is deleted once
the handler returns; when it raises, the message stays and comes back after the queue's
visibility timeout, as Lambda retries it. boto3 reaches the AWS emulator through the
environment (AWS_ENDPOINT_URL), as the example reaches AWS.

    python -m examples.local_subscriber examples.ecs_deploy_on_tag.deployer \\
        --queue-url URL [--messages N] [--timeout SECONDS]
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from typing import Any, Callable, Optional

import boto3

Handler = Callable[[dict[str, Any], Any], Any]


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source builds from received messages."""
    return {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                         "body": m["Body"], "attributes": m.get("Attributes", {}),
                         "messageAttributes": m.get("MessageAttributes", {}),
                         "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
                         "eventSourceARN": queue_arn, "awsRegion": queue_arn.split(":")[3]}
                        for m in messages]}


def poll(handler: Handler, sqs: Any, queue_url: str, messages: Optional[int],
         timeout: Optional[float], report: Callable[[str], None] = print) -> int:
    """Feed batches to `handler` until `messages` were handled or nothing came for
    `timeout` seconds (None: forever); returns how many were handled."""
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    handled = 0
    quiet_since = time.monotonic()
    while messages is None or handled < messages:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                    WaitTimeSeconds=1).get("Messages", [])
        if not batch:
            if timeout is not None and time.monotonic() - quiet_since > timeout:
                break
            continue
        quiet_since = time.monotonic()
        try:
            result = handler(sqs_event(batch, queue_arn), None)
        except Exception as error:  # as Lambda: the batch comes back after the timeout
            report(f"failed, the messages come back: {error!r}")
            continue
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        handled += len(batch)
        report(json.dumps(result))
    return handled


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.local_subscriber")
    parser.add_argument("module", help="the example's module, e.g. examples.ecs_deploy_on_tag.deployer")
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--messages", type=int, help="stop after this many messages")
    parser.add_argument("--timeout", type=float, help="stop after this long without one")
    arguments = parser.parse_args(argv)
    handler = importlib.import_module(arguments.module).lambda_handler
    handled = poll(handler, boto3.client("sqs"), arguments.queue_url, arguments.messages,
                   arguments.timeout, report=lambda line: print(line, flush=True))
    return 0 if arguments.messages is None or handled >= arguments.messages else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
