"""Discovery documents let generic Kubernetes clients find the resources."""
from __future__ import annotations

from chalicelib.api.responses import TRUNCATED_ANNOTATION, fit_stream

from .conftest import V1, refs


def test_discovery_chain(api):
    assert api.get("/api").data["versions"] == ["v1"]
    groups = api.get("/apis").data
    assert groups["kind"] == "APIGroupList"
    assert groups["groups"][0]["name"] == "image.openshift.io"
    assert groups["groups"][0]["preferredVersion"]["groupVersion"] == "image.openshift.io/v1"
    assert api.get("/apis/image.openshift.io").data["kind"] == "APIGroup"
    resources = api.get(V1).data
    assert resources["kind"] == "APIResourceList"
    assert resources["groupVersion"] == "image.openshift.io/v1"
    by_name = {r["name"]: r for r in resources["resources"]}
    assert set(by_name) == {"imagestreams", "imagestreams/triggers", "imagestreamtags",
                            "imagestreamtags/history", "imagestreamimages",
                            "imagestreammappings", "imagestreamimports", "images"}
    assert by_name["imagestreams"]["shortNames"] == ["is"]
    assert by_name["imagestreams"]["namespaced"] is True
    assert by_name["images"]["namespaced"] is False
    assert by_name["imagestreammappings"]["verbs"] == ["create"]
    assert api.get("/version").data["gitVersion"].startswith("v")
    assert api.get("/healthz").data == {"status": "ok"}


def test_every_advertised_resource_is_routed(api):
    for resource in api.get(V1).data["resources"]:
        if "list" in resource["verbs"] and "/" not in resource["name"]:
            prefix = f"{V1}/namespaces/default" if resource["namespaced"] else V1
            reply = api.get(f"{prefix}/{resource['name']}")
            assert reply.status_code == 200, resource["name"]
            assert reply.data["kind"] == resource["kind"] + "List"


def _big_stream(tags: int, events: int) -> dict:
    return {"kind": "ImageStream", "metadata": {"name": "big"}, "status": {"tags": [
        {"tag": f"t{t}", "items": [{"created": "2026-01-01T00:00:00Z",
                                    "dockerImageReference": f"r/x@sha256:{e:064x}",
                                    "image": f"sha256:{e:064x}", "generation": 1}
                                   for e in range(events)]}
        for t in range(tags)]}}


def test_small_streams_come_back_whole():
    body = _big_stream(3, 3)
    assert fit_stream(body, limit=1_000_000) == _big_stream(3, 3)


def test_oversized_stream_keeps_every_head_and_says_what_was_left_out():
    body = fit_stream(_big_stream(10, 50), limit=60_000)
    tags = body["status"]["tags"]
    assert len(tags) == 10
    kept = {len(t["items"]) for t in tags}
    assert len(kept) == 1 and 1 <= kept.pop() < 50
    assert all(t["items"][0]["image"] == f"sha256:{0:064x}" for t in tags)
    omitted = int(body["metadata"]["annotations"][TRUNCATED_ANNOTATION])
    assert omitted == 10 * 50 - sum(len(t["items"]) for t in tags)


def test_openapi_document_describes_every_route(api):
    from chalicelib.api.routes import ROUTES
    document = api.get("/openapi/v3/imagestreams.json").data
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == set(ROUTES)
    stream = document["paths"][f"{V1}/namespaces/{{namespace}}/imagestreams"]
    assert stream["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ImageStream"}
    assert stream["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ImageStreamList"}
    schemas = document["components"]["schemas"]
    assert "dockerImageReference" in schemas["TagEvent"]["properties"]
    assert "from" in schemas["TagReference"]["properties"]
    for path_item in document["paths"].values():
        for operation in path_item.values():
            for ref in refs(operation):
                assert ref.split("/")[-1] in schemas, ref


def test_openapi_document_offers_paging_only_where_lists_page_and_a_body_for_every_write(api):
    document = api.get("/openapi/v3/imagestreams.json").data
    queries = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            queries[(method, path)] = {p["name"] for p in operation["parameters"]
                                       if p["in"] == "query"}
            if method in ("post", "put") and path != "/webhooks/registry":
                assert "requestBody" in operation, (method, path)
    watch = {"watch", "resourceVersion", "timeoutSeconds", "allowWatchBookmarks"}
    watched = {path for (method, path), names in queries.items() if names >= watch}
    assert watched == {f"{V1}/namespaces/{{namespace}}/imagestreams",
                       f"{V1}/namespaces/{{namespace}}/imagestreamtags",
                       f"{V1}/imagestreams", f"{V1}/imagestreamtags"}
    selected = {path for (method, path), names in queries.items() if "fieldSelector" in names}
    lists = {path for path, item in document["paths"].items() if "get" in item and
             item["get"]["responses"]["200"]["content"].get("application/json", {}).get(
                 "schema", {}).get("$ref", "").endswith("List")}
    assert selected == lists and f"{V1}/images" in lists
    paged = {path: names - watch - {"fieldSelector"}
             for (method, path), names in queries.items() if names - watch - {"fieldSelector"}}
    assert paged == {
        f"{V1}/namespaces/{{namespace}}/imagestreams": {"limit", "continue", "labelSelector"},
        f"{V1}/namespaces/{{namespace}}/imagestreamtags": {"limit", "continue"},
        f"{V1}/imagestreams": {"limit", "continue", "labelSelector"},
        f"{V1}/imagestreamtags": {"limit", "continue"},
        f"{V1}/images": {"limit", "continue"},
    }
    limit = next(p for p in document["paths"][f"{V1}/images"]["get"]["parameters"]
                 if p["name"] == "limit")
    assert limit["schema"]["minimum"] == 0  # limit=0 asks for the server's page size


def test_a_page_of_large_streams_shares_one_response(api, monkeypatch):
    from chalicelib.api import handlers

    from .conftest import digest, mapping, ns_path
    for name in ("a", "b", "c"):
        assert api.post(ns_path("imagestreams"), {"metadata": {"name": name}}).status_code == 201
        for n in range(30):
            reply = api.post(ns_path("imagestreammappings"),
                             mapping(name, "v1", digest(f"{name}{n}")))
            assert reply.status_code == 201, reply.data
    whole = api.get(ns_path("imagestreams"))
    limit = len(whole.body) // 2  # the page whole is twice what a response may carry
    monkeypatch.setattr(handlers, "MAX_RESPONSE_BYTES", limit)
    page = api.get(ns_path("imagestreams"))
    assert len(page.body) <= limit + 1000  # the list's own envelope is outside the shares
    for stream in page.data["items"]:
        items = stream["status"]["tags"][0]["items"]
        head = digest(f"{stream['metadata']['name']}29")
        assert 1 <= len(items) < 30 and items[0]["image"] == head
        assert int(stream["metadata"]["annotations"][TRUNCATED_ANNOTATION]) == 30 - len(items)
