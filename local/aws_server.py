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
- Transaction cost. That copy is a deep copy of the whole table, stream records included,
  once per action: a five-action transaction on a table of a thousand items takes a second,
  and every tag move is one. Here a transaction saves only the items it names and the length
  of the table's stream, and a failed one restores those; the table object stays the same,
  so a reader's shard iterator keeps seeing new records after a rollback.
- Query cost. moto answers a Query of the table by sorting every item of the table and
  keeping those of the partition key; here it is handed that partition's items only, so a
  Query costs what its partition holds, not what the table does.
- Idempotency. botocore retries a TransactWriteItems whose reply was lost (a read timeout)
  with the same ClientRequestToken, and DynamoDB answers a repeat of a successful one within
  ten minutes with success without applying it again. moto ignores the token, so the repeat
  failed its condition and the service reported a conflict for a write that happened.
"""
from __future__ import annotations

import argparse
import copy
import io
import json
import os
import signal
import sys
import threading
import time
from typing import Any, Callable, Iterable, Optional

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamShard, Table
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# X-Amz-Target of DynamoDB (DynamoDB_20120810.*) and DynamoDB Streams
# (DynamoDBStreams_20120810.*): both read and write the same moto backend.
LOCKED_TARGET_PREFIX = "DynamoDB"
TRANSACT_WRITE = "DynamoDB_20120810.TransactWriteItems"
IDEMPOTENCY_SECONDS = 600  # DynamoDB's window for a repeated ClientRequestToken


class _Journal:
    """The items a transaction names, as they were before it, and its tables' stream lengths."""

    def __init__(self, backend: DynamoDBBackend, transact_items: list[dict[str, Any]]):
        self.items: list[tuple[Table, DynamoType, Optional[DynamoType], Optional[Item]]] = []
        self.streams: dict[int, tuple[StreamShard, int]] = {}
        for action in transact_items:
            _, op = next(iter(action.items()))
            table = backend.tables.get(op.get("TableName"))
            key = op.get("Item", op.get("Key")) or {}
            if table is None or table.hash_key_attr not in key or (
                    table.range_key_attr is not None and table.range_key_attr not in key):
                continue  # moto refuses the action before writing anything for it
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = (DynamoType(key[table.range_key_attr])
                         if table.range_key_attr is not None else None)
            current = table.get_item(hash_key, range_key)
            self.items.append((table, hash_key, range_key, copy.deepcopy(current)))
            if table.stream_shard is not None:
                self.streams.setdefault(id(table), (table.stream_shard,
                                                    len(table.stream_shard.items)))

    def restore(self) -> None:
        for table, hash_key, range_key, item in reversed(self.items):
            if range_key is None:
                if item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item
            elif item is None:
                table.items[hash_key].pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item
        for shard, length in self.streams.values():
            del shard.items[length:]  # the records of writes that are undone


class _CopyExceptTables:
    """moto.dynamodb.models' `copy` module, except that a Table is not deep-copied: its only
    copies are the transaction backups that _Journal replaces."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Optional[dict[int, Any]] = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def journal_transactions() -> None:
    """Make moto's TransactWriteItems save and restore only what it names (see the module
    docstring); correct only while one DynamoDB request runs at a time (atomic_dynamodb)."""
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        journal = _Journal(self, transact_items)
        try:
            original(self, transact_items)
        except BaseException:
            journal.restore()
            raise

    dynamodb_models.copy = _CopyExceptTables()  # type: ignore[assignment]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def partition_queries() -> None:
    """Make moto's Query of a table (no index) read the partition it names, not the table;
    correct only while one DynamoDB request runs at a time (atomic_dynamodb)."""
    original = Table.query

    def query(self: Table, hash_key: Optional[DynamoType], *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name is not None or hash_key is None or self.range_key_attr is None:
            return original(self, hash_key, *args, **kwargs)
        partition = sorted(self.items.get(hash_key, {}).values(), key=lambda item: item.range_key)
        self.all_items = lambda: partition  # type: ignore[method-assign]
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query  # type: ignore[method-assign]


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


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local.aws_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs with it
    signal.signal(signal.SIGINT, _exit)
    signal.signal(signal.SIGTERM, _exit)
    journal_transactions()
    partition_queries()
    run_simple(args.host, args.port, atomic_dynamodb(DomainDispatcherApplication(
        create_backend_app)), threaded=True)


if __name__ == "__main__":
    main()
