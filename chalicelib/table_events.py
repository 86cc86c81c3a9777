"""The table-stream entry point: tag writes in, tag-change messages out, each once."""
from __future__ import annotations

import logging
from typing import Any

from .wiring import publisher, services

logger = logging.getLogger(__name__)


def handle_table_records(records: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    """Publish one message per tag move in `records` (raw DynamoDB stream records, in order).

    Returns Lambda's partial batch response (ReportBatchItemFailures, infra/functions.json):
    when some messages could not be published, the sequence number of the first record they
    come from, so Lambda delivers the records again from there and not the ones before it.
    """
    # Imported here: app.py imports this module for every function, the API's too.
    from .adapters.table_stream import tag_write
    from .services.notifications import publish_tag_changes
    writes = [(record["dynamodb"]["SequenceNumber"], write) for record in records
              if (write := tag_write(record)) is not None]
    outcome = publish_tag_changes(writes, publisher(), services().publish_ledger)
    if outcome.skipped:
        logger.info("%d tag-change messages were published before; not sent again",
                    outcome.skipped)
    if outcome.retry_from is not None:
        logger.warning("%d messages published; records from sequence number %s go back to "
                       "the event source", outcome.published, outcome.retry_from)
    failures = ([{"itemIdentifier": outcome.retry_from}] if outcome.retry_from is not None
                else [])
    return {"batchItemFailures": failures}
