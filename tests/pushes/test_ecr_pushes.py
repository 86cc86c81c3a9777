"""ECR pushes become ImageStreamMappings (moto ECR; blobs from a loopback server)."""
from __future__ import annotations

import json

import pytest

from chalicelib.adapters.ecr_repositories import EcrRepositories
from chalicelib.registry import DigestMismatch
from chalicelib.resources.stream import ImageStream, ImageStreamTag
from chalicelib.services.actor import SERVICE
from chalicelib.services.streams import StreamService

from .conftest import OCI_INDEX, REGISTRY


def history(registry, stream: str, tag: str) -> list[str]:
    snapshot = registry.store.load_stream("shop", stream)
    return [event.image for event in snapshot.history.get(tag, [])] if snapshot else []


def test_a_push_creates_image_stream_and_history(registry):
    manifest, media_type = registry.image()
    digest = registry.push("shop/web", "latest", manifest, media_type)
    outcome = registry.pushes.handle_event(SERVICE, registry.event("shop/web", "latest", digest))
    assert outcome == "moved"
    assert history(registry, "web", "latest") == [digest]
    tag = registry.tags.get("shop", "web:latest")
    assert tag.image.docker_image_reference == f"{REGISTRY}/shop/web@{digest}"
    metadata = tag.image.docker_image_metadata
    assert metadata.architecture == "amd64" and metadata.config.cmd == ["/bin/app"]
    assert [layer.size for layer in tag.image.docker_image_layers] == [1000]
    stream = registry.streams.get("shop", "web")
    assert stream.status.docker_image_repository == f"{REGISTRY}/shop/web"


def test_a_duplicate_event_changes_nothing(registry):
    manifest, media_type = registry.image()
    digest = registry.push("shop/web", "latest", manifest, media_type)
    event = registry.event("shop/web", "latest", digest)
    registry.pushes.handle_event(SERVICE, event)
    version = registry.store.get_stream("shop", "web").version
    assert registry.pushes.handle_event(SERVICE, event) == "unchanged"
    assert registry.store.get_stream("shop", "web").version == version
    assert history(registry, "web", "latest") == [digest]


def test_a_stale_event_records_the_image_but_does_not_move_the_tag(registry):
    first, media_type = registry.image(cmd="/v1")
    # moto deletes an image whose only tag moves (ECR keeps it untagged): a second tag keeps it.
    old = registry.push("shop/web", "keep", first, media_type)
    registry.push("shop/web", "latest", first, media_type)
    second, _ = registry.image(cmd="/v2")
    new = registry.push("shop/web", "latest", second, media_type)
    assert registry.ecr.describe_images(repositoryName="shop/web", imageIds=[
        {"imageTag": "latest"}])["imageDetails"][0]["imageDigest"] == new
    assert registry.pushes.handle_event(SERVICE, registry.event("shop/web", "latest", new)) == "moved"
    # The first push's event arrives late: ECR's tag already names the second image.
    assert registry.pushes.handle_event(SERVICE, registry.event("shop/web", "latest", old)) == "recorded"
    assert history(registry, "web", "latest") == [new]
    assert registry.store.get_image(old) is not None


def test_a_multi_arch_push_yields_one_tagged_index_image(registry):
    children = []
    for arch in ("amd64", "arm64"):
        manifest, media_type = registry.image(arch=arch)
        digest = registry.push("shop/web", "", manifest, media_type)
        children.append((digest, len(manifest), arch))
        child_event = registry.event("shop/web", "", digest, "ecr_image_push_untagged_child.json")
        assert registry.pushes.handle_event(SERVICE, child_event).startswith("ignored")
    assert registry.store.get_stream("shop", "web") is None  # untagged pushes move nothing
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": d,
         "size": size, "platform": {"architecture": arch, "os": "linux"}}
        for d, size, arch in children]}).encode()
    digest = registry.push("shop/web", "latest", index, OCI_INDEX)
    assert registry.pushes.handle_event(SERVICE, registry.event("shop/web", "latest", digest)) == "moved"
    assert history(registry, "web", "latest") == [digest]
    image = registry.store.get_image(digest)
    assert image.docker_image_manifest_media_type == OCI_INDEX
    assert [(m.digest, m.architecture) for m in image.docker_image_manifests] == [
        (d, arch) for d, _, arch in children]
    for child, _, arch in children:
        assert registry.store.get_image(child).docker_image_metadata.architecture == arch


