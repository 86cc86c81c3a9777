"""The table-stream entry point: tag writes in, each namespace's change log and one
tag-change message per move out, each once; a step of each cleanup a delete left, and of
each image prune run going."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .. import logs, metrics
from ..domain.changes import Change
from ..domain.errors import ServiceUnavailable
from ..wiring import publisher, services

logger = logging.getLogger(__name__)


def handle_table_records(records: list[dict[str, Any]], request_id: str = ""
                         ) -> dict[str, list[dict[str, str]]]:
    """Log every stream and tag change in `records` (raw DynamoDB stream records, in order)
    for watches, and publish one message per tag move. `request_id` is the Lambda context's:
    the batch's log lines and its one metrics line carry it.

    Returns Lambda's partial batch response (ReportBatchItemFailures, infra/functions.json):
    when some changes could not be logged or messages published, the sequence number of the
    first record they come from, so Lambda delivers the records again from there and not the
    ones before it. A change or message that was out already is not repeated.
    """
    with logs.request_scope(request_id), \
            metrics.invocation("publish_tag_changes", request_id) as counted:
        return _handle(records, counted)


def _handle(records: list[dict[str, Any]], counted: metrics.InvocationMetrics
            ) -> dict[str, list[dict[str, str]]]:
    # Imported here: app.py imports this module for every function, the API's too.
    from ..adapters.table_stream import cleanup_mark, namespace_change, prune_step, tag_write
    from ..services.notifications import publish_tag_changes
    if not records:
        return {"batchItemFailures": []}
    try:
        _log_changes([change for record in records
                      if (change := namespace_change(record)) is not None])
    except ServiceUnavailable as exc:
        counted.add("ChangeLogFailures")
        logs.about(logger).warning(
            "changes not logged (%s); the batch goes back to the event source", exc.message)
        return {"batchItemFailures": [
            {"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]}
    writes = [(record["dynamodb"]["SequenceNumber"], write) for record in records
              if (write := tag_write(record)) is not None]
    outcome = publish_tag_changes(writes, publisher(), services().publish_ledger)
    counted.add("TagMoves", outcome.published)
    counted.add("PublishFailures", outcome.unpublished)
    if outcome.skipped:
        logs.about(logger).info("%d tag-change messages were published before; not sent again",
                                outcome.skipped)
    if outcome.retry_from is not None:
        logs.about(logger).warning(
            "%d messages published, %d not; records from sequence number %s go back to the "
            "event source", outcome.published, outcome.unpublished, outcome.retry_from)
    retry_from = _clean_up(records, cleanup_mark, counted)
    prune_from = _advance_prunes(records, prune_step, counted)
    order = [record["dynamodb"]["SequenceNumber"] for record in records]
    first = min((n for n in (outcome.retry_from, retry_from, prune_from) if n is not None),
                key=order.index, default=None)
    return {"batchItemFailures": [{"itemIdentifier": first}] if first is not None else []}


def _clean_up(records: list[dict[str, Any]],
              cleanup_mark: Callable[[dict[str, Any]], tuple[str, str] | None],
              counted: metrics.InvocationMetrics) -> str | None:
    """A bounded step of each cleanup mark the batch wrote (the step rewrites the mark, so
    its next record brings it back, until the work is done). The sequence number of the
    first record whose step failed, so the event source delivers it again; None if all ran."""
    store = services().store
    for record in records:
        mark = cleanup_mark(record)
        if mark is None:
            continue
        try:
            counted.add("CleanupsDone", int(store.clean_up(mark)))
        except ServiceUnavailable as exc:
            counted.add("CleanupFailures")
            logs.about(logger).warning("cleanup step of %s failed (%s); it goes back to the "
                                       "event source", "/".join(mark), exc.message)
            return str(record["dynamodb"]["SequenceNumber"])
    return None


def _advance_prunes(records: list[dict[str, Any]],
                    prune_step: Callable[[dict[str, Any]], tuple[str, int] | None],
                    counted: metrics.InvocationMetrics) -> str | None:
    """The step of each image prune run the batch wrote at a step (a run already past it
    does nothing), counting the runs it ends. The sequence number of the first record whose
    step failed, so the event source delivers it again; None if all ran."""
    from ..domain.pruning import FAILED, SUCCEEDED  # as _handle's imports: not at load
    for record in records:
        found = prune_step(record)
        if found is None:
            continue
        try:
            run = services().pruning.advance(*found)
            if run is not None and run.phase == FAILED:
                counted.add("PruneRunsFailed")
                logs.about(logger).error("image prune run %s failed at step %d: %s",
                                         run.name, found[1], run.message)
            elif run is not None and run.phase == SUCCEEDED:
                counted.add("PruneRunsSucceeded")
        except ServiceUnavailable as exc:
            logs.about(logger).warning("step %d of image prune run %s failed (%s); it goes "
                                       "back to the event source", found[1], found[0],
                                       exc.message)
            return str(record["dynamodb"]["SequenceNumber"])
    return None


def _log_changes(changes: list[tuple[str, Change]]) -> None:
    by_namespace: dict[str, list[Change]] = {}
    for namespace, change in changes:
        by_namespace.setdefault(namespace, []).append(change)
    log = services().changes
    for namespace, logged in by_namespace.items():
        log.append(namespace, logged)
