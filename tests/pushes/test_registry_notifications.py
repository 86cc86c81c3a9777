"""Registry notifications become mappings: envelope rules, the shared secret, read-back."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.domain.errors import BadRequest, ServiceUnavailable, Unauthorized
from chalicelib.registry import AddressPolicy, RegistryClient
from chalicelib.services.actor import SERVICE
from chalicelib.services.pushes import PushService
from chalicelib.services.registry_webhook import RegistryNotifications, check_secret
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService
from testbed.oci_layout import OciLayout
from testbed.registry import plain_registry  # noqa: F401 (fixture)

ENVELOPE = json.loads((Path(__file__).resolve().parents[1] / "events" /
                       "registry_push_notification.json").read_text())


def notifications(registry_host: str, store: MemoryStore) -> RegistryNotifications:
    streams, tags = StreamService(store, registry_host), StreamTagService(store, registry_host)
    client = RegistryClient(policy=AddressPolicy(["127.0.0.0/8"]))
    return RegistryNotifications(lambda: client, registry_host,
                                 PushService(store, streams, tags), insecure=True)


def envelope_for(host: str, repository: str, tag: str, digest: str, media_type: str) -> dict:
    envelope = copy.deepcopy(ENVELOPE)
    envelope["events"][0]["target"].update({"repository": repository, "tag": tag,
                                            "digest": digest, "mediaType": media_type})
    return envelope


def test_shared_secret_is_required():
    check_secret("Bearer s3cret", lambda: "s3cret")
    for header in ["", "Bearer wrong", "Basic s3cret", "s3cret", "Bearer "]:
        with pytest.raises(Unauthorized):
            check_secret(header, lambda: "s3cret")
    with pytest.raises(Unauthorized):
        check_secret("Bearer ", lambda: "")  # no secret configured: everything is refused
    with pytest.raises(Unauthorized):
        check_secret("Bearer anything", lambda: "")


def test_a_tagged_manifest_push_moves_the_tag_and_blob_pushes_are_ignored(plain_registry,
                                                                          tmp_path):
    layout = OciLayout(tmp_path / "layout")
    image = layout.image([{"app": b"v1"}])
    layout.tag("v1", image)
    plain_registry.push(layout, "v1", "shop/web:latest")
    store = MemoryStore()
    service = notifications(plain_registry.host, store)
    envelope = envelope_for(plain_registry.host, "shop/web", "latest", image.manifest.digest,
                            image.manifest.media_type)
    assert service.handle(SERVICE, envelope) == {"moved": 1, "ignored": 1}
    tag = store.get_tag("shop", "web", "latest")
    assert tag.head.image == image.manifest.digest
    assert tag.head.docker_image_reference == (
        f"{plain_registry.host}/shop/web@{image.manifest.digest}")
    stored = store.get_image(image.manifest.digest)
    assert stored.docker_image_metadata.config.cmd == ["/bin/app", "--serve"]
    assert service.handle(SERVICE, envelope) == {"unchanged": 1, "ignored": 1}


def test_pulls_untagged_pushes_and_unmapped_repositories_are_ignored(plain_registry):
    store = MemoryStore()
    service = notifications(plain_registry.host, store)
    base = ENVELOPE["events"][0]
    pull = {**base, "action": "pull"}
    untagged = {**base, "target": {**base["target"], "tag": ""}}
    unmapped = {**base, "target": {**base["target"], "repository": "a/b/c"}}
    assert service.handle(SERVICE, {"events": [pull, untagged, unmapped]}) == {"ignored": 3}
    assert store.list_streams("shop", 10, None).items == []


def test_a_push_that_cannot_be_read_back_asks_for_redelivery(plain_registry):
    store = MemoryStore()
    service = notifications(plain_registry.host, store)
    missing = envelope_for(plain_registry.host, "shop/web", "latest", "sha256:" + "9" * 64,
                           "application/vnd.oci.image.manifest.v1+json")
    with pytest.raises(ServiceUnavailable):
        service.handle(SERVICE, missing)
    with pytest.raises(BadRequest):
        service.handle(SERVICE, {"no": "events"})
