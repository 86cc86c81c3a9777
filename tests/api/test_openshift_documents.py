"""OpenShift's own sample image streams, applied as OpenShift applies them.

The documents under tests/fixtures/openshift/ are copies of openshift/library and
openshift/origin files (SOURCES.md says which, and their license). The first run makes
every DockerImage tag a reference, so nothing is imported; the second imports as written,
on a machine with no way out, so every import fails and must say why.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.services.imports import ImportSettings
from chalicelib.services.ports import StreamStore
from testbed.auth import admin_headers
from testbed.network_guard import stay_on_this_machine

from .conftest import REGISTRY, Api, ns_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openshift"
DOCUMENTS = sorted(FIXTURES.rglob("*.json"))


def streams_of(path: Path) -> list[dict[str, Any]]:
    """The ImageStreams a document holds: itself, or the items of an ImageStreamList."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return document["items"] if document["kind"].endswith("List") else [document]


def namespace_of(path: Path) -> str:
    return path.stem.lower()[:63]


def as_references(stream: dict[str, Any]) -> dict[str, Any]:
    """The stream with every DockerImage tag a reference: recorded, never imported."""
    changed = copy.deepcopy(stream)
    for tag in changed["spec"].get("tags") or []:
        if (tag.get("from") or {}).get("kind") == "DockerImage":
            tag["reference"] = True
    return changed


def last_entries(stream: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The spec tags by name; OpenShift keeps a repeated name's last entry."""
    return {tag["name"]: tag for tag in stream["spec"].get("tags") or []}


def same_stream_source(tag: dict[str, Any], stream: str) -> str | None:
    source = tag.get("from") or {}
    if source.get("kind") != "ImageStreamTag" or source.get("namespace"):
        return None
    name = source["name"]
    if ":" not in name:
        return name
    source_stream, _, source_tag = name.partition(":")
    return source_tag if source_stream == stream else None


@pytest.fixture
def api(store: StreamStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    stay_on_this_machine(monkeypatch)
    settings = ImportSettings(request_seconds=2.0, api_seconds=10.0)
    services = wiring.Services(store, REGISTRY, import_settings=settings)
    wiring.use(services)
    with Client(app) as client:
        yield Api(client, admin_headers(services))
    wiring.use(None)


def test_the_fixtures_are_the_documents_the_issue_names() -> None:
    names = {path.stem for path in DOCUMENTS}
    for stream in ("python", "nodejs", "ruby", "golang", "httpd", "nginx", "postgresql",
                   "mysql", "jenkins", "dotnet", "sso"):
        assert any(name.startswith(stream) for name in names), stream
    assert "image-streams-centos7" in names
    assert (FIXTURES / "SOURCES.md").is_file()


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.stem)
def test_every_document_is_accepted_and_its_tags_track_as_written(api: Api,
                                                                  path: Path) -> None:
    namespace = namespace_of(path)
    for stream in map(as_references, streams_of(path)):
        name = stream["metadata"]["name"]
        reply = api.post(ns_path("imagestreams", namespace=namespace), stream)
        assert reply.status_code == 201, reply.data
        wanted = last_entries(stream)
        got = {ref["name"]: ref for ref in reply.data["spec"].get("tags") or []}
        assert sorted(got) == sorted(wanted)
        for tag, ref in wanted.items():
            assert got[tag]["from"] == {k: v for k, v in ref["from"].items() if v}, tag
            assert got[tag].get("annotations") == (ref.get("annotations") or None), tag
        assert reply.data["metadata"].get("annotations") == stream["metadata"].get("annotations")
        heads = {status["tag"]: status["items"][0]["dockerImageReference"]
                 for status in reply.data["status"].get("tags") or []}
        for tag, ref in wanted.items():
            if ref["from"]["kind"] == "DockerImage":
                assert heads[tag] == ref["from"]["name"], tag
            source = same_stream_source(ref, name)
            if source is not None:
                # a follower shows its source's head, or nothing while the source has none
                assert heads.get(tag) == heads.get(source), (tag, source)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.stem)
def test_imports_that_fail_keep_their_spec_tags_and_say_why(api: Api, path: Path) -> None:
    namespace = namespace_of(path)
    for stream in streams_of(path):
        reply = api.post(ns_path("imagestreams", namespace=namespace), stream)
        assert reply.status_code == 201, reply.data
        wanted = last_entries(stream)
        assert sorted(ref["name"] for ref in reply.data["spec"].get("tags") or []) == sorted(
            wanted)
        statuses = {status["tag"]: status for status in reply.data["status"].get("tags") or []}
        for tag, ref in wanted.items():
            if ref["from"]["kind"] != "DockerImage" or ref.get("reference"):
                continue
            [condition] = statuses[tag]["conditions"]
            host = ref["from"]["name"].split("/")[0]
            assert (condition["type"], condition["status"], condition["reason"]) == (
                "ImportSuccess", "False", "ConnectionFailed"), (tag, condition)
            looked_up = "registry-1.docker.io" if "." not in host else host.split(":")[0]
            assert f"cannot resolve host {looked_up}" in condition["message"], condition
            assert statuses[tag]["items"] == []
