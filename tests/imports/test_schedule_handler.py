"""The EventBridge entry point: its schedule, and a run bounded by the Lambda's time."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.entrypoints.schedule_events import run_scheduled_imports
from chalicelib.resources.stream import ImageStream
from chalicelib.services.actor import SERVICE
from chalicelib.services.imports import ImportSettings

from .conftest import FAST, LOOPBACK, Images
from .test_scheduler import scheduled


class Context:
    def __init__(self, remaining_ms: int):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def services(images: Images) -> Iterator[wiring.Services]:
    settings = ImportSettings(allow_list=LOOPBACK, **FAST)
    services = wiring.Services(MemoryStore(), import_settings=settings)
    services.streams.create(SERVICE, "team", ImageStream.model_validate({
        "metadata": {"name": "app"},
        "spec": {"tags": [scheduled("1", f"{images.plain.host}/imports/oci:1.0")]}}))
    tag = services.store.get_tag("team", "app", "1")
    assert services.store.reschedule("team", "app", tag, tag.due - timedelta(minutes=15))
    wiring.use(services)
    yield services
    wiring.use(None)


def test_the_handler_runs_every_15_minutes_by_default() -> None:
    [source] = [s for s in app.event_sources if s.name == "reimport_scheduled_tags"]
    assert source.schedule_expression.to_string() == "rate(15 minutes)"


def test_a_run_uses_the_time_the_lambda_has(services: wiring.Services) -> None:
    report = run_scheduled_imports(Context(60_000))
    assert (report["due"], report["unchanged"], report["deferred"]) == (1, 1, 0)


def test_a_run_too_short_for_any_request_leaves_everything_due(
        services: wiring.Services) -> None:
    with Client(app) as client:  # chalice's test context gives a function 3 seconds
        event = client.events.generate_cw_event(source="aws.events", resources=[],
                                                detail_type="Scheduled Event", detail={})
        report = client.lambda_.invoke("reimport_scheduled_tags", event).payload
    assert (report["due"], report["deferred"], report["requests"]) == (1, 1, 0)
