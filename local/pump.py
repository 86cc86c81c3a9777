"""The table stream's event source mapping, played locally.

Like Lambda's mapping of `publish_tag_changes` (infra/functions.json), the pump reads the
stream in order, hands each batch to the handler as a `{"Records": [...]}` event, retries
a failing batch (from the first record the handler's partial batch response names, as
with ReportBatchItemFailures) and, when retries run out, sends a description of what is
left to the dead-letter queue and moves on. Lambda also halves a batch that raises on each
retry, and applies the mapping's FilterCriteria; the pump does neither (the handler ignores
the records the filter would drop). Its position is saved in the state directory after
every batch, so a restart resumes.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .stream_reader import StreamReader, lambda_records

logger = logging.getLogger("pump")
Handler = Callable[[dict[str, Any], Any], Any]


def load_position(path: Path, stream_arn: str) -> dict[str, str]:
    """The saved position in `stream_arn`; empty for another stream (a new emulator)."""
    if not path.exists():
        return {}
    saved = json.loads(path.read_text(encoding="utf-8"))
    return saved["position"] if saved.get("streamArn") == stream_arn else {}


def save_position(path: Path, stream_arn: str, position: dict[str, str]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"streamArn": stream_arn, "position": position}),
                       encoding="utf-8")
    os.replace(partial, path)


def first_failed(reply: Any, records: list[dict[str, Any]]) -> int | None:
    """Where a partial batch response says to deliver `records` again from; None: all done.

    As Lambda does: the earliest record named, and the whole batch when a name matches none.
    """
    failures = reply.get("batchItemFailures") if isinstance(reply, dict) else None
    if not failures:
        return None
    named = {failure.get("itemIdentifier") for failure in failures}
    return next((index for index, record in enumerate(records)
                 if record["dynamodb"]["SequenceNumber"] in named), 0)


def skip_to_end(reader: StreamReader, path: Path, stream_arn: str) -> int:
    """Mark everything in the stream as handled: the records a restore wrote are no changes."""
    skipped = 0
    while batch := reader.read(limit=1000):
        skipped += len(batch)
    save_position(path, stream_arn, reader.position)
    return skipped


class StreamPump:
    def __init__(self, handler: Handler, context: Any, reader: StreamReader, stream_arn: str,
                 region: str, position_file: Path, dead_letters: Callable[[str], None],
                 attempts: int = 3, backoff: float = 1.0):
        self.handler = handler
        self.context = context
        self.reader = reader
        self.stream_arn = stream_arn
        self.region = region
        self.position_file = position_file
        self.dead_letters = dead_letters
        self.attempts = attempts
        self.backoff = backoff

    def pump_once(self) -> int:
        """Deliver the next batch; the number of records in it (0: nothing new)."""
        records = self.reader.read(limit=1000)
        if records:
            self._deliver(lambda_records(records, self.stream_arn, self.region))
            save_position(self.position_file, self.stream_arn, self.reader.position)
        return len(records)

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        for attempt in range(1, self.attempts + 1):
            try:
                reply = self.handler({"Records": records}, self.context)
            except Exception:
                logger.exception("publish_tag_changes failed on %d records (attempt %d of %d)",
                                 len(records), attempt, self.attempts)
            else:
                failed = first_failed(reply, records)
                if failed is None:
                    logger.info("publish_tag_changes handled %d stream records", len(records))
                    return
                logger.warning("publish_tag_changes left %d of %d records (attempt %d of %d)",
                               len(records) - failed, len(records), attempt, self.attempts)
                records = records[failed:]
            if attempt < self.attempts:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        self.dead_letters(json.dumps(self._failure(records)))
        logger.error("batch of %d records sent to the dead-letter queue", len(records))

    def _failure(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """What Lambda sends an on-failure destination for a stream batch."""
        changes = [record["dynamodb"] for record in records]
        return {
            "requestContext": {"requestId": str(uuid.uuid4()), "condition":
                               "RetryAttemptsExhausted", "approximateInvokeCount": self.attempts},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                "functionError": "Unhandled"},
            "version": "1.0", "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "streamArn": self.stream_arn, "batchSize": len(records),
                "startSequenceNumber": changes[0]["SequenceNumber"],
                "endSequenceNumber": changes[-1]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": changes[0].get("ApproximateCreationDateTime"),
                "approximateArrivalOfLastRecord": changes[-1].get("ApproximateCreationDateTime"),
            }}

    def run(self, stop: threading.Event, period: float = 0.5) -> None:
        """Poll until `stop`, then deliver what is left (a clean stop loses no change)."""
        while not stop.is_set():
            try:
                if not self.pump_once():
                    stop.wait(period)
            except Exception:
                logger.exception("reading the table's stream failed; trying again")
                stop.wait(period * 4)
        while self.pump_once():
            pass
