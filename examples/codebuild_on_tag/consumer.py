"""Start a CodeBuild build for every tag that moved, with the new image as an override.

Messages arrive from an SQS queue subscribed to the image-stream topic with raw message
delivery, so each body is one ImageStreamTagEvent. Delivery is at least once: the eventId
is passed to CodeBuild as the idempotency token, so a redelivered message starts no
second build.
"""
from __future__ import annotations

import json
import os
from typing import Any, Optional

STARTING = ("Created", "Updated")


def build_request(event: dict[str, Any], project: str) -> Optional[dict[str, Any]]:
    """The StartBuild arguments for one tag event, or None if it should start nothing."""
    if event.get("kind") != "ImageStreamTagEvent" or event.get("type") not in STARTING:
        return None
    overrides = {
        "IMAGE_DIGEST": event["image"],
        "IMAGE_REFERENCE": event["dockerImageReference"],
        "IMAGE_STREAM_TAG": f'{event["namespace"]}/{event["imageStream"]}:{event["tag"]}',
    }
    return {
        "projectName": project,
        "idempotencyToken": event["eventId"][:64],
        "environmentVariablesOverride": [
            {"name": name, "value": value, "type": "PLAINTEXT"} for name, value in overrides.items()
        ],
    }


def start_builds(bodies: list[str], codebuild: Any, project: str) -> list[str]:
    """Start one build per moving tag event; returns the build ids."""
    builds = []
    for body in bodies:
        request = build_request(json.loads(body), project)
        if request is not None:
            builds.append(codebuild.start_build(**request)["build"]["id"])
    return builds


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    import boto3

    bodies = [record["body"] for record in event.get("Records", [])]
    builds = start_builds(bodies, boto3.client("codebuild"), os.environ["BUILD_PROJECT"])
    return {"builds": builds}
