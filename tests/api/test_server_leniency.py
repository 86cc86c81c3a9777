"""What openshift-apiserver accepts that `oc` would refuse, over HTTP on both stores.

The rules are listed in shared/reference/openshift-semantics.md ("What the server
accepts"); real documents relying on them are in tests/api/test_openshift_documents.py.
"""
from __future__ import annotations

import re

import pytest

from chalicelib import wiring
from chalicelib.services import streams as stream_service
from chalicelib.services.ports import StreamStore

from .conftest import REGISTRY, Api, digest, istag, mapping, ns_path, serving


@pytest.fixture
def api(api_on_each_store: Api) -> Api:
    return api_on_each_store


def stream_body(name: str, *tags: dict, **metadata: object) -> dict:
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
            "metadata": {"name": name, **metadata}, "spec": {"tags": list(tags)}}


def spec_tag(name: str, kind: str, source: str, **extra: object) -> dict:
    return {"name": name, "from": {"kind": kind, "name": source}, **extra}


def heads(api: Api, stream: str) -> dict[str, list[str]]:
    body = api.get(ns_path("imagestreams", stream)).data
    return {t["tag"]: [i["image"] or i["dockerImageReference"] for i in t["items"]]
            for t in body["status"].get("tags", [])}


def spec_of(api: Api, stream: str) -> dict[str, dict]:
    body = api.get(ns_path("imagestreams", stream)).data
    return {ref["name"]: ref for ref in body["spec"].get("tags", [])}


def causes(reply) -> list[tuple[str, str]]:
    return [(c["field"], c["reason"]) for c in reply.data["details"]["causes"]]


# -- same-stream references: `<tag>` and `<id>`

def test_a_one_part_tag_source_tracks_a_tag_of_the_same_stream(api: Api) -> None:
    created = api.post(ns_path("imagestreams"), stream_body(
        "python", spec_tag("latest", "ImageStreamTag", "3.5"),
        spec_tag("3.5", "DockerImage", "docker.io/centos/python-35-centos7:latest",
                 reference=True)))
    assert created.status_code == 201, created.data
    assert spec_of(api, "python")["latest"]["from"] == {"kind": "ImageStreamTag", "name": "3.5"}
    assert heads(api, "python")["latest"] == ["docker.io/centos/python-35-centos7:latest"]
    api.post(ns_path("imagestreammappings"), mapping("python", "3.5", digest("a")))
    assert heads(api, "python")["latest"][0] == digest("a")


def test_a_one_part_image_source_is_an_image_of_the_same_stream(api: Api) -> None:
    api.post(ns_path("imagestreams"), stream_body("app"))
    api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("a")))
    api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("b")))
    reply = api.put(ns_path("imagestreamtags", "app:pinned"),
                    istag("ImageStreamImage", digest("a")[:20]))
    assert reply.status_code == 201, reply.data
    assert reply.data["tag"]["from"]["name"] == digest("a")[:20]  # kept as written
    assert reply.data["image"]["metadata"]["name"] == digest("a")


def test_one_part_sources_on_replace_and_merge_patch(api: Api) -> None:
    api.post(ns_path("imagestreams"), stream_body("app"))
    api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("a")))
    live = api.get(ns_path("imagestreams", "app")).data
    live["spec"]["tags"] = [spec_tag("stable", "ImageStreamTag", "v1")]
    assert api.put(ns_path("imagestreams", "app"), live).status_code == 200
    patched = api.patch(ns_path("imagestreams", "app"), {"spec": {"tags": [
        spec_tag("stable", "ImageStreamTag", "v1"), spec_tag("edge", "ImageStreamTag", "stable")]}})
    assert patched.status_code == 200, patched.data
    api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("b")))
    assert heads(api, "app")["stable"][0] == heads(api, "app")["edge"][0] == digest("b")


def test_a_loop_of_one_part_sources_is_circular(api: Api) -> None:
    reply = api.post(ns_path("imagestreams"), stream_body(
        "app", spec_tag("a", "ImageStreamTag", "b"), spec_tag("b", "ImageStreamTag", "app:a")))
    assert reply.status_code == 422
    assert "reference tag is circular" in reply.data["message"]
    assert api.get(ns_path("imagestreams", "app")).status_code == 404


