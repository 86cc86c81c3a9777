"""`isctl adm prune images` against the real app and its imagepruneruns endpoint.

The memory store has no table stream, so nothing drives a run's steps on its own: the
command's sleep between polls (injected, as main() allows) does one step of every running
run through `services().pruning.advance`, as the table stream's consumer would, and moves
the shared clock by the time slept.
"""
from __future__ import annotations

import io
import json

import pytest

from chalicelib import wiring
from isctl.prune_run import PruneProgress
from testbed.auth import grant

from .conftest import Isctl, Result, digest, mapping

HISTORY = "abcdef"  # the images web:latest pointed at, oldest first
HOUR = 3600


def advance_running_runs() -> int:
    """One step of every run still running, as the table stream's consumer does it."""
    pruning = wiring.services().pruning
    stepped = 0
    for run in pruning.runs.list():
        if run.phase == "Running":
            stepped += pruning.advance(run.name, run.step) is not None
    return stepped


@pytest.fixture
def web(isctl: Isctl) -> Isctl:
    """web:latest with six events, two hours old by the time a test prunes."""
    isctl.ok("create", "imagestream", "web")
    for char in HISTORY:
        isctl.api("POST", "/namespaces/default/imagestreammappings",
                  mapping("web", "latest", digest(char), f"quay.io/shop/web@{digest(char)}"))
    isctl.later(2 * HOUR)
    return isctl


