"""The ECR reconcile pass within its run's time: it stops before the time is up, saves
where, and the next run (in a new container too) goes on from there to the end."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from chalicelib import wiring
from chalicelib.adapters.dynamodb_reconcile_position import DynamoReconcilePosition
from chalicelib.entrypoints import push_events
from chalicelib.services.actor import SERVICE
from chalicelib.services.ecr_pushes import ITEM_SECONDS, STOPPED, EcrPushes
from testbed.dynamodb import mocked_table
from tests.pushes.conftest import Registry, ecr_registry

REPOSITORIES = ("shop/api", "shop/db", "shop/web")


@pytest.fixture
def table_and_registry() -> Iterator[tuple[object, Registry]]:
    with mocked_table(stream=False) as table, ecr_registry(table.store()) as registry:
        registry.ecr.create_repository(repositoryName="shop/api")
        yield table, registry


def time_for(items: int) -> Callable[[], float]:
    """A run's remaining time that allows `items` tags, then is nearly up."""
    asked = {"count": 0}

    def remaining() -> float:
        asked["count"] += 1
        return 300.0 if asked["count"] <= items else ITEM_SECONDS - 1
    return remaining


def missed_pushes(registry: Registry) -> dict[tuple[str, str], str]:
    """Two tags in each repository whose events never came."""
    pushed = {}
    for repository in REPOSITORIES:
        for tag in ("v1", "v2"):
            manifest, media_type = registry.image(cmd=f"/{repository}/{tag}")
            pushed[(repository, tag)] = registry.push(repository, tag, manifest, media_type)
    return pushed


def heads(registry: Registry) -> dict[tuple[str, str], str]:
    found = {}
    for repository in REPOSITORIES:
        namespace, name = repository.split("/")
        for tag in ("v1", "v2"):
            record = registry.store.get_tag(namespace, name, tag)
            if record is not None and record.head is not None:
                found[(repository, tag)] = record.head.image
    return found


def test_an_interrupted_pass_resumes_where_it_stopped_in_a_new_container(table_and_registry):
    table, registry = table_and_registry
    pushed = missed_pushes(registry)

    def container() -> EcrPushes:
        """A fresh container's service: only the table remembers the last run."""
        return EcrPushes(registry.pushes.ecr, registry.pushes.pushes, registry.store,
                         registry.pushes.registry,
                         position=DynamoReconcilePosition(table.client, table.name))

    first = container().reconcile(SERVICE, time_for(3))
    assert first == {"moved": 3, STOPPED: 1}
    # In order: repository, then tag.
    assert set(heads(registry)) == {("shop/api", "v1"), ("shop/api", "v2"), ("shop/db", "v1")}
    assert DynamoReconcilePosition(table.client, table.name).load() == ("shop/db", "v1")

    second = container().reconcile(SERVICE, time_for(2))
    assert second == {"moved": 2, STOPPED: 1}
    third = container().reconcile(SERVICE, time_for(100))
    assert third == {"moved": 1}  # the last one, and the pass is complete
    assert heads(registry) == pushed
    assert DynamoReconcilePosition(table.client, table.name).load() is None
    assert container().reconcile(SERVICE, time_for(100)) == {}  # a new pass finds nothing missed


def test_a_run_with_no_time_left_starts_nothing_and_keeps_the_position(table_and_registry):
    _, registry = table_and_registry
    missed_pushes(registry)
    registry.pushes.position.save(("shop/db", "v2"))
    assert registry.pushes.reconcile(SERVICE, lambda: ITEM_SECONDS - 1) == {STOPPED: 1}
    assert registry.pushes.position.load() == ("shop/db", "v2")
    assert heads(registry) == {}
    # With time, it goes on after the saved tag: shop/web's two, then it is done.
    assert registry.pushes.reconcile(SERVICE) == {"moved": 2}
    assert set(heads(registry)) == {("shop/web", "v1"), ("shop/web", "v2")}


def test_an_image_that_cannot_be_read_does_not_hold_back_the_rest(table_and_registry, caplog):
    _, registry = table_and_registry
    manifest, media_type = registry.image(cmd="/broken")
    registry.ecr.put_image(repositoryName="shop/api", imageManifest=manifest.decode(),
                           imageManifestMediaType=media_type, imageTag="v1",
                           imageDigest="sha256:" + "0" * 64)  # not the manifest's digest
    good, _ = registry.image(cmd="/db")
    digest = registry.push("shop/db", "v1", good, media_type)
    caplog.set_level("WARNING")
    assert registry.pushes.reconcile(SERVICE) == {"failed": 1, "moved": 1}
    assert heads(registry) == {("shop/db", "v1"): digest}
    assert "shop/api:v1" in caplog.text


def test_the_scheduled_handler_bounds_the_pass_by_the_lambdas_remaining_time(
        table_and_registry):
    _, registry = table_and_registry
    missed_pushes(registry)

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return int((ITEM_SECONDS - 5) * 1000)

    services = wiring.Services(registry.store, registry.pushes.registry)
    services.__dict__["ecr_pushes"] = registry.pushes  # the cached property, already built
    wiring.use(services)
    try:
        assert push_events.reconcile_ecr(Context()) == {STOPPED: 1}
    finally:
        wiring.use(None)
    assert heads(registry) == {}