def test_a_one_part_source_in_another_namespace_names_the_stream_of_the_same_name(
        api: Api) -> None:
    api.post(ns_path("imagestreams", namespace="base"), stream_body("app"))
    api.post(ns_path("imagestreammappings", namespace="base"),
             mapping("app", "v1", digest("a"), namespace="base"))
    copied = api.put(ns_path("imagestreamtags", "app:v1"), {
        "kind": "ImageStreamTag", "tag": {"from": {
            "kind": "ImageStreamTag", "namespace": "base", "name": "v1"}}})
    assert copied.status_code == 201, copied.data
    assert copied.data["image"]["metadata"]["name"] == digest("a")
    api.post(ns_path("imagestreammappings", namespace="base"),
             mapping("app", "v1", digest("b"), namespace="base"))
    assert heads(api, "app")["v1"] == [digest("a")]  # copied once, never tracked


# -- defaults and lenient input

def test_an_empty_reference_policy_means_source(api: Api) -> None:
    reply = api.post(ns_path("imagestreams"), stream_body("app", spec_tag(
        "1", "DockerImage", "quay.io/team/app:1", reference=True,
        referencePolicy={"type": ""}, importPolicy={"importMode": ""})))
    assert reply.status_code == 201, reply.data
    ref = spec_of(api, "app")["1"]
    assert (ref["referencePolicy"], ref["importPolicy"]) == (
        {"type": "Source"}, {"importMode": "Legacy"})


def test_a_repeated_spec_tag_name_keeps_its_last_entry(api: Api) -> None:
    reply = api.post(ns_path("imagestreams"), stream_body(
        "app", spec_tag("1", "DockerImage", "quay.io/team/app:old", reference=True),
        spec_tag("1", "DockerImage", "quay.io/team/app:new", reference=True)))
    assert reply.status_code == 201, reply.data
    assert [ref["from"]["name"] for ref in reply.data["spec"]["tags"]] == ["quay.io/team/app:new"]
    assert heads(api, "app") == {"1": ["quay.io/team/app:new"]}


def test_generate_name_makes_a_name_with_a_random_suffix(api: Api) -> None:
    body = {"kind": "ImageStream", "metadata": {"generateName": "build-"}}
    names = [api.post(ns_path("imagestreams"), body).data["metadata"]["name"] for _ in range(3)]
    assert all(re.fullmatch(r"build-[bcdfghjklmnpqrstvwxz2456789]{5}", n) for n in names), names
    assert len(set(names)) == 3
    assert all(api.get(ns_path("imagestreams", n)).status_code == 200 for n in names)
    long_prefix = {"kind": "ImageStream", "metadata": {"generateName": "x" * 70}}
    name = api.post(ns_path("imagestreams"), long_prefix).data["metadata"]["name"]
    assert (len(name), name[:58]) == (63, "x" * 58)


def test_generate_name_tries_again_when_the_name_is_taken(api: Api, monkeypatch) -> None:
    # The suffix is random; this test chooses it, to make the collision happen.
    suffixes = iter(["taken", "taken", "fresh"])
    monkeypatch.setattr(stream_service, "generated_name",
                        lambda prefix: prefix + next(suffixes))
    api.post(ns_path("imagestreams"), stream_body("app-taken"))
    reply = api.post(ns_path("imagestreams"),
                     {"kind": "ImageStream", "metadata": {"generateName": "app-"}})
    assert (reply.status_code, reply.data["metadata"]["name"]) == (201, "app-fresh")


def test_a_generate_name_no_stream_can_have_is_invalid(api: Api) -> None:
    reply = api.post(ns_path("imagestreams"),
                     {"kind": "ImageStream", "metadata": {"generateName": "Bad_"}})
    assert (reply.status_code, causes(reply)) == (
        422, [("metadata.generateName", "FieldValueInvalid")])


@pytest.mark.parametrize("kind, source", [
    ("ImageStreamTag", "ghost:1"), ("ImageStreamImage", f"ghost@{digest('a')}"),
    ("ImageStreamImage", digest("f")),
])
def test_a_source_that_does_not_exist_is_invalid(api: Api, kind: str, source: str) -> None:
    api.post(ns_path("imagestreams"), stream_body("app"))
    api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("a")))
    for reply in (api.put(ns_path("imagestreamtags", "app:x"), istag(kind, source)),
                  api.post(ns_path("imagestreams"), stream_body(
                      "other", spec_tag("x", kind, source)))):
        assert reply.status_code == 422, reply.data
        field = "tag.from.name" if reply.data["details"]["kind"] == "ImageStreamTag" else (
            "spec.tags[x].from.name")
        assert causes(reply) == [(field, "FieldValueNotFound")]
        assert reply.data["details"]["causes"][0]["message"] == f'Not found: "{source}"'
    assert "x" not in heads(api, "app") and api.get(
        ns_path("imagestreams", "other")).status_code == 404


