"""Registries that lie, fail, throttle, stall or send too much, served on loopback."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from chalicelib.registry import (
    ClientSettings,
    Credentials,
    DigestMismatch,
    RegistryClient,
    RegistryRateLimited,
    ResponseTooLarge,
    ServerError,
    Timeout,
    UnexpectedResponse,
    UnsupportedManifest,
)
from chalicelib.registry.responses import parse_retry_after
from testbed.oci_layout import OciLayout
from tests.registry.conftest import FAST, LOOPBACK, Pushed
from tests.registry.scripted import Canned, ScriptedServer, Seen, blob_bytes, image_routes

MANIFEST = "/v2/demo/app/manifests/1.0"
OTHER_DIGEST = "sha256:" + "0" * 64


@pytest.fixture
def honest(layout: OciLayout, pushed: Pushed) -> dict:
    return image_routes(layout, pushed.single)


def test_digest_header_that_lies_is_detected(honest: dict, client: RegistryClient) -> None:
    lying = Canned(200, {**honest[f"GET {MANIFEST}"].headers, "Docker-Content-Digest": OTHER_DIGEST},
                   honest[f"GET {MANIFEST}"].body)
    with ScriptedServer({**honest, f"GET {MANIFEST}": lying}) as server:
        with pytest.raises(DigestMismatch) as error:
            client.fetch_image(f"{server.host}/demo/app:1.0", insecure=True)
    assert OTHER_DIGEST in str(error.value)


def test_manifest_that_is_not_the_digest_asked_for(honest: dict, pushed: Pushed,
                                                   client: RegistryClient) -> None:
    body = honest[f"GET {MANIFEST}"].body + b"\n"
    with ScriptedServer({f"GET /v2/demo/app/manifests/{pushed.single.digest}": Canned(200, {}, body)}) as server:
        with pytest.raises(DigestMismatch):
            client.fetch_image(f"{server.host}/demo/app@{pushed.single.digest}", insecure=True)


def test_config_blob_that_is_not_its_digest(honest: dict, pushed: Pushed, client: RegistryClient) -> None:
    config = f"GET /v2/demo/app/blobs/{pushed.single.config_blob.digest}"
    with ScriptedServer({**honest, config: Canned(200, {}, b'{"architecture":"evil"}')}) as server:
        with pytest.raises(DigestMismatch):
            client.fetch_image(f"{server.host}/demo/app:1.0", insecure=True)


@pytest.mark.parametrize("content_type", ["application/vnd.docker.distribution.manifest.v1+prettyjws",
                                          "application/json"])
def test_schema1_is_refused(client: RegistryClient, content_type: str) -> None:
    body = json.dumps({"schemaVersion": 1, "name": "demo/app", "tag": "1.0", "architecture": "amd64",
                       "fsLayers": [{"blobSum": OTHER_DIGEST}], "history": [{"v1Compatibility": "{}"}],
                       "signatures": []}).encode()
    with ScriptedServer({f"GET {MANIFEST}": Canned(200, {"Content-Type": content_type}, body)}) as server:
        with pytest.raises(UnsupportedManifest) as error:
            client.fetch_image(f"{server.host}/demo/app:1.0", insecure=True)
    assert "schema 1" in str(error.value)


@pytest.mark.parametrize("method", ["HEAD", "GET"])
def test_server_errors(client: RegistryClient, method: str) -> None:
    with ScriptedServer({f"{method} {MANIFEST}": Canned(500, {}, b'{"errors":[{"code":"UNKNOWN"}]}'),
                         f"GET {MANIFEST}": Canned(503)}) as server:
        with pytest.raises(ServerError) as error:
            client.resolve(f"{server.host}/demo/app:1.0", insecure=True) if method == "HEAD" else \
                client.fetch_image(f"{server.host}/demo/app:1.0", insecure=True)
    assert error.value.status == (500 if method == "HEAD" else 503)


def test_too_many_requests_carries_retry_after_seconds(client: RegistryClient) -> None:
    with ScriptedServer({f"HEAD {MANIFEST}": Canned(429, {"Retry-After": "7"})}) as server:
        with pytest.raises(RegistryRateLimited) as error:
            client.resolve(f"{server.host}/demo/app:1.0", insecure=True)
    assert error.value.retry_after == 7.0


def test_too_many_requests_carries_retry_after_date(client: RegistryClient) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    with ScriptedServer({f"GET {MANIFEST}": Canned(429, {"Retry-After": later})}) as server:
        with pytest.raises(RegistryRateLimited) as error:
            client.fetch_image(f"{server.host}/demo/app:1.0", insecure=True)
    assert 27 <= error.value.retry_after <= 30


def test_retry_after_parsing() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Wed, 01 May 2024 12:01:00 GMT", now) == 60.0
    assert parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("", now) is None and parse_retry_after("soon", now) is None


def test_head_without_digest_or_not_allowed_falls_back_to_get(honest: dict, pushed: Pushed,
                                                              client: RegistryClient) -> None:
    for head in (Canned(405), Canned(200, {"Content-Type": "application/json"})):
        with ScriptedServer({**honest, f"HEAD {MANIFEST}": head}) as server:
            assert client.resolve(f"{server.host}/demo/app:1.0", insecure=True) == pushed.single.digest
            assert [seen.method for seen in server.seen if seen.path == MANIFEST] == ["HEAD", "GET"]


def test_slow_server_hits_the_read_timeout() -> None:
    client = RegistryClient(policy=LOOPBACK, settings=ClientSettings(read_timeout=0.5))
    with ScriptedServer({f"HEAD {MANIFEST}": Canned(200, delay=5)}) as server:
        started = time.monotonic()
        with pytest.raises(Timeout):
            client.resolve(f"{server.host}/demo/app:1.0", insecure=True)
    assert time.monotonic() - started < 3  # one read timeout per scheme tried, nothing longer


def test_trickling_server_hits_the_total_timeout() -> None:
    client = RegistryClient(policy=LOOPBACK, settings=ClientSettings(read_timeout=2, total_timeout=1))
    body = b"{" + b" " * 200 + b"}"
    with ScriptedServer({f"GET {MANIFEST}": Canned(200, body=body, trickle=0.05)}) as server:
        started = time.monotonic()
        with pytest.raises(Timeout):
            client.fetch_image(f"{server.host}/demo/app:1.0", insecure=True)
    assert time.monotonic() - started < 4


@pytest.mark.parametrize("announced", [True, False])
def test_oversized_manifest_is_refused(client: RegistryClient, announced: bool) -> None:
    body = b"{" + b" " * (4 * 1024 * 1024) + b"}"
    canned = Canned(200, body=body, length=None if announced else -1)
    with ScriptedServer({f"GET {MANIFEST}": canned}) as server:
        with pytest.raises(ResponseTooLarge):
            client.fetch_image(f"{server.host}/demo/app:1.0", insecure=True)


def test_oversized_config_is_refused(honest: dict, pushed: Pushed) -> None:
    client = RegistryClient(policy=LOOPBACK, settings=ClientSettings(max_config_bytes=100))
    with ScriptedServer(honest) as server:
        with pytest.raises(ResponseTooLarge):
            client.fetch_image(f"{server.host}/demo/app:1.0", insecure=True)


def test_blob_redirect_is_followed_without_the_registry_credentials(
        layout: OciLayout, honest: dict, pushed: Pushed) -> None:
    config = pushed.single.config_blob.digest
    with ScriptedServer({"GET /storage/config": Canned(200, {}, blob_bytes(layout, config))}) as storage:
        def needs_login(route: Canned):
            def answer(seen: Seen) -> Canned:
                if seen.headers.get("Authorization", "").startswith("Basic "):
                    return route
                return Canned(401, {"WWW-Authenticate": 'Basic realm="test"'})
            return answer
        routes = {key: needs_login(route) for key, route in honest.items()}
        routes[f"GET /v2/demo/app/blobs/{config}"] = needs_login(
            Canned(307, {"Location": storage.url("/storage/config?X-Signature=abc")}))
        with ScriptedServer(routes) as registry:
            client = RegistryClient(credentials=lambda host: Credentials("u", "p"), policy=LOOPBACK,
                                    settings=FAST)
            image = client.fetch_image(f"{registry.host}/demo/app:1.0", insecure=True).image
    assert image.docker_image_metadata.config.cmd == ["/bin/app", "--serve"]
    assert [seen.path for seen in storage.seen] == ["/storage/config?X-Signature=abc"]
    assert "Authorization" not in storage.seen[0].headers


def test_redirect_loop_stops_after_five_hops(honest: dict, pushed: Pushed, client: RegistryClient) -> None:
    path = f"/v2/demo/app/blobs/{pushed.single.config_blob.digest}"
    with ScriptedServer({**honest, f"GET {path}": Canned(302, {"Location": path})}) as server:
        with pytest.raises(UnexpectedResponse) as error:
            client.fetch_image(f"{server.host}/demo/app:1.0", insecure=True)
        assert len([seen for seen in server.seen if seen.path == path]) == 6
    assert "redirects" in str(error.value)


def test_config_with_invalid_fields_is_an_unexpected_response(layout: OciLayout,
                                                              client: RegistryClient) -> None:
    odd = layout.image([{"odd": b"1"}], container_config={"Cmd": "not-a-list", "Labels": {"a": 1}})
    with ScriptedServer(image_routes(layout, odd)) as server:
        with pytest.raises(UnexpectedResponse) as error:
            client.fetch_image(f"{server.host}/demo/app:1.0", insecure=True)
    assert "Config.Cmd" in str(error.value)


@pytest.mark.parametrize("body, content_type, error", [
    (b"<html>not a manifest</html>", "text/html", UnexpectedResponse),
    (json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.artifact.manifest.v1+json",
                 "blobs": []}).encode(), "application/vnd.oci.artifact.manifest.v1+json",
     UnsupportedManifest),
    (json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                 "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json",
                            "digest": OTHER_DIGEST, "size": 2}, "layers": []}).encode(),
     "application/vnd.oci.image.manifest.v1+json", UnsupportedManifest),
])
def test_what_is_not_a_container_image(client: RegistryClient, body: bytes, content_type: str,
                                       error: type) -> None:
    with ScriptedServer({f"GET {MANIFEST}": Canned(200, {"Content-Type": content_type}, body)}) as server:
        with pytest.raises(error):
            client.fetch_image(f"{server.host}/demo/app:1.0", insecure=True)
