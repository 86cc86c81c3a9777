"""The scheduled re-import's one metrics line per cycle and its report line, on real calls
of its handler: duration, tags due, written, unchanged and skipped, imports by outcome,
and whether the cycle stopped for time (what the stack's alarm watches)."""
from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from chalice.local import LambdaContext

import app as app_module
from chalicelib import wiring
from testbed.emf import emf_documents, in_lambda, metrics_of

from .test_schedule_handler import services  # noqa: F401 (a stream with one tag due)


@pytest.fixture
def lambda_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    in_lambda(monkeypatch)
    yield


def run(milliseconds: int) -> tuple[dict, str]:
    context = LambdaContext("imagestreams-schedule", 512, max_runtime_ms=milliseconds)
    event = {"version": "0", "id": "e1", "detail-type": "Scheduled Event",
             "source": "aws.events", "account": "123456789012",
             "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
             "detail": {}}
    return app_module.reimport_scheduled_tags(event, context), context.aws_request_id


def test_a_cycle_writes_one_line_with_its_duration_and_outcomes(
        services: wiring.Services, lambda_environment: None,  # noqa: F811
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="chalicelib")
    capsys.readouterr()
    report, request_id = run(60_000)
    [document] = emf_documents(capsys.readouterr().out)
    found = metrics_of(document)
    seconds, unit = found.pop("ScheduledCycleSeconds")
    assert unit == "Seconds" and 0 < seconds < 60
    assert found == {"ScheduledTagsDue": (1, "Count"), "ScheduledTagsWritten": (0, "Count"),
                     "ScheduledTagsUnchanged": (1, "Count"), "ImportsSucceeded": (1, "Count"),
                     "ImportsFailed": (0, "Count"), "ImportsDeferred": (0, "Count"),
                     "ScheduledCycleStoppedForTime": (0, "Count")}
    assert (document["function"], document["requestId"]) == (
        "reimport_scheduled_tags", request_id)
    assert report["stopped_for_time"] is False
    [line] = [r for r in caplog.records if r.getMessage().startswith("scheduled import run")]
    assert line.levelno == logging.INFO and line.requestId == request_id
    assert line.report["due"] == 1


def test_a_cycle_without_time_for_its_work_says_it_stopped_for_time(
        services: wiring.Services, lambda_environment: None,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    report, _ = run(2_000)  # less than a request and the writes after it
    [document] = emf_documents(capsys.readouterr().out)
    found = metrics_of(document)
    assert found["ScheduledCycleStoppedForTime"] == (1, "Count")
    assert found["ImportsDeferred"] == (1, "Count") and found["ImportsSucceeded"] == (0, "Count")
    assert report["stopped_for_time"] is True