# -- generation 0: do the tag again

def test_generation_zero_copies_the_source_again(api: Api) -> None:
    api.post(ns_path("imagestreams"), stream_body("app"))
    api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("a")))
    api.post(ns_path("imagestreams"), stream_body("copy"))
    source = {"from": {"kind": "ImageStreamTag", "name": "app:v1"}}
    first = api.put(ns_path("imagestreamtags", "copy:v1"), {"kind": "ImageStreamTag",
                                                            "tag": source})
    api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("b")))
    same = api.put(ns_path("imagestreamtags", "copy:v1"), {"kind": "ImageStreamTag",
                                                           "tag": source})
    assert same.data["image"]["metadata"]["name"] == digest("a")  # nothing asked again
    again = api.put(ns_path("imagestreamtags", "copy:v1"), {
        "kind": "ImageStreamTag", "tag": {**source, "generation": 0}})
    assert again.status_code == 200, again.data
    assert again.data["image"]["metadata"]["name"] == digest("b")
    stream = api.get(ns_path("imagestreams", "copy")).data
    assert stream["metadata"]["generation"] == first.data["tag"]["generation"] + 1
    assert again.data["tag"]["generation"] == stream["metadata"]["generation"]
    assert heads(api, "copy")["v1"] == [digest("b"), digest("a")]


def test_generation_zero_on_an_unchanged_reference_raises_its_generation(api: Api) -> None:
    api.post(ns_path("imagestreams"), stream_body("app", spec_tag(
        "1", "DockerImage", "quay.io/team/app:1", reference=True)))
    live = api.get(ns_path("imagestreams", "app")).data
    live["spec"]["tags"][0]["generation"] = 0
    replaced = api.put(ns_path("imagestreams", "app"), live)
    assert replaced.data["metadata"]["generation"] == 2
    [status] = replaced.data["status"]["tags"]
    assert [(i["dockerImageReference"], i["generation"]) for i in status["items"]] == [
        ("quay.io/team/app:1", 2)]  # the same event, updated in place


# -- ImageStreamTag objects

def test_a_tag_without_an_image_is_no_image_stream_tag(api: Api) -> None:
    reference = api.put(ns_path("imagestreamtags", "app:ref"), istag(
        "DockerImage", "quay.io/team/app:1", reference=True))
    pending = api.put(ns_path("imagestreamtags", "app:pending"), istag("ImageStreamTag", "none"))
    assert (reference.status_code, pending.status_code) == (201, 201)
    assert pending.data["image"] == {"apiVersion": "image.openshift.io/v1", "kind": "Image",
                                     "metadata": {}}
    for name in ("app:ref", "app:pending"):
        assert api.get(ns_path("imagestreamtags", name)).data["reason"] == "NotFound"
    api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("a")))
    listed = api.get(ns_path("imagestreamtags")).data["items"]
    assert [item["metadata"]["name"] for item in listed] == ["app:v1"]


def test_an_image_stream_tags_annotations_are_its_spec_tags(api: Api) -> None:
    api.post(ns_path("imagestreams"), stream_body("app"))
    api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("a")))
    api.put(ns_path("imagestreamtags", "app:stable"), istag(
        "ImageStreamTag", "v1", annotations={"team": "web"}))
    got = api.get(ns_path("imagestreamtags", "app:stable")).data
    assert got["metadata"]["annotations"] == {"team": "web"}
    # what `kubectl annotate istag app:stable owner=ops` sends: the object, annotations changed
    got["metadata"]["annotations"] = {"team": "web", "owner": "ops"}
    del got["tag"]
    annotated = api.put(ns_path("imagestreamtags", "app:stable"), got)
    assert annotated.status_code == 200, annotated.data
    assert spec_of(api, "app")["stable"]["annotations"] == {"team": "web", "owner": "ops"}
    assert spec_of(api, "app")["stable"]["from"] == {"kind": "ImageStreamTag", "name": "v1"}
    assert annotated.data["image"]["metadata"]["name"] == digest("a")


