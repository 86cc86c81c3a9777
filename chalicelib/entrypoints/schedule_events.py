"""The schedule entry point: one re-import cycle per EventBridge event."""
from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from .. import logs, metrics
from ..wiring import services


def run_scheduled_imports(context: Any) -> dict[str, int]:
    """Run a cycle within the Lambda's time (`context.get_remaining_time_in_millis`), and
    write its metrics: one EMF line per cycle (chalicelib/metrics.py)."""
    request_id = getattr(context, "aws_request_id", "") or ""
    started = time.monotonic()
    with logs.request_scope(request_id), \
            metrics.invocation("reimport_scheduled_tags", request_id) as counted:
        report = services().scheduler.run(
            lambda: context.get_remaining_time_in_millis() / 1000)
        counted.add("ScheduledCycleSeconds", round(time.monotonic() - started, 3))
        counted.add("ScheduledTagsDue", report.due)
        counted.add("ScheduledTagsWritten", report.written)
        counted.add("ScheduledTagsUnchanged", report.unchanged)
        counted.add("ImportsSucceeded", report.imported)
        counted.add("ImportsFailed", report.failed)
        counted.add("ImportsDeferred", report.deferred)
        # 0 as well as 1, so the alarm on it sees every cycle, not only those that stopped.
        counted.add("ScheduledCycleStoppedForTime", int(report.stopped_for_time))
    return asdict(report)
