"""The benchmark's faster moto Query gives, page for page, the answers moto gives."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters import dynamodb_items as items
from testbed.dynamodb import REGION, DynamoTable, mocked_table, new_client
from testbed.fast_moto import faster_moto, put_items, stored_item, stored_items
from testbed.stream_seed import INCARNATION, SeededStream, tag_name

PK = {":pk": {"S": items.stream_pk("team", "app")}}
LATEST_HISTORY = items.history_prefix(tag_name(0), INCARNATION)
V1_HISTORY = items.history_prefix(tag_name(1), INCARNATION)
QUERIES: dict[str, dict[str, Any]] = {
    "whole partition": {"KeyConditionExpression": "PK = :pk", "Limit": 700,
                        "ExpressionAttributeValues": PK, "ConsistentRead": True},
    "one tag's history, newest first": {
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)", "Limit": 120,
        "ExpressionAttributeValues": {**PK, ":prefix": {"S": LATEST_HISTORY}},
        "ScanIndexForward": False},
    "keys only": {
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)", "Limit": 90,
        "ExpressionAttributeValues": {**PK, ":prefix": {"S": V1_HISTORY}},
        "ProjectionExpression": "PK, SK"},
    "filtered index prefix": {
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)", "Limit": 50,
        "FilterExpression": "#count > :zero", "ExpressionAttributeNames": {"#count": "count"},
        "ExpressionAttributeValues": {**PK, ":prefix": {"S": "I#sha256:a"}, ":zero": {"N": "0"}}},
    "no match": {"KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
                 "ExpressionAttributeValues": {**PK, ":prefix": {"S": "T#latest#F#"}}},
    # Each key comparison the faster Query narrows by, both ways, across pages.
    "between, newest first": {
        "KeyConditionExpression": "PK = :pk AND SK BETWEEN :low AND :high", "Limit": 40,
        "ExpressionAttributeValues": {**PK, ":low": {"S": V1_HISTORY + "0000000100"},
                                      ":high": {"S": V1_HISTORY + "0000000200"}},
        "ScanIndexForward": False},
    "below": {"KeyConditionExpression": "PK = :pk AND SK < :key", "Limit": 200,
              "ExpressionAttributeValues": {**PK, ":key": {"S": V1_HISTORY}}},
    "at or below, newest first": {
        "KeyConditionExpression": "PK = :pk AND SK <= :key", "Limit": 70,
        "ExpressionAttributeValues": {**PK, ":key": {"S": LATEST_HISTORY + "0000000150"}},
        "ScanIndexForward": False},
    "above": {"KeyConditionExpression": "PK = :pk AND SK > :key", "Limit": 200,
              "ExpressionAttributeValues": {**PK, ":key": {"S": V1_HISTORY + "0000000250"}}},
    "at or above": {"KeyConditionExpression": "PK = :pk AND SK >= :key", "Limit": 60,
                    "ExpressionAttributeValues": {**PK, ":key": {"S": "T#"}}},
    "equal": {"KeyConditionExpression": "PK = :pk AND SK = :key",
              "ExpressionAttributeValues": {**PK, ":key": {"S": LATEST_HISTORY + "0000000007"}}},
    "streams index": {"IndexName": "GSI1", "KeyConditionExpression": "GSI1PK = :ns",
                      "ExpressionAttributeValues": {":ns": {"S": "NS#team"}}},
}


def pages(table: DynamoTable, params: dict[str, Any]) -> list[dict[str, Any]]:
    request, found = {"TableName": table.name, **params}, []
    while True:
        page = table.client.query(**request)
        page.pop("ResponseMetadata")
        found.append(page)
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.fixture(scope="module")
def seeded() -> DynamoTable:
    with mocked_table(new_client(), stream=False) as table:
        put_items(table.name, REGION, SeededStream(tags=3, events_per_tag=300).items())
        yield table


@pytest.mark.parametrize("query", QUERIES)
def test_faster_moto_answer_as_moto_does(seeded: DynamoTable, query: str) -> None:
    expected = pages(seeded, QUERIES[query])
    with faster_moto():
        assert pages(seeded, QUERIES[query]) == expected
    assert sum(page["Count"] for page in expected) > 0 or query == "no match"


def test_items_are_stored_and_read_back_as_dynamodb_json(seeded: DynamoTable) -> None:
    stream = SeededStream(tags=3, events_per_tag=300)
    written = stream.items()
    assert sorted(stored_items(seeded.name, REGION), key=lambda i: (i["PK"]["S"], i["SK"]["S"])
                  ) == sorted(written, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))
    assert stored_item(seeded.name, REGION, items.key(written[0]["PK"]["S"], "#")) == written[0]
    assert stored_item(seeded.name, REGION, items.key("IS#team/none", "#")) is None


def test_a_transaction_still_applies_whole_or_not_at_all() -> None:
    # A table of its own: the module's seeded table may still be open.
    with mocked_table(new_client(), "transactions", stream=False) as table, faster_moto():
        def put(sk: str, condition: str = "attribute_not_exists(PK)") -> dict[str, Any]:
            return {"Put": {"TableName": table.name, "ConditionExpression": condition,
                            "Item": {**items.key("IS#team/app", sk), "uid": {"S": "u"}}}}

        table.client.transact_write_items(TransactItems=[put("#"), put("T#a")])
        before = table.items()
        with pytest.raises(table.client.exceptions.TransactionCanceledException):
            table.client.transact_write_items(TransactItems=[put("T#b"), put("#")])
        assert table.items() == before
        assert [item["SK"]["S"] for item in before] == ["#", "T#a"]
