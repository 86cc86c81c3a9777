"""The table tests run against is the one infra/table.json defines; storage failures reach
callers as the service's own errors."""
from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from chalicelib.adapters.dynamodb_store import DynamoStore
from chalicelib.domain.errors import ApiError, ServiceUnavailable
from testbed import dynamodb as support
from testbed.dynamodb import DynamoTable, new_client


def keys(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema]


def test_the_table_has_the_keys_indexes_and_settings_of_infra(dynamodb: DynamoTable) -> None:
    table = dynamodb.client.describe_table(TableName=dynamodb.name)["Table"]
    assert keys(table["KeySchema"]) == [("PK", "HASH"), ("SK", "RANGE")]
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == {
        name: "S" for name in ("PK", "SK", "GSI1PK", "GSI1SK", "DuePK", "DueAt", "ClusterPK",
                               "ClusterSK")}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {i["IndexName"]: i for i in table["GlobalSecondaryIndexes"]}
    assert keys(indexes["GSI1"]["KeySchema"]) == [("GSI1PK", "HASH"), ("GSI1SK", "RANGE")]
    assert keys(indexes["Due"]["KeySchema"]) == [("DuePK", "HASH"), ("DueAt", "RANGE")]
    assert keys(indexes["Cluster"]["KeySchema"]) == [("ClusterPK", "HASH"),
                                                     ("ClusterSK", "RANGE")]
    # Keys only: a commit rewrites the stream item but neither its keys nor a projected
    # attribute, so it costs the cluster index no write.
    assert {name: i["Projection"]["ProjectionType"] for name, i in indexes.items()} == {
        "GSI1": "ALL", "Due": "ALL", "Cluster": "KEYS_ONLY"}
    assert table["StreamSpecification"] == {"StreamEnabled": True,
                                            "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert table["SSEDescription"]["Status"] == "ENABLED"
    backups = dynamodb.client.describe_continuous_backups(TableName=dynamodb.name)
    recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"
    expiry = dynamodb.client.describe_time_to_live(TableName=dynamodb.name)
    assert expiry["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED",
                                               "AttributeName": "ExpiresAt"}


def test_a_table_property_the_tests_cannot_translate_fails_loudly(
        monkeypatch: pytest.MonkeyPatch) -> None:
    properties = {**support.table_properties(),
                  "ContributorInsightsSpecification": {"Enabled": True}}
    monkeypatch.setattr(support, "table_properties", lambda: properties)
    with pytest.raises(ValueError, match="ContributorInsightsSpecification"):
        support.create_table_args("t")


def test_a_missing_table_is_an_api_error_not_a_botocore_one(dynamodb: DynamoTable) -> None:
    with pytest.raises(ApiError, match="ResourceNotFoundException") as raised:
        DynamoStore(dynamodb.client, "missing").get_stream("ns", "app")
    assert type(raised.value) is ApiError and raised.value.code == 500


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException",
                                  "ThrottlingException", "InternalServerError"])
def test_a_busy_store_is_service_unavailable(code: str) -> None:
    client: Any = new_client()
    with Stubber(client) as stub:
        stub.add_client_error("get_item", service_error_code=code, http_status_code=400)
        with pytest.raises(ServiceUnavailable):
            DynamoStore(client, "table").get_stream("ns", "app")
