"""`?watch=true` on moto: the table's stream feeds the change log through the same handler
the Lambda runs (tests/triggers' pump), and the API answers watches from it."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.changes import KEPT_SECONDS
from testbed.auth import admin_headers, grant
from tests.triggers.conftest import Cloud, moto_cloud

from .conftest import Api, digest, mapping, ns_path

TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


class WatchApi(Api):
    def __init__(self, client: Client, headers: dict[str, str], cloud: Cloud):
        super().__init__(client, headers)
        self.cloud = cloud

    def events(self, path: str, headers: dict[str, str] | None = None) -> list[dict]:
        """A watch's events, after the stream's new records reached the change log."""
        self.cloud.pump()
        reply = self.client.http.request("GET", path, headers={**self.headers,
                                                               **(headers or {})})
        assert reply.status_code == 200, reply.body
        assert reply.headers["Content-Type"] == "application/json"
        return [json.loads(line) for line in reply.body.decode().splitlines()]

    def listed_version(self, resource: str) -> str:
        self.cloud.pump()
        reply = self.get(ns_path(resource))
        assert reply.status_code == 200, reply.data
        return reply.data["metadata"]["resourceVersion"]


@pytest.fixture
def api() -> Iterator[WatchApi]:
    with moto_cloud() as cloud, Client(app) as client:
        yield WatchApi(client, admin_headers(cloud.services), cloud)


def summary(events: list[dict]) -> list[tuple[str, str]]:
    return [(event["type"], event["object"]["metadata"].get("name", "")) for event in events]


def test_a_watch_from_a_lists_version_sends_what_changed_after_it(api):
    assert api.post(ns_path("imagestreams"), {"metadata": {"name": "web"}}).status_code == 201
    version = api.listed_version("imagestreams")
    assert api.post(ns_path("imagestreams"), {"metadata": {"name": "api"}}).status_code == 201
    assert api.post(ns_path("imagestreammappings"), mapping("web", "v1", digest("a"))
                    ).status_code == 201

    events = api.events(ns_path("imagestreams") + f"?watch=true&resourceVersion={version}")

    assert summary(events) == [("ADDED", "api"), ("MODIFIED", "web")]
    web = events[1]["object"]
    assert web["kind"] == "ImageStream" and web["status"]["tags"][0]["tag"] == "v1"
    # Resuming from the last event sends nothing more; its version still updates the object.
    last = web["metadata"]["resourceVersion"]
    assert api.events(ns_path("imagestreams") +
                      f"?watch=true&resourceVersion={last}&timeoutSeconds=1") == []
    web["metadata"]["labels"] = {"tier": "front"}
    assert api.put(ns_path("imagestreams", "web"), web).status_code == 200


def test_a_watch_of_tags_sends_each_tags_creation_move_and_deletion(api):
    assert api.post(ns_path("imagestreams"), {"metadata": {"name": "web"}}).status_code == 201
    version = api.listed_version("imagestreamtags")
    assert api.post(ns_path("imagestreammappings"), mapping("web", "v1", digest("a"))
                    ).status_code == 201
    created = api.events(ns_path("imagestreamtags") + f"?watch=1&resourceVersion={version}")
    assert summary(created) == [("ADDED", "web:v1")]
    assert created[0]["object"]["image"]["metadata"]["name"] == digest("a")

    position = created[0]["object"]["metadata"]["resourceVersion"]
    assert api.post(ns_path("imagestreammappings"), mapping("web", "v1", digest("b"))
                    ).status_code == 201
    assert api.delete(ns_path("imagestreams", "web")).status_code == 200
    api.cloud.pump()  # the delete's cleanup clears the stream's tags; their records come next
    later = api.events(ns_path("imagestreamtags") + f"?watch=1&resourceVersion={position}")
    assert summary(later) == [("DELETED", "web:v1")]  # the move and the deletion, read now
    assert later[0]["object"]["kind"] == "ImageStreamTag"


def test_a_watch_with_no_version_starts_with_every_object_as_added(api):
    for name in ("a", "b"):
        assert api.post(ns_path("imagestreams"), {"metadata": {"name": name}}).status_code == 201
    events = api.events(ns_path("imagestreams") + "?watch=true&allowWatchBookmarks=true")
    assert summary(events)[:2] == [("ADDED", "a"), ("ADDED", "b")]
    assert events[2]["type"] == "BOOKMARK"
    bookmark = events[2]["object"]["metadata"]["resourceVersion"]
    assert bookmark == events[0]["object"]["metadata"]["resourceVersion"].split(".")[0]


def test_a_watch_with_nothing_new_ends_after_its_timeout_with_a_bookmark(api):
    version = api.listed_version("imagestreams")
    events = api.events(ns_path("imagestreams") + f"?watch=true&resourceVersion={version}"
                        "&timeoutSeconds=1&allowWatchBookmarks=true")
    assert events == [{"type": "BOOKMARK", "object": {
        "kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
        "metadata": {"resourceVersion": version}}}]


def test_selectors_choose_the_events(api):
    version = api.listed_version("imagestreams")
    for name, tier in (("web", "front"), ("db", "back")):
        body = {"metadata": {"name": name, "labels": {"tier": tier}}}
        assert api.post(ns_path("imagestreams"), body).status_code == 201
    path = ns_path("imagestreams") + f"?watch=true&resourceVersion={version}"

    assert summary(api.events(path + "&fieldSelector=metadata.name%3Ddb")) == [("ADDED", "db")]
    assert summary(api.events(path + "&labelSelector=tier%3Dfront")) == [("ADDED", "web")]
    refused = api.get(path + "&fieldSelector=spec.tags%3Dx")
    assert refused.status_code == 400
    assert '"spec.tags" is not a known field selector' in refused.data["message"]


def test_events_are_tables_when_kubectl_asks_for_them(api):
    version = api.listed_version("imagestreams")
    assert api.post(ns_path("imagestreams"), {"metadata": {"name": "web"}}).status_code == 201
    [event] = api.events(ns_path("imagestreams") + f"?watch=true&resourceVersion={version}",
                         {"accept": TABLE_ACCEPT})
    table = event["object"]
    assert event["type"] == "ADDED" and table["kind"] == "Table"
    assert [column["name"] for column in table["columnDefinitions"]] == [
        "Name", "Image Repository", "Tags", "Updated"]
    assert table["rows"][0]["cells"][0] == "web"
    assert table["rows"][0]["object"]["metadata"]["resourceVersion"].startswith(
        f"{int(version) + 1}.")


def test_a_version_older_than_the_log_keeps_is_gone(api, monkeypatch):
    assert api.post(ns_path("imagestreams"), {"metadata": {"name": "web"}}).status_code == 201
    version = api.listed_version("imagestreams")
    assert api.post(ns_path("imagestreams"), {"metadata": {"name": "api"}}).status_code == 201
    api.cloud.pump()
    log = api.cloud.services.changes
    now = log._clock()  # noqa: SLF001 (the change log's clock, moved past what it keeps)
    monkeypatch.setattr(log, "_clock", lambda: now + KEPT_SECONDS + 60)
    assert api.post(ns_path("imagestreams"), {"metadata": {"name": "db"}}).status_code == 201
    api.cloud.pump()

    reply = api.get(ns_path("imagestreams") + f"?watch=true&resourceVersion={version}")
    assert reply.status_code == 410
    assert (reply.data["reason"], reply.data["code"]) == ("Expired", 410)
    assert reply.data["message"].startswith(f"too old resource version: {version} (")
    # A list gives a version to watch from again.
    fresh = api.listed_version("imagestreams")
    assert api.events(ns_path("imagestreams") +
                      f"?watch=true&resourceVersion={fresh}&timeoutSeconds=1") == []


@pytest.mark.parametrize("query, message", [
    ("resourceVersion=abc", 'resourceVersion: Invalid value: "abc"'),
    ("timeoutSeconds=-1", 'timeoutSeconds: Invalid value: "-1"'),
])
def test_bad_watch_parameters_are_bad_requests(api, query, message):
    reply = api.get(ns_path("imagestreams") + f"?watch=true&{query}")
    assert reply.status_code == 400 and message in reply.data["message"]


def test_watch_is_served_per_namespace_and_for_lists_only(api):
    every = api.get("/apis/image.openshift.io/v1/imagestreams?watch=true")
    assert every.status_code == 400 and "served per namespace" in every.data["message"]
    one = api.get(ns_path("imagestreams", "web") + "?watch=true")
    assert one.status_code == 400 and "only lists" in one.data["message"]


def test_watching_needs_the_watch_verb(api):
    services = api.cloud.services
    viewer_token = grant(services, "viewer", "view", "default")
    puller_token = grant(services, "puller", "system:image-puller", "default")
    path = ns_path("imagestreamtags") + "?watch=true&timeoutSeconds=1"

    viewer = api.client.http.request("GET", path, headers={
        "authorization": f"Bearer {viewer_token}"})
    puller = api.client.http.request("GET", path, headers={
        "authorization": f"Bearer {puller_token}"})
    assert viewer.status_code == 200
    assert puller.status_code == 403
    assert 'cannot watch resource "imagestreamtags"' in json.loads(puller.body)["message"]


def discovered_verbs(api: Any, plural: str) -> list[str]:
    resources = api.get("/apis/image.openshift.io/v1").data["resources"]
    return next(r["verbs"] for r in resources if r["name"] == plural)


def test_discovery_says_streams_and_tags_can_be_watched(api):
    assert "watch" in discovered_verbs(api, "imagestreams")
    assert "watch" in discovered_verbs(api, "imagestreamtags")
    assert "watch" not in discovered_verbs(api, "images")
