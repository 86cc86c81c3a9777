"""Image prune runs on the table: the run item (`PRUNE#<name>`, `#`) holds the whole run as
JSON, with its step and phase beside it (the save's condition, and what the table stream's
consumer reads to drive the next step); its keep set is items `K#<digest>` in the run's
partition. Runs are listed from GSI1 (`PRUNERUNS`). Both expire by the table's TTL: a run
a week after its last write, its keep set two days after each write (a run takes minutes
to hours, and fails past domain/pruning.py's MAX_RUN_AGE, a day, rather than go on with
part of its keep set gone).
"""
from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import AlreadyExists
from ..domain.pruning import RUNS, PruneRun, PruneSpec
from . import dynamodb_items as items
from .dynamodb_errors import CHECK_FAILED, busy, conditionally, error_code, translated
from .dynamodb_reads import batch_get, query_all

RUN_DAYS = 7
KEEP_DAYS = 2
BATCH_WRITE = 25
BATCH_ATTEMPTS = 5


def _expiry(days: int) -> dict[str, str]:
    return {"N": str(int(time.time()) + days * 86400)}


def encode_run(run: PruneRun) -> items.Item:
    spec = run.spec
    body = {
        "name": run.name, "uid": run.uid, "created": run.created.isoformat(),
        "createdBy": run.created_by, "threshold": run.threshold.isoformat(),
        "spec": {"keepTagRevisions": spec.keep_tag_revisions,
                 "keepYoungerThan": spec.keep_younger_than,
                 "namespaces": list(spec.namespaces) if spec.namespaces is not None else None,
                 "dryRun": spec.dry_run, "pruneRegistry": spec.prune_registry},
        "stage": run.stage, "cursor": run.cursor, "scanned": run.scanned,
        "removed": run.removed, "message": run.message,
        "completed": run.completed.isoformat() if run.completed else None,
    }
    return {**items.key(items.prune_run_pk(run.name), items.STREAM_SK),
            "GSI1PK": {"S": items.PRUNE_RUNS_GSI1PK}, "GSI1SK": {"S": run.name},
            "step": {"N": str(run.step)}, "phase": {"S": run.phase},
            "run": {"S": json.dumps(body, separators=(",", ":"))},
            "ExpiresAt": _expiry(RUN_DAYS)}


def decode_run(item: items.Item) -> PruneRun:
    body = json.loads(item["run"]["S"])
    spec = body["spec"]
    namespaces = spec["namespaces"]
    return PruneRun(
        name=body["name"], uid=body["uid"], created=datetime.fromisoformat(body["created"]),
        created_by=body["createdBy"], threshold=datetime.fromisoformat(body["threshold"]),
        spec=PruneSpec(spec["keepTagRevisions"], spec["keepYoungerThan"],
                       tuple(namespaces) if namespaces is not None else None, spec["dryRun"],
                       spec["pruneRegistry"]),
        phase=item["phase"]["S"], stage=body["stage"], step=int(item["step"]["N"]),
        cursor=body["cursor"], scanned=body["scanned"], removed=body["removed"],
        completed=datetime.fromisoformat(body["completed"]) if body["completed"] else None,
        message=body["message"])


class DynamoPruneRuns:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    @translated
    def create(self, run: PruneRun) -> None:
        try:
            self._client.put_item(TableName=self._table, Item=encode_run(run),
                                  ConditionExpression="attribute_not_exists(PK)")
        except ClientError as exc:
            if error_code(exc) == CHECK_FAILED:
                raise AlreadyExists.of(RUNS, run.name) from exc
            raise

    @translated
    def get(self, name: str) -> PruneRun | None:
        item = self._client.get_item(
            TableName=self._table, ConsistentRead=True,
            Key=items.key(items.prune_run_pk(name), items.STREAM_SK)).get("Item")
        return decode_run(item) if item else None

    @translated
    def list(self) -> list[PruneRun]:
        found = query_all(self._client, {
            "TableName": self._table, "IndexName": items.GSI1,
            "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": items.PRUNE_RUNS_GSI1PK}}})
        return sorted((decode_run(item) for item in found),
                      key=lambda run: (run.created, run.name), reverse=True)

    @translated
    def save(self, run: PruneRun, read_step: int) -> bool:
        return conditionally(lambda: self._client.put_item(
            TableName=self._table, Item=encode_run(run), ConditionExpression="#step = :step",
            ExpressionAttributeNames={"#step": "step"},
            ExpressionAttributeValues={":step": {"N": str(read_step)}}))

    @translated
    def keep(self, name: str, digests: set[str]) -> None:
        pk, expiry = items.prune_run_pk(name), _expiry(KEEP_DAYS)
        puts = [{"PutRequest": {"Item": {**items.key(pk, items.KEEP_PREFIX + digest),
                                         "ExpiresAt": expiry}}} for digest in sorted(digests)]
        for start in range(0, len(puts), BATCH_WRITE):
            request = {self._table: puts[start:start + BATCH_WRITE]}
            for _ in range(BATCH_ATTEMPTS):
                request = self._client.batch_write_item(
                    RequestItems=request).get("UnprocessedItems") or {}
                if not request:
                    break
            else:
                raise busy()

    @translated
    def kept(self, name: str, digests: set[str]) -> set[str]:
        pk = items.prune_run_pk(name)
        found = batch_get(self._client, self._table,
                          [items.key(pk, items.KEEP_PREFIX + digest) for digest in digests])
        return {item["SK"]["S"][len(items.KEEP_PREFIX):] for item in found}
