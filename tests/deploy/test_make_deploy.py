"""`make deploy` and `make destroy`, exactly as docs/deploy.md runs them, against the AWS
emulator (tests/deploy/emulator.py) given as AWS_ENDPOINT_URL.

The first deploy passes parameters and prints the first admin's token; the second passes
none, keeps the parameters and makes no token. Then every resource of the template
CloudFormation was given (build/deploy/<stack>/cloudformation.json) is looked up in the
emulator and compared with what the template says, its intrinsic functions worked out from
the stack's parameters and resources (tests/deploy/template_values.py). What the emulator
does not create or apply is named in emulator.py and checked in the template instead.
`make destroy` runs last.

`make deploy` packages first (make package): the Lambda-Python venv and the wheelhouse of
an earlier `make package` (make test runs it before pytest) are reused.
"""
from __future__ import annotations

import ast
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.adapters.dynamodb_publish_ledger import EXPIRES_AT
from chalicelib.first_admin import table_access
from tests.deploy.emulator import (
    ACCOUNT,
    NOT_EMULATED,
    NOT_UPDATED,
    REGION,
    SETTINGS_NOT_APPLIED,
    emulator,
)
from tests.deploy.template_values import TemplateValues, references

ROOT = Path(__file__).resolve().parents[2]
STACK = f"deploy-test-{os.getpid()}"  # its own build/deploy/<stack> beside another run's
BUCKET = "imagestreams-deploy-test-artifacts"
# Passed on the first deploy only: the second must keep them.
PARAMETERS = {"LogRetentionDays": "14", "StreamMaximumRetryAttempts": "3",
              "ImportScheduleMinutes": "5", "AuthorizerReservedConcurrency": "0"}
TOKEN_LINE = re.compile(r"^isk_[A-Za-z0-9_-]+$", re.MULTILINE)
MAKE_SECONDS = 600
# A function's settings compared as GetFunctionConfiguration answers them.
FUNCTION_SETTINGS = ("Handler", "Runtime", "Timeout", "MemorySize", "Role", "Architectures",
                     "TracingConfig")

# moto warns of each type it skips; the test names them (NOT_EMULATED) and fails on others.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS:UserWarning")


@dataclass
class Deployment:
    url: str
    env: dict[str, str]
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    template: dict[str, Any]
    # Of the resources the emulator's stack lists (and NOT_UPDATED ones, found by name).
    physical_ids: dict[str, str] = field(default_factory=dict)
    values: TemplateValues = field(init=False)

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        """The template's resources of `kind` that the stack holds (see `exists`)."""
        return {logical_id: resource for logical_id, resource
                in self.template["Resources"].items()
                if resource["Type"] == kind and self.exists(resource)}

    def exists(self, resource: dict[str, Any]) -> bool:
        """Whether the stack holds the resource: one under a `Condition` only when the
        condition holds for the stack's parameters (the pruning schedule's, off here)."""
        return "Condition" not in resource or self.values.condition(resource["Condition"])

    def properties(self, logical_id: str) -> dict[str, Any]:
        return self.template["Resources"][logical_id].get("Properties", {})

    def stack(self) -> dict[str, Any]:
        return self.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]


def make(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["make", *arguments], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=MAKE_SECONDS)
    assert done.returncode == 0, (f"make {' '.join(arguments)} failed:\n{done.stdout[-5000:]}"
                                  f"\n{done.stderr[-5000:]}")
    return done


