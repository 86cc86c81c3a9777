"""Reads a DynamoDB table's stream through the Streams API, in order, resumably.

This is what the Lambda event source mapping does in AWS: the local stack and the tests
feed the records it returns to the same handler the Lambda runs.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any


class StreamReader:
    """Yields batches of stream records; `position` (shard → last sequence number) resumes it."""

    def __init__(self, dynamodb: Any, streams: Any, table: str,
                 position: dict[str, str] | None = None):
        self.dynamodb = dynamodb
        self.streams = streams
        self.table = table
        self.position: dict[str, str] = dict(position or {})
        self._iterators: dict[str, str | None] = {}

    def _stream_arn(self) -> str:
        return self.dynamodb.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]

    def _shards(self) -> list[str]:
        arn, shards, start = self._stream_arn(), [], None
        while True:
            kwargs = {"StreamArn": arn, **({"ExclusiveStartShardId": start} if start else {})}
            description = self.streams.describe_stream(**kwargs)["StreamDescription"]
            shards += [shard["ShardId"] for shard in description["Shards"]]
            start = description.get("LastEvaluatedShardId")
            if not start:
                return shards

    def _iterator(self, shard: str) -> str | None:
        if shard not in self._iterators:
            arn = self._stream_arn()
            after = self.position.get(shard)
            kwargs = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
                      if after else {"ShardIteratorType": "TRIM_HORIZON"})
            self._iterators[shard] = self.streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard, **kwargs)["ShardIterator"]
        return self._iterators[shard]

    def read(self, limit: int = 100) -> list[dict[str, Any]]:
        """The next records of every shard, oldest first; empty when there is nothing new."""
        records: list[dict[str, Any]] = []
        for shard in self._shards():
            iterator = self._iterator(shard)
            if iterator is None:
                continue
            reply = self.streams.get_records(ShardIterator=iterator, Limit=limit)
            self._iterators[shard] = reply.get("NextShardIterator")
            for record in reply["Records"]:
                records.append(record)
                self.position[shard] = record["dynamodb"]["SequenceNumber"]
        return records


def lambda_records(records: list[dict[str, Any]], stream_arn: str, region: str
                   ) -> list[dict[str, Any]]:
    """Stream records as a Lambda event carries them (creation time in epoch seconds)."""
    shaped = []
    for record in records:
        change = dict(record["dynamodb"])
        moment = change.get("ApproximateCreationDateTime")
        if isinstance(moment, datetime):
            change["ApproximateCreationDateTime"] = moment.timestamp()
        shaped.append({**record, "dynamodb": change, "eventSource": "aws:dynamodb",
                       "eventSourceARN": stream_arn, "awsRegion": region})
    return shaped
