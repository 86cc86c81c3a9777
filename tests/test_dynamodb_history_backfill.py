"""The backfill's history step on a table written before the history moved: every event at
its H# key, each tag with its recent events, the table exactly as this version would have
written it; run twice or resumed after an interruption it changes nothing more, and a
commit made while it runs is kept."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters import dynamodb_history_backfill as history_backfill
from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.dynamodb_cleanup import finish_all
from chalicelib.adapters.dynamodb_history_backfill import backfill_history
from chalicelib.domain import history as rules
from chalicelib.services.tag_history import tag_history
from chalicelib.services.views import OMITTED_ANNOTATION
from testbed.dynamodb import DynamoTable
from tests.contract.builders import NS
from tests.contract.test_store_history import delete_tag
from tests.contract.test_store_services import Api, hex_of, pulled

Items = dict[tuple[str, str], dict[str, Any]]
CHARS = "abcdef12"  # hex digits: the digests are made of them


@pytest.fixture(autouse=True)
def few_recent_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tag keeps three events with it here, so a short history goes past the bound."""
    monkeypatch.setattr(rules, "RECENT_EVENTS", 3)


def by_key(table: DynamoTable) -> Items:
    return {(item["PK"]["S"], item["SK"]["S"]): item for item in table.items()}


def legacy(item: dict[str, Any]) -> dict[str, Any]:
    """The item as the version before the move wrote it: history in the tags' range, tag
    items without their recent events."""
    sk = item["SK"]["S"]
    if sk.startswith(items.HISTORY_PREFIX):
        _, tag, incarnation, seq = sk.split("#")
        return {**item, "SK": {"S": f"{items.legacy_history_prefix(tag, incarnation)}{seq}"}}
    return {name: value for name, value in item.items() if name != "recent"}


def seed_old(table: DynamoTable) -> tuple[Api, Items]:
    """Two streams, one with a tag following another, eight images pushed to each's
    `latest`, stored as the version before wrote them; the table as this version has it."""
    api = Api(table.store())
    for name in ("app", "web"):
        api.create(name, {"name": "follows", "from": {"kind": "ImageStreamTag",
                                                      "name": f"{name}:latest"}})
        for char in CHARS:
            api.map(name, "latest", hex_of(char))
    current = by_key(table)
    for old_key in current:
        table.client.delete_item(TableName=table.name, Key=items.key(*old_key))
    table.batch_put([legacy(item) for item in current.values()])
    return api, current


def assert_every_event_shown(api: Api, name: str = "app") -> None:
    newest_first = [pulled(char)[0] for char in reversed(CHARS)]
    assert [image for image, _, _ in api.history(name, "latest")] == newest_first[:3]
    assert (api.streams.get(NS, name).metadata.annotations or {})[OMITTED_ANNOTATION] == "10"
    events, after = [], None
    while True:
        page, after = tag_history(api.streams.store, NS, f"{name}:latest", 3, after)
        events += [event.image for event in page.items]
        if after is None:
            break
    assert events == newest_first


def test_the_history_step_moves_old_history_and_fills_recent_events(
        dynamodb: DynamoTable) -> None:
    api, current = seed_old(dynamodb)
    # before: each tag shows its head alone, and its history pages lack the old events
    assert [image for image, _, _ in api.history("app", "latest")] == [pulled("2")[0]]

    pages = list(backfill_history(dynamodb.client, dynamodb.name))
    assert pages[-1].resume_after is None
    assert sum(page.updated for page in pages) == 2 * (2 * len(CHARS) + 2)
    assert by_key(dynamodb) == current
    for name in ("app", "web"):
        assert_every_event_shown(api, name)

    # a rollback by steps (five back) and by digest (the oldest) reach the old events
    page, _ = tag_history(api.streams.store, NS, "app:latest", 10, None)
    api.tag("app:latest", {"kind": "ImageStreamImage", "name": f"app@{page.items[5].image}"})
    assert api.istags.get(NS, "app:latest").image.metadata.name == pulled("c")[0]
    api.tag("app:latest", {"kind": "ImageStreamImage", "name": "app@" + hex_of("a")[:12]})
    assert [image for image, _, _ in api.history("app", "latest")][:2] == [
        pulled("a")[0], pulled("c")[0]]

    again = [page.updated for page in backfill_history(dynamodb.client, dynamodb.name)]
    assert sum(again) == 0


