"""Runs driven on moto's DynamoDB: the table stream's consumer takes each saved step's
record to the next step until the run is done; and each step stays within its bound
however many streams and events a run goes through."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib import wiring
from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.dynamodb_change_log import DynamoChangeLog
from chalicelib.adapters.dynamodb_prune_runs import DynamoPruneRuns
from chalicelib.adapters.dynamodb_publish_ledger import DynamoPublishLedger
from chalicelib.adapters.dynamodb_store import DynamoStore
from chalicelib.adapters.sns_publisher import SnsPublisher
from chalicelib.adapters.table_stream import prune_step
from chalicelib.domain.records import TagRecord
from chalicelib.entrypoints.table_events import handle_table_records
from chalicelib.resources.prune import ImagePruneRunSpec
from chalicelib.services import prune_stages
from chalicelib.services.actor import SERVICE
from local.stream_reader import StreamReader, lambda_records
from testbed.dynamodb import REGION, create_table, mocked_table, new_client
from testbed.emf import emf_documents, in_lambda, metrics_of
from tests.contract.builders import create, event, pushed, stream, update
from tests.contract.test_store_services import Api
from tests.test_dynamodb_history_backfill import legacy

from .conftest import pruning
from .test_in_use_rules import digests, events, images, map_all

TABLE = "imagestreams-prune"


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture
def served() -> Iterator[tuple[wiring.Services, StreamReader]]:
    """The app's services on moto's table (runs on it too), and a reader of its stream."""
    with mock_aws():
        dynamodb = client("dynamodb")
        create_table(dynamodb, TABLE)
        sns = client("sns")
        topic = sns.create_topic(Name="imagestreams-events")["TopicArn"]
        services = wiring.Services(DynamoStore(dynamodb, TABLE), "",
                                   publish_ledger=DynamoPublishLedger(dynamodb, TABLE),
                                   change_log=DynamoChangeLog(dynamodb, TABLE),
                                   prune_runs=lambda: DynamoPruneRuns(dynamodb, TABLE))
        wiring.use(services)
        wiring.use_publisher(SnsPublisher(sns, topic, backoff=0))
        try:
            yield services, StreamReader(dynamodb, client("dynamodbstreams"), TABLE)
        finally:
            wiring.use(None)
            wiring.use_publisher(None)


def ended_runs(captured: str) -> dict[str, float]:
    """The runs the consumer's metric lines count as ended, by outcome."""
    totals: dict[str, float] = {}
    for document in emf_documents(captured):
        for name, (value, _) in metrics_of(document).items():
            if name.startswith("PruneRuns"):
                totals[name] = totals.get(name, 0) + value
    return totals


def consume(reader: StreamReader) -> None:
    """Hand every record of the table's stream to the consumer, and each batch's prune-run
    records a second time (delivered again: they do nothing more), until none is left."""
    batches = 0
    while (records := lambda_records(reader.read(limit=1000), "arn:stream", REGION)):
        assert handle_table_records(records) == {"batchItemFailures": []}
        again = [record for record in records if prune_step(record)]
        assert handle_table_records(again) == {"batchItemFailures": []}
        batches += 1
        assert batches < 100


