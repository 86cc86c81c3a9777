"""The requests kubectl makes, over HTTP on both stores: server-side Tables, field
selectors, and every patch type on image streams and image stream tags."""
from __future__ import annotations

import json

import pytest

from .conftest import REGISTRY, Api, digest, istag, mapping, ns_path

KUBECTL_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                  "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
MERGE = "application/merge-patch+json"


@pytest.fixture
def api(api_on_each_store: Api) -> Api:
    return api_on_each_store


def table(api: Api, path: str) -> dict:
    reply = api.client.http.get(path, headers={**api.headers, "accept": KUBECTL_ACCEPT})
    assert reply.status_code == 200, reply.body
    return json.loads(reply.body)


def python_stream(api: Api) -> None:
    api.post(ns_path("imagestreams"), {"kind": "ImageStream", "metadata": {"name": "python"},
                                       "spec": {"tags": [
                                           {"name": "latest", "from": {
                                               "kind": "ImageStreamTag", "name": "3.9"}}]}})
    api.post(ns_path("imagestreammappings"), mapping("python", "3.9", digest("a")))
    api.post(ns_path("imagestreams"), {"kind": "ImageStream", "metadata": {"name": "ruby"}})


def test_get_answers_a_table_with_openshifts_columns(api: Api) -> None:
    python_stream(api)
    streams = table(api, ns_path("imagestreams"))
    assert (streams["kind"], streams["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert [c["name"] for c in streams["columnDefinitions"]] == [
        "Name", "Image Repository", "Tags", "Updated"]
    rows = {row["cells"][0]: row["cells"] for row in streams["rows"]}
    assert rows["python"][1] == f"{REGISTRY}/default/python"
    assert rows["python"][2] == "3.9,latest"  # newest event first, ties by name
    assert rows["ruby"][2:] == ["", ""]
    assert streams["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    tag = table(api, ns_path("imagestreamtags", "python:latest"))
    assert [c["name"] for c in tag["columnDefinitions"]][:3] == [
        "Name", "Image Reference", "Updated"]
    assert tag["rows"][0]["cells"][:2] == [
        "python:latest", f"{REGISTRY}/default/python@{digest('a')}"]
    whole = api.client.http.get(ns_path("imagestreams") + "?includeObject=Object",
                                headers={**api.headers, "accept": KUBECTL_ACCEPT})
    assert json.loads(whole.body)["rows"][0]["object"]["kind"] == "ImageStream"
    assert api.get(ns_path("imagestreams")).data["kind"] == "ImageStreamList"  # plain JSON


def test_field_selectors_select_by_name_and_refuse_other_fields(api: Api) -> None:
    python_stream(api)
    named = api.get(ns_path("imagestreams") + "?fieldSelector=metadata.name%3Dpython").data
    assert [item["metadata"]["name"] for item in named["items"]] == ["python"]
    others = api.get(ns_path("imagestreams") + "?fieldSelector=metadata.name!%3Dpython").data
    assert [item["metadata"]["name"] for item in others["items"]] == ["ruby"]
    tags = api.get(ns_path("imagestreamtags") + "?fieldSelector=metadata.name%3Dpython:3.9")
    assert [item["metadata"]["name"] for item in tags.data["items"]] == ["python:3.9"]
    unknown = api.get(ns_path("imagestreams") + "?fieldSelector=spec.tags%3Dx")
    assert (unknown.status_code, unknown.data["reason"]) == (400, "BadRequest")
    assert unknown.data["message"] == (
        '"spec.tags" is not a known field selector: only "metadata.name", '
        '"metadata.namespace"')


def patched(api: Api, path: str, body: object, media_type: str) -> dict:
    reply = api.request("PATCH", path, body, media_type)
    assert reply.status_code == 200, reply.data
    return reply.data


def spec_tags(stream: dict) -> dict[str, str]:
    return {ref["name"]: ref["from"]["name"] for ref in stream["spec"].get("tags", [])}


def test_a_stream_takes_every_patch_type(api: Api) -> None:
    python_stream(api)
    path = ns_path("imagestreams", "python")
    reference = {"kind": "DockerImage", "name": "quay.io/team/python:3.10"}
    # kubectl patch's default: spec.tags merge by name, the other tags stay
    out = patched(api, path, {"spec": {"tags": [{"name": "3.10", "from": reference,
                                                 "reference": True}]}}, STRATEGIC)
    assert spec_tags(out) == {"latest": "3.9", "3.10": "quay.io/team/python:3.10"}
    out = patched(api, path, {"spec": {"tags": [{"name": "3.10", "$patch": "delete"}]}},
                  STRATEGIC)
    assert spec_tags(out) == {"latest": "3.9"}
    out = patched(api, path, [{"op": "add", "path": "/metadata/labels", "value": {"a": "b"}},
                              {"op": "replace", "path": "/spec/tags/0/from/name",
                               "value": "python:3.9"}], JSON_PATCH)
    assert (out["metadata"]["labels"], spec_tags(out)) == ({"a": "b"}, {"latest": "python:3.9"})
    out = patched(api, path, {"metadata": {"labels": None}}, MERGE)
    assert "labels" not in out["metadata"]
    failed = api.request("PATCH", path, [{"op": "remove", "path": "/spec/tags/5"}], JSON_PATCH)
    assert (failed.status_code, failed.data["reason"]) == (422, "Invalid")
    assert spec_tags(api.get(path).data) == {"latest": "python:3.9"}  # nothing written


def test_an_image_stream_tag_takes_every_patch_type(api: Api) -> None:
    python_stream(api)
    path = ns_path("imagestreamtags", "python:latest")
    # what `kubectl annotate istag python:latest team=web` sends
    out = patched(api, path, {"metadata": {"annotations": {"team": "web"}}}, MERGE)
    assert out["metadata"]["annotations"] == {"team": "web"}
    out = patched(api, path, {"metadata": {"annotations": {"owner": "ops"}}}, STRATEGIC)
    assert out["metadata"]["annotations"] == {"team": "web", "owner": "ops"}
    out = patched(api, path, [{"op": "remove", "path": "/metadata/annotations/team"}],
                  JSON_PATCH)
    assert out["metadata"]["annotations"] == {"owner": "ops"}
    stream = api.get(ns_path("imagestreams", "python")).data
    assert stream["spec"]["tags"][0]["annotations"] == {"owner": "ops"}
    assert stream["spec"]["tags"][0]["from"] == {"kind": "ImageStreamTag", "name": "3.9"}
    moved = patched(api, path, {"tag": {"from": {"kind": "DockerImage",
                                                 "name": "quay.io/team/python:3.9"},
                                        "reference": True}}, MERGE)
    assert moved["tag"]["from"]["kind"] == "DockerImage"
    missing = api.request("PATCH", ns_path("imagestreamtags", "python:none"), {}, MERGE)
    assert missing.status_code == 404


def test_a_tag_without_an_image_is_not_patched(api: Api) -> None:
    api.put(ns_path("imagestreamtags", "app:ref"),
            istag("DockerImage", "quay.io/a/b:1", reference=True))
    assert api.request("PATCH", ns_path("imagestreamtags", "app:ref"), {}, MERGE).status_code \
        == 404


def test_lists_across_namespaces_page_in_namespace_order(api: Api) -> None:
    """kubectl get is -A: /apis/image.openshift.io/v1/imagestreams with no namespace."""
    for namespace in ("team-b", "team", "apps"):
        for name in ("web", "db"):
            api.post(ns_path("imagestreams", namespace=namespace),
                     {"kind": "ImageStream", "metadata": {"name": name}})
            api.post(ns_path("imagestreammappings", namespace=namespace),
                     mapping(name, "v1", digest("a"), namespace=namespace))
    seen, token = [], ""
    while True:
        page = api.get(f"/apis/image.openshift.io/v1/imagestreams?limit=4{token}").data
        seen += [f"{i['metadata']['namespace']}/{i['metadata']['name']}" for i in page["items"]]
        if not page["metadata"].get("continue"):
            break
        token = f"&continue={page['metadata']['continue']}"
    assert seen == sorted(seen) and len(seen) == 6
    tags = api.get("/apis/image.openshift.io/v1/imagestreamtags").data["items"]
    assert len(tags) == 6 and {t["metadata"]["namespace"] for t in tags} == {
        "team-b", "team", "apps"}
    rows = table(api, "/apis/image.openshift.io/v1/imagestreams")["rows"]
    assert len(rows) == 6
