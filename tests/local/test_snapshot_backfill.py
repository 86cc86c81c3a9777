"""make run on a snapshot saved before the Cluster index, the image shards or the history's
H# keys: the restored streams are listed across namespaces, the images are in their shards
and the history is where this version reads it, as the deployment's backfill makes them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.adapters import dynamodb_items as items
from chalicelib.domain.records import TagRecord
from local import snapshot
from local.emulator import Resources
from local.settings import Settings
from testbed.dynamodb import DynamoTable
from tests.contract.builders import digest, event, history, image, pushed, stream


def test_restoring_an_old_snapshot_puts_its_streams_in_the_cluster_index(
        dynamodb: DynamoTable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [stream("app", "team"), stream("app", "ops")]
    saved = [{name: value for name, value in items.encode_stream(record).items()
              if name not in ("ClusterPK", "ClusterSK")} for record in records]
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps({"version": 1, "items": saved, "subscriptions": [],
                                "secrets": []}), encoding="utf-8")
    # the emulator's clients are the test's moto (nothing else is asked of them here)
    monkeypatch.setattr(snapshot, "client", lambda settings, service: dynamodb.client)
    resources = Resources(table=dynamodb.name, stream_arn="", topic_arn="",
                          dead_letter_queue_url="", demo_queue_url="")

    assert snapshot.restore(Settings(), resources, path) == len(records)
    assert dynamodb.store().list_all_streams(10, None).items == sorted(
        records, key=lambda r: f"{r.namespace}/{r.name}")
    assert sorted(item["ClusterSK"]["S"] for item in dynamodb.items()) == ["ops/app", "team/app"]


def test_restoring_an_old_snapshot_moves_its_images(
        dynamodb: DynamoTable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saved = [{**items.encode_image(image(n)), "GSI1PK": {"S": items.LEGACY_IMAGES_GSI1PK}}
             for n in range(3)]
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps({"version": 1, "items": saved, "subscriptions": [],
                                "secrets": []}), encoding="utf-8")
    monkeypatch.setattr(snapshot, "client", lambda settings, service: dynamodb.client)
    resources = Resources(table=dynamodb.name, stream_arn="", topic_arn="",
                          dead_letter_queue_url="", demo_queue_url="")

    assert snapshot.restore(Settings(), resources, path) == 3
    assert sorted(item["GSI1PK"]["S"] for item in dynamodb.items()) == sorted(
        items.images_gsi1pk(digest(n)) for n in range(3))


def test_restoring_an_old_snapshot_moves_its_history(
        dynamodb: DynamoTable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = stream()
    pk = items.stream_pk(record.namespace, record.name)
    tag, writes = pushed(TagRecord(name="latest", incarnation="i1"), event(1), event(2))
    saved = [items.encode_stream(record),
             {k: v for k, v in items.encode_tag(pk, record.uid, tag).items() if k != "recent"},
             *({**items.encode_event(pk, record.uid, "latest", "i1", w.seq, w.event),
                "SK": {"S": f"{items.legacy_history_prefix('latest', 'i1')}{w.seq:010d}"}}
               for w in writes)]
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps({"version": 1, "items": saved, "subscriptions": [],
                                "secrets": []}), encoding="utf-8")
    monkeypatch.setattr(snapshot, "client", lambda settings, service: dynamodb.client)
    resources = Resources(table=dynamodb.name, stream_arn="", topic_arn="",
                          dead_letter_queue_url="", demo_queue_url="")

    assert snapshot.restore(Settings(), resources, path) == 4
    loaded = dynamodb.store().load_stream(record.namespace, record.name)
    assert loaded is not None and loaded.history == {"latest": [event(2), event(1)]}
    assert history(dynamodb.store(), tag) == [event(2), event(1)]
