"""The demo queue's messages as `make run` keeps them for the console: the worker keeps the
last KEPT_MESSAGES in the state directory (local/worker.py), the app server picks one
stream's, newest first (local/app_server.py)."""
from __future__ import annotations

import json
from pathlib import Path

from local.app_server import stream_messages
from local.worker import DEMO_MESSAGES, KEPT_MESSAGES, MessageKeeper, read_kept_messages


def envelope(number: int, stream: str = "web", namespace: str = "default") -> str:
    """An SNS envelope around an ImageStreamTagEvent, as the demo queue delivers it."""
    event = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTagEvent",
             "type": "Updated", "namespace": namespace, "imageStream": stream, "tag": "v1",
             "image": f"sha256:{number:064x}", "dockerImageReference": f"quay.io/x@{number}",
             "previous": None, "generation": 1, "time": "2025-01-01T00:00:00Z",
             "eventId": str(number), "sequence": str(number)}
    return json.dumps({"Type": "Notification", "MessageId": f"m-{number}",
                       "Timestamp": "2025-01-01T00:00:01.000Z", "Message": json.dumps(event)})


def test_the_worker_keeps_the_last_messages_and_a_new_worker_goes_on_from_them(
        tmp_path: Path) -> None:
    path = tmp_path / DEMO_MESSAGES
    keeper = MessageKeeper(path)
    for number in range(KEPT_MESSAGES + 5):
        keeper.keep(envelope(number))
    kept = read_kept_messages(path)
    assert [m["eventId"] for m in kept] == [str(n) for n in range(5, KEPT_MESSAGES + 5)]
    assert kept[-1]["messageId"] == f"m-{KEPT_MESSAGES + 4}"
    assert kept[-1]["sent"] == "2025-01-01T00:00:01.000Z"
    assert path.stat().st_mode & 0o077 == 0  # the user's own, as the state directory's files

    again = MessageKeeper(path)  # the stack started again
    again.keep(envelope(1000))
    assert [m["eventId"] for m in read_kept_messages(path)][-2:] == [
        str(KEPT_MESSAGES + 4), "1000"]
    assert len(read_kept_messages(path)) == KEPT_MESSAGES


def test_no_file_or_a_broken_one_is_no_messages(tmp_path: Path) -> None:
    assert read_kept_messages(tmp_path / "absent.json") == []
    broken = tmp_path / DEMO_MESSAGES
    broken.write_text('[{"eventId": "1"}, ')
    assert read_kept_messages(broken) == []
    assert MessageKeeper(broken).messages == []


def test_a_streams_messages_are_its_own_newest_first(tmp_path: Path) -> None:
    path = tmp_path / DEMO_MESSAGES
    keeper = MessageKeeper(path)
    for number, stream, namespace in ((1, "web", "default"), (2, "api", "default"),
                                      (3, "web", "other"), (4, "web", "default")):
        keeper.keep(envelope(number, stream, namespace))
    assert [m["eventId"] for m in stream_messages(path, "default", "web")] == ["4", "1"]
    assert [m["eventId"] for m in stream_messages(path, "other", "web")] == ["3"]
    assert stream_messages(path, "default", "nothing") == []
