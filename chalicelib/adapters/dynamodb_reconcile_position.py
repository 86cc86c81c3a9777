"""Where the ECR reconcile pass stopped, in the table: one item, PK `RECONCILE#ecr-pushes`,
SK `#`, holding the last repository and tag dealt with (services/ecr_pushes.py). No other
key starts with `RECONCILE#`, and the table stream's consumer filters it out (it takes
`IS#` keys only, infra/functions.json)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .dynamodb_errors import translated

if TYPE_CHECKING:  # not at run time: every function builds this, few load the ECR code
    from ..services.ports import Position

POSITION_KEY = {"PK": {"S": "RECONCILE#ecr-pushes"}, "SK": {"S": "#"}}


class DynamoReconcilePosition:
    def __init__(self, client: Any, table: str):
        """`client` is a DynamoDB client (botocore's), created once per process by the caller."""
        self._client = client
        self._table = table

    @translated
    def load(self) -> Position | None:
        item = self._client.get_item(TableName=self._table, Key=POSITION_KEY,
                                     ConsistentRead=True).get("Item")
        if not item:
            return None
        return item["Repository"]["S"], item["Tag"]["S"]

    @translated
    def save(self, position: Position | None) -> None:
        if position is None:
            self._client.delete_item(TableName=self._table, Key=POSITION_KEY)
            return
        repository, tag = position
        self._client.put_item(TableName=self._table, Item={
            **POSITION_KEY, "Repository": {"S": repository}, "Tag": {"S": tag}})
