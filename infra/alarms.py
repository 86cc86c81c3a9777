"""The stack's CloudWatch alarms, made for the resources the merged template holds.

Each alarm notifies the optional AlarmTopicArn parameter when it goes off and when it
clears (no action when the parameter is empty: the `AlarmsNotify` condition). What each
one means and what to do about it: docs/operations.md, "Alarms".

- every dead-letter queue (an SQS queue whose logical id ends in `DeadLetterQueue`): not
  empty;
- every function: errors, throttles;
- the table-stream consumer (PublishTagChanges): its iterator age, how far behind it reads;
- the API: the share of 5XX answers;
- the scheduled re-import: cycles ending with work left for lack of time, from the
  `ScheduledCycleStoppedForTime` metric it writes (chalicelib/metrics.py);
- image prune runs that failed, from the consumer's `PruneRunsFailed` metric.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.metrics import DIMENSION, NAMESPACE

ITERATOR_AGE_MS = 5 * 60 * 1000  # the consumer reads records this old: it is stuck or failing
API_5XX_PERCENT = 5  # of the API's answers, with...
API_MIN_REQUESTS = 20  # ...at least this many requests in the period (a few do not count)
PERIOD = 300
SCHEDULE_PERIOD = 900  # the schedule's default interval; three such periods in a row alarm
DEAD_LETTERS = "DeadLetterQueue"


def _actions() -> dict[str, Any]:
    notify = {"Fn::If": ["AlarmsNotify", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    return {"ActionsEnabled": True, "AlarmActions": notify, "OKActions": notify}


def _alarm(description: str, **properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": description, "TreatMissingData": "notBreaching",
        **_actions(), **properties}}


def _metric_alarm(description: str, namespace: str, metric: str,
                  dimensions: list[dict[str, Any]], statistic: str, threshold: float,
                  period: int = PERIOD, periods: int = 1,
                  comparison: str = "GreaterThanOrEqualToThreshold") -> dict[str, Any]:
    return _alarm(description, Namespace=namespace, MetricName=metric, Dimensions=dimensions,
                  Statistic=statistic, Period=period, EvaluationPeriods=periods,
                  DatapointsToAlarm=periods, Threshold=threshold, ComparisonOperator=comparison)


def function_alarms(logical_id: str) -> dict[str, Any]:
    """Errors and throttles of one function (its logical id in the template)."""
    function = [{"Name": "FunctionName", "Value": {"Ref": logical_id}}]
    return {
        f"{logical_id}ErrorsAlarm": _metric_alarm(
            f"{logical_id}: invocations failed (an exception, a timeout or running out of "
            "memory) in the last 5 minutes; docs/operations.md", "AWS/Lambda", "Errors",
            function, "Sum", 1),
        f"{logical_id}ThrottlesAlarm": _metric_alarm(
            f"{logical_id}: invocations were throttled (no concurrency left) in the last 5 "
            "minutes; docs/operations.md", "AWS/Lambda", "Throttles", function, "Sum", 1),
    }


def dead_letter_alarm(logical_id: str) -> dict[str, Any]:
    return _metric_alarm(
        f"{logical_id} holds messages: work that failed every retry is waiting there; "
        "docs/operations.md", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
        [{"Name": "QueueName", "Value": {"Fn::GetAtt": [logical_id, "QueueName"]}}],
        "Maximum", 1)


def iterator_age_alarm(logical_id: str) -> dict[str, Any]:
    return _metric_alarm(
        f"{logical_id} reads table changes over {ITERATOR_AGE_MS // 60000} minutes old: tag "
        "changes reach subscribers and watches late; docs/operations.md", "AWS/Lambda",
        "IteratorAge", [{"Name": "FunctionName", "Value": {"Ref": logical_id}}], "Maximum",
        ITERATOR_AGE_MS, periods=2, comparison="GreaterThanThreshold")


def api_5xx_alarm() -> dict[str, Any]:
    """The share of 5XX answers, once the period has enough requests to tell."""
    api = [{"Name": "ApiName", "Value": {"Ref": "AWS::StackName"}}]

    def metric(key: str, name: str) -> dict[str, Any]:
        return {"Id": key, "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "AWS/ApiGateway", "MetricName": name, "Dimensions": api},
            "Period": PERIOD, "Stat": "Sum"}}

    return _alarm(
        f"over {API_5XX_PERCENT}% of the API's answers were 5XX (with at least "
        f"{API_MIN_REQUESTS} requests) in two 5-minute periods in a row; docs/operations.md",
        EvaluationPeriods=2, DatapointsToAlarm=2, Threshold=API_5XX_PERCENT,
        ComparisonOperator="GreaterThanThreshold", Metrics=[
            metric("errors", "5XXError"), metric("requests", "Count"),
            {"Id": "share", "ReturnData": True, "Label": "5XX answers (%)",
             "Expression": f"IF(requests >= {API_MIN_REQUESTS}, 100 * errors / requests, 0)"}])


def schedule_time_alarm() -> dict[str, Any]:
    return _metric_alarm(
        "the scheduled re-import ran out of time in each of the last three 15-minute periods: "
        "tags fall behind their interval; docs/operations.md", NAMESPACE,
        "ScheduledCycleStoppedForTime",
        [{"Name": DIMENSION, "Value": {"Ref": "AWS::StackName"}}], "Maximum", 1,
        period=SCHEDULE_PERIOD, periods=3)


def prune_failure_alarm() -> dict[str, Any]:
    return _metric_alarm(
        "an image prune run failed in the last 5 minutes (a scheduled one too): its status "
        "message says why; docs/operations.md", NAMESPACE, "PruneRunsFailed",
        [{"Name": DIMENSION, "Value": {"Ref": "AWS::StackName"}}], "Sum", 1)


def alarms(resources: dict[str, Any], functions: Iterable[str], api: bool) -> dict[str, Any]:
    """The alarms of the template's `resources`: `functions` are the logical ids of its
    functions, `api` whether it serves the API."""
    found: dict[str, Any] = {}
    for logical_id, resource in sorted(resources.items()):
        if resource.get("Type") == "AWS::SQS::Queue" and logical_id.endswith(DEAD_LETTERS):
            found[f"{logical_id}NotEmptyAlarm"] = dead_letter_alarm(logical_id)
    for logical_id in functions:
        condition = resources.get(logical_id, {}).get("Condition")
        for name, alarm in function_alarms(logical_id).items():
            # a function that exists only under a condition has its alarms only then too
            found[name] = {"Condition": condition, **alarm} if condition else alarm
        if logical_id == "PublishTagChanges":
            found["PublishTagChangesIteratorAgeAlarm"] = iterator_age_alarm(logical_id)
            found["ImagePruneRunFailedAlarm"] = prune_failure_alarm()
        if logical_id == "ReimportScheduledTags":
            found["ScheduledImportTimeLimitAlarm"] = schedule_time_alarm()
    if api:
        found["ApiServerErrorsAlarm"] = api_5xx_alarm()
    return found
