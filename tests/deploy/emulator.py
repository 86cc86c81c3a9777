"""The AWS emulator `make deploy` is tested against: moto server, in this process, so the
test can say (and adjust) what its CloudFormation does.

The template is deployed as is. What moto 5.2 cannot create or does not apply is named
here with the reason; the test checks everything else on the resources themselves:

- NOT_EMULATED: resource types the emulator's CloudFormation leaves out (moto skips types
  it has no model for, with a warning, and creates the rest).
- NOT_UPDATED: types whose resources a stack update drops from the stack's list.
- SETTINGS_NOT_APPLIED: properties moto's models accept and ignore; checked in the template
  CloudFormation was given instead.

Changes to moto, all undone when the emulator stops:

- the API Gateway types of NOT_EMULATED are made unsupported, so moto skips them as it
  skips the types it never knew, instead of failing the stack;
- a stack created from a change set (what `aws cloudformation deploy` does) gets its
  outputs: moto builds a stack's outputs when it is created or updated directly, not when
  a change set is executed, so `describe-stacks` showed none;
- no function code runs: moto would run the stream consumer in Docker for each write to the
  table (the first admin's items), which this test does not look at, and which would pull
  an image where Docker is installed;
- AWS::SecretsManager::Secret, which moto's CloudFormation has no model of, is created
  through moto's own Secrets Manager (`EmulatedSecret`): the API function's environment
  and role name the webhook secret, and the test checks them against the real thing;
- a stack update leaves out a resource whose Condition is false, as a creation does (the
  pruning schedule's, without PruneSchedule): moto 5.2 updates such a resource like any
  other and fails on its reference to another one the condition left out;
- a resource whose DeletionPolicy is RetainExceptOnCreate is kept when the stack is
  deleted, as AWS keeps it once the stack's creation has succeeded (it deletes it only
  when the creation that made it fails). moto 5.2 keeps only `Retain` ones: it would try
  to delete the table, which its deletion protection refuses, and fail the deletion.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from moto.awslambda.models import LambdaBackend
from moto.cloudformation import parsing
from moto.cloudformation.models import CloudFormationBackend
from moto.secretsmanager.models import secretsmanager_backends
from moto.server import ThreadedMotoServer

ACCOUNT, REGION = "123456789012", "us-east-1"  # moto's account; the region the test picks

NOT_EMULATED = {
    "AWS::ApiGateway::RestApi":
        "moto builds a REST API from its Name only, not from an OpenAPI Body (and its "
        "ImportRestApi refuses Swagger 2.0, which Chalice writes), so the API would have no "
        "methods and its Deployment would fail the stack",
    "AWS::ApiGateway::Deployment": "needs the REST API's methods (AWS::ApiGateway::RestApi)",
    "AWS::SQS::QueuePolicy": "moto has no CloudFormation model for it",
    "AWS::ApiGateway::Stage": "moto has no CloudFormation model for it (so neither its "
        "X-Ray tracing nor its access log setting is checked on the emulator)",
    "AWS::ApiGateway::Account": "moto has no CloudFormation model for it",
    "AWS::CloudWatch::Alarm": "moto's CloudWatch has no CloudFormation model for alarms "
        "(tests/observability/test_template.py checks them in the template)",
}

# Types moto creates but cannot update (no update_from_cloudformation_json): a stack update
# that touches one (the second deploy: every parameter counts as changed) leaves it as it
# was, with its settings, but drops it from the stack's resources. Found by name instead.
NOT_UPDATED = {
    "AWS::Logs::LogGroup": "moto's LogGroup model has no update",
}

# (resource type, property): why moto does not apply it.
SETTINGS_NOT_APPLIED = {
    ("AWS::DynamoDB::Table", "PointInTimeRecoverySpecification"):
        "moto's Table.create_from_cloudformation_json ignores it (PITR stays DISABLED)",
    ("AWS::DynamoDB::Table", "TimeToLiveSpecification"):
        "moto's Table.create_from_cloudformation_json ignores it (TTL stays DISABLED)",
    ("AWS::DynamoDB::Table", "SSESpecification"):
        "moto reads SSESpecification.Enabled (the API's name), not SSEEnabled (the "
        "template's), so DescribeTable shows no SSEDescription",
    ("AWS::Lambda::Function", "LoggingConfig"):
        "moto's LambdaFunction keeps no logging configuration",
    ("AWS::Lambda::Function", "TracingConfig"):
        "moto's LambdaFunction.create_from_cloudformation_json leaves it PassThrough",
    ("AWS::Lambda::Function", "Architectures"):
        "moto's LambdaFunction.create_from_cloudformation_json passes no Architectures on "
        "(GetFunctionConfiguration answers x86_64)",
}


@contextmanager
def emulator() -> Iterator[str]:
    """moto server on a free port of 127.0.0.1; yields its URL.

    The URL names `localhost`: moto's CloudFormation finds a template uploaded to its own
    S3 (`aws cloudformation deploy --s3-bucket`) only under a URL with that host name.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parsing, "NULL_MODELS", [*parsing.NULL_MODELS, *(
            kind for kind in NOT_EMULATED if kind in parsing.get_model_map())])
        patch.setattr(CloudFormationBackend, "execute_change_set",
                      _with_outputs(CloudFormationBackend.execute_change_set))
        patch.setattr(LambdaBackend, "send_dynamodb_items", _not_invoked)
        models = parsing.get_model_map()
        patch.setattr(parsing, "get_model_map", lambda: {
            **models, "AWS::SecretsManager::Secret": EmulatedSecret})
        patch.setattr(parsing, "parse_and_update_resource",
                      _honouring_conditions(parsing.parse_and_update_resource))
        patch.setattr(parsing.ResourceMap, "delete",
                      _keeping_retained_resources(parsing.ResourceMap.delete))
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        url = f"http://localhost:{server.get_host_and_port()[1]}"
        # Backends live in this process: start empty, and leave nothing to later tests.
        requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
        try:
            yield url
        finally:
            requests.post(f"{url}/moto-api/reset", timeout=10)
            server.stop()