def test_a_put_without_tag_needs_a_tag_to_annotate(api: Api) -> None:
    reply = api.put(ns_path("imagestreamtags", "app:new"), {
        "kind": "ImageStreamTag", "metadata": {"annotations": {"a": "b"}}})
    assert (reply.status_code, causes(reply)) == (422, [("tag", "FieldValueRequired")])
    bad = api.put(ns_path("imagestreamtags", "app:new"), {
        "kind": "ImageStreamTag", "metadata": {"annotations": {"-bad": "b"}},
        "tag": {"from": {"kind": "DockerImage", "name": "quay.io/a/b:1"}, "reference": True}})
    assert (bad.status_code, causes(bad)) == (422, [("metadata.annotations", "FieldValueInvalid")])
    assert api.get(ns_path("imagestreams", "app")).status_code == 404


def test_put_answers_201_when_it_creates_the_tag_and_200_after(api: Api) -> None:
    body = istag("DockerImage", "quay.io/team/app:1", reference=True)
    assert api.put(ns_path("imagestreamtags", "app:1"), body).status_code == 201
    assert api.put(ns_path("imagestreamtags", "app:1"), body).status_code == 200


# -- mappings and copies across namespaces

def test_a_mapping_without_a_pull_spec_is_pulled_from_the_integrated_registry(api: Api) -> None:
    api.post(ns_path("imagestreams"), stream_body("app"))
    body = mapping("app", "v1", digest("a"))
    del body["image"]["dockerImageReference"]
    assert api.post(ns_path("imagestreammappings"), body).status_code == 201
    pulled = f"{REGISTRY}/default/app@{digest('a')}"
    status = api.get(ns_path("imagestreams", "app")).data["status"]["tags"][0]
    assert [i["dockerImageReference"] for i in status["items"]] == [pulled]
    assert api.get(f"/apis/image.openshift.io/v1/images/{digest('a')}").data[
        "dockerImageReference"] == pulled


def test_a_mapping_without_a_pull_spec_needs_an_integrated_registry(store: StreamStore) -> None:
    for api in serving(wiring.Services(store, "")):  # no integrated registry
        api.post(ns_path("imagestreams"), stream_body("app"))
        body = mapping("app", "v1", digest("a"))
        del body["image"]["dockerImageReference"]
        reply = api.post(ns_path("imagestreammappings"), body)
        assert (reply.status_code, causes(reply)) == (
            422, [("image.dockerImageReference", "FieldValueRequired")])
        assert "tags" not in api.get(ns_path("imagestreams", "app")).data["status"]


def copy_from(namespace: str, source: str, **extra: object) -> dict:
    return {"kind": "ImageStreamTag", "tag": {"from": {
        "kind": "ImageStreamTag", "namespace": namespace, "name": source}, **extra}}


def test_an_image_copied_from_another_namespace_is_pulled_through_this_stream(
        api: Api) -> None:
    api.post(ns_path("imagestreams", namespace="base"), stream_body("runtime"))
    api.post(ns_path("imagestreammappings", namespace="base"),
             mapping("runtime", "1", digest("a"), namespace="base"))
    copied = api.put(ns_path("imagestreamtags", "app:runtime"), copy_from("base", "runtime:1"))
    here = f"{REGISTRY}/default/app@{digest('a')}"
    assert copied.data["image"]["dockerImageReference"] == here
    assert heads(api, "app")["runtime"] == [digest("a")]
    status = api.get(ns_path("imagestreams", "app")).data["status"]["tags"][0]
    assert status["items"][0]["dockerImageReference"] == here
    by_image = api.put(ns_path("imagestreamtags", "app:pinned"), {
        "kind": "ImageStreamTag", "tag": {"from": {
            "kind": "ImageStreamImage", "namespace": "base", "name": f"runtime@{digest('a')}"}}})
    assert by_image.data["image"]["dockerImageReference"] == here


def test_a_reference_copy_and_a_copy_within_the_namespace_keep_the_source_pull_spec(
        api: Api) -> None:
    api.post(ns_path("imagestreams", namespace="base"), stream_body("runtime"))
    api.post(ns_path("imagestreammappings", namespace="base"),
             mapping("runtime", "1", digest("a"), namespace="base"))
    source = f"{REGISTRY}/base/runtime@{digest('a')}"
    referenced = api.put(ns_path("imagestreamtags", "app:ref"),
                         copy_from("base", "runtime:1", reference=True))
    assert referenced.data["image"]["dockerImageReference"] == source
    same = api.put(ns_path("imagestreamtags", "runtime:copy", namespace="base"),
                   copy_from("base", "runtime:1"))
    assert same.data["image"]["dockerImageReference"] == source
