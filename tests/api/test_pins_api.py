"""Pins over the API: an annotation on the spec tag, as OpenShift documents carry it."""
from __future__ import annotations

from .conftest import digest, istag, mapping, ns_path

PIN = {"imagestreams.dev/pinned": "true"}


def head(api, tag="latest"):
    return api.get(ns_path("imagestreamtags", f"web:{tag}")).data["image"]["metadata"]["name"]


def make_web(api):
    api.post(ns_path("imagestreams"), {"apiVersion": "image.openshift.io/v1",
                                       "kind": "ImageStream", "metadata": {"name": "web"}})
    for char in "ab":
        assert api.post(ns_path("imagestreammappings"),
                        mapping("web", "latest", digest(char))).status_code == 201


def test_a_put_rolls_back_and_pins_and_a_mapping_then_waits(api_on_each_store):
    api = api_on_each_store
    make_web(api)
    reply = api.put(ns_path("imagestreamtags", "web:latest"),
                    istag("ImageStreamImage", f"web@{digest('a')}", annotations=PIN))
    assert reply.status_code == 200 and reply.data["metadata"]["annotations"] == PIN
    assert api.post(ns_path("imagestreammappings"),
                    mapping("web", "latest", digest("c"))).status_code == 201
    assert head(api) == digest("a")
    assert api.get(f"/apis/image.openshift.io/v1/images/{digest('c')}").status_code == 200
    stream = api.get(ns_path("imagestreams", "web")).data
    [spec] = stream["spec"]["tags"]
    assert spec["annotations"] == PIN
    [status] = stream["status"]["tags"]
    assert [e["image"] for e in status["items"]] == [digest(c) for c in "aba"]
    [condition] = status["conditions"]
    assert {k: condition[k] for k in ("type", "status", "reason")} == {
        "type": "NewerImageWaiting", "status": "True", "reason": "Pinned"}
    assert digest("c") in condition["message"]


def test_a_merge_patch_unpins_and_the_tag_moves_to_what_waited(api):
    make_web(api)
    api.patch(ns_path("imagestreamtags", "web:latest"), {"metadata": {"annotations": PIN}})
    assert head(api) == digest("b")
    api.post(ns_path("imagestreammappings"), mapping("web", "latest", digest("c")))
    assert head(api) == digest("b")
    reply = api.patch(ns_path("imagestreamtags", "web:latest"),
                      {"metadata": {"annotations": {"imagestreams.dev/pinned": None}}})
    assert reply.status_code == 200 and reply.data["image"]["metadata"]["name"] == digest("c")
    assert not reply.data.get("conditions")


def test_a_stream_update_that_pins_keeps_the_tag_and_one_that_repoints_moves_it(api):
    make_web(api)
    api.put(ns_path("imagestreamtags", "web:latest"),
            istag("ImageStreamImage", f"web@{digest('a')}"))
    stream = api.get(ns_path("imagestreams", "web")).data
    stream["spec"]["tags"][0]["annotations"] = PIN
    assert api.put(ns_path("imagestreams", "web"), stream).status_code == 200
    assert head(api) == digest("a")
    api.post(ns_path("imagestreammappings"), mapping("web", "latest", digest("c")))
    stream = api.get(ns_path("imagestreams", "web")).data
    stream["spec"]["tags"][0]["from"]["name"] = f"web@{digest('b')}"
    assert api.put(ns_path("imagestreams", "web"), stream).status_code == 200
    assert head(api) == digest("b")  # the user's choice, not what waited
    assert not api.get(ns_path("imagestreams", "web")).data["status"]["tags"][0].get(
        "conditions")
