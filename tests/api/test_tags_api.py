"""ImageStreamTag, ImageStreamImage, ImageStreamMapping and Image routes."""
from __future__ import annotations

from .conftest import REGISTRY, V1, digest, istag, mapping, ns_path

PYTHON_35 = "centos/python-35-centos7@sha256:49c18358df82f4577386404991c51a9559f243e0b1bdc366df25"


def history(api, stream: str, tag: str) -> list[str]:
    body = api.get(ns_path("imagestreams", stream)).data
    for status in body["status"].get("tags", []):
        if status["tag"] == tag:
            return [item["image"] or item["dockerImageReference"] for item in status["items"]]
    return []


def test_put_istag_creates_the_stream_and_records_a_reference(api):
    reply = api.put(ns_path("imagestreamtags", "python:3.5"),
                    istag("DockerImage", PYTHON_35, reference=True))
    assert reply.status_code == 201, reply.data  # the tag is new
    assert reply.data["kind"] == "ImageStreamTag"
    assert reply.data["metadata"]["name"] == "python:3.5"
    assert reply.data["tag"]["from"] == {"kind": "DockerImage", "name": PYTHON_35}
    assert reply.data["image"]["dockerImageReference"] == PYTHON_35
    assert api.get(ns_path("imagestreams", "python")).status_code == 200
    assert history(api, "python", "3.5") == [PYTHON_35]


def test_post_istag_twice_is_already_exists(api):
    body = istag("DockerImage", PYTHON_35, reference=True)
    body["metadata"] = {"name": "python:3.5"}
    assert api.post(ns_path("imagestreamtags"), body).status_code == 201
    again = api.post(ns_path("imagestreamtags"), body)
    assert again.status_code == 409 and again.data["reason"] == "AlreadyExists"


def test_mapping_creates_image_and_tags_it(api):
    api.post(ns_path("imagestreams"), {"kind": "ImageStream", "metadata": {"name": "app"}})
    reply = api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("a")))
    assert reply.status_code == 201 and reply.data["status"] == "Success"
    tag = api.get(ns_path("imagestreamtags", "app:v1")).data
    assert tag["image"]["metadata"]["name"] == digest("a")
    assert tag["image"]["dockerImageReference"] == f"{REGISTRY}/default/app@{digest('a')}"
    image = api.get(f"{V1}/images/{digest('a')}")
    assert image.status_code == 200 and image.data["kind"] == "Image"
    listed = api.get(f"{V1}/images")
    assert [i["metadata"]["name"] for i in listed.data["items"]] == [digest("a")]


def test_mapping_to_missing_stream_is_not_found(api):
    reply = api.post(ns_path("imagestreammappings"), mapping("ghost", "v1", digest("a")))
    assert reply.status_code == 404
    assert reply.data["message"] == 'imagestreams.image.openshift.io "ghost" not found'


def test_tracking_tag_follows_its_source_over_http(api):
    api.post(ns_path("imagestreams"), {"kind": "ImageStream", "metadata": {"name": "app"}})
    api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("a")))
    assert api.put(ns_path("imagestreamtags", "app:latest"),
                   istag("ImageStreamTag", "app:v1")).status_code == 201
    api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("b")))
    assert history(api, "app", "latest") == [digest("b"), digest("a")]


def test_rollback_by_tagging_from_an_older_stream_image(api):
    api.post(ns_path("imagestreams"), {"kind": "ImageStream", "metadata": {"name": "app"}})
    for char in "abc":
        api.post(ns_path("imagestreammappings"), mapping("app", "prod", digest(char)))
    assert history(api, "app", "prod") == [digest("c"), digest("b"), digest("a")]
    rolled = api.put(ns_path("imagestreamtags", "app:prod"),
                     istag("ImageStreamImage", f"app@{digest('a')[:15]}"))
    assert rolled.status_code == 200, rolled.data
    assert rolled.data["image"]["metadata"]["name"] == digest("a")
    assert history(api, "app", "prod") == [digest("a"), digest("c"), digest("b"), digest("a")]


