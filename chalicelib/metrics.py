"""The service's metrics, as CloudWatch embedded metric format (EMF): one JSON log line per
invocation, from which CloudWatch Logs makes the metrics; no CloudWatch call, no grant.

An entry point opens `invocation(function, request_id)`; what the invocation counts, there
or deeper (`count`, for code the request reaches without the entry point's object), is
summed and written once when it ends, and nothing at all when it counted nothing. Every
metric is in the `ImageStreams` namespace with one dimension, `Stack` (the stack's name,
STACK_NAME), so the stack's alarms (infra/alarms.py) and docs/operations.md name them.

Lambda sends what a function writes to stdout to its log group, where EMF lines become
metrics; elsewhere (`make run`, tests that do not ask for stdout) the line goes to the
`chalicelib.metrics` logger at DEBUG instead, to keep a terminal readable.

A library was measured for this (docs/benchmarks.md keeps the app's cold start): importing
aws-embedded-metrics 3.5.0 costs about 140-200 ms (it loads aiohttp), Powertools 3.37's
Metrics about 16 ms on top of what the app loads; this writer costs nothing measurable.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

NAMESPACE = "ImageStreams"
DIMENSION = "Stack"
COUNT, SECONDS = "Count", "Seconds"
# Each metric the service writes, with its unit; a name not listed here is refused, so the
# alarms and docs/operations.md cannot drift from what the code writes.
METRICS = {
    # publish_tag_changes: one batch of the table's stream
    "TagMoves": COUNT,  # tag-change messages published: each move of a tag, once
    "PublishFailures": COUNT,  # messages that could not be published (the batch is retried)
    "ChangeLogFailures": COUNT,  # batches whose changes could not be logged for watches
    "CleanupsDone": COUNT,  # deletes whose cleanup finished (history, index, partition)
    "CleanupFailures": COUNT,  # cleanup steps that failed (their record is delivered again)
    "PruneRunsSucceeded": COUNT,  # image prune runs whose last step this batch took
    "PruneRunsFailed": COUNT,  # image prune runs that ended Failed (the log says why)
    # imports, by outcome: an API request's, or a scheduled cycle's (per tag)
    "ImportsSucceeded": COUNT,
    "ImportsFailed": COUNT,
    "ImportsDeferred": COUNT,  # scheduled tags left due: the cycle ran out of time for them
    # reimport_scheduled_tags: one cycle
    "ScheduledCycleSeconds": SECONDS,
    "ScheduledTagsDue": COUNT,
    "ScheduledTagsWritten": COUNT,
    "ScheduledTagsUnchanged": COUNT,
    "ScheduledCycleStoppedForTime": COUNT,  # 1 when the cycle ended with work left undone
    # the API: requests refused by the access check
    "Unauthenticated": COUNT,  # no valid token (401)
    "AuthorizationDenied": COUNT,  # a valid token without the right (403)
}
_current: ContextVar[InvocationMetrics | None] = ContextVar(
    "imagestreams_metrics", default=None)
_log = logging.getLogger(__name__)


class InvocationMetrics:
    """The metrics of one invocation, summed by name, written as one EMF line."""

    def __init__(self, function: str, stack: str, request_id: str = "") -> None:
        self.function = function
        self.stack = stack
        self.request_id = request_id
        self.values: dict[str, float] = {}

    def add(self, name: str, value: float = 1) -> None:
        """Add `value` to the metric `name` (a key of METRICS)."""
        if name not in METRICS:
            raise KeyError(f"{name} is not a metric of chalicelib/metrics.py's METRICS")
        self.values[name] = self.values.get(name, 0) + value

    def document(self, timestamp_ms: int) -> dict[str, Any] | None:
        """The EMF document, or None when nothing was counted."""
        if not self.values:
            return None
        metrics = [{"Name": name, "Unit": METRICS[name]} for name in sorted(self.values)]
        properties = {"function": self.function}
        if self.request_id:
            properties["requestId"] = self.request_id
        return {"_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": [{
            "Namespace": NAMESPACE, "Dimensions": [[DIMENSION]], "Metrics": metrics}]},
            DIMENSION: self.stack, **properties, **self.values}


def stack_name() -> str:
    """The value of the `Stack` dimension: the stack's name (the template's STACK_NAME)."""
    return os.environ.get("STACK_NAME") or "local"


def write(document: dict[str, Any]) -> None:
    """One EMF line: to stdout in Lambda (AWS_LAMBDA_FUNCTION_NAME is set there), else to
    the `chalicelib.metrics` logger at DEBUG."""
    line = json.dumps(document, separators=(",", ":"))
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    else:
        _log.debug("%s", line)


@contextmanager
def invocation(function: str, request_id: str = "") -> Iterator[InvocationMetrics]:
    """Count an invocation's metrics, written as one line when it ends (however it ends)."""
    metrics = InvocationMetrics(function, stack_name(), request_id)
    token = _current.set(metrics)
    try:
        yield metrics
    finally:
        _current.reset(token)
        document = metrics.document(int(time.time() * 1000))
        if document is not None:
            write(document)


def count(name: str, value: float = 1) -> None:
    """Add to the current invocation's metric `name`; outside an invocation, nothing."""
    metrics = _current.get()
    if metrics is not None:
        metrics.add(name, value)