def test_a_missed_event_is_repaired_by_the_reconcile_pass(registry):
    manifest, media_type = registry.image()
    delivered = registry.push("shop/web", "v1", manifest, media_type)
    registry.pushes.handle_event(SERVICE, registry.event("shop/web", "v1", delivered))
    other, _ = registry.image(cmd="/db")
    missed = registry.push("shop/db", "latest", other, media_type)  # its event never came
    outcomes = registry.pushes.reconcile(SERVICE)
    assert outcomes == {"moved": 1}
    assert history(registry, "db", "latest") == [missed]
    assert registry.pushes.reconcile(SERVICE) == {}


def test_reconcile_keeps_a_tag_moved_on_purpose_since_the_push(registry):
    first, media_type = registry.image(cmd="/v1")
    old = registry.push("shop/web", "v1", first, media_type)
    registry.pushes.handle_event(SERVICE, registry.event("shop/web", "v1", old))
    second, _ = registry.image(cmd="/v2")
    new = registry.push("shop/web", "latest", second, media_type)
    registry.pushes.handle_event(SERVICE, registry.event("shop/web", "latest", new))
    registry.tags.put(SERVICE, "shop", "web:latest", ImageStreamTag.model_validate(
        {"tag": {"from": {"kind": "ImageStreamImage", "name": f"web@{old}"}}}), False)
    assert history(registry, "web", "latest") == [old, new]  # rolled back after the push
    assert registry.pushes.reconcile(SERVICE) == {}
    assert history(registry, "web", "latest") == [old, new]


def test_an_unmapped_repository_is_ignored(registry, caplog):
    manifest, media_type = registry.image()
    digest = registry.push("unmapped", "latest", manifest, media_type)
    caplog.set_level("INFO")
    outcome = registry.pushes.handle_event(SERVICE, registry.event("unmapped", "latest", digest))
    assert outcome == "ignored: repository maps to no image stream"
    assert "unmapped maps to no image stream" in caplog.text
    assert registry.store.get_image(digest) is None


def test_events_other_than_successful_pushes_are_ignored(registry):
    manifest, media_type = registry.image()
    digest = registry.push("shop/web", "latest", manifest, media_type)
    deleted = registry.event("shop/web", "latest", digest, "ecr_image_delete.json")
    assert registry.pushes.handle_event(SERVICE, deleted).startswith("ignored")
    failed = registry.event("shop/web", "latest", digest)
    failed["detail"]["result"] = "FAILURE"
    assert registry.pushes.handle_event(SERVICE, failed).startswith("ignored")
    assert registry.store.get_stream("shop", "web") is None


def test_a_manifest_whose_digest_does_not_match_is_refused(registry):
    manifest, media_type = registry.image()
    registry.ecr.put_image(repositoryName="shop/web", imageManifest=manifest.decode(),
                           imageManifestMediaType=media_type, imageTag="latest",
                           imageDigest="sha256:" + "0" * 64)
    with pytest.raises(DigestMismatch):
        registry.pushes.handle_event(SERVICE, registry.event("shop/web", "latest", "sha256:" + "0" * 64))
    assert registry.store.get_stream("shop", "web") is None


def test_creating_a_stream_creates_its_ecr_repository(registry):
    streams = StreamService(registry.store, REGISTRY, repositories=EcrRepositories(
        registry.ecr, "teams/", scan_on_push=True, tag_mutability="IMMUTABLE"))
    streams.create(SERVICE, "shop", ImageStream.model_validate({"metadata": {"name": "api"}}))
    repository = registry.ecr.describe_repositories(repositoryNames=["teams/shop/api"])[
        "repositories"][0]
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository["imageTagMutability"] == "IMMUTABLE"
    streams.delete("shop", "api")
    streams.create(SERVICE, "shop", ImageStream.model_validate({"metadata": {"name": "api"}}))
    assert len(registry.ecr.describe_repositories(repositoryNames=["teams/shop/api"])[
        "repositories"]) == 1
