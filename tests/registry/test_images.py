"""Resolve and fetch against a real distribution registry, images pushed by skopeo."""
from __future__ import annotations

import hashlib
import json

import pytest

from chalicelib.registry import NoMatchingPlatform, Platform, RegistryClient, RegistryNotFound
from chalicelib.registry.manifests import DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from tests.registry.conftest import Pushed


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_resolve_by_tag_is_one_head(client: RegistryClient, pushed: Pushed) -> None:
    host = pushed.registry.host
    assert client.resolve(f"{host}/demo/oci:1.0", insecure=True) == pushed.single.digest
    before = client.counter.get(host)
    assert client.resolve(f"{host}/demo/oci:1.0", insecure=True) == pushed.single.digest
    # Once the host's scheme is known, an unchanged tag costs exactly one request.
    assert client.counter.get(host) == before + 1


def test_resolve_agrees_with_skopeo_for_a_converted_manifest(client: RegistryClient,
                                                             pushed: Pushed) -> None:
    digest = client.resolve(f"{pushed.registry.host}/demo/docker:1.0", insecure=True)
    assert digest == sha256(pushed.docker_manifest)
    assert digest != pushed.single.digest


def test_resolve_of_a_digest_reference_asks_nothing(client: RegistryClient, pushed: Pushed) -> None:
    reference = f"{pushed.registry.host}/demo/oci@{pushed.single.digest}"
    assert client.resolve(reference, insecure=True) == pushed.single.digest
    assert client.counter.total == 0


def test_oci_image_metadata(client: RegistryClient, pushed: Pushed) -> None:
    host, built = pushed.registry.host, pushed.single
    imported = client.fetch_image(f"{host}/demo/oci:1.0", insecure=True)
    image = imported.image.to_json()
    assert imported.manifest_list_digest is None and imported.children == ()
    assert image["metadata"]["name"] == built.digest
    assert image["dockerImageReference"] == f"{host}/demo/oci@{built.digest}"
    assert image["dockerImageManifestMediaType"] == OCI_MANIFEST
    assert image["dockerImageMetadataVersion"] == "1.0"
    metadata = image["dockerImageMetadata"]
    assert metadata["kind"] == "DockerImage" and metadata["apiVersion"] == "1.0"
    assert metadata["Architecture"] == "amd64" and metadata["Os"] == "linux"
    assert metadata["Author"] == "Image Streams Tests"
    assert metadata["Created"] == "2024-05-01T12:34:56Z"  # nanoseconds in the config
    assert metadata["Config"] == built.config["config"]
    layers = [(b.digest, b.size) for b in built.layers]
    assert [(layer["name"], layer["size"]) for layer in image["dockerImageLayers"]] == layers
    assert {layer["mediaType"] for layer in image["dockerImageLayers"]} == {
        "application/vnd.oci.image.layer.v1.tar+gzip"}
    # The first layer appears twice; Size counts it once.
    assert layers[0] == layers[2]
    assert metadata["Size"] == built.config_blob.size + layers[0][1] + layers[1][1]


def test_docker_schema2_image(client: RegistryClient, pushed: Pushed) -> None:
    host = pushed.registry.host
    manifest = json.loads(pushed.docker_manifest)
    image = client.fetch_image(f"{host}/demo/docker:1.0", insecure=True).image.to_json()
    assert image["dockerImageManifestMediaType"] == DOCKER_MANIFEST
    assert image["metadata"]["name"] == sha256(pushed.docker_manifest)
    assert [(layer["name"], layer["size"], layer["mediaType"]) for layer in image["dockerImageLayers"]] == [
        (layer["digest"], layer["size"], layer["mediaType"]) for layer in manifest["layers"]]
    assert image["dockerImageLayers"][0]["mediaType"] == "application/vnd.docker.image.rootfs.diff.tar.gzip"
    metadata = image["dockerImageMetadata"]
    assert metadata["Id"] == manifest["config"]["digest"]
    assert metadata["Config"]["Cmd"] == ["/bin/app", "--serve"]
    assert metadata["Config"]["ExposedPorts"] == {"8080/tcp": {}}
    unique = {layer["digest"]: layer["size"] for layer in manifest["layers"]}
    assert metadata["Size"] == manifest["config"]["size"] + sum(unique.values())


