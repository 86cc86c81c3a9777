"""examples/ecs_deploy_on_tag on messages the service published (moto's ECS): a move
registers a revision pinned to the digest and deploys it; a redelivery, a late older
message and a deleted tag change nothing; a rollback deploys the older digest."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.resources.stream import ImageStream, ImageStreamTag
from chalicelib.services.actor import SERVICE
from examples.ecs_deploy_on_tag.deployer import RECORD_PREFIX, EcsTarget, deploy_all

from .conftest import client
from .function_deliveries import digest, message_of, push, subscribe_function

NS, STREAM = "shop", "web"
PROD = EcsTarget(cluster="shop", service="web-prod", container="web")
WATCHED = f"{NS}/{STREAM}:prod"
TASK_ROLE = "arn:aws:iam::123456789012:role/web-task"
EXECUTION_ROLE = "arn:aws:iam::123456789012:role/web-execution"
SIDECAR_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"


def reference(char: str) -> str:
    return f"registry.test/{NS}/{STREAM}@{digest(char)}"


def ecs_service(ecs: Any, service: str = PROD.service) -> None:
    """A Fargate service running the app from a mutable tag, beside a sidecar, as a
    service is before it follows a stream."""
    if not ecs.list_clusters()["clusterArns"]:
        ecs.create_cluster(clusterName=PROD.cluster)
    ecs.register_task_definition(
        family=service, taskRoleArn=TASK_ROLE, executionRoleArn=EXECUTION_ROLE,
        networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[
            {"name": "web", "image": f"registry.test/{NS}/{STREAM}:latest", "essential": True,
             "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
             "environment": [{"name": "MODE", "value": "production"}]},
            {"name": "log-router", "image": SIDECAR_IMAGE, "essential": True}],
        tags=[{"key": "team", "value": "shop"}])
    ecs.create_service(cluster=PROD.cluster, serviceName=service, taskDefinition=f"{service}:1",
                       desiredCount=2, launchType="FARGATE")


def running(ecs: Any, service: str = PROD.service) -> dict[str, Any]:
    """The service's task definition, with its tags as a dict under "tags"."""
    arn = ecs.describe_services(cluster=PROD.cluster, services=[service])["services"][0][
        "taskDefinition"]
    described = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
    return {**described["taskDefinition"],
            "tags": {t["key"]: t["value"] for t in described.get("tags", [])}}


def image_of(task_definition: dict[str, Any], container: str = "web") -> str:
    return next(c["image"] for c in task_definition["containerDefinitions"]
                if c["name"] == container)


def revisions(ecs: Any, family: str = PROD.service) -> int:
    return len(ecs.list_task_definitions(familyPrefix=family)["taskDefinitionArns"])


@pytest.fixture
def ecs(cloud):
    ecs = client("ecs")
    ecs_service(ecs)
    cloud.services.streams.create(SERVICE, NS, ImageStream.model_validate({"metadata": {"name": STREAM}}))
    return ecs


def test_a_move_deploys_its_digest_and_a_redelivery_changes_nothing(cloud, ecs):
    prod = subscribe_function(cloud, NS, STREAM, "web-prod-deployer", tags=["prod"],
                              types=["Created", "Updated"])
    names = ("namespace", "imageStream", "tag", "type")
    assert {name: prod.filter_policy[name] for name in names} == {
        "namespace": [NS], "imageStream": [STREAM], "tag": ["prod"], "type": ["Created", "Updated"]}
    push(cloud, NS, STREAM, "prod", "a")
    [event] = prod.events()
    message = message_of(event)
    assert message["dockerImageReference"] == reference("a") and message["previous"] is None

    assert deploy_all(event, ecs, PROD, WATCHED) == [{
        "eventId": message["eventId"], "result": "deployed",
        "taskDefinition": f"arn:aws:ecs:us-east-1:123456789012:task-definition/{PROD.service}:2",
        "image": reference("a"), "previous": ""}]
    now = running(ecs)
    assert now["revision"] == 2 and image_of(now) == reference("a")
    # Everything else is the revision it was copied from: roles, sizes, the sidecar.
    assert image_of(now, "log-router") == SIDECAR_IMAGE
    assert (now["taskRoleArn"], now["executionRoleArn"]) == (TASK_ROLE, EXECUTION_ROLE)
    assert (now["cpu"], now["memory"], now["networkMode"]) == ("256", "512", "awsvpc")
    web = now["containerDefinitions"][0]
    assert web["environment"] == [{"name": "MODE", "value": "production"}]
    assert web["portMappings"][0]["containerPort"] == 8080
    assert now["tags"] == {
        "team": "shop", f"{RECORD_PREFIX}event-id": message["eventId"],
        f"{RECORD_PREFIX}tag": WATCHED, f"{RECORD_PREFIX}time": message["time"],
        f"{RECORD_PREFIX}sequence": message["sequence"],
        f"{RECORD_PREFIX}generation": str(message["generation"])}

    [again] = deploy_all(event, ecs, PROD, WATCHED)  # SNS delivers at least once
    assert again["result"] == "skipped" and "deployed already" in again["reason"]
    assert revisions(ecs) == 2 and running(ecs)["revision"] == 2


