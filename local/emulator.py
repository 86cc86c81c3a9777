"""The AWS emulator (moto server) holding the resources of infra/.

The resources come from the same merge template `make package` deploys (infra/template.py):
the emulator's CloudFormation creates the table (stream, indexes), the topic and the
dead-letter queue from those definitions, so local and AWS cannot drift. Lambda, IAM and
API Gateway are played by the local stack's processes instead. Every other service moto
emulates (ECR, Secrets Manager, ...) answers on the same endpoint.
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from typing import Any

import boto3

from infra.template import declared_handlers, merge_template

from .processes import Child, spawn, wait_for_port
from .settings import HOST, ROOT, Settings

# What the emulator's CloudFormation deploys; the rest of the template is for AWS only.
EMULATED = {"AWS::DynamoDB::Table", "AWS::SNS::Topic", "AWS::SQS::Queue"}
TABLE, TOPIC, DEAD_LETTERS = "ImageStreamsTable", "TagEventsTopic", "StreamDeadLetterQueue"


@dataclass(frozen=True)
class Resources:
    table: str
    stream_arn: str
    topic_arn: str
    dead_letter_queue_url: str
    demo_queue_url: str


def client(settings: Settings, service: str) -> Any:
    """A client of the emulator whatever the environment says (never a real account)."""
    env = settings.aws_environment()
    return boto3.client(service, endpoint_url=settings.aws_url, region_name=settings.region,
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])


def start_emulator(settings: Settings, env: dict[str, str]) -> Child:
    """moto server, through local.aws_server: DynamoDB requests served as DynamoDB does."""
    child = spawn("emulator", [sys.executable, "-m", "local.aws_server", "--host", HOST,
                               "--port", str(settings.aws_port)],
                  env, ROOT, log=settings.state_dir / "logs" / "emulator.log")
    wait_for_port(child, settings.aws_port)
    return child


def emulated_template() -> dict[str, Any]:
    """The merge template's parameters, conditions and emulated resources."""
    template = merge_template(declared_handlers())
    resources = {name: resource for name, resource in template["Resources"].items()
                 if resource.get("Type") in EMULATED}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Parameters": template["Parameters"],
            "Conditions": template["Conditions"], "Resources": resources}


def _create_stack(settings: Settings) -> dict[str, str]:
    cloudformation = client(settings, "cloudformation")
    cloudformation.create_stack(StackName=settings.stack_name,
                                TemplateBody=json.dumps(emulated_template()))
    deadline = time.monotonic() + 60
    while True:
        stack = cloudformation.describe_stacks(StackName=settings.stack_name)["Stacks"][0]
        if stack["StackStatus"] == "CREATE_COMPLETE":
            break
        if not stack["StackStatus"].endswith("IN_PROGRESS") or time.monotonic() > deadline:
            raise RuntimeError(f"the emulator could not create the stack: {stack['StackStatus']} "
                               f"{stack.get('StackStatusReason', '')}")
        time.sleep(0.2)
    resources = cloudformation.describe_stack_resources(StackName=settings.stack_name)
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources["StackResources"]}


def _queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]


def demo_queue(settings: Settings, topic_arn: str) -> str:
    """A queue subscribed to every tag change, as a build system's would be (SNS envelope)."""
    sqs = client(settings, "sqs")
    url = sqs.create_queue(QueueName=f"{settings.stack_name}-demo")["QueueUrl"]
    client(settings, "sns").subscribe(TopicArn=topic_arn, Protocol="sqs",
                                      Endpoint=_queue_arn(sqs, url))
    return url


def deploy(settings: Settings) -> Resources:
    physical = _create_stack(settings)
    table = physical[TABLE]
    stream_arn = client(settings, "dynamodb").describe_table(TableName=table)["Table"][
        "LatestStreamArn"]
    # CloudFormation names the queue by its AWS URL; the emulator's own URL is asked for.
    dead_letters = client(settings, "sqs").get_queue_url(
        QueueName=physical[DEAD_LETTERS].rsplit("/", 1)[1])["QueueUrl"]
    return Resources(table=table, stream_arn=stream_arn, topic_arn=physical[TOPIC],
                     dead_letter_queue_url=dead_letters,
                     demo_queue_url=demo_queue(settings, physical[TOPIC]))


def store_webhook_secret(settings: Settings, value: str) -> str:
    """The registry webhook's shared secret in the emulator's Secrets Manager; its ARN.

    The deployment's template creates it (`WebhookSharedSecret`, infra/service.json), but
    moto's CloudFormation has no model for AWS::SecretsManager::Secret, so it is created
    here, by its deployed name. A restored snapshot may hold it already: it is given the
    new value then."""
    manager = client(settings, "secretsmanager")
    name = f"{settings.stack_name}-registry-webhook"
    try:
        return manager.create_secret(Name=name, SecretString=value)["ARN"]
    except manager.exceptions.ResourceExistsException:
        return manager.put_secret_value(SecretId=name, SecretString=value)["ARN"]
