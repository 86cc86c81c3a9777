"""Deploy each move of one image stream tag to an ECS service.

A Lambda function subscribed to the image-stream topic (a trigger with protocol `lambda`,
so its filter policy names the namespace, the stream and the tag) receives one
ImageStreamTagEvent per move. For a move it registers a new revision of the service's task
definition, the named container's image pinned to the new digest
(`<repository>@sha256:...`, never a tag that can move), and updates the service to it. A
rollback of the tag is a move back to an older image and is deployed the same way.

What was deployed is recorded as tags on the task definition revision (the event's id,
time, sequence and generation), so the service itself says which tag move it runs:

- a message delivered again (SNS delivers at least once) finds its own eventId there and
  registers nothing, and a retry after a failure between the registration and the service
  update finds the revision it registered and deploys that one;
- a message older than the one the service runs (delivered late or out of order) is
  ignored: moves are ordered by `time`, and within one second by `sequence`. Not by
  `generation`: that is the spec generation the image came from, which a scheduled
  re-import of an older spec brings back lower, after a push.

A Deleted tag deploys nothing: the service keeps running what it runs. The function is
meant to run one invocation at a time (the template reserves a concurrency of one), so two
moves never race between reading the service and updating it.

Each example is self-contained (the directory is the Lambda package), so the reading of
messages is repeated in examples/lambda_deploy_on_tag/.

Configuration (environment): NAMESPACE, IMAGE_STREAM, TAG (the tag watched), CLUSTER,
SERVICE and CONTAINER (the container of the task definition that runs the image).
"""
from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator, Optional

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

DEPLOYED_TYPES = ("Created", "Updated")
# A pull spec by digest: what an image stream records for every pushed or imported image.
BY_DIGEST = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")
RECORD_PREFIX = "imagestreams.dev/"  # the keys of the tags that record a deployment


@dataclass(frozen=True)
class TagMove:
    """The fields of an ImageStreamTagEvent a deployer uses."""

    type: str
    namespace: str
    image_stream: str
    tag: str
    image: str
    docker_image_reference: str
    previous_reference: str  # "" when the tag had no image before
    generation: int
    time: str
    sequence: str
    event_id: str

    @classmethod
    def from_message(cls, body: dict[str, Any]) -> Optional["TagMove"]:
        """The move a message describes; None for anything but an ImageStreamTagEvent."""
        if body.get("kind") != "ImageStreamTagEvent":
            return None
        previous = body.get("previous") or {}
        return cls(type=body["type"], namespace=body["namespace"],
                   image_stream=body["imageStream"], tag=body["tag"], image=body["image"],
                   docker_image_reference=body["dockerImageReference"],
                   previous_reference=previous.get("dockerImageReference", ""),
                   generation=int(body["generation"]), time=body["time"],
                   sequence=body.get("sequence", ""), event_id=body["eventId"])

    @property
    def name(self) -> str:
        return f"{self.namespace}/{self.image_stream}:{self.tag}"


@dataclass(frozen=True)
class Deployed:
    """The tag move a deployment came from, as recorded next to what it deployed."""

    event_id: str
    tag: str  # namespace/stream:tag
    time: str
    sequence: str
    generation: int

    @classmethod
    def of(cls, move: TagMove) -> "Deployed":
        return cls(event_id=move.event_id, tag=move.name, time=move.time,
                   sequence=move.sequence, generation=move.generation)

    def as_tags(self) -> dict[str, str]:
        # A tag value holds 256 characters; the tag's name is there for people only.
        return {f"{RECORD_PREFIX}event-id": self.event_id, f"{RECORD_PREFIX}tag": self.tag[:256],
                f"{RECORD_PREFIX}time": self.time, f"{RECORD_PREFIX}sequence": self.sequence,
                f"{RECORD_PREFIX}generation": str(self.generation)}

    @classmethod
    def from_tags(cls, tags: dict[str, str]) -> Optional["Deployed"]:
        """The record among a resource's tags; None if nothing recorded one there (a
        revision registered by hand)."""
        if f"{RECORD_PREFIX}event-id" not in tags or f"{RECORD_PREFIX}time" not in tags:
            return None
        return cls(event_id=tags[f"{RECORD_PREFIX}event-id"],
                   tag=tags.get(f"{RECORD_PREFIX}tag", ""), time=tags[f"{RECORD_PREFIX}time"],
                   sequence=tags.get(f"{RECORD_PREFIX}sequence", ""),
                   generation=int(tags.get(f"{RECORD_PREFIX}generation") or 0))


def order(time: str, sequence: str) -> tuple[datetime, int]:
    """Where a tag move stands among the others: its time (whole seconds), then its place
    in the table's stream for moves within the same second."""
    return (datetime.fromisoformat(time.replace("Z", "+00:00")),
            int(sequence) if sequence.isdigit() else 0)


