"""How streams, tags, tag events and images are laid out as DynamoDB items (low-level form),
and which writes one commit makes.

One partition per stream (`IS#<ns>/<name>`): the stream item (`#`), tag items (`T#<tag>`),
history (`H#<tag>#<incarnation>#<seq>`), follower links (`T#<source>#F#<follower>`) and
the stream's image index (`I#<digest>`). Images live in their own partitions. Every item of
a stream's partition carries the stream's uid: a reader holding the stream item can tell
its items from a dead stream's, and a late index update never lands in a newer stream.

A stream is read as its stream item (GetItem) and its `T#` range (one Query): tags and
follower links, both bounded by the number of tags. History and the image index grow with
every event, so they sort outside that range (`H#` and `I#` come before `T#`): a stream
read costs the same whatever its history. Each tag item carries its newest events
(`recent`, bounded by domain/history.py), which is what a stream's status shows; the full
history of one tag life is its own key range, paged newest first by sequence number. The
history stays in the stream's partition, not one of its own, so deleting a stream is
clearing one partition, and a stream's writes, which all rewrite the stream item, already
share its partition's throughput. Tables from before kept history at
`T#<tag>#H#<incarnation>#<seq>`: chalicelib/backfill.py's history step moves it.

A delete is a mark: the commit that deletes a tag, or the delete of a stream, also puts a
cleanup item (`CLEANUP#<stream partition>`, `H#<tag>#<incarnation>` or `S#`) in the same
transaction. The table stream's consumer works each one off in bounded steps
(dynamodb_cleanup), rewriting it after each step so its next record brings it back, and
deletes it when done; a step interrupted anywhere is done again, changing nothing twice.
An image prune that cuts a tag's history puts a mark too (`P#<tag>#<incarnation>#<seq>`:
the events up to that sequence number go), in the commit that sets the tag's pruned_to.
Prune runs and their keep sets have partitions of their own (dynamodb_prune_runs).

Stream items are in two indexes: GSI1 by namespace (`NS#<ns>`, the stream's name) and the
keys-only `Cluster` index, for lists across namespaces, by shard (`STREAMS#<n>`, then
`<ns>/<name>`). Image items are in GSI1 too, by shard (`IMAGES#<n>`, then the digest).
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..domain.errors import TooLarge
from ..domain.records import StreamRecord, TagRecord
from ..resources.image import Image
from ..resources.stream import TagEvent, TagEventCondition, TagReference
from ..services.ports import ChangeSet, stream_key
from .item_size import MAX_ITEM_BYTES, Item, check_item_size, item_size  # noqa: F401

STREAM_PARTITION_PREFIX = "IS#"
STREAM_SK = "#"
INDEX_PREFIX = "I#"
HISTORY_PREFIX = "H#"
TAG_PREFIX = "T#"
CLEANUP_PREFIX = "CLEANUP#"
STREAM_CLEANUP_SK = "S#"
PRUNE_CLEANUP_PREFIX = "P#"
# An image prune run (`PRUNE#<name>`, `#`) and its keep set (`K#<digest>`), listed in
# GSI1 under one key: runs are few.
PRUNE_PREFIX = "PRUNE#"
KEEP_PREFIX = "K#"
PRUNE_RUNS_GSI1PK = "PRUNERUNS"
# Every pushed or imported image writes GSI1: one key would put every image of the
# cluster in one index partition (about 1,000 write units a second, and a throttled index
# throttles the table's writes). Images are written on the pushes and imports of every
# namespace, and an item costs the index a write unit per KB (it projects all attributes),
# while the list across the cluster they serve is rare: twice the Due and Cluster indexes'
# shards, 16,000 units a second, and a page of that list one Query a shard, in parallel.
IMAGES_SHARDS = 16
# The one key image items had before the shards: older items keep it until
# dynamodb_cluster_backfill moves them, and the list reads it as one more shard.
LEGACY_IMAGES_GSI1PK = "IMAGES"
GSI1 = "GSI1"
DUE_INDEX = "Due"
# One index partition takes about 1,000 writes a second, and every cycle rewrites the
# next-due time of each tag it checks: a few shards keep a large schedule off one partition.
DUE_SHARDS = 8
CLUSTER_INDEX = "Cluster"
# Every stream is in the cluster-wide index: one key would take every creation and
# deletion in the cluster and serve every list across namespaces, so it is sharded as the
# Due index is; each shard costs a page of such a list one Query (rarely two). Keys-only,
# the index is written only when a stream is created or deleted: a commit rewrites the
# stream item but neither the index's keys nor a projected attribute.
CLUSTER_SHARDS = 8
MAX_TRANSACTION_ITEMS = 100
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024


def stream_pk(namespace: str, name: str) -> str:
    return f"{STREAM_PARTITION_PREFIX}{namespace}/{name}"


def namespace_gsi1pk(namespace: str) -> str:
    return f"NS#{namespace}"


def image_pk(digest: str) -> str:
    return f"IMG#{digest}"


def tag_sk(tag: str) -> str:
    return f"T#{tag}"


def history_prefix(tag: str, incarnation: str) -> str:
    # The trailing '#' matters: without it "H#3.5" would also match the keys of tag "3.5.1".
    return f"{HISTORY_PREFIX}{tag}#{incarnation}#"


def legacy_history_prefix(tag: str, incarnation: str) -> str:
    """Where tables from before kept history (in the tags' range: every stream read read it)."""
    return f"T#{tag}#H#{incarnation}#"


def history_sk(tag: str, incarnation: str, seq: int) -> str:
    return f"{history_prefix(tag, incarnation)}{seq:010d}"


def follower_prefix(source: str) -> str:
    return f"T#{source}#F#"


def follower_sk(source: str, follower: str) -> str:
    return follower_prefix(source) + follower


def index_sk(digest: str) -> str:
    return INDEX_PREFIX + digest


def due_pk(pk: str, tag: str) -> str:
    return f"DUE#{zlib.crc32(f'{pk}#{tag}'.encode()) % DUE_SHARDS}"


def due_shards() -> list[str]:
    return [f"DUE#{n}" for n in range(DUE_SHARDS)]


def due_at(value: datetime) -> str:
    """A fixed-width UTC time, so the index's string order is time order."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def cluster_pk(namespace: str, name: str) -> str:
    return f"STREAMS#{zlib.crc32(stream_key(namespace, name).encode()) % CLUSTER_SHARDS}"


def cluster_shards() -> list[str]:
    return [f"STREAMS#{n}" for n in range(CLUSTER_SHARDS)]


def images_gsi1pk(digest: str) -> str:
    return f"IMAGES#{zlib.crc32(digest.encode()) % IMAGES_SHARDS}"


def image_shards() -> list[str]:
    return [f"IMAGES#{n}" for n in range(IMAGES_SHARDS)]


def key(pk: str, sk: str) -> Item:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def is_tag_sk(sk: str) -> bool:
    return sk.startswith("T#") and "#" not in sk[2:]


def legacy_history_owner(sk: str) -> tuple[str, str, int] | None:
    """(tag, incarnation, seq) of a history item's key as tables from before had it; None
    for any other key."""
    parts = sk.split("#")
    if len(parts) == 5 and parts[0] == "T" and parts[2] == "H":
        return parts[1], parts[3], int(parts[4])
    return None


def cleanup_pk(pk: str) -> str:
    return CLEANUP_PREFIX + pk


def history_cleanup_sk(tag: str, incarnation: str) -> str:
    return f"{HISTORY_PREFIX}{tag}#{incarnation}"


def encode_history_cleanup(pk: str, uid: str, tag: str, incarnation: str) -> Item:
    """The mark a tag's deleted life leaves: its history, and its events' counts in the
    stream's image index (of the stream life `uid`), are to be removed."""
    return {**key(cleanup_pk(pk), history_cleanup_sk(tag, incarnation)), "uid": {"S": uid},
            "tag": {"S": tag}, "incarnation": {"S": incarnation}, "pass": {"N": "0"}}


def prune_cleanup_sk(tag: str, incarnation: str, upto: int) -> str:
    return f"{PRUNE_CLEANUP_PREFIX}{tag}#{incarnation}#{upto:010d}"


def encode_prune_cleanup(pk: str, uid: str, tag: str, incarnation: str, upto: int) -> Item:
    """The mark an image prune's commit leaves: the tag life's events up to `upto` (and
    their counts in the stream's image index) are to be removed. One mark per cut, so a
    later prune of the tag never rewrites an earlier one's mark."""
    return {**key(cleanup_pk(pk), prune_cleanup_sk(tag, incarnation, upto)),
            "uid": {"S": uid}, "tag": {"S": tag}, "incarnation": {"S": incarnation},
            "upto": {"N": str(upto)}, "pass": {"N": "0"}}


def prune_run_pk(name: str) -> str:
    return PRUNE_PREFIX + name


def encode_stream_cleanup(pk: str, version: int) -> Item:
    """The mark a deleted stream leaves: its partition is to be cleared. The version makes
    a later life's delete rewrite the mark, so the table stream brings it back."""
    return {**key(cleanup_pk(pk), STREAM_CLEANUP_SK), "version": {"N": str(version)},
            "pass": {"N": "0"}}


# -- values

def _time(value: datetime) -> str:
    """RFC 3339 in UTC, keeping sub-second precision so records round-trip exactly."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))  # stored as UTF-8


def _strings(values: dict[str, str]) -> dict[str, Any]:
    return {"M": {k: {"S": v} for k, v in values.items()}}


def _from_strings(value: dict[str, Any]) -> dict[str, str]:
    return {k: v["S"] for k, v in value["M"].items()}


# -- stream

def encode_stream(record: StreamRecord) -> Item:
    return {
        **key(stream_pk(record.namespace, record.name), STREAM_SK),
        "GSI1PK": {"S": namespace_gsi1pk(record.namespace)}, "GSI1SK": {"S": record.name},
        "ClusterPK": {"S": cluster_pk(record.namespace, record.name)},
        "ClusterSK": {"S": stream_key(record.namespace, record.name)},
        "namespace": {"S": record.namespace}, "name": {"S": record.name},
        "uid": {"S": record.uid}, "created": {"S": _time(record.created)},
        "generation": {"N": str(record.generation)}, "version": {"N": str(record.version)},
        "labels": _strings(record.labels), "annotations": _strings(record.annotations),
        "lookupLocal": {"BOOL": record.lookup_local},
        "dockerImageRepository": {"S": record.docker_image_repository},
        **({"repositoryAuthor": {"S": record.repository_author}}
           if record.repository_author else {}),
    }


def decode_stream(item: Item) -> StreamRecord:
    return StreamRecord(
        namespace=item["namespace"]["S"], name=item["name"]["S"], uid=item["uid"]["S"],
        created=datetime.fromisoformat(item["created"]["S"]),
        generation=int(item["generation"]["N"]), version=int(item["version"]["N"]),
        labels=_from_strings(item["labels"]), annotations=_from_strings(item["annotations"]),
        lookup_local=item["lookupLocal"]["BOOL"],
        docker_image_repository=item["dockerImageRepository"]["S"],
        repository_author=item.get("repositoryAuthor", {}).get("S", ""),
    )


# -- tags and their events

def _event_json(event: TagEvent) -> dict[str, Any]:
    return {"created": _time(event.created), "dockerImageReference": event.docker_image_reference,
            "image": event.image, "generation": event.generation}


def _event_from_json(data: dict[str, Any]) -> TagEvent:
    return TagEvent(created=datetime.fromisoformat(data["created"]),
                    docker_image_reference=data["dockerImageReference"], image=data["image"],
                    generation=data["generation"])


def encode_recent(events: tuple[TagEvent, ...]) -> dict[str, str]:
    """A tag item's `recent` attribute: its newest events, newest first."""
    return {"S": _json([_event_json(event) for event in events])}


def _condition_json(condition: TagEventCondition) -> dict[str, Any]:
    data = condition.to_json()
    if condition.last_transition_time is not None:
        data["lastTransitionTime"] = _time(condition.last_transition_time)
    return data


def encode_tag(pk: str, uid: str, tag: TagRecord) -> Item:
    """The head is kept as top-level attributes so a table-stream consumer can compare heads."""
    item: Item = {
        **key(pk, tag_sk(tag.name)), "uid": {"S": uid},
        "tag": {"S": tag.name}, "incarnation": {"S": tag.incarnation},
        "headSeq": {"N": str(tag.head_seq)},
    }
    if tag.spec is not None:
        item["spec"] = {"S": _json(tag.spec.to_json())}
    if tag.head is not None:
        item.update({
            "headImage": {"S": tag.head.image},
            "headRef": {"S": tag.head.docker_image_reference},
            "headGen": {"N": str(tag.head.generation)},
            "headCreated": {"S": _time(tag.head.created)},
        })
    if tag.recent:
        item["recent"] = encode_recent(tag.recent)
    if tag.conditions:
        item["conditions"] = {"S": _json([_condition_json(c) for c in tag.conditions])}
    if tag.due is not None:  # only scheduled tags are in the sparse Due index
        item["DuePK"] = {"S": due_pk(pk, tag.name)}
        item["DueAt"] = {"S": due_at(tag.due)}
    if tag.import_digest:
        item["importDigest"] = {"S": tag.import_digest}
    if tag.author:
        item["author"] = {"S": tag.author}
    if tag.held is not None:  # its own attribute, so the table-stream consumer sees it change
        item["held"] = {"S": _json({**tag.held.to_json(), "created": _time(tag.held.created)})}
    if tag.pruned_to:
        item["prunedTo"] = {"N": str(tag.pruned_to)}
    return item


def decode_tag(item: Item) -> TagRecord:
    spec = (TagReference.model_validate(json.loads(item["spec"]["S"]))
            if "spec" in item else None)
    head = None
    if "headCreated" in item:
        head = TagEvent(created=datetime.fromisoformat(item["headCreated"]["S"]),
                        docker_image_reference=item["headRef"]["S"],
                        image=item["headImage"]["S"], generation=int(item["headGen"]["N"]))
    conditions = tuple(TagEventCondition.model_validate(c)
                       for c in json.loads(item["conditions"]["S"])) if "conditions" in item else ()
    due = datetime.fromisoformat(item["DueAt"]["S"]) if "DueAt" in item else None
    return TagRecord(name=item["tag"]["S"], incarnation=item["incarnation"]["S"], spec=spec,
                     head=head, head_seq=int(item["headSeq"]["N"]), conditions=conditions,
                     due=due, import_digest=item.get("importDigest", {}).get("S", ""),
                     author=item.get("author", {}).get("S", ""),
                     held=(TagEvent.model_validate(json.loads(item["held"]["S"]))
                           if "held" in item else None),
                     recent=tuple(_event_from_json(e) for e in json.loads(item["recent"]["S"]))
                     if "recent" in item else (),
                     pruned_to=int(item.get("prunedTo", {}).get("N", "0")))


def encode_event(pk: str, uid: str, tag: str, incarnation: str, seq: int,
                 event: TagEvent) -> Item:
    return {
        **key(pk, history_sk(tag, incarnation, seq)), "uid": {"S": uid},
        "created": {"S": _time(event.created)},
        "dockerImageReference": {"S": event.docker_image_reference},
        "image": {"S": event.image}, "generation": {"N": str(event.generation)},
    }


def decode_event(item: Item) -> TagEvent:
    return TagEvent(created=datetime.fromisoformat(item["created"]["S"]),
                    docker_image_reference=item["dockerImageReference"]["S"],
                    image=item["image"]["S"], generation=int(item["generation"]["N"]))


def encode_link(pk: str, uid: str, source: str, follower: str) -> Item:
    return {**key(pk, follower_sk(source, follower)), "uid": {"S": uid}}


# -- images

def encode_image(image: Image) -> Item:
    """The Image as its API JSON: its times have the API's second precision."""
    digest = image.metadata.name or ""
    return {
        **key(image_pk(digest), STREAM_SK),
        "GSI1PK": {"S": images_gsi1pk(digest)}, "GSI1SK": {"S": digest},
        "image": {"S": image.model_dump_json(by_alias=True, exclude_none=True)},
    }


def decode_image(item: Item) -> Image:
    return Image.model_validate_json(item["image"]["S"])


# -- size

def describe(item: Item) -> str:
    """What an item holds, for error messages."""
    pk, sk = item["PK"]["S"], item["SK"]["S"]
    if pk.startswith("IMG#"):
        return f'image "{pk[4:]}"'
    if sk == STREAM_SK:
        return f'image stream "{pk[3:]}"'
    if sk.startswith(INDEX_PREFIX):
        return f'the stream\'s index entry of image "{sk[len(INDEX_PREFIX):]}"'
    parts = sk.split("#")
    if parts[0] + "#" == HISTORY_PREFIX:
        return f'a history event of tag "{parts[1]}"'
    if len(parts) == 2:
        return f'tag "{parts[1]}"'
    return f'{"a history event" if parts[2] == "H" else "a follower link"} of tag "{parts[1]}"'


def check_size(item: Item) -> int:
    """The item's size; TooLarge if DynamoDB could refuse it."""
    return check_item_size(item, describe(item))


# -- the writes of one commit

@dataclass(frozen=True)
class Write:
    """One TransactWriteItems action, without its table name."""

    kind: str  # Put, Delete or Update
    params: dict[str, Any]

    def request(self, table: str) -> dict[str, Any]:
        return {self.kind: {"TableName": table, **self.params}}


@dataclass(frozen=True)
class CommitPlan:
    transaction: list[Write]
    later: list[Write]  # image-count decrements that did not fit in the transaction


def _stream_condition(changes: ChangeSet) -> dict[str, Any]:
    if changes.expected_version is None:
        return {"ConditionExpression": "attribute_not_exists(PK)"}
    # The uid too: a stream deleted and created again restarts at the same versions.
    return {"ConditionExpression": "#version = :version AND #uid = :uid",
            "ExpressionAttributeNames": {"#version": "version", "#uid": "uid"},
            "ExpressionAttributeValues": {":version": {"N": str(changes.expected_version)},
                                          ":uid": {"S": changes.stream.uid}}}


def _index_update(pk: str, uid: str, digest: str, delta: int, reference: str) -> Write:
    # A decrement keeps the reference of the events that still name the image.
    ref = ":ref" if delta >= 0 else "if_not_exists(#ref, :ref)"
    check_size({**key(pk, index_sk(digest)), "uid": {"S": uid}, "count": {"N": str(delta)},
                "ref": {"S": reference}})
    return Write("Update", {
        "Key": key(pk, index_sk(digest)),
        "UpdateExpression": f"ADD #count :delta SET #ref = {ref}, #uid = :uid",
        "ExpressionAttributeNames": {"#count": "count", "#ref": "ref", "#uid": "uid"},
        "ExpressionAttributeValues": {":delta": {"N": str(delta)}, ":ref": {"S": reference},
                                      ":uid": {"S": uid}},
    })


def plan_commit(changes: ChangeSet) -> CommitPlan:
    """The actions of one commit, checked against DynamoDB's limits before anything is sent.

    A deleted tag's history is not in the transaction (it is unbounded), nor are its events'
    image-count decrements: the transaction puts the tag life's cleanup mark, and the table
    stream's consumer removes them (dynamodb_cleanup). Image-count decrements fill whatever
    room the transaction has left; the rest are applied after the commit, so at worst a
    crash leaves a count too high.
    """
    record = changes.stream
    pk, uid = stream_pk(record.namespace, record.name), record.uid
    put_names = {tag.name for tag in changes.put_tags}
    # A tag moved twice in one change rewrites one history key: the last write wins.
    events = {(w.tag, w.incarnation, w.seq): w.event for w in changes.history}
    puts = ([encode_stream(record)] + [encode_tag(pk, uid, tag) for tag in changes.put_tags]
            + [encode_event(pk, uid, *where, event) for where, event in events.items()]
            + [encode_link(pk, uid, *link) for link in sorted(changes.follow)])
    total = sum(check_size(item) for item in puts)
    core = [Write("Put", {"Item": puts[0], **_stream_condition(changes)})]
    core += [Write("Put", {"Item": item}) for item in puts[1:]]
    # A tag deleted and set again in one change is overwritten by its put instead.
    core += [Write("Delete", {"Key": key(pk, tag_sk(tag.name))})
             for tag in changes.delete_tags if tag.name not in put_names]
    core += [Write("Delete", {"Key": key(pk, follower_sk(*link))})
             for link in sorted(changes.unfollow - changes.follow)]
    put_lives = {(tag.name, tag.incarnation) for tag in changes.put_tags}
    core += [Write("Put", {"Item": encode_history_cleanup(pk, uid, tag.name, tag.incarnation)})
             for tag in changes.delete_tags
             if tag.head_seq and (tag.name, tag.incarnation) not in put_lives]
    core += [Write("Put", {"Item": encode_prune_cleanup(pk, uid, cut.tag, cut.incarnation,
                                                        cut.upto)})
             for cut in changes.prune_history]
    counts = [(delta, _index_update(pk, uid, digest, delta, reference))
              for digest, (delta, reference) in sorted(changes.image_refs.items())]
    core += [write for delta, write in counts if delta >= 0]
    decrements = [write for delta, write in counts if delta < 0]
    if len(core) > MAX_TRANSACTION_ITEMS:
        tags = put_names | {tag.name for tag in changes.delete_tags}
        raise TooLarge(f"this change to {len(tags)} tags needs {len(core)} writes and a change "
                       f"may make at most {MAX_TRANSACTION_ITEMS}; apply it in smaller steps, "
                       "fewer tags at a time")
    if total > MAX_TRANSACTION_BYTES:
        raise TooLarge(f"this change would write {total} bytes and a change may write at most "
                       f"{MAX_TRANSACTION_BYTES}; apply it in smaller steps, fewer tags at a time")
    room = MAX_TRANSACTION_ITEMS - len(core)
    return CommitPlan(core + decrements[:room], decrements[room:])
