"""The tag-change messages a moto table's stream turns into, as the stream consumer makes them
(adapters/table_stream.py, then services/notifications.py), for tests of what subscribers
hear."""
from __future__ import annotations

from typing import Any

import boto3

from chalicelib.adapters.table_stream import tag_write
from chalicelib.services.notifications import tag_event
from local.stream_reader import StreamReader, lambda_records

from .dynamodb import REGION, DynamoTable


class TagMessages:
    """Reads the table's stream from where the last `new()` stopped."""

    def __init__(self, table: DynamoTable):
        streams = boto3.client("dynamodbstreams", region_name=REGION,
                               aws_access_key_id="testing", aws_secret_access_key="testing")
        self.reader = StreamReader(table.client, streams, table.name)
        self.new()  # what the table holds so far is not news

    def new(self) -> list[dict[str, Any]]:
        """The message bodies of the records written since the last call, in order."""
        messages = []
        for record in lambda_records(self.reader.read(limit=1000), "arn:stream", REGION):
            write = tag_write(record)
            message = tag_event(write) if write is not None else None
            if message is not None:
                messages.append(message.to_json())
        return messages
