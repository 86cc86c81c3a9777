"""The backfill of the Cluster index: stream items written before it existed get the
attributes a commit now writes, nothing else changes, and running it again (whole, or
resumed from any page) changes nothing."""
from __future__ import annotations

import re
from typing import Any

import boto3
import pytest

from chalicelib import backfill as cli
from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.dynamodb_cluster_backfill import backfill_cluster_index
from chalicelib.domain.records import TagRecord
from chalicelib.services.ports import ChangeSet, StreamStore
from testbed.dynamodb import DynamoTable
from tests.contract.builders import create, event, image, pushed, stream

CLUSTER_ATTRIBUTES = ("ClusterPK", "ClusterSK")
OLD_STREAMS = [("team", "app"), ("team", "web"), ("ops", "app"), ("team-b", "db")]


def by_key(table: DynamoTable) -> dict[tuple[str, str], dict[str, Any]]:
    return {(item["PK"]["S"], item["SK"]["S"]): item for item in table.items()}


def seed(table: DynamoTable) -> dict[tuple[str, str], dict[str, Any]]:
    """Streams with tags, history and images, some written by the version before the index
    (their stream items without its attributes); the table as the current version has it."""
    store: StreamStore = table.store()
    for namespace, name in OLD_STREAMS + [("team", "new")]:
        tag, history = pushed(TagRecord("latest", "i1"), event(1))
        create(store, stream(name, namespace), put_tags=[tag], history=history,
               image_refs={image(1).metadata.name or "": (1, "r@1")})
    store.put_image(image(1))
    store.reschedule_repository("team", "app", None, event(2).created)  # a REPO# item, SK "#"
    current = by_key(table)
    for namespace, name in OLD_STREAMS:
        table.client.update_item(TableName=table.name,
                                 Key=items.key(items.stream_pk(namespace, name), items.STREAM_SK),
                                 UpdateExpression="REMOVE ClusterPK, ClusterSK")
    return current


def listed(store: StreamStore) -> list[tuple[str, str]]:
    return [(r.namespace, r.name) for r in store.list_all_streams(100, None).items]


def test_old_stream_items_get_the_attributes_and_nothing_else_changes(
        dynamodb: DynamoTable) -> None:
    current = seed(dynamodb)
    assert listed(dynamodb.store()) == [("team", "new")]

    pages = list(backfill_cluster_index(dynamodb.client, dynamodb.name))
    assert sum(page.updated for page in pages) == len(OLD_STREAMS)
    assert pages[-1].resume_after is None
    assert by_key(dynamodb) == current
    assert listed(dynamodb.store()) == sorted(OLD_STREAMS + [("team", "new")],
                                              key=lambda s: "/".join(s))
    # only stream items are in the index
    indexed = [k for k, item in current.items() if "ClusterPK" in item]
    assert all(sk == items.STREAM_SK and pk.startswith("IS#") for pk, sk in indexed)


def test_running_it_again_changes_nothing(dynamodb: DynamoTable) -> None:
    seed(dynamodb)
    list(backfill_cluster_index(dynamodb.client, dynamodb.name))
    done = by_key(dynamodb)
    assert [page.updated for page in backfill_cluster_index(dynamodb.client, dynamodb.name)
            ] == [0]
    assert by_key(dynamodb) == done


def test_an_interrupted_run_resumes_after_its_last_page(dynamodb: DynamoTable) -> None:
    current = seed(dynamodb)
    run = backfill_cluster_index(dynamodb.client, dynamodb.name, page_size=4)
    first = next(run)
    run.close()  # interrupted
    assert first.resume_after is not None
    rest = list(backfill_cluster_index(dynamodb.client, dynamodb.name, first.resume_after,
                                       page_size=4))
    assert len(rest) > 1
    assert first.updated + sum(page.updated for page in rest) == len(OLD_STREAMS)
    assert by_key(dynamodb) == current


def test_a_stream_deleted_or_written_meanwhile_is_left_as_it_is(
        dynamodb: DynamoTable, monkeypatch: pytest.MonkeyPatch) -> None:
    current = seed(dynamodb)
    store = dynamodb.store()
    deleted, written = store.get_stream("team", "web"), store.get_stream("ops", "app")
    assert deleted is not None and written is not None
    scan = dynamodb.client.scan

    def scan_then_race(**params: Any) -> Any:
        """Between the backfill's read and its updates, a delete and a commit."""
        found = scan(**params)
        store.delete_stream("team", "web", deleted.version)
        store.commit(ChangeSet(stream=written.bumped(), expected_version=written.version))
        return found

    monkeypatch.setattr(dynamodb.client, "scan", scan_then_race)
    pages = list(backfill_cluster_index(dynamodb.client, dynamodb.name))
    monkeypatch.undo()
    assert sum(page.updated for page in pages) == len(OLD_STREAMS) - 2
    after = by_key(dynamodb)
    assert (items.stream_pk("team", "web"), items.STREAM_SK) not in after  # not brought back
    key = (items.stream_pk("ops", "app"), items.STREAM_SK)
    assert after[key]["version"] == {"N": str(written.version + 1)}  # the commit's item
    assert all(after[key][name] == current[key][name] for name in CLUSTER_ATTRIBUTES)


def test_the_command_prints_where_to_resume_and_resumes_there(
        dynamodb: DynamoTable, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    seed(dynamodb)
    monkeypatch.setattr(boto3, "client", lambda service: dynamodb.client)
    assert cli.main(["--table", dynamodb.name, "--page-size", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.endswith("; done")] == [
        "cluster: 0 streams updated; done", "images: 0 images moved to their shard; done",
        "history: 0 history events moved and tags given their recent events; done",
        "cleanup: 0 cleanups of deletes finished; done"]
    assert lines[-1] == f"{len(OLD_STREAMS)} items updated in all"  # the seed's image is new
    printed = re.fullmatch(r"cluster: \d+ streams updated; resume with --step cluster "
                           r"--resume-after '(.*)'", lines[0])
    assert printed is not None
    assert cli.main(["--table", dynamodb.name, "--resume-after", printed[1]]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 items updated in all"
