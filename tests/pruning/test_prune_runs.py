"""What a run writes, on both stores: nothing but its own items in a dry run; in a real
run the history below each tag's kept block and the Image items out of use, each counted
once however its steps are delivered or cut short."""
from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_store import DynamoStore
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.domain.errors import ApiError, NotFound, ServiceUnavailable
from chalicelib.resources.meta import ObjectMeta
from chalicelib.resources.prune import ImagePruneRunSpec
from chalicelib.services.actor import SERVICE
from chalicelib.services.ports import PruneRuns, StreamStore
from chalicelib.services.views import OMITTED_ANNOTATION
from testbed.dynamodb import DynamoTable
from tests.contract.builders import NS, T0, cleaned_up
from tests.contract.test_store_services import Api, hex_of

from .conftest import A_DAY_LATER, Pruner, pruning, run_to_end
from .test_in_use_rules import digests, events, images, map_all


def table_state(store: StreamStore, request: pytest.FixtureRequest) -> Any:
    """Everything the store holds but prune runs' own items."""
    if isinstance(store, DynamoStore):
        table: DynamoTable = request.getfixturevalue("dynamodb")
        return sorted((item for item in table.items()
                       if not item["PK"]["S"].startswith("PRUNE#")), key=repr)
    assert isinstance(store, MemoryStore)
    return copy.deepcopy((store._streams, store._images))


def test_a_dry_run_writes_nothing_and_counts_what_would_go(
        api: Api, store: StreamStore, prune: Pruner, request: pytest.FixtureRequest) -> None:
    api.create("app")
    map_all(api, "abcdef")
    api.create("other")
    map_all(api, "a12", stream="other")
    store.put_image(api.images.get(digests("a")[0]).model_copy(
        update={"metadata": ObjectMeta(name="sha256:" + "9" * 64, creation_timestamp=T0)}))
    before = table_state(store, request)
    run = prune(keepTagRevisions=2)
    assert run.status is not None and run.status.phase == "Succeeded"
    assert run.spec.dry_run is True
    # app's a to d and other's a would go from history; those and the lone image from images
    assert run.status.removed.history_events == 5
    assert run.status.removed.images == 5
    assert run.status.scanned.streams == 2 and run.status.scanned.tags == 2
    assert run.status.scanned.images == 9
    assert table_state(store, request) == before


def test_a_real_run_cuts_history_below_the_kept_block(api: Api, store: StreamStore,
                                                      prune: Pruner) -> None:
    api.create("app")
    map_all(api, "abcdef01")
    shown = api.streams.get(NS, "app").metadata.annotations or {}
    assert shown[OMITTED_ANNOTATION] == "5"  # three events shown, as the fixture bounds
    run = prune(keepTagRevisions=5, dryRun=False)
    assert run.status is not None and run.status.removed.history_events == 3
    # paging ends at the kept block, before and after the cleanup runs
    assert events(store) == digests("10fed")
    cleaned_up(store)
    assert events(store) == digests("10fed")
    shown = api.streams.get(NS, "app").metadata.annotations or {}
    assert shown[OMITTED_ANNOTATION] == "2"
    assert [image for image, _, _ in api.history("app", "latest")] == digests("10f")
    # a removed event is no rollback target any more; a kept one still is
    for char in "abc":
        with pytest.raises(NotFound):
            api.istags.get_image(NS, "app@" + hex_of(char))
    with pytest.raises(ApiError):
        api.tag("app:latest", {"kind": "ImageStreamImage", "name": "app@" + hex_of("b")})
    api.tag("app:latest", {"kind": "ImageStreamImage", "name": "app@" + hex_of("d")})
    assert api.istags.get(NS, "app:latest").image.metadata.name == digests("d")[0]
    # the tag goes on from its head: a new event above the cut, nothing below reappears
    api.map("app", "latest", hex_of("2"))
    assert events(store)[:2] == digests("2d") and digests("c")[0] not in events(store)
    again = prune(keepTagRevisions=5, dryRun=False)
    assert again.status is not None and again.status.removed.history_events == 2


def test_a_real_run_deletes_only_old_images_out_of_use(api: Api, store: StreamStore,
                                                       runs: PruneRuns) -> None:
    api.create("app")
    map_all(api, "abcd")
    loose_old, loose_young = "sha256:" + "8" * 64, "sha256:" + "9" * 64
    template = api.images.get(digests("a")[0])
    store.put_image(template.model_copy(update={
        "metadata": ObjectMeta(name=loose_old, creation_timestamp=T0)}))
    store.put_image(template.model_copy(update={
        "metadata": ObjectMeta(name=loose_young, creation_timestamp=A_DAY_LATER)}))
    service = pruning(store, runs)
    name = service.start(SERVICE, ImagePruneRunSpec(keep_tag_revisions=2, dry_run=False)
                         ).metadata.name or ""
    run_to_end(service, name)
    status = service.get(name).status
    assert status is not None and status.removed.images == 3
    assert images(store) == {*digests("cd"), loose_young}


