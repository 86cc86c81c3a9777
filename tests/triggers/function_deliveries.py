"""Tag-change messages as a subscribed Lambda function receives them, produced by the
service: a write moves a tag, the table's stream record goes through the publisher
(`cloud.pump()`), SNS delivers the message through a trigger's subscription and its filter
policy, and each delivery is handed over as the Lambda SNS event of one invocation.

moto cannot deliver to the function itself: SNS's `lambda` protocol makes moto run the
function in Docker, not the handler under test in this process. So the trigger names a
queue, and its subscription is switched from raw delivery (what the triggers API sets for
queues) to the SNS envelope, which is what SNS hands a function; the envelope's fields go
into the Lambda event as Lambda names them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.resources.stream import ImageStreamMapping
from chalicelib.resources.triggers import ImageStreamTrigger
from chalicelib.services.actor import SERVICE
from chalicelib.services.stream_tags import StreamTagService

from .conftest import Cloud


def digest(char: str) -> str:
    return "sha256:" + char * 64


def push(cloud: Cloud, namespace: str, stream: str, tag: str, char: str,
         registry: str = "registry.test", at: datetime | None = None) -> str:
    """Map image `digest(char)` to the tag, as a push to the integrated registry does (at
    the time `at`, if given); returns its pull spec."""
    reference = f"{registry}/{namespace}/{stream}@{digest(char)}"
    tags = (cloud.services.tags if at is None
            else StreamTagService(cloud.services.store, cloud.services.registry, clock=lambda: at))
    tags.map(SERVICE, namespace, ImageStreamMapping.model_validate({
        "metadata": {"name": stream}, "tag": tag,
        "image": {"metadata": {"name": digest(char)}, "dockerImageReference": reference}}))
    return reference


def lambda_sns_event(envelope: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """The event Lambda invokes a subscribed function with, for one SNS delivery."""
    sns = {"Type": envelope["Type"], "MessageId": envelope["MessageId"],
           "TopicArn": envelope["TopicArn"], "Subject": envelope.get("Subject"),
           "Message": envelope["Message"], "Timestamp": envelope["Timestamp"],
           "SignatureVersion": envelope["SignatureVersion"],
           "Signature": envelope["Signature"],
           "SigningCertUrl": envelope["SigningCertURL"],
           "UnsubscribeUrl": envelope["UnsubscribeURL"],
           "MessageAttributes": envelope.get("MessageAttributes", {})}
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                         "EventSubscriptionArn": subscription_arn, "Sns": sns}]}


@dataclass
class FunctionDeliveries:
    """What one trigger's subscription delivers."""

    cloud: Cloud
    queue: str
    subscription_arn: str
    filter_policy: dict[str, Any]

    def events(self) -> list[dict[str, Any]]:
        """Publish what the table's stream holds, then one Lambda event per delivery, in
        the order SNS sent them."""
        self.cloud.pump()
        url = self.cloud.queues[self.queue]
        envelopes = []
        while True:
            batch = self.cloud.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                envelopes.append(json.loads(message["Body"]))
                self.cloud.sqs.delete_message(QueueUrl=url,
                                              ReceiptHandle=message["ReceiptHandle"])
        return [lambda_sns_event(envelope, self.subscription_arn) for envelope in envelopes]


def message_of(event: dict[str, Any]) -> dict[str, Any]:
    """The ImageStreamTagEvent a Lambda SNS event carries."""
    return json.loads(event["Records"][0]["Sns"]["Message"])


def subscribe_function(cloud: Cloud, namespace: str, stream: str, name: str,
                       tags: list[str] | None = None,
                       types: list[str] | None = None) -> FunctionDeliveries:
    """A trigger through the triggers API, delivering as SNS delivers to a function."""
    spec: dict[str, Any] = {"endpoint": {"protocol": "sqs", "endpoint": cloud.queue(name)}}
    if tags is not None:
        spec["tags"] = tags
    if types is not None:
        spec["types"] = types
    trigger = cloud.services.triggers.create(namespace, stream, ImageStreamTrigger.model_validate(
        {"metadata": {"name": name}, "spec": spec}))
    assert trigger.status is not None
    arn = trigger.status.subscription_arn
    cloud.sns.set_subscription_attributes(SubscriptionArn=arn,
                                          AttributeName="RawMessageDelivery",
                                          AttributeValue="false")
    policy = json.loads(cloud.sns.get_subscription_attributes(SubscriptionArn=arn)[
        "Attributes"]["FilterPolicy"])
    return FunctionDeliveries(cloud, name, arn, policy)
