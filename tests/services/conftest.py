"""Services over the in-memory store, with a clock that steps one second per call."""
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.resources.stream import ImageStream, ImageStreamMapping, ImageStreamTag
from chalicelib.services.actor import SERVICE
from chalicelib.services.images import ImageService
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService

START = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
REGISTRY = "172.30.56.218:5000"


class SteppingClock:
    """Each call returns the next second after START."""

    def __init__(self, start=START, step=timedelta(seconds=1)):
        self.current = start - step
        self.step = step

    def __call__(self):
        self.current += self.step
        return self.current


class Env:
    def __init__(self):
        self.store = MemoryStore()
        self.clock = SteppingClock()
        self.streams = StreamService(self.store, clock=self.clock)
        self.istags = StreamTagService(self.store, clock=self.clock)
        self.images = ImageService(self.store)

    # -- builders

    def create(self, name, namespace="test", tags=(), **meta):
        body = ImageStream.model_validate({"metadata": {"name": name, **meta},
                                           "spec": {"tags": list(tags)}})
        return self.streams.create(SERVICE, namespace, body)

    def map(self, stream, tag, digest, namespace="test", repository=None):
        """Map image `digest` (a hex string) to stream:tag, as the registry does on push."""
        repository = repository or f"{REGISTRY}/{namespace}/{stream}"
        body = ImageStreamMapping.model_validate({
            "metadata": {"name": stream, "namespace": namespace}, "tag": tag,
            "image": {"dockerImageReference": f"{repository}@sha256:{digest}",
                      "dockerImageMetadata": {"Architecture": "amd64", "Size": 10}},
        })
        return self.istags.map(SERVICE, namespace, body)

    def tag(self, name, source, kind="ImageStreamTag", namespace="test", create_only=False,
            resource_version=None, **spec):
        """PUT (or POST with create_only) an ImageStreamTag `stream:tag` from `source`."""
        source_ref = {"kind": kind, "name": source}
        if "source_namespace" in spec:
            source_ref["namespace"] = spec.pop("source_namespace")
        body = ImageStreamTag.model_validate({
            "metadata": {"name": name, "resourceVersion": resource_version},
            "tag": {"from": source_ref, **spec}})
        return self.istags.put(SERVICE, namespace, name, body, create_only)[0]

    # -- readers

    def stream(self, name, namespace="test"):
        return self.streams.get(namespace, name)

    def history(self, name, tag, namespace="test"):
        """[(dockerImageReference, image)] of stream:tag, newest first ([] without status)."""
        return [(e.docker_image_reference, e.image) for e in self.events(name, tag, namespace)]

    def events(self, name, tag, namespace="test"):
        for status in self.stream(name, namespace).status.tags or []:
            if status.tag == tag:
                return status.items
        return []

    def spec(self, name, tag, namespace="test"):
        for ref in self.stream(name, namespace).spec.tags or []:
            if ref.name == tag:
                return ref
        return None


def digest(char):
    return char * 64


def pull(stream, hex_digest, namespace="test"):
    """The (reference, image) pair a mapping of `hex_digest` to `stream` records."""
    return f"{REGISTRY}/{namespace}/{stream}@sha256:{hex_digest}", f"sha256:{hex_digest}"


@pytest.fixture
def env():
    return Env()
