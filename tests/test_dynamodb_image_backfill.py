"""The backfill of the image shards: image items written under GSI1's single legacy key
move to their shard and nothing else changes; the list has every image, once, before,
halfway and after; running it again (whole, or resumed from any page) changes nothing."""
from __future__ import annotations

import re
from collections import Counter
from typing import Any

import boto3
import pytest

from chalicelib import backfill as cli
from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.dynamodb_cluster_backfill import backfill_image_shards
from testbed.dynamodb import DynamoTable
from tests.contract.builders import digest, image


def legacy(item: dict[str, Any]) -> dict[str, Any]:
    """The item as the version before the shards wrote it."""
    return {**item, "GSI1PK": {"S": items.LEGACY_IMAGES_GSI1PK}}


def seed_old(table: DynamoTable, count: int = 30) -> dict[tuple[str, str], dict[str, Any]]:
    """Images written by the version before the shards; the table as this version has it."""
    current = [items.encode_image(image(n)) for n in range(count)]
    table.batch_put([legacy(item) for item in current])
    return {(item["PK"]["S"], item["SK"]["S"]): item for item in current}


def by_key(table: DynamoTable) -> dict[tuple[str, str], dict[str, Any]]:
    return {(item["PK"]["S"], item["SK"]["S"]): item for item in table.items()}


def test_the_backfill_moves_old_images_to_their_shard_listed_all_along(
        dynamodb: DynamoTable) -> None:
    current = seed_old(dynamodb)
    store = dynamodb.store()
    everything = [digest(n) for n in range(30)]
    assert [i.metadata.name for i in store.list_images(100, None).items] == everything

    pages = list(backfill_image_shards(dynamodb.client, dynamodb.name))
    assert sum(page.updated for page in pages) == 30 and pages[-1].resume_after is None
    assert by_key(dynamodb) == current
    assert [i.metadata.name for i in store.list_images(100, None).items] == everything

    again = [page.updated for page in backfill_image_shards(dynamodb.client, dynamodb.name)]
    assert again == [0]
    assert by_key(dynamodb) == current


def test_an_interrupted_backfill_resumes_after_its_last_page(dynamodb: DynamoTable) -> None:
    current = seed_old(dynamodb)
    run = backfill_image_shards(dynamodb.client, dynamodb.name, page_size=7)
    first = next(run)
    run.close()  # interrupted
    assert first.updated == 7 and first.resume_after is not None
    halfway = Counter(item["GSI1PK"]["S"] for item in dynamodb.items())
    assert halfway[items.LEGACY_IMAGES_GSI1PK] == 30 - 7
    # halfway, the list still has every image, each once
    assert [i.metadata.name for i in dynamodb.store().list_images(100, None).items] == [
        digest(n) for n in range(30)]

    rest = list(backfill_image_shards(dynamodb.client, dynamodb.name, first.resume_after,
                                      page_size=7))
    assert len(rest) > 1 and sum(page.updated for page in rest) == 30 - 7
    assert by_key(dynamodb) == current


def test_an_image_moved_meanwhile_is_left_as_it_is(
        dynamodb: DynamoTable, monkeypatch: pytest.MonkeyPatch) -> None:
    current = seed_old(dynamodb, 3)
    moved = items.key(items.image_pk(digest(1)), items.STREAM_SK)
    scan = dynamodb.client.scan

    def scan_then_race(**params: Any) -> Any:
        found = scan(**params)
        dynamodb.client.put_item(TableName=dynamodb.name, Item=current[
            (moved["PK"]["S"], moved["SK"]["S"])])
        return found

    monkeypatch.setattr(dynamodb.client, "scan", scan_then_race)
    pages = list(backfill_image_shards(dynamodb.client, dynamodb.name))
    monkeypatch.undo()
    assert sum(page.updated for page in pages) == 2
    assert by_key(dynamodb) == current


def test_the_command_runs_the_steps_and_resumes_a_step(
        dynamodb: DynamoTable, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    seed_old(dynamodb, 10)
    monkeypatch.setattr(boto3, "client", lambda service: dynamodb.client)
    assert cli.main(["--table", dynamodb.name, "--step", "images", "--page-size", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(re.fullmatch(r"images: \d images moved to their shard; done", line)
               for line in lines)
    assert lines[-1] == "10 items updated in all"
    printed = re.fullmatch(r"images: 4 images moved to their shard; resume with --step images "
                           r"--resume-after '(.*)'", lines[0])
    assert printed is not None
    assert cli.main(["--table", dynamodb.name, "--step", "images",
                     "--resume-after", printed[1]]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 items updated in all"

