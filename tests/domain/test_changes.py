"""Which changes the table's stream records are, which watch events a run of them makes,
and what a resourceVersion means."""
from __future__ import annotations

from chalicelib.adapters.table_stream import namespace_change
from chalicelib.domain.changes import (
    ADDED,
    DELETED,
    MODIFIED,
    Change,
    LoggedChange,
    Noticed,
    event_version,
    noticed_stream_tags,
    noticed_streams,
    object_version,
    watch_position,
)


def logged(*changes: tuple[str, str | None, str]) -> list[LoggedChange]:
    return [LoggedChange(position, Change(stream, tag, kind))
            for position, (stream, tag, kind) in enumerate(changes, start=1)]


def test_a_tags_change_is_a_change_of_its_stream():
    changes = logged(("web", None, ADDED), ("web", "v1", ADDED), ("api", None, ADDED),
                     ("web", "v1", MODIFIED))
    # web's ADDED moves past api's: its object is read once, as it is after change 4.
    assert noticed_streams(changes) == [Noticed(ADDED, "api", 3), Noticed(ADDED, "web", 4)]
    assert noticed_stream_tags(changes) == [Noticed(ADDED, "web:v1", 4)]


def test_deletions_and_creations_after_them_are_all_sent_in_order():
    changes = logged(("web", "v1", MODIFIED), ("web", "v1", DELETED), ("web", "v1", ADDED),
                     ("web", "v1", MODIFIED), ("web", None, DELETED))
    assert noticed_stream_tags(changes) == [
        Noticed(MODIFIED, "web:v1", 1), Noticed(DELETED, "web:v1", 2),
        Noticed(ADDED, "web:v1", 4)]
    assert noticed_streams(changes) == [
        Noticed(MODIFIED, "web", 4), Noticed(DELETED, "web", 5)]


def test_an_event_version_resumes_a_watch_and_updates_the_object():
    version = event_version(42, "7")
    assert version == "42.7"
    assert watch_position(version) == 42 and object_version(version) == "7"
    assert watch_position("42") == 42 and object_version("7") == "7"
    assert event_version(42, "") == "42"
    for bad in ("", "abc", "-1", "4x.2", "١٢", "1" * 20):
        assert watch_position(bad) is None, bad


def test_stream_records_become_changes_of_streams_and_tags_only():
    def record(event: str, pk: str, sk: str) -> dict:
        return {"eventID": "id-1", "eventName": event,
                "dynamodb": {"Keys": {"PK": {"S": pk}, "SK": {"S": sk}}}}

    assert namespace_change(record("INSERT", "IS#team/web", "#")) == (
        "team", Change("web", None, ADDED, "id-1"))
    assert namespace_change(record("MODIFY", "IS#team/web", "T#v1")) == (
        "team", Change("web", "v1", MODIFIED, "id-1"))
    assert namespace_change(record("REMOVE", "IS#team/web", "T#v1")) == (
        "team", Change("web", "v1", DELETED, "id-1"))
    for pk, sk in (("IS#team/web", "T#v1#H#inc#0001"), ("IS#team/web", "I#sha256:ab"),
                   ("CHANGES#team", "C#00000000000000000001"), ("IMG#sha256:ab", "#"),
                   ("PUBLISHED#x", "PUBLISHED")):
        assert namespace_change(record("INSERT", pk, sk)) is None, (pk, sk)
