"""The schedule entry point: one re-import cycle per EventBridge event."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .services.import_settings import ImportSettings
from .wiring import services

SCHEDULE_MINUTES = int(ImportSettings.from_env().interval.total_seconds() // 60)


def run_scheduled_imports(context: Any) -> dict[str, int]:
    """Run a cycle within the Lambda's time (`context.get_remaining_time_in_millis`)."""
    report = services().scheduler.run(lambda: context.get_remaining_time_in_millis() / 1000)
    return asdict(report)
