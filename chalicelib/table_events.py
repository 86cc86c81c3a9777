"""The table-stream entry point: tag writes in, tag-change messages out."""
from __future__ import annotations

from typing import Any

from .adapters.table_stream import tag_write
from .services.notifications import publish_tag_changes
from .wiring import publisher


def handle_table_records(records: list[dict[str, Any]]) -> int:
    """Publish one message per tag move in `records` (raw DynamoDB stream records)."""
    writes = [write for write in map(tag_write, records) if write is not None]
    return publish_tag_changes(writes, publisher())
