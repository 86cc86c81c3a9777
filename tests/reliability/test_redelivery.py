"""Push events delivered twice, late or out of order: one history event and one SNS message
per tag move, and the tag ends at the registry's newest push.

moto holds the table (with its stream), ECR, SNS and SQS; ECR's blobs come from the
loopback server of tests/pushes; registry notifications come from a real docker-registry.
After every delivered event the table's stream goes to the Lambda handler, as the event
source would; at the end the whole stream is delivered once more, as Lambda may.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest

from chalicelib.entrypoints.table_events import handle_table_records
from chalicelib.registry import AddressPolicy, RegistryClient
from chalicelib.services.actor import SERVICE
from chalicelib.services.pushes import PushService
from chalicelib.services.registry_webhook import RegistryNotifications
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService
from local.stream_reader import StreamReader, lambda_records
from testbed.dynamodb import REGION
from testbed.oci_layout import OciLayout
from testbed.registry import RegistryServer, plain_registry  # noqa: F401 (fixture)
from tests.pushes.conftest import Registry, ecr_registry
from tests.pushes.test_registry_notifications import envelope_for
from tests.triggers.conftest import TABLE, Cloud, client

from .conftest import QUEUE


@pytest.fixture
def ecr(cloud: Cloud) -> Iterator[Registry]:
    with ecr_registry(cloud.services.store) as registry:
        yield registry


def history(cloud: Cloud, namespace: str, stream: str, tag: str) -> list[str]:
    snapshot = cloud.services.store.load_stream(namespace, stream)
    return [event.image for event in snapshot.history[tag]]


def deliver(cloud: Cloud, apply: Callable[[Any], str], events: list[Any]) -> list[str]:
    """Apply each event, then hand the stream records it caused to the handler."""
    outcomes = []
    for event in events:
        outcomes.append(apply(event))
        cloud.pump()
    return outcomes


def moves_published(cloud: Cloud) -> list[tuple[str, str, str]]:
    """(type, tag, image) of every message on the queue, after the whole table stream has
    been delivered again from its start (a duplicate invocation must publish nothing)."""
    again = StreamReader(cloud.dynamodb, client("dynamodbstreams"), TABLE).read(limit=1000)
    assert handle_table_records(lambda_records(again, "arn:stream", REGION)) == {
        "batchItemFailures": []}
    messages = cloud.received(QUEUE)
    assert len({m["eventId"] for m in messages}) == len(messages)
    return [(m["type"], m["tag"], m["image"]) for m in messages]


def ecr_push(ecr: Registry, cmd: str) -> str:
    """Push a new image to shop/web:latest; it keeps a tag of its own, so moto keeps it
    after `latest` moves on (ECR keeps it untagged)."""
    manifest, media_type = ecr.image(cmd=cmd)
    ecr.push("shop/web", f"keep{cmd.replace('/', '-')}", manifest, media_type)
    return ecr.push("shop/web", "latest", manifest, media_type)


def test_repeated_ecr_events_add_one_history_event_and_message_per_push(cloud, ecr):
    apply = partial(ecr.pushes.handle_event, SERVICE)
    a = ecr_push(ecr, "/a")
    event_a = ecr.event("shop/web", "latest", a)
    outcomes = deliver(cloud, apply, [event_a, event_a])
    b = ecr_push(ecr, "/b")
    event_b = ecr.event("shop/web", "latest", b)
    outcomes += deliver(cloud, apply, [event_b, event_a, event_b, event_b])
    assert outcomes == ["moved", "unchanged", "moved", "recorded", "unchanged", "unchanged"]
    assert history(cloud, "shop", "web", "latest") == [b, a]
    assert ecr.tags.get("shop", "web:latest").image.metadata.name == b
    assert moves_published(cloud) == [("Created", "latest", a), ("Updated", "latest", b)]


@pytest.mark.parametrize("order", ["BAAB", "ABAB"])
def test_ecr_events_arriving_after_a_newer_push_leave_the_tag_at_the_newest(cloud, ecr, order):
    # Both pushes happen before either event arrives: whatever the order, A's event finds
    # ECR's tag at B, so A is recorded as an image but never was this tag's head here.
    a, b = ecr_push(ecr, "/a"), ecr_push(ecr, "/b")
    events = {"A": ecr.event("shop/web", "latest", a), "B": ecr.event("shop/web", "latest", b)}
    outcomes = deliver(cloud, partial(ecr.pushes.handle_event, SERVICE),
                       [events[name] for name in order])
    assert sorted(outcomes) == ["moved", "recorded", "recorded", "unchanged"]
    assert history(cloud, "shop", "web", "latest") == [b]
    assert ecr.store.get_image(a) is not None
    assert moves_published(cloud) == [("Created", "latest", b)]


@pytest.fixture
def webhook(cloud: Cloud, plain_registry: RegistryServer) -> RegistryNotifications:
    store, host = cloud.services.store, plain_registry.host
    registry_client = RegistryClient(policy=AddressPolicy(["127.0.0.0/8"]))
    return RegistryNotifications(lambda: registry_client, host, PushService(
        store, StreamService(store, host), StreamTagService(store, host)), insecure=True)


def registry_push(registry: RegistryServer, layout: OciLayout, repository: str,
                  content: bytes) -> dict:
    """Push a new image to `repository:latest`; its notification envelope."""
    image = layout.image([{"app": content}])
    layout.tag(content.decode(), image)
    registry.push(layout, content.decode(), f"{repository}:latest")
    return envelope_for(registry.host, repository, "latest", image.manifest.digest,
                        image.manifest.media_type)


def digest_of(envelope: dict) -> str:
    return envelope["events"][0]["target"]["digest"]


def test_repeated_and_late_registry_notifications_move_the_tag_once_each(
        cloud, webhook, plain_registry, tmp_path):
    # The registry is shared by the session: a repository of this test's own.
    stream = f"web{uuid.uuid4().hex[:8]}"
    repository = f"reliability/{stream}"
    layout = OciLayout(tmp_path / "layout")
    envelope_a = registry_push(plain_registry, layout, repository, b"a")
    outcomes = deliver(cloud, partial(webhook.handle, SERVICE), [envelope_a, envelope_a])
    envelope_b = registry_push(plain_registry, layout, repository, b"b")
    outcomes += deliver(cloud, partial(webhook.handle, SERVICE),
                        [envelope_b, envelope_a, envelope_b, envelope_b])
    # Each envelope also carries a blob push, which is ignored.
    assert [next(k for k in outcome if k != "ignored") for outcome in outcomes] == [
        "moved", "unchanged", "moved", "recorded", "unchanged", "unchanged"]
    a, b = digest_of(envelope_a), digest_of(envelope_b)
    assert history(cloud, "reliability", stream, "latest") == [b, a]
    assert moves_published(cloud) == [("Created", "latest", a), ("Updated", "latest", b)]


def test_a_notification_overtaken_by_a_newer_push_moves_nothing(cloud, webhook, plain_registry,
                                                                 tmp_path):
    stream = f"web{uuid.uuid4().hex[:8]}"
    repository = f"reliability/{stream}"
    layout = OciLayout(tmp_path / "layout")
    envelope_a = registry_push(plain_registry, layout, repository, b"a")
    envelope_b = registry_push(plain_registry, layout, repository, b"b")
    outcomes = deliver(cloud, partial(webhook.handle, SERVICE),
                       [envelope_b, envelope_a, envelope_b, envelope_a])
    assert [next(k for k in outcome if k != "ignored") for outcome in outcomes] == [
        "moved", "recorded", "unchanged", "recorded"]
    assert history(cloud, "reliability", stream, "latest") == [digest_of(envelope_b)]
    assert moves_published(cloud) == [("Created", "latest", digest_of(envelope_b))]
