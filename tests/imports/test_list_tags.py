"""The registry client's tag list (tags/list): pages, limits, auth, and what it refuses."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.registry import (
    AddressPolicy,
    ClientSettings,
    Credentials,
    RegistryClient,
    RegistryNotFound,
    UnexpectedResponse,
)
from testbed.oci_layout import OciLayout
from testbed.registry import RegistryServer
from tests.registry.scripted import Canned, ScriptedServer, Seen

from .conftest import LOOPBACK, Images, fresh_image

TAGS = ["1.0", "1.1", "2.0", "beta", "latest"]


def client(credentials: Credentials | None = None) -> RegistryClient:
    return RegistryClient(policy=AddressPolicy([LOOPBACK]), credentials=lambda _: credentials,
                          settings=ClientSettings(total_timeout=5.0))


@pytest.fixture(scope="session")
def tagged(images: Images, layout: OciLayout) -> str:
    name, _ = fresh_image(layout)
    for tag in TAGS:
        images.plain.push(layout, name, f"list/app:{tag}")
    return f"{images.plain.host}/list/app"


def test_all_tags_in_the_registry_order(tagged: str) -> None:
    everything = client().list_tags(tagged, insecure=True)
    assert sorted(everything) == TAGS
    # a tag or digest in the reference is ignored
    assert client().list_tags(f"{tagged}:1.0", insecure=True) == everything


def test_pages_are_followed_and_the_limit_holds() -> None:
    """Link pagination (distribution 2.8 answers in one page, so a scripted registry)."""
    def page(seen: Seen) -> Canned:
        query = parse_qs(urlsplit(seen.path).query)
        assert query["n"] == ["2"]
        start = TAGS.index(query["last"][0]) + 1 if "last" in query else 0
        chunk = TAGS[start:start + 2]
        headers = {"Content-Type": "application/json"}
        if start + 2 < len(TAGS):
            headers["Link"] = f'</v2/a/tags/list?last={chunk[-1]}&n=2>; rel="next"'
        return Canned(200, headers, json.dumps({"name": "a", "tags": chunk}).encode())

    with ScriptedServer({"GET /v2/a/tags/list": page}) as server:
        paging = client()
        assert paging.list_tags(f"{server.host}/a", insecure=True, page_size=2) == TAGS
        assert len(server.seen) == 3
        assert client().list_tags(f"{server.host}/a", insecure=True, page_size=2,
                                  limit=3) == TAGS[:3]
        assert len(server.seen) == 5  # the limit stops the paging


def test_missing_repository(images: Images) -> None:
    with pytest.raises(RegistryNotFound):
        client().list_tags(f"{images.plain.host}/list/absent", insecure=True)


def test_tags_behind_token_auth(token_registry: RegistryServer, private) -> None:
    user, password = token_registry.credentials
    tags = client(Credentials(user, password)).list_tags(
        f"{token_registry.host}/imports/private", insecure=True)
    assert tags == ["1.0"]


def test_a_next_page_elsewhere_is_not_followed() -> None:
    first = Canned(200, {"Content-Type": "application/json",
                         "Link": '<http://169.254.169.254/v2/a/tags/list?last=x>; rel="next"'},
                   json.dumps({"name": "a", "tags": ["x"]}).encode())
    with ScriptedServer({"GET /v2/a/tags/list": first}) as server:
        assert client().list_tags(f"{server.host}/a", insecure=True) == ["x"]
        assert len(server.seen) == 1


@pytest.mark.parametrize("body", [b"not json", b'{"tags": "x"}', b'{"tags": [1]}', b"[]"])
def test_unreadable_lists_are_refused(body: bytes) -> None:
    with ScriptedServer({"GET /v2/a/tags/list": Canned(200, {}, body)}) as server:
        with pytest.raises(UnexpectedResponse):
            client().list_tags(f"{server.host}/a", insecure=True)