def test_a_redelivered_step_does_nothing(api: Api, store: StreamStore, runs: PruneRuns) -> None:
    api.create("app")
    map_all(api, "abcd")
    service = pruning(store, runs)
    name = service.start(SERVICE, ImagePruneRunSpec(keep_tag_revisions=1, dry_run=False)
                         ).metadata.name or ""
    assert service.advance(name, 0)
    after_one = runs.get(name)
    assert after_one is not None and after_one.step == 1
    assert not service.advance(name, 0)  # the record of step 0 again
    assert runs.get(name) == after_one
    assert not service.advance(name, 5)  # a step the run has not reached
    run_to_end(service, name)
    status = service.get(name).status
    assert status is not None and status.removed.history_events == 3
    assert status.removed.images == 3


class FailingAfter:
    """The store, but `operation` fails (as DynamoDB failing to answer would) once it has
    succeeded `successes` times: the step is cut short where a Lambda would be."""

    def __init__(self, store: StreamStore, operation: str, successes: int) -> None:
        self._store, self._operation, self._left = store, operation, successes

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name != self._operation:
            return found

        def failing(*args: Any, **kwargs: Any) -> Any:
            if self._left == 0:
                raise ServiceUnavailable("the store is unreachable; retry shortly")
            self._left -= 1
            return found(*args, **kwargs)

        return failing


@pytest.mark.parametrize(("operation", "successes"), [("commit", 1), ("delete_image", 1)])
def test_a_step_cut_short_and_done_again_counts_nothing_twice(
        api: Api, store: StreamStore, runs: PruneRuns, operation: str, successes: int) -> None:
    for stream, chars in (("one", "abc"), ("two", "bcd"), ("three", "cde")):
        api.create(stream)
        map_all(api, chars, stream=stream)
    before = images(store)
    spec = ImagePruneRunSpec(keep_tag_revisions=1, dry_run=False)
    name = pruning(store, runs).start(SERVICE, spec).metadata.name or ""
    failing = pruning(FailingAfter(store, operation, successes), runs)  # type: ignore[arg-type]
    step = 0
    with pytest.raises(ServiceUnavailable):
        while failing.advance(name, step):
            step += 1
    run = runs.get(name)
    assert run is not None and run.step == step  # the cut-short step was not saved
    run_to_end(pruning(store, runs), name)
    status = pruning(store, runs).get(name).status
    assert status is not None
    remaining = {stream: events(store, stream) for stream in ("one", "two", "three")}
    assert all(len(found) == 1 for found in remaining.values())
    assert status.removed.history_events == 2 + 2 + 2
    assert status.removed.images == len(before - images(store))
    assert images(store) == {found[0] for found in remaining.values()}


class RefusingCommits:
    """The store, but every commit is refused as DynamoDB refusing a request would be (no
    outage to wait out)."""

    def __init__(self, store: StreamStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def commit(self, changes: Any) -> None:
        raise ApiError("the image stream store refused a request: ValidationException")


def test_a_step_that_cannot_be_done_fails_the_run_saying_why(
        api: Api, store: StreamStore, runs: PruneRuns) -> None:
    api.create("app")
    map_all(api, "abcd")
    service = pruning(RefusingCommits(store), runs)  # type: ignore[arg-type]
    name = service.start(SERVICE, ImagePruneRunSpec(keep_tag_revisions=1, dry_run=False)
                         ).metadata.name or ""
    assert service.advance(name, 0)
    assert not service.advance(name, 1)  # a failed run takes no more steps
    status = service.get(name).status
    assert status is not None and status.phase == "Failed"
    assert status.completion_time is not None
    assert "ValidationException" in (status.message or "")
    assert events(store) == digests("dcba")


def test_a_run_going_on_past_its_keep_sets_life_fails(api: Api, store: StreamStore,
                                                      runs: PruneRuns) -> None:
    api.create("app")
    map_all(api, "abcd")
    name = pruning(store, runs).start(
        SERVICE, ImagePruneRunSpec(keep_tag_revisions=1, dry_run=False)).metadata.name or ""
    late = pruning(store, runs, now=A_DAY_LATER + timedelta(days=1, seconds=1))
    assert late.advance(name, 0)
    status = late.get(name).status
    assert status is not None and status.phase == "Failed"
    assert "start a new run" in (status.message or "")
    assert events(store) == digests("dcba") and images(store) == set(digests("abcd"))