def test_the_table_stream_consumer_drives_a_run_to_its_end(
        served: tuple[wiring.Services, StreamReader], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    services, reader = served
    in_lambda(monkeypatch)
    monkeypatch.setattr(prune_stages, "STEP_REQUESTS", 12)  # a run of several steps
    api = Api(services.store)
    for name in ("one", "two", "three"):
        api.create(name)
        map_all(api, "abcd", stream=name)
    started = services.pruning.start(
        SERVICE, ImagePruneRunSpec(keep_tag_revisions=2, dry_run=False))
    name = started.metadata.name or ""
    assert started.status is not None and started.status.phase == "Running"
    consume(reader)
    run = services.pruning.get(name)
    assert run.status is not None and run.status.phase == "Succeeded"
    assert ended_runs(capsys.readouterr().out) == {"PruneRunsSucceeded": 1}
    assert int(run.metadata.resource_version or 0) > 3  # steps, one record each
    assert run.status.removed.history_events == 6 and run.status.removed.images == 2
    # the cleanup marks the commits left were worked off by the same consumer
    for stream_name in ("one", "two", "three"):
        assert events(services.store, stream_name) == digests("dc")
    assert images(services.store) == set(digests("cd"))
    for char in "ab":
        assert not services.store.find_images("team", "one", digests(char)[0], 1)


def test_a_run_that_fails_is_counted_and_logged_with_its_message(
        served: tuple[wiring.Services, StreamReader], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    """A stream whose history is at the keys of the version before the move: the run
    fails there (tests/pruning/test_unmigrated_history.py), which the alarm on
    PruneRunsFailed reports."""
    services, reader = served
    in_lambda(monkeypatch)
    api = Api(services.store)
    api.create("old")
    map_all(api, "abcd", stream="old")
    dynamodb = client("dynamodb")
    for item in dynamodb.scan(TableName=TABLE)["Items"]:
        if item["SK"]["S"].startswith(items.HISTORY_PREFIX):
            dynamodb.delete_item(TableName=TABLE, Key=items.key(item["PK"]["S"], item["SK"]["S"]))
            dynamodb.put_item(TableName=TABLE, Item=legacy(item))
    name = services.pruning.start(
        SERVICE, ImagePruneRunSpec(keep_tag_revisions=1, dry_run=False)).metadata.name or ""
    consume(reader)
    run = services.pruning.get(name)
    assert run.status is not None and run.status.phase == "Failed"
    assert ended_runs(capsys.readouterr().out) == {"PruneRunsFailed": 1}
    [logged] = [r for r in caplog.records if r.getMessage().startswith("image prune run")]
    assert logged.levelname == "ERROR"
    assert logged.getMessage() == (f"image prune run {name} failed at step 0: "
                                   f"{run.status.message}")
    assert "python -m chalicelib.backfill" in logged.getMessage()


def test_each_step_stays_within_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # pages of four events: the long tag's kept block is walked over several steps
    monkeypatch.setattr(prune_stages, "HISTORY_PAGE", 4)
    calls: list[str] = []
    dynamodb = new_client()
    dynamodb.meta.events.register("before-call.dynamodb",
                                  lambda model, **_: calls.append(model.name))
    with mocked_table(dynamodb, stream=False) as table:
        store = table.store()
        for n in range(25):  # more streams than a page lists
            create(store, stream(f"s{n:02d}"), put_tags=[
                pushed(TagRecord(name="latest", incarnation="i1"), event(n))[0]])
        tag = TagRecord(name="long", incarnation="i1")
        record = create(store, stream("long"))
        for start in range(0, 250, 50):  # more events than a history page reads
            tag, writes = pushed(tag, *(event(1000 + n) for n in range(start, start + 50)))
            record = update(store, record, put_tags=[tag], history=writes)
        runs = DynamoPruneRuns(dynamodb, table.name)
        service = pruning(store, runs)
        name = service.start(SERVICE, ImagePruneRunSpec(keep_tag_revisions=120,
                                                        dry_run=False)).metadata.name or ""
        per_step, walked_on = [], 0
        while True:
            calls.clear()
            run = runs.get(name)
            assert run is not None
            if not service.advance(name, run.step):
                break
            per_step.append(len(calls))
            walked_on += "partial" in run.cursor  # a step went on inside a tag's history
        assert len(per_step) >= 5 and walked_on >= 1
        # the budget, what the last read of a step may go past it, the run's read and save
        assert max(per_step) <= prune_stages.STEP_REQUESTS + prune_stages.LIST_REQUESTS + 2
        status = service.get(name).status
        assert status is not None and status.phase == "Succeeded"
        assert status.scanned.streams == 26 and status.removed.history_events == 130
        assert len(events(store, "long", "long")) == 120
