"""Beyond oc: `isctl events` prints tag changes from a trigger's SQS queue as they arrive.

By default it reads the local stack's demo queue (`demo_queue_url`, `aws_endpoint` and
`region` of .local/endpoint.json). Messages are ImageStreamTagEvent JSON, delivered raw or
inside an SNS envelope; each is deleted once printed unless --keep is given.
"""
from __future__ import annotations

import json
import time
from typing import Any

import click

from ..config import find_local_endpoint, read_local_endpoint
from ..errors import CliError
from ..helptext import command
from ..runtime import Runtime, echo, runtime


def _local(rt: Runtime) -> dict:
    endpoint = find_local_endpoint(rt.cwd)
    return read_local_endpoint(endpoint) if endpoint else {}


def _client(rt: Runtime, region: str | None, endpoint_url: str | None, local: dict) -> Any:
    if rt.sqs is not None:
        return rt.sqs
    try:
        import boto3  # optional: only this command needs it
    except ImportError as exc:
        raise CliError("isctl events needs boto3: pip install 'isctl[events]'") from exc
    options: dict[str, Any] = {
        "region_name": region or local.get("region") or rt.env.get("AWS_REGION")
        or rt.env.get("AWS_DEFAULT_REGION") or "us-east-1"}
    if endpoint_url:
        options["endpoint_url"] = endpoint_url
    elif local.get("aws_endpoint"):
        # the local stack's emulator accepts any credentials; AWS itself never sees these
        options.update(endpoint_url=local["aws_endpoint"],
                       aws_access_key_id=rt.env.get("AWS_ACCESS_KEY_ID") or "local",
                       aws_secret_access_key=rt.env.get("AWS_SECRET_ACCESS_KEY") or "local")
    if "aws_access_key_id" not in options:
        _check_credentials(boto3.session.Session(region_name=options["region_name"]))
    return boto3.client("sqs", **options)


def _check_credentials(session: Any) -> None:
    """Fail before the first call, naming what is missing, rather than with botocore's
    NoCredentialsError from inside the loop."""
    try:
        found = session.get_credentials()
    except Exception as exc:  # a broken profile or credentials file: botocore says which
        raise CliError(f"cannot read AWS credentials to read the queue: {exc}") from exc
    if found is None:
        raise CliError("no AWS credentials to read the queue: set AWS_ACCESS_KEY_ID and "
                       "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE")


def _receive(sqs: Any, queue_url: str, wait: int) -> dict:
    """One long poll; AWS errors become isctl's (exit 1, no traceback)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # a client given by the caller, without botocore around
        return sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                   WaitTimeSeconds=wait)
    try:
        return sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                   WaitTimeSeconds=wait)
    except (BotoCoreError, ClientError) as exc:
        raise CliError(f"cannot read the queue {queue_url}: {exc}") from exc


def decode(body: str) -> dict | None:
    """The tag event of a message body, unwrapping an SNS envelope; None if it is not one."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("Type") == "Notification" and "Message" in data:
        return decode(data["Message"])
    return data if isinstance(data, dict) and data.get("kind") == "ImageStreamTagEvent" else None


def line(event: dict) -> str:
    where = f"{event.get('namespace')}/{event.get('imageStream')}:{event.get('tag')}"
    previous = (event.get("previous") or {}).get("dockerImageReference")
    target = event.get("dockerImageReference") or "<none>"
    text = f"{event.get('time', '')}  {event.get('type', ''):<7}  {where}  {target}"
    return text + (f"  (was {previous})" if previous else "")


@command("events", examples="""
    # Print the tag changes arriving on the local stack's demo queue, five of them
    isctl events --count 5

    # Follow a trigger's own queue for a minute, as JSON
    isctl events --queue https://sqs.us-east-1.amazonaws.com/123456789012/tags \\
        --timeout 60 -o json
    """)
@click.option("--queue", "queue_url", help="SQS queue URL (default: the local demo queue).")
@click.option("--region", help="AWS region of the queue.")
@click.option("--endpoint-url", help="SQS endpoint (default: the local stack's emulator).")
@click.option("--timeout", type=float, help="Stop after this many seconds.")
@click.option("--count", type=int, help="Stop after this many messages.")
@click.option("-o", "--output", type=click.Choice(("json",)), help="Print each event as JSON.")
@click.option("--keep", is_flag=True, help="Leave the messages on the queue.")
def events(queue_url: str | None, region: str | None, endpoint_url: str | None,
           timeout: float | None, count: int | None, output: str | None,
           keep: bool) -> int:
    """Print image stream tag changes from a trigger's queue as they arrive."""
    rt = runtime()
    local = {} if (queue_url and endpoint_url) else _local(rt)
    queue_url = queue_url or local.get("demo_queue_url")
    if not queue_url:
        raise CliError("no queue: pass --queue URL, or start the local stack (make run) which "
                       "has a demo queue")
    sqs = _client(rt, region, endpoint_url, local)
    deadline = None if timeout is None else time.monotonic() + timeout
    seen = 0
    try:
        while count is None or seen < count:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                break
            wait = 20 if remaining is None else max(0, min(20, int(remaining)))
            reply = _receive(sqs, queue_url, wait)
            for message in reply.get("Messages", []):
                event = decode(message.get("Body", ""))
                if event is not None and (count is None or seen < count):
                    echo(json.dumps(event, sort_keys=True) if output == "json" else line(event))
                    seen += 1
                elif event is not None:
                    continue  # beyond --count: leave it for the next reader
                if not keep:
                    sqs.delete_message(QueueUrl=queue_url,
                                       ReceiptHandle=message["ReceiptHandle"])
            if not reply.get("Messages") and wait == 0:
                time.sleep(min(0.2, max(remaining or 0, 0)))
    except KeyboardInterrupt:
        pass
    return 0