def test_index_legacy_picks_linux_amd64(client: RegistryClient, pushed: Pushed) -> None:
    host = pushed.registry.host
    assert client.resolve(f"{host}/demo/multi:1.0", insecure=True) == pushed.index.digest
    imported = client.fetch_image(f"{host}/demo/multi:1.0", insecure=True)
    amd64 = pushed.index.images[0]
    assert imported.digest == amd64.digest
    assert imported.manifest_list_digest == pushed.index.digest
    assert imported.image.docker_image_reference == f"{host}/demo/multi@{amd64.digest}"
    assert imported.image.docker_image_metadata.architecture == "amd64"
    assert imported.image.docker_image_manifests is None


def test_index_legacy_honours_a_platform_preference(client: RegistryClient, pushed: Pushed) -> None:
    imported = client.fetch_image(f"{pushed.registry.host}/demo/multi:1.0", insecure=True,
                                  platform=Platform("arm64", "linux"))
    assert imported.digest == pushed.index.images[1].digest
    assert imported.image.docker_image_metadata.architecture == "arm64"


def test_index_legacy_without_a_matching_platform(client: RegistryClient, pushed: Pushed) -> None:
    with pytest.raises(NoMatchingPlatform) as error:
        client.fetch_image(f"{pushed.registry.host}/demo/multi:1.0", insecure=True,
                           platform=Platform("s390x", "linux"))
    assert "linux/s390x" in str(error.value) and "linux/arm64/v8" in str(error.value)


def test_index_preserve_original(client: RegistryClient, pushed: Pushed) -> None:
    host = pushed.registry.host
    imported = client.fetch_image(f"{host}/demo/multi:1.0", insecure=True, preserve_original=True)
    image = imported.image.to_json()
    assert image["metadata"]["name"] == pushed.index.digest
    assert image["dockerImageReference"] == f"{host}/demo/multi@{pushed.index.digest}"
    assert image["dockerImageManifestMediaType"] == OCI_INDEX
    assert "dockerImageLayers" not in image
    assert image["dockerImageManifests"] == [
        {"digest": child.digest, "mediaType": OCI_MANIFEST, "manifestSize": child.manifest.size,
         "architecture": arch, "os": "linux", **({"variant": variant} if variant else {})}
        for child, arch, variant in zip(pushed.index.images, ("amd64", "arm64"), (None, "v8"))]
    assert [child.metadata.name for child in imported.children] == [
        child.digest for child in pushed.index.images]
    assert [child.docker_image_metadata.architecture for child in imported.children] == ["amd64", "arm64"]
    assert imported.manifest_list_digest is None


def test_fetch_by_digest(client: RegistryClient, pushed: Pushed) -> None:
    reference = f"{pushed.registry.host}/demo/oci@{pushed.single.digest}"
    assert client.fetch_image(reference, insecure=True).digest == pushed.single.digest


@pytest.mark.parametrize("reference", ["demo/oci:missing", "demo/absent:1.0"])
def test_missing_tag_or_repository_is_not_found(client: RegistryClient, pushed: Pushed,
                                                reference: str) -> None:
    with pytest.raises(RegistryNotFound) as resolving:
        client.resolve(f"{pushed.registry.host}/{reference}", insecure=True)
    with pytest.raises(RegistryNotFound) as fetching:
        client.fetch_image(f"{pushed.registry.host}/{reference}", insecure=True)
    assert "not found" in str(resolving.value)
    assert "MANIFEST_UNKNOWN" in str(fetching.value) or "NAME_UNKNOWN" in str(fetching.value)
