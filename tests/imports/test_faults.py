"""Scheduled imports from registries that fail, throttle, stall or stop: conditions are set,
nothing is lost, other registries go on, and the next cycle recovers."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from chalicelib.adapters.memory_store import MemoryStore
from testbed.oci_layout import OciLayout
from testbed.registry import start_registry
from tests.registry.scripted import Canned, ScriptedServer, Seen, image_routes

from .conftest import Images, Stack, push_fresh
from .test_scheduler import scheduled

MANIFEST = "/v2/demo/app/manifests/1.0"


@pytest.fixture
def honest(layout: OciLayout, images: Images) -> dict:
    return image_routes(layout, images.single)


@pytest.fixture
def quick() -> Stack:
    """Requests time out after a second, so stalls cost little test time."""
    return Stack(MemoryStore(), request_seconds=1.0)


def heads(server: ScriptedServer) -> list[Seen]:
    return [seen for seen in server.seen if seen.method == "HEAD"]


def test_server_errors_set_the_condition_and_the_next_cycle_recovers(quick: Stack, honest: dict,
                                                                     images: Images) -> None:
    with ScriptedServer(dict(honest)) as server:
        quick.create("app", scheduled("1", f"{server.host}/demo/app:1.0"))
        head, version = quick.head("app", "1"), quick.streams.get("team", "app").metadata
        server.routes[f"HEAD {MANIFEST}"] = Canned(500, body=b'{"errors":[{"code":"UNKNOWN"}]}')
        server.seen.clear()
        report = quick.cycle()
        assert quick.conditions("app", "1") == [("False", "ServerError")]
        assert len(heads(server)) == 2  # retried once after backing off, then given up
        assert quick.head("app", "1") == head and report.written == 1
        # the same failure again: nothing rewritten, the tag stays scheduled
        rewritten = quick.streams.get("team", "app").metadata.resource_version
        assert quick.cycle().unchanged == 1
        assert quick.streams.get("team", "app").metadata.resource_version == rewritten
        assert rewritten != version.resource_version
        server.routes[f"HEAD {MANIFEST}"] = honest[f"HEAD {MANIFEST}"]
        quick.cycle()
        assert quick.conditions("app", "1") == [] and quick.head("app", "1") == head
        assert [e.image for e in quick.status("app", "1").items] == [images.single.digest]


def test_retry_after_is_honoured_within_the_run(quick: Stack, honest: dict) -> None:
    times: list[float] = []

    def throttled_once(seen: Seen) -> Canned:
        times.append(time.monotonic())
        if len(times) == 1:
            return Canned(429, {"Retry-After": "1"})
        return honest[f"HEAD {MANIFEST}"]

    with ScriptedServer(dict(honest)) as server:
        quick.create("app", scheduled("1", f"{server.host}/demo/app:1.0"))
        server.routes[f"HEAD {MANIFEST}"] = throttled_once
        report = quick.cycle()
    assert report.unchanged == 1 and quick.conditions("app", "1") == []
    assert len(times) == 2 and times[1] - times[0] >= 1.0


def test_a_long_retry_after_fails_that_registry_only(quick: Stack, honest: dict) -> None:
    with ScriptedServer(dict(honest)) as limited, ScriptedServer(dict(honest)) as other:
        quick.create("app", scheduled("limited", f"{limited.host}/demo/app:1.0"),
                     scheduled("other", f"{other.host}/demo/app:1.0"))
        limited.routes[f"HEAD {MANIFEST}"] = Canned(429, {"Retry-After": "3600"})
        limited.seen.clear()
        quick.cycle()
        assert len(heads(limited)) == 1  # not asked again before the hour is up
    status = quick.status("app", "limited").conditions[0]
    assert (status.reason, "retry after 3600s" in status.message) == ("TooManyRequests", True)
    assert quick.conditions("app", "other") == []


def test_a_slow_registry_does_not_hold_up_the_others(quick: Stack, honest: dict) -> None:
    slow_routes = dict(honest)
    with ScriptedServer(slow_routes) as slow, ScriptedServer(dict(honest)) as fast:
        quick.create("app", scheduled("slow", f"{slow.host}/demo/app:1.0"),
                     scheduled("fast", f"{fast.host}/demo/app:1.0"))
        slow_routes[f"HEAD {MANIFEST}"] = Canned(200, delay=30.0)
        applied: list[str] = []  # tags in the order their checks finished
        original = quick.scheduler._apply

        def recorded(tags, result, report) -> None:
            applied.append(tags[0].tag.name)
            original(tags, result, report)

        quick.scheduler._apply = recorded
        quick.cycle()
    # The fast tag is written while the slow check still waits; the slow one gives up on
    # its timeout (the registry would answer only after 30 s) instead of holding the cycle.
    assert applied == ["fast", "slow"]
    assert quick.conditions("app", "slow") == [("False", "Timeout")]
    assert quick.conditions("app", "fast") == []


def test_a_stopped_registry_loses_nothing_and_recovers(tmp_path: Path, layout: OciLayout,
                                                       quick: Stack) -> None:
    registry = start_registry(tmp_path / "registry", "plain")
    try:
        digests = [push_fresh(registry, layout, f"stop/app{n}:1").digest for n in range(5)]
        quick.create("app", *[scheduled(f"t{n}", f"{registry.host}/stop/app{n}:1")
                              for n in range(5)])
        registry.stop()
        report = quick.cycle()
        # After three refused connections in a row the host is left alone for this run
        # (how many were in flight by then depends on timing): the tags it did not get to
        # keep their due time, the others record the failure.
        failed = [n for n in range(5) if quick.conditions("app", f"t{n}")]
        assert report.written == len(failed) >= 1 and report.deferred == 5 - len(failed) >= 1
        assert all(quick.conditions("app", f"t{n}") == [("False", "ConnectionFailed")]
                   for n in failed)
        for n in range(5):
            assert quick.head("app", f"t{n}")[1] == digests[n]  # nothing lost
        registry.start()
        report = quick.cycle()
        assert report.due == 5 and report.written == len(failed)  # their conditions cleared
        assert all(quick.conditions("app", f"t{n}") == [] for n in range(5))
    finally:
        registry.close()


def test_concurrency_per_registry_is_bounded(honest: dict) -> None:
    stack = Stack(MemoryStore(), host_concurrency=2)
    active, peak = [0], [0]

    def counted(answer: Callable[[Seen], Canned]) -> Callable[[Seen], Canned]:
        def route(seen: Seen) -> Canned:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
            time.sleep(0.2)
            active[0] -= 1
            return answer(seen)
        return route

    routes = {}
    for n in range(6):
        for key, value in image_routes_for(honest, f"demo/app{n}").items():
            routes[key] = counted(lambda seen, v=value: v) if key.startswith("HEAD") else value
    with ScriptedServer(routes) as server:
        stack.create("app", *[scheduled(f"t{n}", f"{server.host}/demo/app{n}:1.0")
                              for n in range(6)])
        peak[0] = 0
        assert stack.cycle().unchanged == 6
    assert peak[0] == 2


def image_routes_for(honest: dict, repository: str) -> dict:
    return {key.replace("/demo/app/", f"/{repository}/"): value for key, value in honest.items()}