def deploy_environment(url: str, home: Path) -> dict[str, str]:
    """This environment without AWS settings or make's own, then the emulator's: nothing a
    developer has configured can send the deploy to a real account."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("AWS_", "MAKE", "MFLAGS"))}
    return {**env, "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": REGION,
            "AWS_CONFIG_FILE": str(home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials")}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with emulator() as url:
        env = deploy_environment(url, tmp_path_factory.mktemp("aws"))
        boto3.client("s3", endpoint_url=url, region_name=REGION, aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=BUCKET)
        parameters = " ".join(f"{key}={value}" for key, value in PARAMETERS.items())
        first = make(env, "deploy", f"STACK={STACK}", f"BUCKET={BUCKET}",
                     f"PARAMETERS={parameters}")
        second = make(env, "deploy", f"STACK={STACK}", f"BUCKET={BUCKET}")
        template = json.loads((ROOT / "build" / "deploy" / STACK / "cloudformation.json")
                              .read_text(encoding="utf-8"))
        try:
            yield _deployment(url, env, first, second, template)
        finally:
            shutil.rmtree(ROOT / "build" / "deploy" / STACK, ignore_errors=True)


def _deployment(url: str, env: dict[str, str], first: subprocess.CompletedProcess[str],
                second: subprocess.CompletedProcess[str],
                template: dict[str, Any]) -> Deployment:
    deployment = Deployment(url, env, first, second, template)
    cloudformation = deployment.client("cloudformation")
    deployment.physical_ids = {
        resource["LogicalResourceId"]: resource.get("PhysicalResourceId")
        for resource in cloudformation.describe_stack_resources(StackName=STACK)[
            "StackResources"] if "LogicalResourceId" in resource}
    stack = deployment.stack()
    deployment.values = TemplateValues(
        template=template,
        parameters={p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]},
        physical_ids=deployment.physical_ids,
        pseudo={"AWS::StackName": STACK, "AWS::AccountId": ACCOUNT, "AWS::Region": REGION,
                "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"},
        attribute=lambda logical_id, name: _attribute(deployment, logical_id, name))
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in NOT_UPDATED and logical_id not in deployment.physical_ids \
                and deployment.exists(resource):
            deployment.physical_ids[logical_id] = _found_by_name(deployment, logical_id)
    return deployment


def _found_by_name(deployment: Deployment, logical_id: str) -> str:
    """The physical id of a resource the emulator's stack dropped (NOT_UPDATED)."""
    resource = deployment.template["Resources"][logical_id]
    assert resource["Type"] == "AWS::Logs::LogGroup", f"no lookup by name for {resource}"
    name = deployment.values.value(resource["Properties"]["LogGroupName"])
    assert _log_group(deployment, name), f"{logical_id}: no log group {name}"
    return name


def _log_group(deployment: Deployment, name: str) -> dict[str, Any]:
    groups = deployment.client("logs").describe_log_groups(logGroupNamePrefix=name)
    return next((group for group in groups["logGroups"] if group["logGroupName"] == name), {})


def _attribute(deployment: Deployment, logical_id: str, name: str) -> Any:
    """Fn::GetAtt as the emulator's resources answer it."""
    kind = deployment.template["Resources"][logical_id]["Type"]
    physical = deployment.physical_ids[logical_id]
    if kind == "AWS::DynamoDB::Table":
        table = deployment.client("dynamodb").describe_table(TableName=physical)["Table"]
        return {"Arn": table["TableArn"], "StreamArn": table["LatestStreamArn"]}[name]
    if kind == "AWS::SQS::Queue" and name == "Arn":
        return _queue_attributes(deployment, physical)["QueueArn"]
    if kind == "AWS::SNS::Topic" and name == "TopicArn":
        return physical
    if kind == "AWS::Lambda::Function" and name == "Arn":
        return deployment.client("lambda").get_function_configuration(
            FunctionName=physical)["FunctionArn"]
    if kind == "AWS::IAM::Role" and name == "Arn":
        return deployment.client("iam").get_role(RoleName=physical)["Role"]["Arn"]
    if kind == "AWS::Events::Rule" and name == "Arn":
        return deployment.client("events").describe_rule(Name=physical)["Arn"]
    if kind == "AWS::Logs::LogGroup" and name == "Arn":
        # CloudFormation's ends in ":*", as DescribeLogGroups' does; moto's CloudFormation
        # leaves it off, and the role policies it made hold its value.
        return _log_group(deployment, physical)["arn"].removesuffix(":*")
    raise NotImplementedError(f"the deploy test does not resolve {kind} {name}")


