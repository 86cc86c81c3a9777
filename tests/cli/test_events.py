"""`isctl events` against SQS on moto: the trigger messages a queue receives, as they arrive."""
from __future__ import annotations

import json
import time

import boto3
import pytest
from moto import mock_aws

from .conftest import Isctl

REGION = "us-east-1"


def event(tag: str, kind: str = "Updated", previous: str = "") -> dict:
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTagEvent", "type": kind,
            "namespace": "shop", "imageStream": "web", "tag": tag,
            "image": "sha256:" + "b" * 64,
            "dockerImageReference": "quay.io/shop/web@sha256:" + "b" * 64,
            "previous": {"image": "", "dockerImageReference": previous} if previous else None,
            "generation": 2, "time": "2026-01-10T12:00:00Z", "eventId": f"id-{tag}"}


@pytest.fixture
def queue(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        yield sqs, sqs.create_queue(QueueName="demo")["QueueUrl"]


def test_prints_raw_and_sns_wrapped_events_and_consumes_them(isctl: Isctl, queue):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event("latest", previous="q.io/a:1")))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(
        {"Type": "Notification", "Message": json.dumps(event("stable", "Created"))}))
    sqs.send_message(QueueUrl=url, MessageBody="not an event")
    out = isctl.ok("events", "--queue", url, "--region", REGION, "--count", "2",
                   "--timeout", "5")
    lines = out.strip().split("\n")
    assert lines == [
        "2026-01-10T12:00:00Z  Updated  shop/web:latest  quay.io/shop/web@sha256:" + "b" * 64
        + "  (was q.io/a:1)",
        "2026-01-10T12:00:00Z  Created  shop/web:stable  quay.io/shop/web@sha256:" + "b" * 64]
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in left] in ([], ["not an event"])


def test_json_output_keep_and_timeout(isctl: Isctl, queue):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event("1")))
    started = time.monotonic()
    out = isctl.ok("events", "--queue", url, "--region", REGION, "--timeout", "1", "-o", "json",
                   "--keep")
    assert time.monotonic() - started < 10
    assert json.loads(out)["tag"] == "1"
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    kept = int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"])
    assert kept == 1


def test_triggers_end_to_end_on_moto(isctl: Isctl, queue):
    """A tag move in the app reaches the queue through SNS and is printed by isctl events."""
    from chalicelib import wiring
    from chalicelib.adapters.sns_publisher import SnsPublisher
    from chalicelib.adapters.sns_subscriptions import SnsSubscriptions
    sqs, url = queue
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="imagestreams-events")["TopicArn"]
    services = wiring.services()
    services.subscriptions = lambda: SnsSubscriptions(sns, topic)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    isctl.ok("create", "-f", "-", stdin='{"apiVersion": "v1", "kind": "ImageStream", '
                                         '"metadata": {"name": "web"}}')
    isctl.api("POST", "/namespaces/default/imagestreams/web/triggers",
              {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTrigger",
               "metadata": {"name": "demo"},
               "spec": {"endpoint": {"protocol": "sqs", "endpoint": arn}}})
    # The table's stream gives each move its stream's uid, which triggers filter on.
    uid = isctl.api("GET", "/namespaces/default/imagestreams/web")["metadata"]["uid"]
    SnsPublisher(sns, topic, backoff=0).publish([_tag_event(uid)])
    out = isctl.ok("events", "--queue", url, "--region", REGION, "--count", "1",
                   "--timeout", "5")
    assert "Created  default/web:latest  quay.io/shop/web:1" in out


def _tag_event(stream_uid: str = ""):
    from chalicelib.resources.events import ImageStreamTagEvent
    return ImageStreamTagEvent(type="Created", namespace="default", image_stream="web",
                               image_stream_uid=stream_uid,
                               tag="latest", image="", docker_image_reference="quay.io/shop/web:1",
                               previous=None, generation=1, time="2026-01-10T12:00:00Z",
                               event_id="e1")


def test_no_queue_is_an_error(isctl: Isctl):
    result = isctl("events", "--timeout", "0")
    assert result.code == 1 and result.err.startswith("error: no queue")