def test_stream_image_by_prefix_and_ambiguous_prefix(api):
    api.post(ns_path("imagestreams"), {"kind": "ImageStream", "metadata": {"name": "app"}})
    api.post(ns_path("imagestreammappings"), mapping("app", "one", "sha256:ab" + "1" * 62))
    api.post(ns_path("imagestreammappings"), mapping("app", "two", "sha256:ab" + "2" * 62))
    unique = api.get(ns_path("imagestreamimages", "app@sha256:ab1"))
    assert unique.status_code == 200
    assert unique.data["kind"] == "ImageStreamImage"
    assert unique.data["metadata"]["name"] == "app@sha256:ab" + "1" * 62
    ambiguous = api.get(ns_path("imagestreamimages", "app@sha256:ab"))
    assert ambiguous.status_code == 409
    assert ambiguous.data["message"] == 'multiple images match the prefix "sha256:ab"'
    assert api.get(ns_path("imagestreamimages", "app@sha256:ff")).status_code == 404


def test_istag_list_and_delete(api):
    api.post(ns_path("imagestreams"), {"kind": "ImageStream", "metadata": {"name": "app"}})
    for tag, char in [("v1", "a"), ("v2", "b")]:
        api.post(ns_path("imagestreammappings"), mapping("app", tag, digest(char)))
    listed = api.get(ns_path("imagestreamtags"))
    assert listed.data["kind"] == "ImageStreamTagList"
    assert [i["metadata"]["name"] for i in listed.data["items"]] == ["app:v1", "app:v2"]
    first = api.get(ns_path("imagestreamtags") + "?limit=1")
    assert [i["metadata"]["name"] for i in first.data["items"]] == ["app:v1"]
    rest = api.get(ns_path("imagestreamtags") + f"?continue={first.data['metadata']['continue']}")
    assert [i["metadata"]["name"] for i in rest.data["items"]] == ["app:v2"]
    deleted = api.delete(ns_path("imagestreamtags", "app:v1"))
    assert deleted.status_code == 200 and deleted.data["status"] == "Success"
    assert api.get(ns_path("imagestreamtags", "app:v1")).status_code == 404
    assert api.get(f"{V1}/images/{digest('a')}").status_code == 200  # images stay


def test_names_with_percent_encoded_colon_and_at_read_as_the_characters(api):
    # Found by fuzzing: a client that percent-encodes `:` and `@` in a path segment (as
    # encodeURIComponent does) got a 400, where Kubernetes decodes the path first.
    api.post(ns_path("imagestreams"), {"metadata": {"name": "app"}})
    assert api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("a"))
                    ).status_code == 201
    tag = api.get(ns_path("imagestreamtags", "app%3Av1"))
    assert tag.status_code == 200 and tag.data["metadata"]["name"] == "app:v1"
    image = api.get(ns_path("imagestreamimages", "app%40" + digest("a").replace(":", "%3A")))
    assert image.status_code == 200 and image.data["image"]["metadata"]["name"] == digest("a")
    assert api.get(f"{V1}/images/{digest('a').replace(':', '%3a')}").status_code == 200
    slashed = api.get(ns_path("imagestreams", "app%2Fx"))
    assert slashed.status_code == 404 and slashed.data["details"]["name"] == "app/x"


def test_an_istags_labels_are_its_streams_and_labelling_it_labels_the_stream(api_on_each_store):
    api = api_on_each_store
    body = {"metadata": {"name": "web", "labels": {"app": "shop"}}}
    assert api.post(ns_path("imagestreams"), body).status_code == 201
    assert api.post(ns_path("imagestreammappings"), mapping("web", "v1", digest("a"))
                    ).status_code == 201
    assert api.get(ns_path("imagestreamtags", "web:v1")).data["metadata"]["labels"] == {
        "app": "shop"}

    labelled = api.request("PATCH", ns_path("imagestreamtags", "web:v1"),
                           {"metadata": {"labels": {"tier": "front"}}},
                           "application/strategic-merge-patch+json")
    assert labelled.status_code == 200, labelled.data
    assert labelled.data["metadata"]["labels"] == {"app": "shop", "tier": "front"}
    assert api.get(ns_path("imagestreams", "web")).data["metadata"]["labels"] == {
        "app": "shop", "tier": "front"}

    bad = api.request("PATCH", ns_path("imagestreamtags", "web:v1"),
                      {"metadata": {"labels": {"bad key!": "x"}}},
                      "application/merge-patch+json")
    assert bad.status_code == 422
    assert bad.data["details"]["causes"][0]["field"].startswith("metadata.labels")
