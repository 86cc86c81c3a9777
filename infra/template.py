"""The template `chalice package --merge-template` merges into Chalice's output.

infra/ holds it in pieces: `table.json` (the table, also read by the tests and the local
stack), `service.json` (topic, dead-letter queue, parameters, environment of every
function), `functions.json` (settings per Chalice handler, keyed by handler name) and
`gateway_responses.json` (API Gateway's own errors as Kubernetes Status bodies),
`api.json` (the REST API stage's throttling), `pruning.json` (the optional pruning
schedule's parameters and condition) and `observability.json` (log level and alarm
parameters, the API's access logs, X-Ray and API Gateway's logging role); `alarms.py`
makes the alarms for what the merge holds.

Chalice's merge adds to resources by logical id: merging settings for a function the app
does not declare would leave a resource with no Type. So per-function settings are added
only for the handlers `app.py` declares (the scheduled re-import, say, before it exists).

    python -m infra.template OUT.json     # writes the merge template
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from infra.alarms import alarms

INFRA = Path(__file__).resolve().parent
API_HANDLER = "app"  # the name Chalice gives the function serving every route
PRUNE_HANDLER = "prune_images"  # the pruning schedule's; its parameters are in pruning.json
AUTHORIZERS = {"token_authorizer"}  # app.py's authorizers, by Chalice handler name
STATUS_BODY = ('{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
               '"reason":"%s","message":%s,"code":%d}')
# The API's access log: one JSON object a request. API Gateway's variables hold no header,
# so no Authorization header or token can reach it. `functionRequestId` is the Lambda
# invocation's request id, the `requestId` of the API function's log lines.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId", "extendedRequestId": "$context.extendedRequestId",
    "functionRequestId": "$context.integration.requestId",
    "xrayTraceId": "$context.xrayTraceId", "requestTime": "$context.requestTimeEpoch",
    "sourceIp": "$context.identity.sourceIp", "userAgent": "$context.identity.userAgent",
    "caller": "$context.authorizer.principalId", "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath", "path": "$context.path",
    "protocol": "$context.protocol", "status": "$context.status",
    "responseLength": "$context.responseLength", "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integration.latency",
    "integrationStatus": "$context.integration.status",
    "errorType": "$context.error.responseType", "authorizerError": "$context.authorizer.error"}


def _load(name: str) -> dict[str, Any]:
    return json.loads((INFRA / name).read_text(encoding="utf-8"))


def declared_handlers() -> list[str]:
    """The Lambda functions app.py declares, by Chalice handler name."""
    if str(INFRA.parent) not in sys.path:
        sys.path.insert(0, str(INFRA.parent))
    from app import app  # the app itself says which functions exist

    authorizers = sorted({entry.authorizer.name for methods in app.routes.values()
                          for entry in methods.values() if entry.authorizer is not None})
    return (([API_HANDLER] if app.routes else []) + authorizers
            + [source.name for source in app.event_sources])


def gateway_responses() -> dict[str, Any]:
    """API Gateway answers some requests itself (unknown methods, paths deeper than the
    catch-all routes, throttling, bodies over its limit); they get the Status shape too.

    Every response type is listed with its status, so the two defaults only catch types
    API Gateway may add later; they set a status so the body's `code` always matches it.
    """
    responses = {}
    for kind, (code, reason, message) in _load("gateway_responses.json").items():
        text = json.dumps(message) if message else "$context.error.messageString"
        responses[kind] = {"StatusCode": str(code),
                           "ResponseTemplates": {"application/json": STATUS_BODY % (
                               reason, text, code)}}
    return responses


def _function_settings(handler: str, settings: dict[str, Any]) -> dict[str, Any]:
    """A function's own log group (its role may write there and nowhere else) and settings.
    A function with a `Condition` (the pruning schedule's) exists only under it, and so do
    its log group and the role Chalice makes for it (`<LogicalId>Role`); SAM gives the
    condition to the rule and permission it makes for the function's events."""
    logical_id = settings["LogicalId"]
    log_group: dict[str, Any] = {"Type": "AWS::Logs::LogGroup", "Properties": {
        "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}/{handler}"},
        "RetentionInDays": {"Ref": "LogRetentionDays"}}}
    # JSON lines at the LogLevel parameter's level (chalicelib/logs.py); Lambda's own lines
    # (START, END, REPORT) only from WARN: its metrics say the same for less.
    logging_config = {"LogGroup": {"Ref": f"{logical_id}Logs"}, "LogFormat": "JSON",
                      "ApplicationLogLevel": {"Ref": "LogLevel"}, "SystemLogLevel": "WARN"}
    properties = {"LoggingConfig": logging_config, **settings.get("Properties", {})}
    function: dict[str, Any] = {"Properties": properties}
    merged = {f"{logical_id}Logs": log_group, logical_id: function}
    if "Condition" in settings:
        for resource in (log_group, function):
            resource["Condition"] = settings["Condition"]
        merged[f"{logical_id}Role"] = {"Condition": settings["Condition"]}
    return merged


