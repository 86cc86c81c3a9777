"""A large stream written straight into the table with the store's own item encoders.

Through the API every tag move is a TransactWriteItems, and moto copies the whole table on
each one: seeding tens of thousands of events that way would take hours. BatchWriteItem of
the items the store would have written takes seconds to minutes instead.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.adapters import dynamodb_items as items
from chalicelib.domain.records import StreamRecord, TagRecord
from chalicelib.resources.image import Image
from chalicelib.resources.stream import TagEvent, TagReference

from .dynamodb import DynamoTable

NAMESPACE = "team"
STREAM = "app"
REPOSITORY = "registry.test/team/app"
CREATED = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
INCARNATION = "i1"
LAYERS = 8


def tag_name(n: int) -> str:
    """Tag 0 is "latest", the one tests and benchmarks work on; the others are versions."""
    return "latest" if n == 0 else f"v{n:05d}"


def event_digest(tag: str, seq: int) -> str:
    """A distinct image for every event, spread like real digests so short prefixes differ."""
    return "sha256:" + hashlib.sha256(f"{tag}/{seq}".encode()).hexdigest()


def head_image(digest: str) -> Image:
    """An image as an import records it: config, labels and a few layers (about 2 KB)."""
    return Image.model_validate({
        "metadata": {"name": digest, "creationTimestamp": "2024-03-01T12:00:00Z"},
        "dockerImageReference": f"{REPOSITORY}@{digest}",
        "dockerImageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
        "dockerImageMetadata": {
            "kind": "DockerImage", "apiVersion": "image.openshift.io/1.0",
            "Id": event_digest(digest, 0), "Created": "2024-03-01T11:58:00Z",
            "Architecture": "amd64", "Os": "linux", "Size": 123456789,
            "Config": {"Cmd": ["/app/server", "--port=8080"],
                       "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
                               "APP_ENV=production"],
                       "ExposedPorts": {"8080/tcp": {}}, "User": "1001", "WorkingDir": "/app",
                       "Labels": {"org.opencontainers.image.source":
                                  "https://git.example.test/team/app",
                                  "org.opencontainers.image.revision": digest[7:47]}}},
        "dockerImageLayers": [
            {"name": event_digest(digest, layer), "size": 1_000_000 * layer,
             "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}
            for layer in range(1, LAYERS + 1)],
    })


@dataclass(frozen=True)
class SeededStream:
    """Stream "team/app" with `tags` tags, each with `events_per_tag` history events of
    distinct images (all in the stream's image index), the newest the tag's head, and an
    image item for every head.

    Older events' images are left out: images have partitions of their own, and tag
    operations read only the heads' images.
    """

    tags: int
    events_per_tag: int
    namespace: str = NAMESPACE
    name: str = STREAM

    def tag_names(self) -> list[str]:
        return [tag_name(n) for n in range(self.tags)]

    def head(self, tag: str) -> str:
        """The digest the tag points at."""
        return event_digest(tag, self.events_per_tag)

    def items(self) -> list[items.Item]:
        record = StreamRecord(namespace=self.namespace, name=self.name, uid="uid-app",
                              created=CREATED, version=2)
        pk = items.stream_pk(self.namespace, self.name)
        written = [items.encode_stream(record)]
        for n, name in enumerate(self.tag_names()):
            events = [TagEvent(created=CREATED + timedelta(seconds=n, milliseconds=seq),
                               image=event_digest(name, seq),
                               docker_image_reference=f"{REPOSITORY}@{event_digest(name, seq)}",
                               generation=1)
                      for seq in range(1, self.events_per_tag + 1)]
            head = events[-1]
            spec = TagReference.model_validate({
                "name": name, "generation": 1, "reference": True,
                "from": {"kind": "DockerImage", "name": head.docker_image_reference},
                "annotations": {"description": f"release {n} of the app, built by the pipeline"}})
            tag = TagRecord(name=name, incarnation=INCARNATION, spec=spec, head=head,
                            head_seq=self.events_per_tag)
            written += [items.encode_tag(pk, record.uid, tag),
                        items.encode_image(head_image(head.image))]
            for seq, event in enumerate(events, start=1):
                written += [
                    items.encode_event(pk, record.uid, name, INCARNATION, seq, event),
                    {**items.key(pk, items.index_sk(event.image)), "uid": {"S": record.uid},
                     "count": {"N": "1"}, "ref": {"S": event.docker_image_reference}},
                ]
        return written


def seed_stream(table: DynamoTable, tags: int, events_per_tag: int) -> SeededStream:
    """Write a SeededStream into the table with BatchWriteItem."""
    stream = SeededStream(tags, events_per_tag)
    table.batch_put(stream.items())
    return stream
