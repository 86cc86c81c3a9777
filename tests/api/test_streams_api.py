"""ImageStream routes: create, get, list, replace, patch, delete."""
from __future__ import annotations

from .conftest import REGISTRY, ns_path


def stream(name: str, labels: dict | None = None, tags: list | None = None) -> dict:
    body = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
            "metadata": {"name": name}, "spec": {}}
    if labels:
        body["metadata"]["labels"] = labels
    if tags:
        body["spec"]["tags"] = tags
    return body


def test_create_then_get_returns_kubernetes_metadata_and_status(api):
    created = api.post(ns_path("imagestreams"), stream("python"))
    assert created.status_code == 201
    meta = created.data["metadata"]
    assert created.data["kind"] == "ImageStream"
    assert created.data["apiVersion"] == "image.openshift.io/v1"
    assert meta["name"] == "python" and meta["namespace"] == "default"
    assert meta["uid"] and meta["resourceVersion"] == "1" and meta["generation"] == 1
    assert meta["creationTimestamp"].endswith("Z")
    assert created.data["status"]["dockerImageRepository"] == f"{REGISTRY}/default/python"
    fetched = api.get(ns_path("imagestreams", "python"))
    assert fetched.status_code == 200
    assert fetched.data == created.data


def test_create_existing_stream_is_already_exists(api):
    api.post(ns_path("imagestreams"), stream("python"))
    again = api.post(ns_path("imagestreams"), stream("python"))
    assert again.status_code == 409
    assert again.data["reason"] == "AlreadyExists"
    assert again.data["message"] == 'imagestreams.image.openshift.io "python" already exists'
    assert again.data["details"] == {"name": "python", "group": "image.openshift.io",
                                     "kind": "imagestreams"}


def test_get_missing_stream_is_not_found_status(api):
    missing = api.get(ns_path("imagestreams", "nope"))
    assert missing.status_code == 404
    assert missing.data["kind"] == "Status" and missing.data["reason"] == "NotFound"
    assert missing.data["message"] == 'imagestreams.image.openshift.io "nope" not found'


def test_list_pages_with_limit_and_continue(api):
    for name in ["a", "b", "c", "d", "e"]:
        assert api.post(ns_path("imagestreams"), stream(name)).status_code == 201
    seen, token, pages = [], None, 0
    while True:
        path = ns_path("imagestreams") + "?limit=2" + (f"&continue={token}" if token else "")
        page = api.get(path)
        assert page.status_code == 200 and page.data["kind"] == "ImageStreamList"
        seen += [item["metadata"]["name"] for item in page.data["items"]]
        pages += 1
        token = page.data["metadata"].get("continue")
        if not token:
            break
    assert seen == ["a", "b", "c", "d", "e"]
    assert pages == 3


def test_list_filters_by_label_selector(api):
    api.post(ns_path("imagestreams"), stream("web", {"app": "shop", "tier": "front"}))
    api.post(ns_path("imagestreams"), stream("db", {"app": "shop", "tier": "back"}))
    api.post(ns_path("imagestreams"), stream("other"))

    def names(selector: str) -> list[str]:
        page = api.get(ns_path("imagestreams") + f"?labelSelector={selector}")
        assert page.status_code == 200, page.data
        return [item["metadata"]["name"] for item in page.data["items"]]

    assert names("app=shop") == ["db", "web"]
    assert names("app=shop,tier!=back") == ["web"]
    assert names("tier%20in%20(front,back)") == ["db", "web"]
    assert names("!app") == ["other"]
    assert names("tier") == ["db", "web"]


def test_list_is_namespaced(api):
    api.post(ns_path("imagestreams", namespace="team-a"), stream("python"))
    assert api.get(ns_path("imagestreams", namespace="team-b")).data["items"] == []


def test_replace_with_stale_resource_version_is_conflict_and_writes_nothing(api):
    api.post(ns_path("imagestreams"), stream("python"))
    body = stream("python", {"v": "1"})
    body["metadata"]["resourceVersion"] = "1"
    assert api.put(ns_path("imagestreams", "python"), body).status_code == 200
    body["metadata"]["labels"] = {"v": "2"}
    stale = api.put(ns_path("imagestreams", "python"), body)
    assert stale.status_code == 409 and stale.data["reason"] == "Conflict"
    assert "the object has been modified" in stale.data["message"]
    assert api.get(ns_path("imagestreams", "python")).data["metadata"]["labels"] == {"v": "1"}


def test_replace_spec_raises_generation_and_keeps_status_of_dropped_tags(api):
    ref = {"name": "3.5", "from": {"kind": "DockerImage", "name": "centos/python-35-centos7"},
           "reference": True}
    api.post(ns_path("imagestreams"), stream("python", tags=[ref]))
    replaced = api.put(ns_path("imagestreams", "python"), stream("python"))
    assert replaced.status_code == 200
    assert replaced.data["metadata"]["generation"] == 2
    assert "tags" not in replaced.data["spec"]
    assert [t["tag"] for t in replaced.data["status"]["tags"]] == ["3.5"]


def test_merge_patch_adds_and_removes_labels(api):
    api.post(ns_path("imagestreams"), stream("python", {"keep": "yes", "drop": "me"}))
    patched = api.patch(ns_path("imagestreams", "python"),
                        {"metadata": {"labels": {"drop": None, "new": "1"}}})
    assert patched.status_code == 200
    assert patched.data["metadata"]["labels"] == {"keep": "yes", "new": "1"}


def test_patch_needs_a_patch_media_type(api):
    api.post(ns_path("imagestreams"), stream("python"))
    wrong = api.request("PATCH", ns_path("imagestreams", "python"), {"metadata": {}},
                        "application/json")
    assert wrong.status_code == 415 and wrong.data["reason"] == "UnsupportedMediaType"
    assert "application/strategic-merge-patch+json" in wrong.data["message"]


def test_delete_returns_success_status_then_not_found(api):
    api.post(ns_path("imagestreams"), stream("python"))
    deleted = api.delete(ns_path("imagestreams", "python"))
    assert deleted.status_code == 200
    assert deleted.data["status"] == "Success"
    assert deleted.data["details"]["name"] == "python"
    assert api.get(ns_path("imagestreams", "python")).status_code == 404
    assert api.delete(ns_path("imagestreams", "python")).status_code == 404


def test_delete_with_stale_precondition_is_conflict(api):
    api.post(ns_path("imagestreams"), stream("python"))
    stale = api.delete(ns_path("imagestreams", "python"),
                       {"kind": "DeleteOptions", "preconditions": {"resourceVersion": "7"}})
    assert stale.status_code == 409
    assert api.get(ns_path("imagestreams", "python")).status_code == 200
