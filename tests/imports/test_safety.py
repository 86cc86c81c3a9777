"""An import never connects to loopback, link-local, private or unique-local addresses
unless the allow-list names them, through references and through redirects alike."""
from __future__ import annotations

import pytest

from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.resources.imports import ImageStreamImport
from chalicelib.services.actor import SERVICE
from testbed.oci_layout import OciLayout
from tests.registry.scripted import Canned, ScriptedServer, image_routes

from .conftest import NS, Images, Stack


@pytest.fixture
def closed() -> Stack:
    """No allow-list: the production default."""
    return Stack(MemoryStore(), allow_list="")


@pytest.mark.parametrize("reference, kind", [
    ("127.0.0.1:5000/team/app:1", "loopback"),
    ("localhost:5000/team/app:1", None),  # a name: what it resolves to is not told
    ("[::1]:5000/team/app:1", "loopback"),
    ("169.254.169.254/latest/meta-data:1", "link-local"),
    ("10.1.2.3:5000/team/app:1", "private"),
    ("192.168.0.10/team/app:1", "private"),
    ("[fd00::1]:5000/team/app:1", "unique-local"),
])
def test_refused_addresses_set_a_clear_condition_and_connect_nowhere(
        closed: Stack, connections: list[str], reference: str, kind: str | None) -> None:
    closed.create("app")
    out = closed.tag("app:1", reference, importPolicy={"insecure": True, "scheduled": True})
    [condition] = out.conditions
    assert (condition.status, condition.reason) == ("False", "UnsafeAddress")
    if kind is None:
        assert condition.message.endswith("its address is not allowed (not in the registry "
                                          "allow-list)")
        assert "127.0.0.1" not in condition.message and "loopback" not in condition.message
    else:
        assert f"{kind} address not in the registry allow-list" in condition.message
    assert closed.cycle().written == 0  # the same refusal again rewrites nothing
    assert connections == []


def test_an_allowed_endpoint_does_not_open_its_neighbours(images: Images,
                                                          connections: list[str]) -> None:
    host = images.plain.host
    stack = Stack(MemoryStore(), allow_list=host)
    stack.create("app")
    stack.tag("app:ok", f"{host}/imports/oci:1.0", importPolicy={"insecure": True})
    assert stack.head("app", "ok")[1] == images.single.digest
    connections.clear()
    port = int(host.rsplit(":", 1)[1])
    stack.tag("app:other", f"127.0.0.1:{port + 1}/imports/oci:1.0",
              importPolicy={"insecure": True})
    assert stack.conditions("app", "other") == [("False", "UnsafeAddress")]
    assert connections == []


def test_a_redirect_into_the_metadata_service_is_refused(layout: OciLayout, images: Images,
                                                         connections: list[str]) -> None:
    routes = image_routes(layout, images.single)
    config = f"GET /v2/demo/app/blobs/{images.single.config_blob.digest}"
    routes[config] = Canned(307, {"Location": "http://169.254.169.254/latest/meta-data/iam"})
    with ScriptedServer(routes) as server:
        stack = Stack(MemoryStore(), allow_list=server.host)
        stack.create("app")
        out = stack.tag("app:1", f"{server.host}/demo/app:1.0", importPolicy={"insecure": True})
    assert out.conditions[0].reason == "UnsafeAddress"
    assert "169.254.169.254" in out.conditions[0].message
    assert all(c.startswith("127.0.0.1:") for c in connections)
    assert stack.store.get_image(images.single.digest) is None


def test_a_dry_run_import_is_checked_the_same_way(closed: Stack, connections: list[str]) -> None:
    result = closed.imports.create(SERVICE, NS, ImageStreamImport.model_validate({
        "metadata": {"name": "app"}, "spec": {"import": False, "images": [
            {"from": {"kind": "DockerImage", "name": "169.254.169.254/latest:1"}}]}}))
    [image] = result.status.images
    assert (image.status.status, image.status.reason, image.status.code) == (
        "Failure", "UnsafeAddress", 403)
    assert connections == []
