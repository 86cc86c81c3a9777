"""Deploy each move of one image stream tag to a Lambda function packaged as an image.

A Lambda function subscribed to the image-stream topic (a trigger with protocol `lambda`,
so its filter policy names the namespace, the stream and the tag) receives one
ImageStreamTagEvent per move. For a move it points the target function's code at the new
digest (UpdateFunctionCode with `ImageUri` = `<repository>@sha256:...`, never a tag that
can move), waits until Lambda has taken the image, publishes a version, and moves the
target's alias to that version when one is configured. A rollback of the tag is a move
back to an older image and is deployed the same way.

What was deployed is recorded where the function's callers look: in the alias's
description when there is an alias (an alias's description is written with the move of
the alias itself, in one call), otherwise in the function's tags; and in each published
version's description. So:

- a message delivered again (SNS delivers at least once) finds its own eventId there and
  changes nothing;
- a message older than the one deployed (delivered late or out of order) is ignored:
  moves are ordered by `time`, and within one second by `sequence`. Not by `generation`:
  that is the spec generation the image came from, which a scheduled re-import of an
  older spec brings back lower, after a push.

A Deleted tag deploys nothing. The function is meant to run one invocation at a time (the
template reserves a concurrency of one); the alias is also moved only from the revision
that was read (RevisionId), so a move made meanwhile by anyone else fails this one.

Each example is self-contained (the directory is the Lambda package), so the reading of
messages is the same as in examples/ecs_deploy_on_tag/.

Configuration (environment): NAMESPACE, IMAGE_STREAM, TAG (the tag watched),
TARGET_FUNCTION (the function deployed to) and TARGET_ALIAS (optional: the alias moved).
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
RECORD_PREFIX = "imagestreams.dev/"  # the keys of the function tags that record a deployment
# Lambda takes an image in seconds to a few minutes; the template's timeout covers this.
UPDATE_WAIT = {"Delay": 2, "MaxAttempts": 120}


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

    def as_description(self) -> str:
        """Compact JSON without the tag's name: a description holds 256 characters."""
        return json.dumps({"imagestreams": {
            "eventId": self.event_id, "time": self.time, "sequence": self.sequence,
            "generation": self.generation}}, separators=(",", ":"))

    @classmethod
    def from_description(cls, description: str) -> Optional["Deployed"]:
        """The record in a description; None when the description is anything else."""
        try:
            recorded = json.loads(description)["imagestreams"]
            return cls(event_id=recorded["eventId"], tag="", time=recorded["time"],
                       sequence=recorded.get("sequence", ""),
                       generation=int(recorded.get("generation", 0)))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None

    def as_tags(self) -> dict[str, str]:
        # A tag value holds 256 characters; the tag's name is there for people only.
        return {f"{RECORD_PREFIX}event-id": self.event_id, f"{RECORD_PREFIX}tag": self.tag[:256],
                f"{RECORD_PREFIX}time": self.time, f"{RECORD_PREFIX}sequence": self.sequence,
                f"{RECORD_PREFIX}generation": str(self.generation)}

    @classmethod
    def from_tags(cls, tags: dict[str, str]) -> Optional["Deployed"]:
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
class FunctionTarget:
    function: str
    alias: str = ""  # "": callers invoke the function itself ($LATEST)


def deploy(lambda_client: Any, target: FunctionTarget, move: TagMove,
           watched: str) -> dict[str, str]:
    """Deploy one tag move to the function, or nothing; says what it did and why."""
    function = lambda_client.get_function_configuration(FunctionName=target.function)
    if function.get("PackageType") != "Image":
        raise ValueError(f"{target.function} is not packaged as an image")
    alias = (lambda_client.get_alias(FunctionName=target.function, Name=target.alias)
             if target.alias else None)
    deployed = (Deployed.from_description(alias.get("Description", "")) if alias is not None
                else Deployed.from_tags(
                    lambda_client.list_tags(Resource=function["FunctionArn"]).get("Tags", {})))
    skip = reason_to_skip(move, watched, deployed)
    if skip is not None:
        return {"eventId": move.event_id, "result": "skipped", "reason": skip}
    record = Deployed.of(move)
    updated = lambda_client.update_function_code(FunctionName=target.function,
                                                 ImageUri=move.docker_image_reference)
    lambda_client.get_waiter("function_updated").wait(FunctionName=target.function,
                                                      WaiterConfig=UPDATE_WAIT)
    # CodeSha256: publish the code this call set, not one someone else set meanwhile.
    version = lambda_client.publish_version(
        FunctionName=target.function, CodeSha256=updated["CodeSha256"],
        Description=record.as_description())["Version"]
    if alias is not None:
        lambda_client.update_alias(FunctionName=target.function, Name=target.alias,
                                   FunctionVersion=version, RevisionId=alias["RevisionId"],
                                   Description=record.as_description())
    else:
        lambda_client.tag_resource(Resource=function["FunctionArn"], Tags=record.as_tags())
    return {"eventId": move.event_id, "result": "deployed", "version": version,
            "image": move.docker_image_reference, "previous": move.previous_reference}


def deploy_all(event: dict[str, Any], lambda_client: Any, target: FunctionTarget,
               watched: str) -> list[dict[str, str]]:
    """Deploy the moves of a Lambda event in the order they came; one line each."""
    outcomes = []
    for move in tag_moves(event):
        outcome = deploy(lambda_client, target, move, watched)
        logger.info("%s %s: %s", move.name, move.event_id, json.dumps(outcome))
        outcomes.append(outcome)
    return outcomes


_clients: dict[str, Any] = {}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    import boto3

    client = _clients.get("lambda") or _clients.setdefault("lambda", boto3.client("lambda"))
    watched = f'{os.environ["NAMESPACE"]}/{os.environ["IMAGE_STREAM"]}:{os.environ["TAG"]}'
    target = FunctionTarget(function=os.environ["TARGET_FUNCTION"],
                            alias=os.environ.get("TARGET_ALIAS", ""))
    return {"outcomes": deploy_all(event, client, target, watched)}
