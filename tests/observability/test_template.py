"""What the deployment template sets for logs, traces, access logs and alarms (the merge
template of infra/; `make lint` checks the packaged and expanded template with cfn-lint,
tests/deploy deploys it)."""
from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelib.metrics import DIMENSION, METRICS, NAMESPACE
from infra.template import ACCESS_LOG_FIELDS, declared_handlers, merge_template
from tests.iam import deployment

ALARM = "AWS::CloudWatch::Alarm"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return merge_template(declared_handlers())


def functions() -> dict[str, str]:
    settings = json.loads((deployment.REPO / "infra" / "functions.json").read_text())
    return {handler: settings[handler]["LogicalId"] for handler in declared_handlers()}


def test_every_function_logs_json_at_the_log_level_parameter(template: dict[str, Any]) -> None:
    for handler, logical_id in functions().items():
        config = template["Resources"][logical_id]["Properties"]["LoggingConfig"]
        assert config == {"LogGroup": {"Ref": f"{logical_id}Logs"}, "LogFormat": "JSON",
                          "ApplicationLogLevel": {"Ref": "LogLevel"},
                          "SystemLogLevel": "WARN"}, handler
    parameter = template["Parameters"]["LogLevel"]
    # Above INFO, Lambda would drop the metric lines (no level: counted as INFO).
    assert parameter["Default"] == "INFO" and parameter["AllowedValues"] == ["DEBUG", "INFO"]
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["STACK_NAME"] == {"Ref": "AWS::StackName"}  # the metrics' dimension


def test_every_function_is_traced_and_may_send_its_traces() -> None:
    for handler in functions():
        assert deployment.traced(handler), f"{handler}: no `xray` in .chalice/config.json"
        for stage in deployment.stages():
            statements = deployment.raw_policy(deployment.policy_file(handler, stage))[
                "Statement"]
            assert any(s["Action"] == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
                       and s["Resource"] == "*" for s in statements), handler


def test_the_api_stage_is_traced_and_writes_a_json_access_log(template: dict[str, Any]) -> None:
    api = template["Resources"]["RestAPI"]
    properties = api["Properties"]
    assert properties["TracingEnabled"] is True
    # API Gateway's metrics name the API: one name per stack, for the 5XX alarm.
    assert properties["Name"] == {"Ref": "AWS::StackName"}
    setting = properties["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert template["Resources"]["ApiAccessLogs"]["Type"] == "AWS::Logs::LogGroup"
    # JSON once API Gateway fills its variables in (each quoted: an empty one is "-").
    line = re.sub(r"\$context\.[A-Za-z.]+", "-", setting["Format"])
    assert json.loads(line).keys() == ACCESS_LOG_FIELDS.keys()
    assert "requestId" in ACCESS_LOG_FIELDS and "functionRequestId" in ACCESS_LOG_FIELDS
    # Nothing of a request's headers, so never its Authorization header or token.
    assert not re.search(r"header|authorization|token", setting["Format"], re.IGNORECASE)
    # Access logs need the account's API Gateway logging role first.
    assert api["DependsOn"] == "ApiGatewayAccount"
    account = template["Resources"]["ApiGatewayAccount"]["Properties"]
    assert account["CloudWatchRoleArn"]["Fn::If"][0] == "MakeApiGatewayCloudWatchRole"


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: resource["Properties"] for name, resource in template["Resources"].items()
            if resource.get("Type") == ALARM}


def test_every_function_has_error_and_throttle_alarms(template: dict[str, Any]) -> None:
    found = alarms(template)
    for logical_id in functions().values():
        for metric in ("Errors", "Throttles"):
            alarm = found[f"{logical_id}{metric}Alarm"]
            assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", metric)
            assert alarm["Dimensions"] == [{"Name": "FunctionName",
                                            "Value": {"Ref": logical_id}}]


def test_every_dead_letter_queue_has_an_alarm(template: dict[str, Any]) -> None:
    queues = [name for name, resource in template["Resources"].items()
              if resource.get("Type") == "AWS::SQS::Queue" and name.endswith("DeadLetterQueue")]
    assert "StreamDeadLetterQueue" in queues
    found = alarms(template)
    for queue in queues:
        alarm = found[f"{queue}NotEmptyAlarm"]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue, "QueueName"]}


def test_the_stream_the_api_and_the_schedule_have_theirs(template: dict[str, Any]) -> None:
    found = alarms(template)
    age = found["PublishTagChangesIteratorAgeAlarm"]
    assert (age["MetricName"], age["Statistic"]) == ("IteratorAge", "Maximum")
    errors = found["ApiServerErrorsAlarm"]
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in errors["Metrics"]
             if "MetricStat" in m}
    assert names == {"5XXError", "Count"}
    assert all(m["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "ApiName", "Value": {"Ref": "AWS::StackName"}}]
        for m in errors["Metrics"] if "MetricStat" in m)
    schedule = found["ScheduledImportTimeLimitAlarm"]
    assert (schedule["Namespace"], schedule["MetricName"]) == (
        NAMESPACE, "ScheduledCycleStoppedForTime")
    assert schedule["Dimensions"] == [{"Name": DIMENSION, "Value": {"Ref": "AWS::StackName"}}]
    prune = found["ImagePruneRunFailedAlarm"]
    assert (prune["Namespace"], prune["MetricName"], prune["Statistic"], prune["Threshold"]) == (
        NAMESPACE, "PruneRunsFailed", "Sum", 1)
    assert prune["Dimensions"] == schedule["Dimensions"]


def test_every_alarm_notifies_the_optional_topic(template: dict[str, Any]) -> None:
    notify = {"Fn::If": ["AlarmsNotify", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    assert template["Parameters"]["AlarmTopicArn"]["Default"] == ""
    assert template["Conditions"]["AlarmsNotify"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}
    for name, alarm in alarms(template).items():
        assert alarm["AlarmActions"] == alarm["OKActions"] == notify, name
        assert alarm["TreatMissingData"] == "notBreaching", name
        if alarm.get("Namespace") == NAMESPACE:
            assert alarm["MetricName"] in METRICS, name  # a metric the code writes


def test_the_api_parts_come_with_the_api_only() -> None:
    resources = merge_template(["publish_tag_changes"])["Resources"]
    assert "ApiAccessLogs" not in resources and "ApiServerErrorsAlarm" not in resources
    assert "PublishTagChangesIteratorAgeAlarm" in resources
    assert "ImagePruneRunFailedAlarm" in resources  # the consumer takes the runs' steps