def test_an_interrupted_history_step_run_again_ends_the_same(
        dynamodb: DynamoTable, monkeypatch: pytest.MonkeyPatch) -> None:
    api, current = seed_old(dynamodb)
    monkeypatch.setattr(history_backfill, "MOVE_BATCH", 5)  # a stream's moves take four
    transact = dynamodb.client.transact_write_items
    calls = []

    def crash_on_the_third(**params: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the run is stopped")
        return transact(**params)

    monkeypatch.setattr(dynamodb.client, "transact_write_items", crash_on_the_third)
    with pytest.raises(RuntimeError):
        list(backfill_history(dynamodb.client, dynamodb.name))
    monkeypatch.setattr(dynamodb.client, "transact_write_items", transact)
    halfway = by_key(dynamodb)
    assert halfway != current
    assert any(sk.startswith(items.HISTORY_PREFIX) for _, sk in halfway)
    assert any(items.legacy_history_owner(sk) for _, sk in halfway)

    list(backfill_history(dynamodb.client, dynamodb.name))
    assert by_key(dynamodb) == current
    assert_every_event_shown(api)


def test_a_history_step_resumed_after_its_last_page_ends_the_same(
        dynamodb: DynamoTable) -> None:
    api, current = seed_old(dynamodb)
    run = backfill_history(dynamodb.client, dynamodb.name, page_size=1)
    first = next(run)
    while first.updated == 0:  # pages of other items than streams' move nothing
        first = next(run)
    del run  # interrupted
    assert first.resume_after is not None
    rest = list(backfill_history(dynamodb.client, dynamodb.name, first.resume_after))
    assert sum(page.updated for page in rest) == 2 * len(CHARS) + 2
    assert by_key(dynamodb) == current
    assert_every_event_shown(api, "web")


def test_commits_while_the_step_runs_are_kept(
        dynamodb: DynamoTable, monkeypatch: pytest.MonkeyPatch) -> None:
    api, _ = seed_old(dynamodb)
    transact, update = dynamodb.client.transact_write_items, dynamodb.client.update_item
    raced: list[str] = []

    def moving(**params: Any) -> Any:
        if not raced:  # the first move: the head is updated in place (same image) meanwhile
            raced.append("move")
            monkeypatch.setattr(dynamodb.client, "transact_write_items", transact)
            api.map("app", "latest", hex_of("2"), repository="team/other")
        return transact(**params)

    def filling(**params: Any) -> Any:
        if raced == ["move"] and params["Key"]["SK"]["S"] == items.tag_sk("latest"):
            raced.append("fill")  # the fill of `latest`: a new image is pushed meanwhile
            api.map("app", "latest", hex_of("9"))
        return update(**params)

    monkeypatch.setattr(dynamodb.client, "transact_write_items", moving)
    monkeypatch.setattr(dynamodb.client, "update_item", filling)
    list(backfill_history(dynamodb.client, dynamodb.name))
    monkeypatch.undo()
    assert raced == ["move", "fill"]

    assert api.history("app", "latest") == [
        (*pulled("9"), 1), (*pulled("2", "team/other"), 1), (*pulled("1"), 1)]
    page, after = tag_history(api.streams.store, NS, "app:latest", 20, None)
    assert after is None
    assert [event.image for event in page.items] == [pulled(c)[0] for c in "921fedcba"]
    assert page.items[1].docker_image_reference == pulled("2", "team/other")[1]
    assert not any(items.legacy_history_owner(sk) for _, sk in by_key(dynamodb))


def test_a_tag_deleted_before_the_step_loses_its_old_history_too(
        dynamodb: DynamoTable) -> None:
    api, _ = seed_old(dynamodb)
    delete_tag(api.streams.store, "web", "latest")
    finish_all(dynamodb.client, dynamodb.name)  # the cleanup the delete marked
    left = [sk for pk, sk in by_key(dynamodb) if pk == items.stream_pk(NS, "web")]
    assert not [sk for sk in left if sk.startswith(("T#latest#H#", "H#latest#"))]
    assert [sk for sk in left if items.legacy_history_owner(sk)]  # the follower's, moved next
    list(backfill_history(dynamodb.client, dynamodb.name))
    assert_every_event_shown(api)
    assert [image for image, _, _ in api.history("web", "follows")][:1] == [pulled("2")[0]]
