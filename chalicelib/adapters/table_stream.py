"""Reading tag writes out of DynamoDB stream records (NEW_AND_OLD_IMAGES)."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ..domain.changes import ADDED, DELETED, MODIFIED, Change
from ..domain.pruning import RUNNING
from ..domain.tag_changes import Head, TagWrite
from .dynamodb_items import CLEANUP_PREFIX, PRUNE_PREFIX, STREAM_SK, is_tag_sk

STREAM_PREFIX = "IS#"


def _head(image: dict[str, Any] | None) -> Head | None:
    if not image or "headCreated" not in image:
        return None
    return Head(image=image["headImage"]["S"], docker_image_reference=image["headRef"]["S"],
                generation=int(image["headGen"]["N"]), created=image["headCreated"]["S"])


def _held(image: dict[str, Any] | None) -> Head | None:
    if not image or "held" not in image:
        return None
    held = json.loads(image["held"]["S"])
    return Head(image=held.get("image", ""), docker_image_reference=held.get(
        "dockerImageReference", ""), generation=held.get("generation", 0), created=held["created"])


def _record_time(record: dict[str, Any]) -> str:
    seconds = record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    moment = (datetime.fromtimestamp(float(seconds), UTC) if seconds is not None
              else datetime.now(UTC))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


CHANGE_TYPES = {"INSERT": ADDED, "MODIFY": MODIFIED, "REMOVE": DELETED}


def namespace_change(record: dict[str, Any]) -> tuple[str, Change] | None:
    """The namespace and the change to a stream or tag item a stream record describes; None
    for any other item (history, links, images, tokens, the change logs themselves)."""
    keys = record.get("dynamodb", {}).get("Keys", {})
    pk, sk = keys.get("PK", {}).get("S", ""), keys.get("SK", {}).get("S", "")
    kind = CHANGE_TYPES.get(record.get("eventName", ""))
    if not pk.startswith(STREAM_PREFIX) or "/" not in pk or kind is None:
        return None
    if sk != STREAM_SK and not is_tag_sk(sk):
        return None
    namespace, stream = pk[len(STREAM_PREFIX):].split("/", 1)
    tag = sk[2:] if sk != STREAM_SK else None
    return namespace, Change(stream=stream, tag=tag, type=kind,
                             event_id=record.get("eventID", ""))


def tag_write(record: dict[str, Any]) -> TagWrite | None:
    """The tag write a stream record describes, or None for any other item."""
    change = record.get("dynamodb", {})
    keys = change.get("Keys", {})
    pk, sk = keys.get("PK", {}).get("S", ""), keys.get("SK", {}).get("S", "")
    if not pk.startswith(STREAM_PREFIX) or not is_tag_sk(sk) or "/" not in pk:
        return None
    namespace, stream = pk[len(STREAM_PREFIX):].split("/", 1)
    old, new = _head(change.get("OldImage")), _head(change.get("NewImage"))
    old_held, new_held = _held(change.get("OldImage")), _held(change.get("NewImage"))
    if old is not None and new is not None:
        # A tag deleted and created again in one write: the old incarnation's head is gone.
        if change["OldImage"]["incarnation"]["S"] != change["NewImage"]["incarnation"]["S"]:
            old = old_held = None
    image = change.get("NewImage") or change.get("OldImage") or {}
    return TagWrite(namespace=namespace, stream=stream, tag=sk[2:], old=old, new=new,
                    event_id=record.get("eventID", ""), time=_record_time(record),
                    stream_uid=image.get("uid", {}).get("S", ""), old_held=old_held,
                    new_held=new_held)


def cleanup_mark(record: dict[str, Any]) -> tuple[str, str] | None:
    """The key of the cleanup mark a record writes (dynamodb_cleanup), which the consumer
    works a step further; None for any other record, and for a mark's delete (its end)."""
    keys = record.get("dynamodb", {}).get("Keys", {})
    pk, sk = keys.get("PK", {}).get("S", ""), keys.get("SK", {}).get("S", "")
    if not pk.startswith(CLEANUP_PREFIX) or record.get("eventName") not in ("INSERT", "MODIFY"):
        return None
    return pk, sk


def prune_step(record: dict[str, Any]) -> tuple[str, int] | None:
    """The image prune run and step a record writes while the run goes (the consumer does
    that step, whose save's record brings the next); None for any other record."""
    change = record.get("dynamodb", {})
    keys = change.get("Keys", {})
    pk, sk = keys.get("PK", {}).get("S", ""), keys.get("SK", {}).get("S", "")
    new = change.get("NewImage") or {}
    if not pk.startswith(PRUNE_PREFIX) or sk != STREAM_SK or record.get("eventName") not in (
            "INSERT", "MODIFY") or new.get("phase", {}).get("S") != RUNNING:
        return None
    return pk[len(PRUNE_PREFIX):], int(new["step"]["N"])