def api_observability() -> dict[str, Any]:
    """The API stage's X-Ray tracing and access log. The API is named after the stack, as
    API Gateway's metrics name it (the 5XX alarm's ApiName); and it is made once the
    account's logging role is set, which the access log needs."""
    return {"DependsOn": "ApiGatewayAccount", "Properties": {
        "Name": {"Ref": "AWS::StackName"}, "TracingEnabled": True,
        "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]},
                             "Format": json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))}}}


def _merge_observability(template: dict[str, Any], api: bool) -> None:
    """observability.json's parameters, conditions and environment; its resources (the
    API's access log and logging role) only with the API."""
    extra = _load("observability.json")
    template["Parameters"].update(extra["Parameters"])
    template["Conditions"].update(extra["Conditions"])
    template["Globals"]["Function"]["Environment"]["Variables"].update(
        extra["Globals"]["Function"]["Environment"]["Variables"])
    if api:
        template["Resources"].update(extra["Resources"])


def _authorizer_cache(authorizers: Iterable[str]) -> dict[str, Any]:
    """How long API Gateway caches each authorizer's answer: the AuthCacheSeconds parameter,
    over the TTL app.py gave Chalice (merged into the OpenAPI body Chalice writes)."""
    return {"securityDefinitions": {name: {"x-amazon-apigateway-authorizer": {
        "authorizerResultTtlInSeconds": {"Ref": "AuthCacheSeconds"}}} for name in authorizers}}


def _if_exists(settings: dict[str, Any], value: Any) -> Any:
    """`value`, which names a resource of the function: left out when the function's
    condition leaves the function out."""
    if "Condition" not in settings:
        return value
    return {"Fn::If": [settings["Condition"], value, {"Ref": "AWS::NoValue"}]}


def _event_dead_letters(settings_of: dict[str, Any]) -> dict[str, Any]:
    """EventDeadLetterQueue's policy: EventBridge may send to it for the stack's own rules
    only, those of the events functions.json gives a DeadLetterConfig. SAM names an event's
    rule `<function logical id><event name>`."""
    rules = [_if_exists(settings, {"Fn::GetAtt": [f"{settings['LogicalId']}{event}", "Arn"]})
             for settings in settings_of.values()
             for event, source in settings.get("Properties", {}).get("Events", {}).items()
             if "DeadLetterConfig" in source.get("Properties", {})]
    return {"Type": "AWS::SQS::QueuePolicy", "Properties": {
        "Queues": [{"Ref": "EventDeadLetterQueue"}],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "TheStacksRulesSendUndeliveredEvents", "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["EventDeadLetterQueue", "Arn"]},
            "Condition": {"ArnEquals": {"aws:SourceArn": rules}}}]}}}


def _api_settings(declared: set[str]) -> dict[str, Any]:
    """The REST API's properties: api.json's, API Gateway's own errors as Status bodies,
    and the authorizers' cache time."""
    api = _load("api.json")
    api["Properties"]["GatewayResponses"] = gateway_responses()
    authorizers = sorted(declared & AUTHORIZERS)
    if authorizers:
        api["Properties"]["DefinitionBody"] = _authorizer_cache(authorizers)
    return api


def merge_template(handlers: Iterable[str]) -> dict[str, Any]:
    template = _load("service.json")
    resources = template["Resources"]
    resources.update(_load("table.json")["Resources"])
    declared = set(handlers)
    functions = []
    for handler, settings in _load("functions.json").items():
        if handler in declared:
            resources.update(_function_settings(handler, settings))
            functions.append(settings["LogicalId"])
    if any("DeadLetterConfig" in source.get("Properties", {})
           for handler, settings in _load("functions.json").items() if handler in declared
           for source in settings.get("Properties", {}).get("Events", {}).values()):
        resources["EventDeadLetterQueuePolicy"] = _event_dead_letters(
            {handler: settings for handler, settings in _load("functions.json").items()
             if handler in declared})
    if API_HANDLER in declared:
        resources["RestAPI"] = _api_settings(declared)
        api = api_observability()
        resources["RestAPI"]["DependsOn"] = api["DependsOn"]
        resources["RestAPI"]["Properties"].update(api["Properties"])
    _merge_observability(template, API_HANDLER in declared)
    if PRUNE_HANDLER in declared:
        pruning = _load("pruning.json")
        template["Parameters"].update(pruning["Parameters"])
        template["Conditions"].update(pruning["Conditions"])
    resources.update(alarms(resources, functions, API_HANDLER in declared))
    return template


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m infra.template OUT.json", file=sys.stderr)
        return 2
    text = json.dumps(merge_template(declared_handlers()), indent=1, sort_keys=True)
    Path(argv[0]).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