def reason_to_skip(move: TagMove, watched: str, deployed: Optional[Deployed]) -> Optional[str]:
    """Why `move` deploys nothing, given what runs now; None when it is to be deployed."""
    if move.name != watched:
        return f"not the watched tag {watched}"
    if move.type not in DEPLOYED_TYPES:
        return f"{move.type}: nothing to deploy"
    if not BY_DIGEST.match(move.docker_image_reference):
        return f"{move.docker_image_reference!r} names no digest"
    if deployed is None:
        return None
    if deployed.event_id == move.event_id:
        return f"event {move.event_id} is deployed already"
    if order(move.time, move.sequence) <= order(deployed.time, deployed.sequence):
        return (f"older than the deployed move of {deployed.time} (event "
                f"{deployed.event_id})")
    return None


def tag_moves(event: dict[str, Any]) -> Iterator[TagMove]:
    """The tag moves in a Lambda event: SNS records (the function subscribed to the
    topic), or SQS records whose bodies are the message (raw delivery) or its SNS
    envelope (a queue in between)."""
    for record in event.get("Records", []):
        if "Sns" in record:
            body = json.loads(record["Sns"]["Message"])
        else:
            body = json.loads(record["body"])
            if body.get("Type") == "Notification" and "Message" in body:
                body = json.loads(body["Message"])
        move = TagMove.from_message(body)
        if move is not None:
            yield move


@dataclass(frozen=True)
class EcsTarget:
    cluster: str
    service: str
    container: str


class ContainerNotFound(LookupError):
    """The task definition has no container of the configured name."""


def _tags(pairs: list[dict[str, str]]) -> dict[str, str]:
    return {pair["key"]: pair["value"] for pair in pairs}


def register_request(ecs: Any, task_definition: dict[str, Any], tags: dict[str, str],
                     container: str, image: str) -> dict[str, Any]:
    """RegisterTaskDefinition arguments for a copy of `task_definition` whose `container`
    runs `image`: the fields DescribeTaskDefinition returns that RegisterTaskDefinition
    takes, as the client's own service model lists them (so a field ECS adds later is
    copied too, and read-only ones such as revision or status are left out)."""
    accepted = ecs.meta.service_model.operation_model("RegisterTaskDefinition").input_shape.members
    request = {key: value for key, value in task_definition.items()
               if key in accepted and key != "tags"}
    containers = [dict(definition) for definition in request["containerDefinitions"]]
    named = [definition for definition in containers if definition.get("name") == container]
    if not named:
        raise ContainerNotFound(f"task definition {task_definition.get('taskDefinitionArn')} "
                                f"has no container named {container!r}")
    named[0]["image"] = image
    request["containerDefinitions"] = containers
    if tags:
        request["tags"] = [{"key": key, "value": value} for key, value in tags.items()]
    return request


def deploy(ecs: Any, target: EcsTarget, move: TagMove, watched: str) -> dict[str, str]:
    """Deploy one tag move to the service, or nothing; says what it did and why."""
    service = ecs.describe_services(cluster=target.cluster, services=[target.service])
    if not service["services"]:
        raise LookupError(f"no service {target.service} in cluster {target.cluster}: "
                          f"{service.get('failures')}")
    running = ecs.describe_task_definition(
        taskDefinition=service["services"][0]["taskDefinition"], include=["TAGS"])
    running_tags = _tags(running.get("tags", []))
    skip = reason_to_skip(move, watched, Deployed.from_tags(running_tags))
    if skip is not None:
        return {"eventId": move.event_id, "result": "skipped", "reason": skip}
    record = Deployed.of(move)
    family = running["taskDefinition"]["family"]
    # A retry after a failure between registering and updating the service: the family's
    # newest revision was registered for this very event, and is the one to deploy.
    newest = ecs.describe_task_definition(taskDefinition=family, include=["TAGS"])
    newest_record = Deployed.from_tags(_tags(newest.get("tags", [])))
    if newest_record is not None and newest_record.event_id == move.event_id:
        revision = newest["taskDefinition"]["taskDefinitionArn"]
    else:
        # The tags the revision had that are not a deployment record stay with the copy.
        kept = {k: v for k, v in running_tags.items() if not k.startswith(RECORD_PREFIX)}
        request = register_request(ecs, running["taskDefinition"], {**kept, **record.as_tags()},
                                   target.container, move.docker_image_reference)
        revision = ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=target.cluster, service=target.service, taskDefinition=revision)
    return {"eventId": move.event_id, "result": "deployed", "taskDefinition": revision,
            "image": move.docker_image_reference, "previous": move.previous_reference}


def deploy_all(event: dict[str, Any], ecs: Any, target: EcsTarget,
               watched: str) -> list[dict[str, str]]:
    """Deploy the moves of a Lambda event in the order they came; one line each."""
    outcomes = []
    for move in tag_moves(event):
        outcome = deploy(ecs, target, move, watched)
        logger.info("%s %s: %s", move.name, move.event_id, json.dumps(outcome))
        outcomes.append(outcome)
    return outcomes


_clients: dict[str, Any] = {}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    import boto3

    ecs = _clients.get("ecs") or _clients.setdefault("ecs", boto3.client("ecs"))
    watched = f'{os.environ["NAMESPACE"]}/{os.environ["IMAGE_STREAM"]}:{os.environ["TAG"]}'
    target = EcsTarget(cluster=os.environ["CLUSTER"], service=os.environ["SERVICE"],
                       container=os.environ["CONTAINER"])
    return {"outcomes": deploy_all(event, ecs, target, watched)}