def _not_invoked(backend: LambdaBackend, function_arn: str, items: list[Any],
                 source: str) -> str:
    return ""  # nothing invoked: moto keeps the records in the shard


class EmulatedSecret:
    """AWS::SecretsManager::Secret for moto's CloudFormation: the secret made in moto's
    Secrets Manager, with SecretString or a value GenerateSecretString describes; its
    physical id (and Ref) is the secret's ARN, as CloudFormation's."""

    def __init__(self, arn: str):
        self.physical_resource_id = arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str, **_: Any) -> EmulatedSecret:
        backend = secretsmanager_backends[account_id][region_name]
        properties = cloudformation_json.get("Properties", {})
        value = properties.get("SecretString")
        if value is None:
            spec = properties.get("GenerateSecretString", {})
            value = json.loads(backend.get_random_password(
                password_length=int(spec.get("PasswordLength", 32)),
                exclude_characters=spec.get("ExcludeCharacters", ""),
                exclude_numbers=bool(spec.get("ExcludeNumbers", False)),
                exclude_punctuation=bool(spec.get("ExcludePunctuation", False)),
                exclude_uppercase=bool(spec.get("ExcludeUppercase", False)),
                exclude_lowercase=bool(spec.get("ExcludeLowercase", False)),
                include_space=bool(spec.get("IncludeSpace", False)),
                require_each_included_type=bool(spec.get("RequireEachIncludedType", True)),
            ))["RandomPassword"]
        created = json.loads(backend.create_secret(
            name=properties.get("Name", resource_name), secret_string=value,
            secret_binary=None, description=properties.get("Description"),
            tags=properties.get("Tags"), kms_key_id=properties.get("KmsKeyId"),
            client_request_token=None, replica_regions=[], force_overwrite=False))
        return cls(created["ARN"])

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: EmulatedSecret,
                                        **_: Any) -> EmulatedSecret:
        return original_resource  # the secret keeps its value, as a generated one does

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any,
                                        account_id: str, region_name: str) -> None:
        secretsmanager_backends[account_id][region_name].delete_secret(
            secret_id=resource_name, recovery_window_in_days=None,
            force_delete_without_recovery=True)


def _honouring_conditions(update: Any) -> Any:
    def update_if_made(logical_id: str, resource_json: dict[str, Any],
                       resources_map: parsing.ResourceMap, account_id: str,
                       region_name: str) -> Any:
        condition = resource_json.get("Condition")
        if condition and not resources_map.lazy_condition_map[condition]:
            return None  # what parse_and_create_resource answers for it
        return update(logical_id, resource_json, resources_map, account_id, region_name)
    return update_if_made


def _keeping_retained_resources(delete: Any) -> Any:
    def delete_keeping(resources: parsing.ResourceMap) -> None:
        for resource in resources._resource_json_map.values():
            if resource.get("DeletionPolicy") == "RetainExceptOnCreate":
                resource["DeletionPolicy"] = "Retain"
        delete(resources)
    return delete_keeping


def _with_outputs(execute: Any) -> Any:
    def execute_change_set(backend: CloudFormationBackend, change_set_name: str,
                           stack_name: str | None = None) -> None:
        change_set = backend.change_sets.get(change_set_name) or next(
            found for found in backend.change_sets.values()
            if found.change_set_name == change_set_name)
        execute(backend, change_set_name, stack_name)
        stack = backend.stacks[change_set.stack_id]
        # As moto's Stack.update does: the executed template, then its outputs.
        stack._parse_template()
        stack.output_map = stack._create_output_map()
    return execute_change_set
