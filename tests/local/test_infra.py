"""The merge template of infra/ and the IAM policies Chalice embeds into it.

`make test` also packages the app and runs cfn-lint on the result; these checks are
about what cfn-lint cannot know: our conventions.
"""
from __future__ import annotations

import json
from pathlib import Path

from chalicelib.adapters import dynamodb_items as items
from chalicelib.adapters.dynamodb_publish_ledger import ledger_key
from infra.template import gateway_responses, merge_template
from local.emulator import emulated_template

ROOT = Path(__file__).resolve().parents[2]
ALL = ["app", "publish_tag_changes", "reimport_scheduled_tags"]


def test_api_gateways_own_errors_are_kubernetes_status_bodies():
    responses = gateway_responses()
    assert {"MISSING_AUTHENTICATION_TOKEN", "REQUEST_TOO_LARGE", "THROTTLED", "DEFAULT_4XX",
            "DEFAULT_5XX"} <= set(responses)
    for kind, response in responses.items():
        template = response["ResponseTemplates"]["application/json"]
        body = json.loads(template.replace("$context.error.messageString", '"from API Gateway"'))
        assert body["kind"] == "Status" and body["apiVersion"] == "v1", kind
        assert body["status"] == "Failure" and body["metadata"] == {}, kind
        assert body["code"] == int(response["StatusCode"]) and body["reason"], kind
        assert body["message"], kind
    unknown = json.loads(responses["MISSING_AUTHENTICATION_TOKEN"]["ResponseTemplates"][
        "application/json"])
    assert (unknown["code"], unknown["reason"]) == (404, "NotFound")


def test_the_table_is_table_json_and_the_emulator_gets_the_same_definitions():
    table = json.loads((ROOT / "infra" / "table.json").read_text())["Resources"]
    merged = merge_template(ALL)["Resources"]
    assert merged["ImageStreamsTable"] == table["ImageStreamsTable"]
    emulated = emulated_template()["Resources"]
    assert set(emulated) == {"ImageStreamsTable", "TagEventsTopic", "StreamDeadLetterQueue",
                             "EventDeadLetterQueue"}
    assert all(emulated[name] == merged[name] for name in emulated)


def test_settings_are_merged_only_for_functions_the_app_declares():
    resources = merge_template(["app"])["Resources"]
    assert "APIHandlerLogs" in resources and "RestAPI" in resources
    assert "PublishTagChanges" not in resources and "ReimportScheduledTags" not in resources
    assert "RestAPI" not in merge_template(["publish_tag_changes"])["Resources"]


def test_the_stream_consumer_retries_halves_and_dead_letters_failing_batches():
    events = merge_template(ALL)["Resources"]["PublishTagChanges"]["Properties"]["Events"]
    source = events["PublishTagChangesDynamodbEventSource"]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["ImageStreamsTable", "StreamArn"]}
    assert source["BisectBatchOnFunctionError"] is True
    assert source["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]}


def _matches(pattern: dict, record: dict) -> bool:
    """An event filter pattern of nested fields, exact values and `prefix` matches, as Lambda
    applies it."""
    for name, wanted in pattern.items():
        if name not in record:
            return False
        value = record[name]
        if isinstance(wanted, dict):
            if not isinstance(value, dict) or not _matches(wanted, value):
                return False
        elif not any(value == rule if isinstance(rule, str) else
                     isinstance(value, str) and value.startswith(rule["prefix"])
                     for rule in wanted):
            return False
    return True


def test_the_stream_consumer_reports_partial_failures_and_gets_stream_tag_and_cleanup_items():
    events = merge_template(ALL)["Resources"]["PublishTagChanges"]["Properties"]["Events"]
    source = events["PublishTagChangesDynamodbEventSource"]["Properties"]
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    patterns = [json.loads(f["Pattern"]) for f in source["FilterCriteria"]["Filters"]]
    pk = items.stream_pk("shop", "web")

    def passes(key: dict, event: str = "MODIFY") -> bool:
        record = {"eventName": event, "dynamodb": {"Keys": key}}
        return any(_matches(pattern, record) for pattern in patterns)

    assert passes(items.key(pk, items.tag_sk("latest")))
    assert passes(items.key(pk, items.STREAM_SK))  # for the namespace's change log
    assert not passes(ledger_key("0f3c"))
    assert not passes({"PK": {"S": "CHANGES#shop"}, "SK": {"S": "#"}})
    assert not passes(items.key(items.image_pk("sha256:" + "a" * 64), items.STREAM_SK))
    # A delete's cleanup mark, written or rewritten, but not its removal when done.
    mark = items.key(items.cleanup_pk(pk), items.STREAM_CLEANUP_SK)
    assert passes(mark, "INSERT") and passes(mark, "MODIFY")
    assert not passes(mark, "REMOVE")


def test_policies_name_their_resources_and_say_why_when_they_cannot():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert config["autogen_policy"] is False
    files = {config["iam_policy_file"]} | {
        function["iam_policy_file"] for function in config["lambda_functions"].values()}
    for name in files:
        for statement in json.loads((ROOT / ".chalice" / name).read_text())["Statement"]:
            if statement["Resource"] == "*":
                assert statement["Sid"].endswith("HasNoResourceLevelPermission"), name
            assert not any(action.endswith("*") for action in statement["Action"]), name
