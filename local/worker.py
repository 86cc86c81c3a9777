"""The Lambda functions that are not behind the API, run locally on the app's own handlers.

    python -m local.worker --stream-arn ARN --dead-letter-queue URL --demo-queue URL \
        --state-dir DIR --schedule-seconds N

Started by local.stack with the app's environment (AWS_ENDPOINT_URL at the emulator,
TABLE_NAME, TOPIC_ARN, ...). Three loops, each in a thread:
- the table stream pump feeding `publish_tag_changes` (local/pump.py);
- the schedule, invoking `reimport_scheduled_tags` as the EventBridge schedule would,
  when app.py declares it;
- the demo subscriber, logging each message the topic delivers to the demo queue and
  keeping the last KEPT_MESSAGES of them in the state directory (DEMO_MESSAGES), where the
  app server (local/app_server.py) reads them for the console's stream page.
SIGTERM stops them; the pump first delivers what is left in the stream.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from chalice.local import LambdaContext

from chalicelib.logs import ReadableFormatter

from .files import write_file
from .pump import StreamPump, load_position
from .stream_reader import StreamReader

logger = logging.getLogger("worker")
SCHEDULED = "reimport_scheduled_tags"
DEMO_MESSAGES = "demo-messages.json"  # in the state directory: the last messages received
KEPT_MESSAGES = 50


def _context(name: str) -> LambdaContext:
    return LambdaContext(function_name=name, memory_size=512, max_runtime_ms=30_000)


def scheduled_event(region: str) -> dict[str, Any]:
    """The event an EventBridge schedule rule delivers."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012",
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region, "detail": {},
            "resources": [f"arn:aws:events:{region}:123456789012:rule/{SCHEDULED}"]}


def schedule_loop(app_module: ModuleType, period: float, region: str,
                  stop: threading.Event) -> None:
    handler = getattr(app_module, SCHEDULED, None)
    if handler is None:
        logger.info("scheduled import is not available: app.py declares no %s handler",
                    SCHEDULED)
        return
    logger.info("%s runs every %gs", SCHEDULED, period)
    while not stop.wait(period):
        try:
            handler(scheduled_event(region), _context(SCHEDULED))
        except Exception:
            logger.exception("%s failed; the next run is in %gs", SCHEDULED, period)


def describe_message(body: str) -> str:
    """One line for an SNS envelope carrying an ImageStreamTagEvent."""
    envelope = json.loads(body)
    event = json.loads(envelope["Message"])
    target = event.get("dockerImageReference") or "nothing"
    return (f"SNS message {envelope.get('MessageId')}: {event.get('type')} "
            f"{event.get('namespace')}/{event.get('imageStream')}:{event.get('tag')} -> {target}")


def kept_message(body: str) -> dict[str, Any]:
    """What is kept of an SNS envelope carrying an ImageStreamTagEvent: the event, with the
    message's id and when SNS sent it."""
    envelope = json.loads(body)
    return {**json.loads(envelope["Message"]), "messageId": envelope.get("MessageId", ""),
            "sent": envelope.get("Timestamp", "")}


def read_kept_messages(path: Path) -> list[dict[str, Any]]:
    """The messages kept in `path`, oldest first; none if there is no such file (yet)."""
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [item for item in kept if isinstance(item, dict)] if isinstance(kept, list) else []


class MessageKeeper:
    """The last `limit` messages of the demo queue, in a file replaced at each message (a
    reader never sees half of it)."""

    def __init__(self, path: Path, limit: int = KEPT_MESSAGES):
        self.path, self.limit = path, limit
        self.messages = read_kept_messages(path)[-limit:]

    def keep(self, body: str) -> None:
        self.messages = [*self.messages, kept_message(body)][-self.limit:]
        write_file(self.path, json.dumps(self.messages).encode())


def demo_subscriber(sqs: Any, queue_url: str, stop: threading.Event,
                    keeper: MessageKeeper | None = None) -> None:
    while not stop.is_set():
        try:
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=1).get("Messages", [])
            for message in messages:
                logger.info("demo queue: %s", describe_message(message["Body"]))
                if keeper is not None:
                    try:
                        keeper.keep(message["Body"])
                    except OSError as error:  # the log line is still there
                        logger.warning("could not keep the message in %s: %s",
                                       keeper.path, error)
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        except Exception:
            logger.exception("reading the demo queue failed; trying again")
            stop.wait(2)


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.worker")
    for name in ("--stream-arn", "--dead-letter-queue", "--demo-queue", "--state-dir"):
        parser.add_argument(name, required=True)
    parser.add_argument("--schedule-seconds", type=float, default=30.0)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    # The app's lines with the fields of the write they are about (chalicelib/logs.py).
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(ReadableFormatter("%(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("botocore").setLevel(logging.WARNING)
    import app as app_module  # the deployed code, with the environment local.stack gave

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    region = os.environ["AWS_DEFAULT_REGION"]
    sqs = boto3.client("sqs")
    position_file = Path(args.state_dir) / "stream-position.json"
    reader = StreamReader(boto3.client("dynamodb"), boto3.client("dynamodbstreams"),
                          os.environ["TABLE_NAME"], load_position(position_file, args.stream_arn))
    pump = StreamPump(app_module.publish_tag_changes, _context("publish_tag_changes"), reader,
                      args.stream_arn, region, position_file,
                      lambda body: sqs.send_message(QueueUrl=args.dead_letter_queue,
                                                    MessageBody=body))
    threads = [threading.Thread(target=pump.run, args=(stop,), name="pump"),
               threading.Thread(target=schedule_loop, name="schedule",
                                args=(app_module, args.schedule_seconds, region, stop)),
               threading.Thread(target=demo_subscriber, name="demo", args=(
                   sqs, args.demo_queue, stop,
                   MessageKeeper(Path(args.state_dir) / DEMO_MESSAGES)))]
    for thread in threads:
        thread.start()
    logger.info("pumping the table's stream into publish_tag_changes")
    while not stop.wait(1):
        pass
    for thread in threads:
        thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
