"""Spec tags from DockerImage import when set: by tag and digest, OCI and Docker schema 2,
manifest lists in both modes, auth from the namespace's secrets, failures as conditions."""
from __future__ import annotations

import socket

import pytest

from chalicelib.domain.imports import PREFER_ARCH
from chalicelib.services.actor import SERVICE
from testbed.registry import RegistryServer

from .conftest import NS, Images, Stack


def test_import_by_tag_records_the_image_and_moves_the_tag(stack: Stack, images: Images) -> None:
    host, digest = images.plain.host, images.single.digest
    stack.create("app")
    out = stack.tag("app:1", f"{host}/imports/oci:1.0", importPolicy={"insecure": True})
    reference = f"{host}/imports/oci@{digest}"
    assert stack.head("app", "1") == (reference, digest, 2)  # the spec tag's generation
    assert out.conditions is None
    assert out.image.metadata.name == digest
    assert out.image.docker_image_metadata.architecture == "amd64"
    stored = stack.store.get_image(digest)
    assert stored is not None and stored.docker_image_reference == reference
    assert stored.docker_image_metadata.config.cmd == ["/bin/app", "--serve"]
    assert stack.store.get_tag(NS, "app", "1").import_digest == digest
    assert stack.store.get_tag(NS, "app", "1").due is None  # not scheduled


def test_import_by_digest_and_docker_schema2(memory_stack: Stack, images: Images) -> None:
    host = images.plain.host
    memory_stack.create("app")
    by_digest = f"{host}/imports/docker@{images.docker_digest}"
    memory_stack.tag("app:pinned", by_digest, importPolicy={"insecure": True})
    assert memory_stack.head("app", "pinned") == (by_digest, images.docker_digest, 2)
    image = memory_stack.store.get_image(images.docker_digest)
    assert image.docker_image_manifest_media_type == \
        "application/vnd.docker.distribution.manifest.v2+json"


def test_legacy_mode_picks_linux_amd64_or_the_preferred_platform(memory_stack: Stack,
                                                                 images: Images) -> None:
    host = images.plain.host
    amd64, arm64 = images.index.images
    memory_stack.create("default")
    memory_stack.tag("default:1", f"{host}/imports/multi:1.0", importPolicy={"insecure": True})
    assert memory_stack.head("default", "1") == (f"{host}/imports/multi@{amd64.digest}",
                                                 amd64.digest, 2)
    memory_stack.create("arm", annotations={PREFER_ARCH: "arm64"})
    memory_stack.tag("arm:1", f"{host}/imports/multi:1.0", importPolicy={"insecure": True})
    assert memory_stack.head("arm", "1")[1] == arm64.digest
    # Legacy keeps the chosen image only; the tag remembers the list it came from
    assert memory_stack.store.get_image(images.index.digest) is None
    assert memory_stack.store.get_tag(NS, "arm", "1").import_digest == images.index.digest


def test_preserve_original_keeps_the_list_and_its_children(stack: Stack, images: Images) -> None:
    host, index = images.plain.host, images.index
    stack.create("app")
    stack.tag("app:1", f"{host}/imports/multi:1.0",
              importPolicy={"insecure": True, "importMode": "PreserveOriginal"})
    assert stack.head("app", "1") == (f"{host}/imports/multi@{index.digest}", index.digest, 2)
    listed = stack.store.get_image(index.digest)
    assert [(m.digest, m.architecture, m.variant) for m in listed.docker_image_manifests] == [
        (index.images[0].digest, "amd64", None), (index.images[1].digest, "arm64", "v8")]
    for child in index.images:
        assert stack.store.get_image(child.digest).docker_image_reference == \
            f"{host}/imports/multi@{child.digest}"


def test_a_failed_import_sets_the_condition_and_keeps_the_image(stack: Stack,
                                                                images: Images) -> None:
    host = images.plain.host
    stack.create("app")
    stack.tag("app:1", f"{host}/imports/oci:1.0", importPolicy={"insecure": True})
    before = stack.head("app", "1")
    out = stack.tag("app:1", f"{host}/imports/oci:missing", importPolicy={"insecure": True})
    assert stack.head("app", "1") == before
    [condition] = out.conditions
    assert (condition.type, condition.status, condition.reason) == (
        "ImportSuccess", "False", "NotFound")
    assert "imports/oci:missing" in condition.message and condition.generation == 3
    # the next success clears it
    stack.tag("app:1", f"{host}/imports/docker:1.0", importPolicy={"insecure": True})
    assert stack.conditions("app", "1") == []
    assert stack.head("app", "1")[1] == images.docker_digest


def test_without_insecure_only_verified_tls_is_used(memory_stack: Stack, images: Images) -> None:
    memory_stack.create("app")
    out = memory_stack.tag("app:1", f"{images.plain.host}/imports/oci:1.0")
    assert memory_stack.conditions("app", "1") == [("False", "ConnectionFailed")]
    assert "TLS" in out.conditions[0].message  # a plain HTTP server does not speak it
    assert memory_stack.head("app", "1") is None