def test_a_message_older_than_the_deployed_one_changes_nothing(cloud, ecs):
    prod = subscribe_function(cloud, NS, STREAM, "web-prod-deployer", tags=["prod"])
    # Two moves within one second (made the same instant here): only `sequence` orders them.
    instant = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    push(cloud, NS, STREAM, "prod", "a", at=instant)
    push(cloud, NS, STREAM, "prod", "b", at=instant)
    first, second = prod.events()
    assert message_of(first)["time"] == message_of(second)["time"] == "2026-03-01T12:00:00Z"
    assert int(message_of(first)["sequence"]) < int(message_of(second)["sequence"])
    assert message_of(second)["previous"]["dockerImageReference"] == reference("a")

    [deployed] = deploy_all(second, ecs, PROD, WATCHED)
    assert deployed["result"] == "deployed"
    [late] = deploy_all(first, ecs, PROD, WATCHED)
    assert late["result"] == "skipped" and late["reason"].startswith("older than")
    assert image_of(running(ecs)) == reference("b") and revisions(ecs) == 2


def test_a_rollback_deploys_the_older_digest_as_a_new_revision(cloud, ecs):
    prod = subscribe_function(cloud, NS, STREAM, "web-prod-deployer", tags=["prod"])
    push(cloud, NS, STREAM, "prod", "a")
    push(cloud, NS, STREAM, "prod", "b")
    for event in prod.events():
        deploy_all(event, ecs, PROD, WATCHED)
    assert image_of(running(ecs)) == reference("b")

    # `isctl rollback` (or `oc tag web@<digest> web:prod`): the tag takes a stream image.
    cloud.services.tags.put(SERVICE, NS, f"{STREAM}:prod", ImageStreamTag.model_validate({"tag": {
        "from": {"kind": "ImageStreamImage", "name": f"{STREAM}@{digest('a')}"}}}), False)
    [rollback] = prod.events()
    message = message_of(rollback)
    assert (message["type"], message["dockerImageReference"],
            message["previous"]["dockerImageReference"]) == ("Updated", reference("a"),
                                                              reference("b"))
    [outcome] = deploy_all(rollback, ecs, PROD, WATCHED)
    assert outcome["result"] == "deployed" and outcome["previous"] == reference("b")
    now = running(ecs)
    assert (now["revision"], image_of(now)) == (4, reference("a"))
    assert now["tags"][f"{RECORD_PREFIX}event-id"] == message["eventId"]


def test_a_deleted_tag_and_other_tags_deploy_nothing(cloud, ecs):
    prod = subscribe_function(cloud, NS, STREAM, "web-prod-deployer", tags=["prod"])
    push(cloud, NS, STREAM, "prod", "a")
    push(cloud, NS, STREAM, "staging", "b")  # the filter policy keeps it from this function
    [created] = prod.events()
    deploy_all(created, ecs, PROD, WATCHED)
    cloud.services.tags.delete(SERVICE, NS, f"{STREAM}:prod")
    [deleted] = prod.events()
    assert message_of(deleted)["type"] == "Deleted"
    [outcome] = deploy_all(deleted, ecs, PROD, WATCHED)
    assert outcome == {"eventId": message_of(deleted)["eventId"], "result": "skipped",
                       "reason": "Deleted: nothing to deploy"}
    assert image_of(running(ecs)) == reference("a") and revisions(ecs) == 2


class UpdateServiceFailsOnce:
    """moto's ECS client with UpdateService failing once, after the registration: a
    failure moto cannot produce, injected at the AWS boundary."""

    def __init__(self, real: Any):
        self.real = real
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def update_service(self, **kwargs: Any) -> Any:
        if not self.failed:
            self.failed = True
            raise RuntimeError("the service could not be updated")
        return self.real.update_service(**kwargs)


def test_a_retry_after_a_failed_update_deploys_the_revision_it_registered(cloud, ecs):
    prod = subscribe_function(cloud, NS, STREAM, "web-prod-deployer", tags=["prod"])
    push(cloud, NS, STREAM, "prod", "a")
    [event] = prod.events()
    flaky = UpdateServiceFailsOnce(ecs)
    with pytest.raises(RuntimeError):
        deploy_all(event, flaky, PROD, WATCHED)  # Lambda retries the event
    assert revisions(ecs) == 2 and running(ecs)["revision"] == 1
    [retried] = deploy_all(event, flaky, PROD, WATCHED)
    assert retried["result"] == "deployed" and retried["taskDefinition"].endswith(":2")
    assert revisions(ecs) == 2 and image_of(running(ecs)) == reference("a")


def test_each_tag_deploys_to_its_own_service(cloud, ecs):
    """The README's mapping: one deployer (and trigger) per tag and service."""
    ecs_service(ecs, "web-staging")
    staging = EcsTarget(cluster=PROD.cluster, service="web-staging", container="web")
    prod_function = subscribe_function(cloud, NS, STREAM, "web-prod-deployer", tags=["prod"])
    staging_function = subscribe_function(cloud, NS, STREAM, "web-staging-deployer",
                                          tags=["staging"])
    push(cloud, NS, STREAM, "staging", "b")
    push(cloud, NS, STREAM, "prod", "a")
    for event in prod_function.events():
        deploy_all(event, ecs, PROD, WATCHED)
    for event in staging_function.events():
        deploy_all(event, ecs, staging, f"{NS}/{STREAM}:staging")
    assert image_of(running(ecs)) == reference("a")
    assert image_of(running(ecs, "web-staging")) == reference("b")
    # A deployer given another tag's message (a trigger without `tags`) leaves it alone.
    push(cloud, NS, STREAM, "staging", "c")
    [other] = staging_function.events()
    [outcome] = deploy_all(other, ecs, PROD, WATCHED)
    assert outcome["reason"] == f"not the watched tag {WATCHED}"
    assert image_of(running(ecs)) == reference("a")
