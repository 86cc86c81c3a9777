"""The console's page and assets as the API serves them: open routes, a strict CSP, hashed
asset names cached for a year, and nothing inline for the CSP to have to allow."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from chalice.test import Client

from app import app
from chalicelib import console, wiring
from chalicelib.adapters.memory_store import MemoryStore

REGISTRY = "registry.example.test:5000"


@pytest.fixture
def client() -> Iterator[Client]:
    wiring.use(wiring.Services(MemoryStore(), REGISTRY))
    try:
        with Client(app) as test_client:
            yield test_client
    finally:
        wiring.use(None)


class Elements(HTMLParser):
    """Every start tag with its attributes, and any text inside <script> or <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: list[str] = []
        self._inside: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._inside = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._inside = None

    def handle_data(self, data: str) -> None:
        if self._inside and data.strip():
            self.inline.append(data)


def elements(html: str) -> Elements:
    parsed = Elements()
    parsed.feed(html)
    return parsed


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_the_page_is_served_without_a_token_with_a_strict_csp(client: Client) -> None:
    answer = client.http.get("/console")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = csp_directives(answer.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'none'"]
    for directive in ("script-src", "style-src", "connect-src", "img-src"):
        assert csp[directive] == ["'self'"], directive  # no inline, no eval, no other origin
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["require-trusted-types-for"] == ["'script'"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["Cache-Control"] == "no-cache"  # it names the assets of this deploy


def test_the_page_has_nothing_inline_and_names_only_its_own_assets(client: Client) -> None:
    parsed = elements(client.http.get("/console").body.decode())
    assert parsed.inline == []
    for tag, attributes in parsed.tags:
        assert "style" not in attributes, tag
        assert not [name for name in attributes if name.startswith("on")], tag
        for name in ("src", "href"):
            url = attributes.get(name)
            if url is not None and not url.startswith("#"):
                assert re.fullmatch(r"/console/assets/[a-z]+\.[0-9a-f]{12}\.(js|css|svg)", url), url
    scripts = [attributes for tag, attributes in parsed.tags if tag == "script"]
    assert scripts == [{"type": "module", "src": "/" + console.asset_path("app.js")}]


@pytest.mark.parametrize("path", ["/console", "/console/"])
def test_each_asset_named_by_the_page_is_served_for_a_year(client: Client, path: str) -> None:
    parsed = elements(client.http.get(path).body.decode())
    urls = [attributes.get("src") or attributes.get("href") for tag, attributes in parsed.tags
            if tag in ("script", "link")]
    assert len(urls) == 3
    for url in urls:
        answer = client.http.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        name = url.rpartition("/")[2]
        stem, digest, suffix = name.split(".")
        source = console.STATIC / f"{stem}.{suffix}"
        assert answer.body == source.read_bytes()
        assert answer.headers["Content-Type"] == console.CONTENT_TYPES["." + suffix]


def test_an_asset_of_another_version_is_not_found(client: Client) -> None:
    answer = client.http.get("/console/assets/app.000000000000.js")
    assert answer.status_code == 404
    assert b'"kind":"Status"' in answer.body


def test_the_page_names_its_assets_under_the_stage_it_is_reached_through() -> None:
    assert console.api_root("/console") == "/"
    assert console.api_root("/console/") == "/"
    assert console.api_root("/api/console") == "/api/"  # an API Gateway stage
    assert console.api_root("/images/console/") == "/images/"  # a custom domain's base path
    assert console.api_root("") == "/"
    assert 'src="/api/console/assets/app.' in console.page_html("/api/")


def test_the_script_writes_no_html_from_strings_and_keeps_the_token_out_of_urls() -> None:
    script = (console.STATIC / "app.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function", "localStorage"):
        assert sink not in script, sink
    # The token goes in the Authorization header only: no query parameter names it.
    assert "access_token" not in script and "token=" not in script


def test_a_deployment_has_no_demo_queue_messages(client: Client) -> None:
    """Only `make run`'s app server answers the stream page's demo-queue messages
    (local/app_server.py); the API itself answers the path with the catch-all's 404, which
    names no stream, and the console then leaves the section out."""
    answer = client.http.get("/local/demo-queue/namespaces/default/imagestreams/web/messages",
                             headers={"Authorization": "Bearer isk_anything"})
    assert answer.status_code == 404
    body = json.loads(answer.body)
    assert body["kind"] == "Status" and "details" not in body