def test_followers_move_with_an_imported_tag(memory_stack: Stack, images: Images) -> None:
    host = images.plain.host
    memory_stack.create("app", {"name": "latest",
                                "from": {"kind": "ImageStreamTag", "name": "app:1"}})
    memory_stack.tag("app:1", f"{host}/imports/oci:1.0", importPolicy={"insecure": True})
    assert memory_stack.head("app", "latest")[1] == images.single.digest


def test_one_source_in_many_tags_of_a_stream_is_fetched_once(memory_stack: Stack,
                                                             images: Images) -> None:
    source = {"kind": "DockerImage", "name": f"{images.plain.host}/imports/oci:1.0"}
    tags = [{"name": f"t{n}", "from": source, "importPolicy": {"insecure": True}}
            for n in range(5)]
    memory_stack.create("app", *tags)
    # HTTPS first (insecure allows both; this registry has no TLS), then over HTTP, which
    # the client now remembers: one HEAD, one manifest, one config
    assert memory_stack.requests == 4
    assert {memory_stack.head("app", f"t{n}")[1] for n in range(5)} == {images.single.digest}


def test_credentials_come_from_the_namespace_secrets(memory_stack: Stack, private,
                                                     basic_registry: RegistryServer,
                                                     token_registry: RegistryServer) -> None:
    for registry in (basic_registry, token_registry):
        memory_stack.create(registry.flavour)
        memory_stack.tag(f"{registry.flavour}:1", f"{registry.host}/imports/private:1.0",
                         importPolicy={"insecure": True})
        assert memory_stack.conditions(registry.flavour, "1") == [("False", "Unauthorized")]
        memory_stack.add_secret(registry, name=f"{registry.flavour}-pull")
        memory_stack.tag(f"{registry.flavour}:1", f"{registry.host}/imports/private:1.0",
                         importPolicy={"insecure": True}, annotations={"try": "again"})
        assert memory_stack.head(registry.flavour, "1")[1] == private.digest
        # another namespace does not get these credentials
        memory_stack.create(registry.flavour, namespace="other")
        memory_stack.tag(f"{registry.flavour}:1", f"{registry.host}/imports/private:1.0",
                         namespace="other", importPolicy={"insecure": True})
        assert memory_stack.conditions(registry.flavour, "1", "other") == [
            ("False", "Unauthorized")]


def test_a_patch_or_replace_that_sets_a_spec_tag_imports_it(stack: Stack, images: Images) -> None:
    host = images.plain.host
    stack.create("app")
    stack.streams.patch(SERVICE, NS, "app", {"spec": {"tags": [
        {"name": "patched", "from": {"kind": "DockerImage", "name": f"{host}/imports/oci:1.0"},
         "importPolicy": {"insecure": True, "scheduled": True}}]}})
    assert stack.head("app", "patched")[1] == images.single.digest
    assert stack.store.get_tag(NS, "app", "patched").due is not None
    body = stack.streams.get(NS, "app")
    body.spec.tags[0] = body.spec.tags[0].model_copy(update={"import_policy": body.spec.tags[
        0].import_policy.model_copy(update={"scheduled": False})})
    body.metadata.resource_version = None
    stack.streams.replace(SERVICE, NS, "app", body)
    assert stack.store.get_tag(NS, "app", "patched").due is None  # out of the schedule
    assert stack.head("app", "patched")[1] == images.single.digest


def test_docker_hub_names_go_to_its_api_host(memory_stack: Stack, connections: list[str],
                                             monkeypatch) -> None:
    """`python:3.6` is docker.io/library/python:3.6, served by registry-1.docker.io over
    HTTPS. The name is answered here with a public address the test guard refuses."""
    looked_up: list[str] = []

    def resolve(host, port, *args, **kwargs):
        looked_up.append(f"{host}:{port}")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    memory_stack.create("python")
    out = memory_stack.tag("python:3.6", "python:3.6")
    # The name is resolved (any port: the address filter asks for addresses only), then
    # the connection goes to the address it gave, on HTTPS's port.
    assert looked_up[0].split(":")[0] == "registry-1.docker.io"
    assert connections[0] == "93.184.216.34:443"
    assert out.conditions[0].reason == "ConnectionFailed"
    assert "registry-1.docker.io" in out.conditions[0].message


@pytest.mark.parametrize("errno, lookups", [(socket.EAI_NONAME, 1), (socket.EAI_AGAIN, 2)])
def test_a_name_that_does_not_exist_is_not_looked_up_again(memory_stack: Stack, monkeypatch,
                                                           errno: int, lookups: int) -> None:
    """The resolver is the boundary here (no DNS in tests): it answers as it would. A name it
    says does not exist fails the import at once; a temporary failure is tried again."""
    looked_up: list[str] = []

    def resolve(host, port, *args, **kwargs):
        looked_up.append(host)
        raise socket.gaierror(errno, "as the resolver answers")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    memory_stack.create("app")
    out = memory_stack.tag("app:1", "registry.invalid/team/app:1")
    assert looked_up == ["registry.invalid"] * lookups
    assert (out.conditions[0].reason, out.conditions[0].message.split(":")[0]) == (
        "ConnectionFailed", "cannot resolve host registry.invalid")
