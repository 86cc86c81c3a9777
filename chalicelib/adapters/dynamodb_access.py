"""Tokens (by the hash prefix) and role bindings (per namespace partition) in the table.

An outage is ServiceUnavailable, as for the stream store: the authorizer must not take a
token it could not look up for a bad one.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import AlreadyExists
from ..domain.stored_objects import TokenRecord
from ..resources.rbac import RoleBinding
from ..services.access import CLUSTERROLEBINDINGS, ROLEBINDINGS
from .dynamodb_errors import translated
from .dynamodb_reads import query_all
from .item_size import Item, check_item_size

CLUSTER_SCOPE = "-"  # the GSI key of tokens of users (not service accounts)


def _token_key(token_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"TOKEN#{token_id}"}, "SK": {"S": "#"}}


def _binding_pk(namespace: str | None) -> str:
    return f"RB#{namespace}" if namespace else "CRB"


def token_item(record: TokenRecord) -> Item:
    """A token as its item, sized (TooLarge) before it is written."""
    item = {**_token_key(record.id), "digest": {"S": record.digest},
            "subject": {"S": record.subject}, "created": {"S": record.created.isoformat()},
            "GSI1PK": {"S": f"TOKENS#{record.scope or CLUSTER_SCOPE}"},
            "GSI1SK": {"S": f"{record.subject}#{record.id}"}}
    if record.expires is not None:
        item["expires"] = {"S": record.expires.isoformat()}
    check_item_size(item, f'the token of "{record.subject}"')
    return item


def binding_item(namespace: str | None, binding: RoleBinding) -> Item:
    """A role binding as its item, sized (TooLarge) before it is written: its subjects and
    labels are the caller's, and DynamoDB would refuse an item over 400 KB as a 500."""
    name = binding.metadata.name or ""
    item = {"PK": {"S": _binding_pk(namespace)}, "SK": {"S": name},
            "binding": {"S": binding.model_dump_json(by_alias=True, exclude_none=True)}}
    kind = "rolebinding" if namespace else "clusterrolebinding"
    check_item_size(item, f'{kind} "{name}"')
    return item


class DynamoTokenStore:
    def __init__(self, client: Any, table: str):
        self.client = client
        self.table = table

    @translated
    def put_token(self, record: TokenRecord) -> None:
        self.client.put_item(TableName=self.table, Item=token_item(record),
                             ConditionExpression="attribute_not_exists(PK)")

    @translated
    def get_token(self, token_id: str) -> TokenRecord | None:
        item = self.client.get_item(TableName=self.table, Key=_token_key(token_id),
                                    ConsistentRead=True).get("Item")
        return _decode_token(token_id, item) if item else None

    @translated
    def delete_token(self, token_id: str) -> bool:
        reply = self.client.delete_item(TableName=self.table, Key=_token_key(token_id),
                                        ReturnValues="ALL_OLD")
        return "Attributes" in reply

    @translated
    def list_tokens(self, scope: str | None) -> list[TokenRecord]:
        found = query_all(self.client, {
            "TableName": self.table, "IndexName": "GSI1", "KeyConditionExpression": "GSI1PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"TOKENS#{scope or CLUSTER_SCOPE}"}}})
        return [_decode_token(item["PK"]["S"][len("TOKEN#"):], item) for item in found]


def _decode_token(token_id: str, item: dict[str, Any]) -> TokenRecord:
    expires = item.get("expires", {}).get("S")
    return TokenRecord(token_id, item["digest"]["S"], item["subject"]["S"],
                       datetime.fromisoformat(item["created"]["S"]),
                       datetime.fromisoformat(expires) if expires else None)


class DynamoBindingStore:
    def __init__(self, client: Any, table: str):
        self.client = client
        self.table = table

    @translated
    def create_binding(self, namespace: str | None, binding: RoleBinding) -> None:
        name = binding.metadata.name or ""
        item = binding_item(namespace, binding)
        try:
            self.client.put_item(TableName=self.table, Item=item,
                                 ConditionExpression="attribute_not_exists(PK)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                resource = ROLEBINDINGS if namespace else CLUSTERROLEBINDINGS
                raise AlreadyExists.of(resource, name) from exc
            raise

    @translated
    def get_binding(self, namespace: str | None, name: str) -> RoleBinding | None:
        key = {"PK": {"S": _binding_pk(namespace)}, "SK": {"S": name}}
        item = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        return RoleBinding.model_validate_json(item["binding"]["S"]) if item else None

    @translated
    def list_bindings(self, namespace: str | None) -> list[RoleBinding]:
        found = query_all(self.client, {
            "TableName": self.table, "KeyConditionExpression": "PK = :pk", "ConsistentRead": True,
            "ExpressionAttributeValues": {":pk": {"S": _binding_pk(namespace)}}})
        return [RoleBinding.model_validate_json(item["binding"]["S"]) for item in found]

    @translated
    def delete_binding(self, namespace: str | None, name: str) -> bool:
        reply = self.client.delete_item(TableName=self.table, Key={
            "PK": {"S": _binding_pk(namespace)}, "SK": {"S": name}}, ReturnValues="ALL_OLD")
        return "Attributes" in reply