def prune(isctl: Isctl, *args: str) -> tuple[Result, list[float]]:
    """Run the command with a sleep that steps the runs; the sleeps it asked for."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        advance_running_runs()
        isctl.later(seconds)

    return isctl("adm", "prune", "images", *args, sleep=sleep), slept


def history(isctl: Isctl) -> list[str]:
    page = isctl.api("GET", "/namespaces/default/imagestreamtags/web:latest/history?limit=50")
    return [event["image"] for event in page["items"]]


def image_exists(isctl: Isctl, char: str) -> bool:
    reply = isctl.adapter.client.http.request(
        "GET", f"/apis/image.openshift.io/v1/images/{digest(char)}",
        headers={"authorization": f"Bearer {isctl.tokens['admin']}"})
    return reply.status_code == 200


def test_dry_run_reports_what_would_go_and_removes_nothing(web: Isctl):
    before = history(web)
    result, slept = prune(web, "--keep-tag-revisions=3", "--keep-younger-than=60m")
    assert result.code == 0, result
    kept = len(HISTORY) - 3
    assert result.out == (
        "Only API objects will be removed.  No modifications to the image registry will be "
        "made.\n"
        f"Summary: would delete {kept} history events, {kept} images\n")
    assert result.err.startswith(
        "Dry run enabled - no modifications will be made. Add --confirm to remove images\n")
    # not a terminal: one plain line per stage, with what it read
    assert result.err.endswith("Streams: 1 stream, 1 tag scanned\nImages: 6 images scanned\n")
    assert slept and set(slept) == {1.0}  # polled about once a second
    assert history(web) == before
    assert all(image_exists(web, char) for char in HISTORY)
    [run] = wiring.services().pruning.list().items
    assert run.spec.dry_run is True and run.spec.namespaces is None


def test_confirm_removes_the_old_history_and_images(web: Isctl):
    result, _ = prune(web, "--keep-tag-revisions=2", "--confirm")
    assert result.code == 0, result
    assert "Dry run enabled" not in result.err
    gone = len(HISTORY) - 2
    assert result.out.endswith(f"Summary: deleted {gone} history events, {gone} images\n")
    newest = [digest(char) for char in reversed(HISTORY)]
    assert history(web) == newest[:2]
    assert [image_exists(web, char) for char in HISTORY] == [False] * gone + [True] * 2


def test_young_history_is_kept_and_json_prints_the_finished_run(web: Isctl):
    result, _ = prune(web, "--keep-tag-revisions=1", "--keep-younger-than=3h", "--confirm",
                      "-o", "json")
    assert result.code == 0, result
    run = json.loads(result.out)
    assert run["kind"] == "ImagePruneRun" and run["status"]["phase"] == "Succeeded"
    assert run["spec"] == {"keepTagRevisions": 1, "keepYoungerThan": "3h", "dryRun": False,
                           "pruneRegistry": False}
    assert run["status"]["removed"]["historyEvents"] == 0  # all two hours old: all kept
    assert len(history(web)) == len(HISTORY)


def test_an_explicit_namespace_restricts_the_run(web: Isctl):
    result, _ = prune(web, "-n", "default", "--confirm")
    assert result.code == 0, result
    gone = len(HISTORY) - 3
    summary, note = result.out.split("\n")[1:3]
    assert summary == f"Summary: deleted {gone} history events, 0 images"
    assert "cluster-scoped" in note  # the run's status message says why no Image went
    assert all(image_exists(web, char) for char in HISTORY)
    result, _ = prune(web, "--namespace=default", "-o", "yaml")  # a dry run, as YAML
    assert result.code == 0, result
    assert "namespaces:\n  - default\n" in result.out and "dryRun: true\n" in result.out
    # the namespace of the context (or ISCTL_NAMESPACE) does not restrict a run, as in oc
    web.env["ISCTL_NAMESPACE"] = "default"
    prune(web)
    assert [run.spec.namespaces for run in wiring.services().pruning.list().items].count(
        None) == 1


def test_a_failed_run_exits_1_with_its_message(web: Isctl, monkeypatch: pytest.MonkeyPatch):
    # A step that raises an error nothing maps ends the run Failed with the error's text;
    # the table cannot be made to fail here, so the store's stream walk is made to.
    store = wiring.services().pruning.store

    def unreadable(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the streams cannot be read")

    monkeypatch.setattr(store, "list_all_streams", unreadable)
    result, _ = prune(web, "--confirm")
    assert result.code == 1, result
    assert result.err.endswith("the streams cannot be read\n")
    assert "error: image prune run prune-" in result.err
    assert result.out.endswith("Summary: deleted 0 history events, 0 images\n")
    assert len(history(web)) == len(HISTORY)


def test_who_may_not_prune_gets_the_servers_403(web: Isctl):
    reader = grant(wiring.services(), "auditor", "cluster-reader")
    result, slept = prune(web, "--token", reader, "--confirm")
    assert result.code == 1 and slept == []
    assert result.err.startswith("Error from server (Forbidden): ")
    assert "imagepruneruns" in result.err
    assert wiring.services().pruning.list().items == []


def test_bad_values(web: Isctl):
    result, _ = prune(web, "--keep-tag-revisions=-1")
    assert (result.code, result.err.split("\n")[0]) == (
        2, "error: --keep-tag-revisions must be greater than or equal to 0")
    result, _ = prune(web, "--keep-younger-than=soon")
    assert result.code == 2 and "time: invalid duration \"soon\"" in result.err
    # the server's own check of what isctl passes on: a namespace's name
    result, _ = prune(web, "-n", "Not_A_Namespace")
    assert result.code == 1
    assert result.err.startswith('The ImagePruneRun "prune-')
    assert "spec.namespaces[0]" in result.err


def test_the_bar_on_a_terminal_redraws_one_line():
    stream = io.StringIO()
    progress = PruneProgress(stream, live=True, width=10)
    run = {"spec": {"pruneRegistry": True},
           "status": {"phase": "Running", "stage": "Images",
                      "scanned": {"streams": 2, "tags": 5, "images": 7}}}
    progress.update(run)
    progress.update({**run, "status": {**run["status"], "phase": "Succeeded", "stage": "Done"}})
    progress.close()
    assert stream.getvalue() == ("\rPruning [###.......] 1/3 Images: 7 images"
                                 "\rPruning [##########] 3/3 Done" + " " * 12 + "\n")


def test_bash_completes_the_command_and_its_flags():
    from .test_help import complete
    assert complete("isctl adm pr") == ["prune"]
    assert complete("isctl adm prune i") == ["images"]
    assert complete("isctl adm prune images --keep-") == ["--keep-tag-revisions",
                                                         "--keep-younger-than"]
    assert complete("isctl adm prune images --prune-") == ["--prune-registry"]


def test_timeout_stops_waiting_not_the_run(web: Isctl):
    def sleep(seconds: float) -> None:  # nothing drives the run: it stays at its first step
        web.later(seconds)

    result = web("adm", "prune", "images", "--timeout", "3s", sleep=sleep)
    assert result.code == 1
    [run] = wiring.services().pruning.list().items
    assert result.err.endswith(
        f"error: timed out waiting for imagepruneruns/{run.metadata.name} (stage Streams); "
        f"the run goes on in the service: GET /apis/imagestreams.dev/v1/imagepruneruns/"
        f"{run.metadata.name}\n")
    assert run.status is not None and run.status.phase == "Running"
    result = web("adm", "prune", "images", "--timeout", "-1s")
    assert (result.code, result.err.split("\n")[0]) == (
        2, "error: --timeout must be greater than or equal to 0")
