"""The emulator's HTTP server: moto server, with DynamoDB requests as DynamoDB serves them.

    python -m local.aws_server --host 127.0.0.1 --port 5000

Otherwise this is what `python -m moto.server` runs. moto 5.2 differs from DynamoDB in ways
that matter to a service under concurrent requests; this server puts them right:

- Atomic requests. moto serves requests on threads but does not lock its backends: a
  TransactWriteItems checks its conditions, then applies its writes, and on a failure puts
  back a copy of the table taken at its start, so a request of another thread running in
  between can pass a condition on a state that is gone or have its writes undone. Here one
  lock holds each whole DynamoDB (and DynamoDB Streams) request; other services, an SQS long
  poll say, are never held up by it.
- Transaction and Query cost: a request costs what it names, not what the table holds
  (testbed/moto_dynamodb.py).
- Idempotency. botocore retries a TransactWriteItems whose reply was lost (a read timeout)
  with the same ClientRequestToken, and DynamoDB answers a repeat of a successful one within
  ten minutes with success without applying it again. moto ignores the token, so the repeat
  failed its condition and the service reported a conflict for a write that happened.
- SNS delivery per subscription: a deleted queue loses its own messages only, and every
  PublishBatch entry is answered as published or failed (local/moto_sns.py).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

from testbed import moto_dynamodb

from . import moto_sns

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# X-Amz-Target of DynamoDB (DynamoDB_20120810.*) and DynamoDB Streams
# (DynamoDBStreams_20120810.*): both read and write the same moto backend.
LOCKED_TARGET_PREFIX = "DynamoDB"
TRANSACT_WRITE = "DynamoDB_20120810.TransactWriteItems"
IDEMPOTENCY_SECONDS = 600  # DynamoDB's window for a repeated ClientRequestToken


class _Response:
    """A response as start_response and the body iterable give it."""

    def __init__(self) -> None:
        self.status = ""
        self.headers: list[tuple[str, str]] = []
        self.body = b""

    def start(self, status: str, headers: list[tuple[str, str]], *_: Any) -> Callable[..., Any]:
        self.status, self.headers = status, list(headers)
        return lambda data: None  # moto never writes through it

    def send(self, start_response: Callable[..., Any]) -> list[bytes]:
        start_response(self.status, self.headers)
        return [self.body]


def _call(app: WsgiApp, environ: dict[str, Any]) -> _Response:
    response = _Response()
    body = app(environ, response.start)
    try:
        response.body = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return response


def _mismatch() -> _Response:
    response = _Response()
    response.status = "400 Bad Request"
    response.headers = [("Content-Type", "application/x-amz-json-1.0")]
    response.body = json.dumps({
        "__type": "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
        "message": "The request uses the same client token as a previous, but non-identical "
                   "request."}).encode()
    return response


def atomic_dynamodb(app: WsgiApp) -> WsgiApp:
    """`app`, with one DynamoDB request at a time and TransactWriteItems idempotent by token."""
    lock = threading.Lock()
    done: dict[str, tuple[float, bytes, _Response]] = {}  # token -> (when, request, reply)

    def transact(environ: dict[str, Any]) -> _Response:
        request = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(request)
        try:
            token = json.loads(request).get("ClientRequestToken")
        except ValueError:
            token = None  # moto answers the malformed request
        now = time.monotonic()
        for old in [t for t, (when, _, _) in done.items() if now - when > IDEMPOTENCY_SECONDS]:
            del done[old]
        if token in done:
            _, first_request, first_reply = done[token]
            return first_reply if first_request == request else _mismatch()
        response = _call(app, environ)
        if token and response.status.startswith("200"):
            done[token] = (now, request, response)
        return response

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(LOCKED_TARGET_PREFIX):
            return app(environ, start_response)
        with lock:
            response = transact(environ) if target == TRANSACT_WRITE else _call(app, environ)
        return response.send(start_response)

    return serve


def _exit(_signum: int, _frame: Any) -> None:
    sys.exit(0)  # as moto server does: a SIGTERM is a clean stop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local.aws_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs with it
    signal.signal(signal.SIGINT, _exit)
    signal.signal(signal.SIGTERM, _exit)
    moto_dynamodb.install()
    moto_sns.install()
    run_simple(args.host, args.port, atomic_dynamodb(DomainDispatcherApplication(
        create_backend_app)), threaded=True)


if __name__ == "__main__":
    main()
