"""The scheduled re-import cycle against a real registry: each source checked once, unchanged
digests cost one HEAD, new ones are fetched once, failures and budgets, the schedule itself."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.adapters.memory_store import MemoryStore
from testbed.oci_layout import OciLayout
from testbed.registry import RegistryServer

from .conftest import NS, Images, Stack, push_fresh

INSECURE_SCHEDULED = {"insecure": True, "scheduled": True}


def scheduled(name: str, reference: str) -> dict:
    return {"name": name, "from": {"kind": "DockerImage", "name": reference},
            "importPolicy": INSECURE_SCHEDULED}


def test_an_unchanged_source_costs_one_head_and_changes_nothing(stack: Stack,
                                                                images: Images) -> None:
    source = f"{images.plain.host}/imports/oci:1.0"
    stack.create("a", *[scheduled(f"t{n}", source) for n in range(4)])
    stack.create("b", *[scheduled(f"t{n}", source) for n in range(3)], namespace="other")
    before = {ns: stack.streams.get(ns, name).to_json() for ns, name in ((NS, "a"), ("other", "b"))}
    first = stack.cycle()
    assert (first.due, first.sources, first.unchanged, first.written) == (7, 1, 7, 0)
    second = stack.cycle()
    # The first run of a process learns that the host speaks plain HTTP (insecure); after
    # that a cycle is exactly one HEAD for the one source, whatever uses it.
    assert first.requests <= 2 and second.requests == 1
    assert second.unchanged == 7
    for ns, name in ((NS, "a"), ("other", "b")):
        assert stack.streams.get(ns, name).to_json() == before[ns]  # no version, no head moved
    assert stack.store.get_tag(NS, "a", "t0").due == stack.clock.now + timedelta(minutes=15)


def test_a_new_digest_is_fetched_once_and_moves_every_tag(stack: Stack, images: Images,
                                                          layout: OciLayout) -> None:
    registry = images.plain
    first = push_fresh(registry, layout, "sched/moving:1")
    source = f"{registry.host}/sched/moving:1"
    stack.create("app", *[scheduled(f"t{n}", source) for n in range(3)],
                 {"name": "follower", "from": {"kind": "ImageStreamTag", "name": "app:t0"}})
    assert stack.head("app", "follower")[1] == first.digest
    stack.cycle()
    second = push_fresh(registry, layout, "sched/moving:1")
    report = stack.cycle()
    assert (report.sources, report.written, report.requests) == (1, 3, 3)  # HEAD, manifest, config
    for tag in ("t0", "t1", "t2"):
        assert stack.head("app", tag) == (f"{source.rsplit(':', 1)[0]}@{second.digest}",
                                          second.digest, 1)
        assert [e.image for e in stack.status("app", tag).items] == [second.digest, first.digest]
    assert stack.head("app", "follower")[1] == second.digest
    assert stack.cycle().requests == 1


def test_a_digest_is_scheduled_only_until_it_imports(memory_stack: Stack, private,
                                                     basic_registry: RegistryServer) -> None:
    pinned = f"{basic_registry.host}/imports/private@{private.digest}"
    memory_stack.create("app", scheduled("pinned", pinned))
    assert memory_stack.conditions("app", "pinned") == [("False", "Unauthorized")]
    assert memory_stack.cycle().due == 1  # still failing: still scheduled
    memory_stack.add_secret(basic_registry)
    report = memory_stack.cycle()
    assert report.written == 1 and memory_stack.head("app", "pinned")[1] == private.digest
    assert memory_stack.conditions("app", "pinned") == []
    assert memory_stack.store.get_tag(NS, "app", "pinned").due is None
    assert memory_stack.cycle().due == 0


def test_setting_a_tag_again_without_scheduled_takes_it_out(memory_stack: Stack,
                                                            images: Images) -> None:
    source = f"{images.plain.host}/imports/oci:1.0"
    memory_stack.create("app", scheduled("1", source))
    assert memory_stack.store.get_tag(NS, "app", "1").due is not None
    memory_stack.tag("app:1", source, importPolicy={"insecure": True})
    assert memory_stack.store.get_tag(NS, "app", "1").due is None
    assert memory_stack.cycle().due == 0


def test_tags_are_read_only_when_due(memory_stack: Stack, images: Images) -> None:
    source = f"{images.plain.host}/imports/oci:1.0"
    memory_stack.create("early", scheduled("1", source))
    memory_stack.clock.advance(minutes=5)
    memory_stack.create("late", scheduled("1", source))
    memory_stack.create("plain", {"name": "1", "from": {"kind": "DockerImage", "name": source},
                                  "importPolicy": {"insecure": True}})
    assert memory_stack.cycle(minutes=10).due == 1  # 15 minutes after "early" was set
    assert memory_stack.cycle(minutes=5).due == 1  # and now "late"
    assert memory_stack.cycle(minutes=10).due == 1


def test_the_minute_budget_leaves_the_rest_due(images: Images, layout: OciLayout) -> None:
    stack = Stack(MemoryStore(), imports_per_minute=2)
    registry = images.plain
    sources = [f"sched/budget-{n}:1" for n in range(4)]
    for n, repository in enumerate(sources):
        push_fresh(registry, layout, repository)
        stack.create(f"s{n}", scheduled("1", f"{registry.host}/{repository}"))
    stack.cycle()
    pushed = [push_fresh(registry, layout, repository).digest for repository in sources]
    report = stack.cycle(seconds=20)  # the next fetch would wait 30 s: past the run's end
    assert (report.sources, report.written, report.deferred) == (4, 2, 2)
    moved = [n for n in range(4) if stack.head(f"s{n}", "1")[1] == pushed[n]]
    assert len(moved) == 2
    waiting = [n for n in range(4) if n not in moved]
    # the deferred tags kept their due time, so the next run (a minute later) takes them first
    assert stack.cycle(seconds=20, minutes=1).written == 2
    assert all(stack.head(f"s{n}", "1")[1] == pushed[n] for n in waiting)


def test_a_run_without_time_left_starts_nothing(memory_stack: Stack, images: Images) -> None:
    memory_stack.create("app", scheduled("1", f"{images.plain.host}/imports/oci:1.0"))
    due = memory_stack.store.get_tag(NS, "app", "1").due
    report = memory_stack.cycle(seconds=2)  # less than a request and the writes after it
    assert (report.due, report.deferred, report.requests) == (1, 1, 0)
    assert memory_stack.store.get_tag(NS, "app", "1").due == due


def test_namespaces_with_different_credentials_are_checked_apart(
        memory_stack: Stack, private, basic_registry: RegistryServer) -> None:
    source = f"{basic_registry.host}/imports/private:1.0"
    memory_stack.add_secret(basic_registry, namespace="with")
    for namespace in ("with", "without", "also-without"):
        memory_stack.create("app", scheduled("1", source), namespace=namespace)
    report = memory_stack.cycle()
    assert report.sources == 2  # the anonymous namespaces share one check
    assert memory_stack.head("app", "1", "with")[1] == private.digest
    for namespace in ("without", "also-without"):
        assert memory_stack.conditions("app", "1", namespace) == [("False", "Unauthorized")]


@pytest.mark.parametrize("mode", ["Legacy", "PreserveOriginal"])
def test_manifest_lists_unchanged_cost_one_head(memory_stack: Stack, images: Images,
                                                mode: str) -> None:
    memory_stack.create("app", {**scheduled("1", f"{images.plain.host}/imports/multi:1.0"),
                                "importPolicy": {**INSECURE_SCHEDULED, "importMode": mode}})
    memory_stack.cycle()
    report = memory_stack.cycle()
    assert (report.requests, report.unchanged) == (1, 1)