def _queue_attributes(deployment: Deployment, physical: str) -> dict[str, str]:
    sqs = deployment.client("sqs")
    # The stack names a queue by its AWS URL; the emulator's own URL is asked for by name.
    url = sqs.get_queue_url(QueueName=physical.rsplit("/", 1)[1])["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def _policy_document(document: Any) -> Any:
    """moto keeps a role's inline policy from a template as the dict itself and answers
    GetRolePolicy with Python's text of it, not JSON."""
    if isinstance(document, str):
        return ast.literal_eval(document)
    return document


def not_emulated_ids(deployment: Deployment) -> set[str]:
    return {logical_id for logical_id, resource in deployment.template["Resources"].items()
            if resource["Type"] in NOT_EMULATED}


def test_first_deploy_prints_the_first_admin_token_and_the_api_url(
        deployment: Deployment) -> None:
    tokens = TOKEN_LINE.findall(deployment.first.stdout)
    assert len(tokens) == 1, deployment.first.stdout[-3000:]
    endpoint = next(output["OutputValue"] for output in deployment.stack()["Outputs"]
                    if output["OutputKey"] == "EndpointURL")
    assert f"\nAPI: {endpoint}\n" in deployment.first.stdout
    table = deployment.physical_ids["ImageStreamsTable"]
    access = table_access(deployment.client("dynamodb"), table)
    assert access.authenticate(tokens[0]) == "admin"
    assert access.may("admin", None, "imagestreams", "list")


def test_a_second_deploy_makes_no_other_admin_token(deployment: Deployment) -> None:
    assert not TOKEN_LINE.findall(deployment.second.stdout)
    assert "made by an earlier deploy" in deployment.second.stderr
    table = deployment.physical_ids["ImageStreamsTable"]
    assert len(table_access(deployment.client("dynamodb"), table).list_tokens(None)) == 1
    endpoint = next(output["OutputValue"] for output in deployment.stack()["Outputs"]
                    if output["OutputKey"] == "EndpointURL")
    assert f"\nAPI: {endpoint}\n" in deployment.second.stdout


def test_the_template_is_deployed_from_the_bucket(deployment: Deployment) -> None:
    """Over CloudFormation's 51,200 bytes for a template sent inline, so it goes by S3."""
    size = (ROOT / "build" / "deploy" / STACK / "cloudformation.json").stat().st_size
    assert size > 51_200
    keys = [item["Key"] for item in deployment.client("s3").list_objects_v2(
        Bucket=BUCKET, Prefix=f"{STACK}/")["Contents"]]
    assert any(key.endswith(".template") for key in keys), keys


def test_every_resource_of_the_template_is_in_the_stack(deployment: Deployment) -> None:
    stack = deployment.stack()
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack
    used = {resource["Type"] for resource in deployment.template["Resources"].values()}
    assert set(NOT_EMULATED) <= used, (
        f"NOT_EMULATED names types the template no longer has: {set(NOT_EMULATED) - used}")
    missing = {logical_id: resource["Type"] for logical_id, resource
               in deployment.template["Resources"].items()
               if resource["Type"] not in {**NOT_EMULATED, **NOT_UPDATED}
               and logical_id not in deployment.physical_ids and deployment.exists(resource)}
    assert not missing, (
        f"the emulator's CloudFormation created none of {missing}: if moto cannot create "
        f"that type, add it to NOT_EMULATED in tests/deploy/emulator.py with the reason")
    # Without the PruneSchedule parameter, nothing of the pruning schedule is made.
    absent = {logical_id for logical_id, resource in deployment.template["Resources"].items()
              if not deployment.exists(resource)}
    assert {"PruneImages", "PruneImagesRole", "PruneImagesPruneImagesEvent"} <= absent
    assert not absent & set(deployment.physical_ids)


def test_what_the_emulator_does_not_apply_is_in_the_template(deployment: Deployment) -> None:
    """These settings are checked here, in the template, and nowhere else; moto still
    ignoring each is checked too, so the list is shortened when moto learns one."""
    for (kind, name), reason in SETTINGS_NOT_APPLIED.items():
        resources = deployment.resources(kind)
        assert resources, f"no {kind} in the template, yet SETTINGS_NOT_APPLIED names it"
        for logical_id, resource in resources.items():
            assert name in resource.get("Properties", {}), (
                f"{logical_id} has no {name}, yet SETTINGS_NOT_APPLIED names it ({reason})")
    table_id, table = next(iter(deployment.resources("AWS::DynamoDB::Table").items()))
    physical = deployment.physical_ids[table_id]
    dynamodb = deployment.client("dynamodb")
    assert table["Properties"]["PointInTimeRecoverySpecification"][
        "PointInTimeRecoveryEnabled"] is True
    assert table["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": EXPIRES_AT, "Enabled": True}  # what the publish ledger's items use
    assert table["Properties"]["SSESpecification"]["SSEEnabled"] is True
    still = "moto now applies {}: check it on the resource and drop it from SETTINGS_NOT_APPLIED"
    assert dynamodb.describe_continuous_backups(TableName=physical)[
        "ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
        "PointInTimeRecoveryStatus"] == "DISABLED", still.format("PITR")
    assert dynamodb.describe_time_to_live(TableName=physical)["TimeToLiveDescription"][
        "TimeToLiveStatus"] == "DISABLED", still.format("TTL")
    assert "SSEDescription" not in dynamodb.describe_table(TableName=physical)["Table"], \
        still.format("SSESpecification")
    for logical_id in deployment.resources("AWS::Lambda::Function"):
        configuration = deployment.client("lambda").get_function_configuration(
            FunctionName=deployment.physical_ids[logical_id])
        assert "LoggingConfig" not in configuration, still.format("LoggingConfig")
        assert configuration["TracingConfig"] == {"Mode": "PassThrough"}, \
            still.format("TracingConfig")
        assert configuration["Architectures"] == ["x86_64"], still.format("Architectures")
        assert deployment.properties(logical_id)["Architectures"] == ["arm64"], logical_id


def test_table_keys_indexes_stream_and_retention(deployment: Deployment) -> None:
    for logical_id, resource in deployment.resources("AWS::DynamoDB::Table").items():
        properties = resource["Properties"]
        # Kept when the stack is deleted or the table replaced; deleted only by a failed
        # first creation (UpdateReplacePolicy has no RetainExceptOnCreate).
        assert resource["DeletionPolicy"] == "RetainExceptOnCreate"
        assert resource["UpdateReplacePolicy"] == "Retain"
        table = deployment.client("dynamodb").describe_table(
            TableName=deployment.physical_ids[logical_id])["Table"]
        assert table["DeletionProtectionEnabled"] is properties["DeletionProtectionEnabled"] \
            is True
        assert table["KeySchema"] == properties["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(
            properties["AttributeDefinitions"], key=str)
        assert table["BillingModeSummary"]["BillingMode"] == properties["BillingMode"]
        assert {index["IndexName"]: (index["KeySchema"], index["Projection"]["ProjectionType"])
                for index in table["GlobalSecondaryIndexes"]} == {
            index["IndexName"]: (index["KeySchema"], index["Projection"]["ProjectionType"])
            for index in properties["GlobalSecondaryIndexes"]}
        assert table["StreamSpecification"] == {
            "StreamEnabled": True,
            "StreamViewType": properties["StreamSpecification"]["StreamViewType"]}


def test_topics_and_queues(deployment: Deployment) -> None:
    for logical_id, resource in deployment.resources("AWS::SNS::Topic").items():
        attributes = deployment.client("sns").get_topic_attributes(
            TopicArn=deployment.physical_ids[logical_id])["Attributes"]
        properties = deployment.values.value(resource.get("Properties", {}))
        assert attributes["TopicArn"].endswith(".fifo") == bool(properties.get("FifoTopic"))
        for name in ("KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication"):
            if name in properties:
                assert attributes.get(name) == str(properties[name]).lower() \
                    if isinstance(properties[name], bool) else str(properties[name])
    queues = deployment.resources("AWS::SQS::Queue")
    assert queues
    for logical_id, resource in queues.items():
        attributes = _queue_attributes(deployment, deployment.physical_ids[logical_id])
        for name, expected in deployment.values.value(resource.get("Properties", {})).items():
            if name in ("QueueName", "Tags"):
                continue
            assert name in attributes, f"{logical_id}: the emulator's queue has no {name}"
            actual = attributes[name]
            if isinstance(expected, dict):
                assert json.loads(actual) == expected, (logical_id, name)
            else:
                assert actual == (str(expected).lower() if isinstance(expected, bool)
                                  else str(expected)), (logical_id, name)


def test_the_deployed_code_carries_bytecode_for_the_functions_python(
        deployment: Deployment) -> None:
    """Each module of the uploaded package has its pyc for the functions' runtime and no
    other interpreter's: Lambda's /var/task is read-only, and a module without one is
    compiled again at every cold start (infra/bytecode.py)."""
    runtimes = {resource["Properties"]["Runtime"]
                for resource in deployment.resources("AWS::Lambda::Function").values()}
    assert len(runtimes) == 1 and re.fullmatch(r"python3\.\d+", next(iter(runtimes)))
    tag = "cpython-" + next(iter(runtimes)).removeprefix("python").replace(".", "")
    with zipfile.ZipFile(ROOT / "build" / "package" / "deployment.zip") as package:
        names = set(package.namelist())
        modules = {name for name in names if name.endswith(".py")}
        cached = {name for name in names if "__pycache__/" in name}
        expected = {f"{name.rpartition('/')[0]}/__pycache__/".lstrip("/")
                    + f"{name.rpartition('/')[2][:-3]}.{tag}.pyc" for name in modules}
        assert "app.py" in modules and "chalicelib/api/routes.py" in modules
        assert cached == expected
        header = package.read(f"chalicelib/api/__pycache__/routes.{tag}.pyc")[4:8]
        assert int.from_bytes(header, "little") == 0b01  # PEP 552: hash-based, unchecked


def test_functions_roles_code_environment_and_timeouts(deployment: Deployment) -> None:
    lambda_ = deployment.client("lambda")
    package = (ROOT / "build" / "package" / "deployment.zip").read_bytes()
    package_sha = base64.b64encode(hashlib.sha256(package).digest()).decode()
    functions = deployment.resources("AWS::Lambda::Function")
    assert functions
    for logical_id, resource in functions.items():
        expected = deployment.values.value(resource["Properties"])
        function = lambda_.get_function(FunctionName=deployment.physical_ids[logical_id])
        configuration = function["Configuration"]
        for name in FUNCTION_SETTINGS:
            if name in expected and (resource["Type"], name) not in SETTINGS_NOT_APPLIED:
                assert configuration.get(name) == expected[name], (logical_id, name)
        # CloudFormation passes a Number parameter to an environment variable as a string;
        # moto 5.2 keeps the number, so both sides are compared as text.
        assert {key: str(value) for key, value in
                configuration["Environment"]["Variables"].items()} == {
            key: str(value) for key, value in expected["Environment"]["Variables"].items()}
        assert configuration["Role"] == deployment.values.value(
            {"Fn::GetAtt": [resource["Properties"]["Role"]["Fn::GetAtt"][0], "Arn"]})
        # The code CloudFormation was pointed at is the package this deploy built.
        code = expected["Code"]
        uploaded = deployment.client("s3").get_object(
            Bucket=code["S3Bucket"], Key=code["S3Key"])["Body"].read()
        assert uploaded == package, f"{logical_id}: the uploaded code is not build/package's"
        assert configuration["CodeSha256"] == package_sha, logical_id
        if "ReservedConcurrentExecutions" in expected and (
                resource["Type"], "ReservedConcurrentExecutions") not in SETTINGS_NOT_APPLIED:
            assert function["Concurrency"]["ReservedConcurrentExecutions"] == \
                expected["ReservedConcurrentExecutions"], logical_id
    environment = deployment.values.value(
        deployment.properties("APIHandler")["Environment"])["Variables"]
    assert environment["TABLE_NAME"] == deployment.physical_ids["ImageStreamsTable"]
    assert environment["TOPIC_ARN"] == deployment.physical_ids["TagEventsTopic"]
    assert environment["SECRETS_PREFIX"] == f"{STACK}/"


def test_roles_trust_lambda_and_hold_the_template_policies(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    for logical_id, resource in deployment.resources("AWS::IAM::Role").items():
        expected = deployment.values.value(resource["Properties"])
        role = iam.get_role(RoleName=deployment.physical_ids[logical_id])["Role"]
        assert role["AssumeRolePolicyDocument"] == expected["AssumeRolePolicyDocument"]
        names = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
        assert sorted(names) == sorted(p["PolicyName"] for p in expected.get("Policies", []))
        for policy in expected.get("Policies", []):
            document = iam.get_role_policy(RoleName=role["RoleName"],
                                           PolicyName=policy["PolicyName"])["PolicyDocument"]
            assert _policy_document(document) == policy["PolicyDocument"], (
                logical_id, policy["PolicyName"])


def test_stream_event_source_mapping(deployment: Deployment) -> None:
    mappings = deployment.resources("AWS::Lambda::EventSourceMapping")
    assert mappings
    for logical_id, resource in mappings.items():
        expected = deployment.values.value(resource["Properties"])
        mapping = deployment.client("lambda").get_event_source_mapping(
            UUID=deployment.physical_ids[logical_id])
        function = deployment.client("lambda").get_function_configuration(
            FunctionName=expected.pop("FunctionName"))
        assert mapping["FunctionArn"] == function["FunctionArn"]
        assert "FilterCriteria" in expected  # the consumer sees tag items only
        for name, value in expected.items():
            assert mapping.get(name) == value, (logical_id, name)
    # The parameter passed on the first deploy, kept by the second.
    assert mapping["MaximumRetryAttempts"] == int(PARAMETERS["StreamMaximumRetryAttempts"])


def test_eventbridge_rules_target_their_functions(deployment: Deployment) -> None:
    events = deployment.client("events")
    rules = deployment.resources("AWS::Events::Rule")
    assert rules
    for logical_id, resource in rules.items():
        expected = deployment.values.value(resource["Properties"])
        name = deployment.physical_ids[logical_id]
        rule = events.describe_rule(Name=name)
        assert rule["State"] == expected.get("State", "ENABLED")
        assert rule.get("ScheduleExpression") == expected.get("ScheduleExpression")
        if "EventPattern" in expected:
            assert json.loads(rule["EventPattern"]) == expected["EventPattern"]
        targets = {target["Id"]: target for target in events.list_targets_by_rule(
            Rule=name)["Targets"]}
        assert set(targets) == {target["Id"] for target in expected["Targets"]}
        for target in expected["Targets"]:
            for key, value in target.items():
                assert targets[target["Id"]].get(key) == value, (logical_id, key)


def test_event_targets_retry_then_dead_letter_to_a_queue_of_the_stacks_rules_only(
        deployment: Deployment) -> None:
    """Every rule's target has a retry policy and the event dead-letter queue; the queue's
    policy (not emulated: checked in the template) lets EventBridge send for these rules."""
    rules = deployment.resources("AWS::Events::Rule")
    queue = {"Fn::GetAtt": ["EventDeadLetterQueue", "Arn"]}
    for logical_id, resource in rules.items():
        for target in resource["Properties"]["Targets"]:
            assert target["DeadLetterConfig"] == {"Arn": queue}, logical_id
            assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0, logical_id
    [policy] = deployment.resources("AWS::SQS::QueuePolicy").values()
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert policy["Properties"]["Queues"] == [{"Ref": "EventDeadLetterQueue"}]
    assert (statement["Effect"], statement["Principal"], statement["Action"],
            statement["Resource"]) == ("Allow", {"Service": "events.amazonaws.com"},
                                       "sqs:SendMessage", queue)
    # a rule under a condition is named under that condition too (Fn::If)
    assert sorted(deployment.values.value(statement["Condition"]["ArnEquals"][
        "aws:SourceArn"])) == sorted(deployment.values.value(
            {"Fn::GetAtt": [logical_id, "Arn"]}) for logical_id in rules)
    # The schedule passed on the first deploy, kept by the second.
    schedules = [deployment.client("events").describe_rule(
        Name=deployment.physical_ids[logical_id]).get("ScheduleExpression")
        for logical_id in rules]
    assert f"rate({PARAMETERS['ImportScheduleMinutes']} minutes)" in schedules


def test_the_webhook_secret_is_generated_and_only_the_api_is_given_it(
        deployment: Deployment) -> None:
    arn = deployment.physical_ids["WebhookSharedSecret"]
    value = deployment.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    assert len(value) == 48 and value.isalnum()  # GenerateSecretString, no punctuation
    for logical_id in deployment.resources("AWS::Lambda::Function"):
        variables = deployment.client("lambda").get_function_configuration(
            FunctionName=deployment.physical_ids[logical_id])["Environment"]["Variables"]
        assert "REGISTRY_WEBHOOK_SECRET" not in variables, logical_id
        assert (variables.get("REGISTRY_WEBHOOK_SECRET_ARN") == arn) is (
            logical_id == "APIHandler"), logical_id
    outputs = {output["OutputKey"]: output["OutputValue"]
               for output in deployment.stack()["Outputs"]}
    assert outputs["RegistryWebhookSecretArn"] == arn


def test_invoke_permissions(deployment: Deployment) -> None:
    """Each function lets its caller invoke it; where the caller is the API (not emulated),
    the source ARN cannot be worked out and only the principal is compared."""
    lambda_ = deployment.client("lambda")
    unresolved = not_emulated_ids(deployment)
    for logical_id, resource in deployment.resources("AWS::Lambda::Permission").items():
        properties = resource["Properties"]
        function = deployment.values.value(properties["FunctionName"])
        statements = json.loads(lambda_.get_policy(FunctionName=function)["Policy"])[
            "Statement"]
        matching = [s for s in statements if s["Action"] == properties["Action"]
                    and s["Principal"] == {"Service": properties["Principal"]}]
        assert matching, (logical_id, statements)
        if not references(properties["SourceArn"]) & unresolved:
            source = deployment.values.value(properties["SourceArn"])
            assert any(s.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn")
                       == source for s in matching), (logical_id, source, matching)


def test_log_groups_and_retention_kept_from_the_first_deploy(deployment: Deployment) -> None:
    """Found by name: the second deploy drops them from the emulator's stack (NOT_UPDATED)."""
    groups = deployment.resources("AWS::Logs::LogGroup")
    assert groups
    for logical_id, resource in groups.items():
        expected = deployment.values.value(resource["Properties"])
        group = _log_group(deployment, expected["LogGroupName"])
        assert group.get("retentionInDays") == expected["RetentionInDays"] == int(
            PARAMETERS["LogRetentionDays"]), logical_id
    for logical_id, resource in deployment.resources("AWS::Lambda::Function").items():
        group = resource["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert group in groups, f"{logical_id} logs to {group}, not a log group of the stack"


def test_outputs(deployment: Deployment) -> None:
    outputs = {output["OutputKey"]: output["OutputValue"]
               for output in deployment.stack()["Outputs"]}
    unresolved = not_emulated_ids(deployment)
    for name, output in deployment.template["Outputs"].items():
        if references(output["Value"]) & unresolved:
            continue  # the API's id and URL: API Gateway is not emulated
        assert outputs.get(name) == str(deployment.values.value(output["Value"])), name


def test_destroy_deletes_the_stack_and_keeps_the_table(deployment: Deployment) -> None:
    """Last: the stack is gone after it."""
    table = deployment.physical_ids["ImageStreamsTable"]
    done = make(deployment.env, "destroy", f"STACK={STACK}")
    assert f"Kept: table {table}" in done.stdout
    # RetainExceptOnCreate keeps it, as AWS does once the stack's creation succeeded
    # (the emulator applies that rule for moto: tests/deploy/emulator.py).
    cloudformation = deployment.client("cloudformation")
    with pytest.raises(cloudformation.exceptions.ClientError, match="does not exist"):
        cloudformation.describe_stacks(StackName=STACK)
    assert deployment.client("dynamodb").describe_table(TableName=table)["Table"]
    names = [f["FunctionName"] for f in deployment.client("lambda").list_functions()[
        "Functions"]]
    assert not [name for name in names if name.startswith(STACK)], names
