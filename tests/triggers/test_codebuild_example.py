"""The example subscriber: tag moves from a real queue start CodeBuild builds (moto)."""
from __future__ import annotations

import json

from chalicelib.resources.stream import ImageStream, ImageStreamMapping
from chalicelib.resources.triggers import ImageStreamTrigger
from chalicelib.services.actor import SERVICE
from examples.codebuild_on_tag.consumer import build_request, start_builds

from .conftest import client

DIGEST = "sha256:" + "c" * 64


def test_a_push_starts_a_build_with_the_new_digest(cloud):
    codebuild = client("codebuild")
    codebuild.create_project(
        name="deploy-web", source={"type": "S3", "location": "builds-bucket/deploy.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                     "computeType": "BUILD_GENERAL1_SMALL"},
        serviceRole="arn:aws:iam::123456789012:role/codebuild")
    cloud.services.streams.create(SERVICE, "shop", ImageStream.model_validate(
        {"metadata": {"name": "web"}}))
    cloud.services.triggers.create("shop", "web", ImageStreamTrigger.model_validate({
        "metadata": {"name": "builds"},
        "spec": {"tags": ["latest"], "types": ["Created", "Updated"],
                 "endpoint": {"protocol": "sqs", "endpoint": cloud.queue("builds")}}}))
    cloud.services.tags.map(SERVICE, "shop", ImageStreamMapping.model_validate({
        "metadata": {"name": "web"}, "tag": "latest",
        "image": {"metadata": {"name": DIGEST},
                  "dockerImageReference": f"registry.test/shop/web@{DIGEST}"}}))
    cloud.services.tags.delete(SERVICE, "shop", "web:latest")  # a Deleted event: filtered out by type
    cloud.pump()

    url = cloud.queues["builds"]
    bodies = [m["Body"] for m in cloud.sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    assert len(bodies) == 1
    event = json.loads(bodies[0])
    request = build_request(event, "deploy-web")
    overrides = {v["name"]: v["value"] for v in request["environmentVariablesOverride"]}
    assert overrides == {"IMAGE_DIGEST": DIGEST,
                         "IMAGE_REFERENCE": f"registry.test/shop/web@{DIGEST}",
                         "IMAGE_STREAM_TAG": "shop/web:latest"}
    assert request["idempotencyToken"] == event["eventId"][:64]
    builds = start_builds(bodies, codebuild, "deploy-web")
    assert len(builds) == 1
    build = codebuild.batch_get_builds(ids=builds)["builds"][0]
    assert build["projectName"] == "deploy-web"
    assert start_builds(["{\"kind\": \"Other\"}"], codebuild, "deploy-web") == []
