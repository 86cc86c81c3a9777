"""Overload and failure protection in the template (infra/, .chalice/config.json): what the
deployment promises and cfn-lint cannot know. tests/deploy checks the same resources once
deployed, tests/iam the grants they need."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib import wiring
from chalicelib.api.watch import WATCH_SECONDS
from chalicelib.services.stream_write import LONGEST_PAUSE_SECONDS, RETRY_SECONDS
from infra.template import declared_handlers, merge_template

ROOT = Path(__file__).resolve().parents[2]
API_GATEWAY_SECONDS = 29  # API Gateway's integration timeout for a REST API


def template() -> dict[str, Any]:
    return merge_template(declared_handlers())


def function(name: str) -> dict[str, Any]:
    logical_id = json.loads((ROOT / "infra" / "functions.json").read_text())[name]["LogicalId"]
    return template()["Resources"][logical_id]["Properties"]


def test_the_api_function_stops_before_api_gateway_and_its_own_deadlines_fit() -> None:
    """A function still running when API Gateway has answered 504 goes on writing; so the
    API function's timeout is under 29 s, and what it waits for itself fits inside it."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage, settings in config["stages"].items():
        timeout = settings.get("lambda_functions", {}).get("api_handler", {}).get(
            "lambda_timeout", settings.get("lambda_timeout"))
        assert timeout < API_GATEWAY_SECONDS, stage
        # A watch waits at most WATCH_SECONDS, then reads what it answers (a second).
        assert WATCH_SECONDS + 2 <= timeout, stage
        # A write retries for RETRY_SECONDS after its first lost race, then pauses once
        # more before its last attempt: a few reads and one commit, well under 5 s.
        assert RETRY_SECONDS + LONGEST_PAUSE_SECONDS + 5 <= timeout, stage
        # One AWS call that gets no answer gives up after this (then the caller gets 503).
        one_call = (wiring.AWS_CONNECT_SECONDS + wiring.AWS_READ_SECONDS) \
            * wiring.AWS_ATTEMPTS + 1
        assert one_call * 1.5 <= timeout, stage


def test_the_stage_throttles_every_method_at_the_parameters_rate_and_burst() -> None:
    settings = template()["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    assert {"ResourcePath": "/*", "HttpMethod": "*",
            "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
            "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"}} in settings
    parameters = template()["Parameters"]
    assert parameters["ApiThrottlingBurstLimit"]["Default"] >= \
        parameters["ApiThrottlingRateLimit"]["Default"]


def test_the_stream_consumer_and_the_authorizer_keep_concurrency_unless_told_0() -> None:
    conditions = template()["Conditions"]
    for name, parameter in (("publish_tag_changes", "StreamConsumerReservedConcurrency"),
                            ("token_authorizer", "AuthorizerReservedConcurrency")):
        condition, reserved, none = function(name)["ReservedConcurrentExecutions"]["Fn::If"]
        assert reserved == {"Ref": parameter} and none == {"Ref": "AWS::NoValue"}
        assert conditions[condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter},
                                                                     "0"]}]}
        assert template()["Parameters"][parameter]["Default"] > 0
    # The API function shares what is left of the account's concurrency.
    assert "ReservedConcurrentExecutions" not in function("app")


def test_schedules_and_runtime_settings_are_stack_parameters() -> None:
    """A deploy changes them; rebuilding the package never does (app.py's values are
    placeholders the template replaces)."""
    parameters = template()["Parameters"]
    for name, parameter in (("reimport_scheduled_tags", "ImportScheduleMinutes"),
                            ("reconcile_ecr_pushes", "EcrReconcileMinutes")):
        [event] = function(name)["Events"].values()
        condition, every_minute, every_n = event["Properties"]["Schedule"]["Fn::If"]
        assert every_minute == "rate(1 minute)"  # "1 minutes" is refused by EventBridge
        assert every_n == {"Fn::Sub": f"rate(${{{parameter}}} minutes)"}
        assert template()["Conditions"][condition] == {"Fn::Equals": [{"Ref": parameter},
                                                                      "1"]}
        assert parameter in parameters
    variables = template()["Globals"]["Function"]["Environment"]["Variables"]
    # The scheduler's interval is the rule's rate.
    assert variables["IMPORT_SCHEDULE_MINUTES"] == {"Ref": "ImportScheduleMinutes"}
    for name in ("IMPORT_ALLOW_LIST", "IMPORT_RATE_PER_MINUTE", "IMPORT_HOST_CONCURRENCY",
                 "IMPORT_MAX_TAGS"):
        assert set(variables[name]) == {"Ref"} and variables[name]["Ref"] in parameters
    authorizer = template()["Resources"]["RestAPI"]["Properties"]["DefinitionBody"][
        "securityDefinitions"]["token_authorizer"]["x-amazon-apigateway-authorizer"]
    assert authorizer["authorizerResultTtlInSeconds"] == {"Ref": "AuthCacheSeconds"}


def test_the_webhook_secret_is_in_secrets_manager_and_only_the_api_knows_where() -> None:
    resources = template()["Resources"]
    assert resources["WebhookSharedSecret"]["Type"] == "AWS::SecretsManager::Secret"
    variables = template()["Globals"]["Function"]["Environment"]["Variables"]
    assert not [name for name in variables if "SECRET" in name and name != "SECRETS_PREFIX"]
    for name in json.loads((ROOT / "infra" / "functions.json").read_text()):
        own = function(name).get("Environment", {}).get("Variables", {})
        assert ("REGISTRY_WEBHOOK_SECRET_ARN" in own) is (name == "app"), name
    assert function("app")["Environment"]["Variables"]["REGISTRY_WEBHOOK_SECRET_ARN"] == {
        "Ref": "WebhookSharedSecret"}
    assert template()["Parameters"]["RegistryWebhookSecret"]["NoEcho"] is True


def test_the_topic_is_encrypted_with_the_aws_managed_sns_key() -> None:
    topic = template()["Resources"]["TagEventsTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == "alias/aws/sns"


def test_functions_run_on_arm64() -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert config["lambda_architecture"] == "arm64"
    assert not any("lambda_architecture" in stage for stage in config["stages"].values())
