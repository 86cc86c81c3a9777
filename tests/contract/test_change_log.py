"""The ChangeLog contract, on both adapters: numbered without gaps, each change once, and
Expired once what a watch needs is no longer kept."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.adapters.dynamodb_change_log import DynamoChangeLog
from chalicelib.adapters.memory_change_log import MemoryChangeLog
from chalicelib.domain.changes import ADDED, DELETED, KEPT_SECONDS, MODIFIED, Change
from chalicelib.domain.errors import Expired
from chalicelib.services.ports import ChangeLog
from testbed.dynamodb import atomic_requests, mocked_table

NS = "team"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["memory", "dynamodb"])
def log(request: pytest.FixtureRequest, clock: Clock) -> Iterator[ChangeLog]:
    if request.param == "memory":
        yield MemoryChangeLog(clock)
        return
    with mocked_table(stream=False) as table:
        yield DynamoChangeLog(table.client, table.name, clock, backoff=0.002)


def change(stream: str, kind: str = MODIFIED, tag: str | None = None, event_id: str = ""
           ) -> Change:
    return Change(stream=stream, tag=tag, type=kind, event_id=event_id)


def test_changes_are_numbered_from_one_without_gaps(log: ChangeLog) -> None:
    assert log.newest(NS) == 0 and log.after(NS, 0, 10) == []
    log.append(NS, [change("app", ADDED, event_id="e1"),
                    change("app", ADDED, tag="latest", event_id="e2")])
    log.append(NS, [change("app", DELETED, event_id="e3")])

    assert log.newest(NS) == 3
    assert [(c.position, c.change) for c in log.after(NS, 0, 10)] == [
        (1, change("app", ADDED, event_id="e1")),
        (2, change("app", ADDED, tag="latest", event_id="e2")),
        (3, change("app", DELETED, event_id="e3"))]
    assert [c.position for c in log.after(NS, 1, 10)] == [2, 3]
    assert [c.position for c in log.after(NS, 1, 1)] == [2]
    assert log.after(NS, 3, 10) == []
    assert log.newest("other") == 0 and log.after("other", 0, 10) == []


def test_a_change_delivered_again_is_not_logged_again(log: ChangeLog) -> None:
    log.append(NS, [change("app", event_id="e1"), change("app", event_id="e2")])
    log.append(NS, [change("app", event_id="e2"), change("app", event_id="e3")])
    log.append(NS, [change("app", event_id="e1")])

    assert [c.change.event_id for c in log.after(NS, 0, 10)] == ["e1", "e2", "e3"]


def test_a_batch_larger_than_a_transaction_is_logged_whole_and_in_order(log: ChangeLog
                                                                        ) -> None:
    log.append(NS, [change(f"s{index}", event_id=f"e{index}") for index in range(250)])

    logged = log.after(NS, 0, 500)
    assert [c.position for c in logged] == list(range(1, 251))
    assert [c.change.stream for c in logged] == [f"s{index}" for index in range(250)]


def test_a_position_older_than_what_is_kept_is_expired(log: ChangeLog, clock: Clock) -> None:
    log.append(NS, [change("app", event_id="old")])
    clock.now += KEPT_SECONDS + 1
    log.append(NS, [change("app", event_id="new1"), change("app", event_id="new2")])

    with pytest.raises(Expired, match=r"too old resource version: 0 \(3\)"):
        log.after(NS, 0, 10)
    assert [c.position for c in log.after(NS, 1, 10)] == [2, 3]  # its successor is kept
    assert [c.position for c in log.after(NS, 2, 10)] == [3]


def test_a_quiet_namespace_can_be_watched_from_its_newest_position(log: ChangeLog,
                                                                   clock: Clock) -> None:
    log.append(NS, [change("app", event_id="e1"), change("app", event_id="e2")])
    clock.now += KEPT_SECONDS + 1

    assert log.after(NS, 2, 10) == []  # nothing new, though its last change has expired
    with pytest.raises(Expired):
        log.after(NS, 1, 10)  # change 2 is gone


def test_a_position_the_log_never_reached_is_expired(log: ChangeLog) -> None:
    # From another table (a restore) or made up: the client lists again.
    log.append(NS, [change("app", event_id="e1")])
    with pytest.raises(Expired, match=r"too old resource version: 7 \(1\)"):
        log.after(NS, 7, 10)


def test_writers_racing_on_one_namespace_take_turns(log: ChangeLog) -> None:
    writers, batches = 4, 5

    def write(writer: int) -> None:
        for batch in range(batches):
            log.append(NS, [change(f"w{writer}", event_id=f"{writer}-{batch}-{index}")
                            for index in range(3)])

    run: Callable[[], object] = lambda: list(ThreadPoolExecutor(writers).map(  # noqa: E731
        write, range(writers)))
    if isinstance(log, DynamoChangeLog):
        with atomic_requests():
            run()
    else:
        run()

    logged = log.after(NS, 0, 500)
    assert [c.position for c in logged] == list(range(1, writers * batches * 3 + 1))
    assert len({c.change.event_id for c in logged}) == len(logged)
    for writer in range(writers):  # each writer's changes stay in its order
        own = [c.change.event_id for c in logged if c.change.stream == f"w{writer}"]
        assert own == [f"{writer}-{b}-{i}" for b in range(batches) for i in range(3)]


def test_a_change_appended_while_a_watch_reads_is_found_not_expired(clock: Clock) -> None:
    """The log is read, then the counter: a change appended between the two reads must be
    found by the watch, not taken for a change that was dropped (DynamoDB only: the memory
    log reads both under one lock)."""
    with mocked_table(stream=False) as table:
        writer = DynamoChangeLog(table.client, table.name, clock)

        class AppendsAfterFirstQuery:
            queries = 0

            def __getattr__(self, name: str) -> object:
                return getattr(table.client, name)

            def query(self, **kwargs: object) -> object:
                reply = table.client.query(**kwargs)
                AppendsAfterFirstQuery.queries += 1
                if AppendsAfterFirstQuery.queries == 1:
                    writer.append(NS, [change("app", ADDED, event_id="e1")])
                return reply

        reader = DynamoChangeLog(AppendsAfterFirstQuery(), table.name, clock)
        assert [c.position for c in reader.after(NS, 0, 10)] == [1]
