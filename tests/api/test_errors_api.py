"""Every bad request gets a clear 4xx Status naming the problem, and nothing is written."""
from __future__ import annotations

import base64
import json

import pytest

from .conftest import V1, digest, istag, mapping, ns_path


def assert_nothing_written(api, namespace: str = "default") -> None:
    assert api.get(ns_path("imagestreams", namespace=namespace)).data["items"] == []
    assert api.get(f"{V1}/images").data["items"] == []


def causes(reply) -> dict[str, str]:
    return {c["field"]: c["message"] for c in reply.data["details"]["causes"]}


def test_malformed_json_is_bad_request(api):
    reply = api.request("POST", ns_path("imagestreams"), raw=b'{"metadata": ')
    assert reply.status_code == 400 and reply.data["reason"] == "BadRequest"
    assert reply.data["message"].startswith("the request body is not valid JSON")
    assert_nothing_written(api)


def test_empty_and_non_object_bodies_are_bad_request(api):
    assert api.request("POST", ns_path("imagestreams"), raw=b"").status_code == 400
    reply = api.request("POST", ns_path("imagestreams"), raw=b"[1, 2]")
    assert reply.status_code == 400 and "JSON object" in reply.data["message"]


def test_wrong_kind_and_api_version_are_bad_request(api):
    wrong_kind = api.post(ns_path("imagestreams"), {"kind": "Pod", "metadata": {"name": "x"}})
    assert wrong_kind.status_code == 400
    assert 'kind "Pod" does not match' in wrong_kind.data["message"]
    wrong_version = api.post(ns_path("imagestreams"),
                             {"apiVersion": "apps/v1", "kind": "ImageStream",
                              "metadata": {"name": "x"}})
    assert wrong_version.status_code == 400
    assert 'apiVersion "apps/v1"' in wrong_version.data["message"]
    assert_nothing_written(api)


def test_legacy_api_version_v1_is_accepted(api):
    reply = api.post(ns_path("imagestreams"), {"apiVersion": "v1", "kind": "ImageStream",
                                               "metadata": {"name": "x"}})
    assert reply.status_code == 201
    assert reply.data["apiVersion"] == "image.openshift.io/v1"


def test_body_over_one_mebibyte_is_413(api):
    big = {"kind": "ImageStream", "metadata": {"name": "x", "annotations": {"a": "b" * 1_100_000}}}
    reply = api.post(ns_path("imagestreams"), big)
    assert reply.status_code == 413 and reply.data["reason"] == "RequestEntityTooLarge"
    assert_nothing_written(api)


def test_wrong_media_type_is_415(api):
    reply = api.request("POST", ns_path("imagestreams"), {"kind": "ImageStream"},
                        content_type="text/plain")
    assert reply.status_code == 415 and reply.data["kind"] == "Status"


@pytest.mark.parametrize("path", ["/nothing", "/apis/other.group/v1", f"{V1}/namespaces/x/pods",
                                  f"{V1}/namespaces/x/imagestreams/a/b/c"])
def test_unknown_paths_are_not_found_status(api, path):
    reply = api.get(path)
    assert reply.status_code == 404
    assert reply.data == {"kind": "Status", "apiVersion": "v1", "metadata": {},
                          "status": "Failure", "reason": "NotFound", "code": 404,
                          "message": "the server could not find the requested resource"}


def test_unsupported_method_is_405_status(api):
    reply = api.request("PUT", ns_path("imagestreams"), {"kind": "ImageStream"})
    assert reply.status_code == 405 and reply.data["reason"] == "MethodNotAllowed"
    assert api.request("DELETE", f"{V1}/images").status_code == 405


def test_name_too_long_is_invalid_naming_the_field(api):
    reply = api.post(ns_path("imagestreams"), {"kind": "ImageStream",
                                               "metadata": {"name": "a" * 64}})
    assert reply.status_code == 422 and reply.data["reason"] == "Invalid"
    assert "must be no more than 63 characters" in causes(reply)["metadata.name"]
    assert reply.data["details"]["kind"] == "ImageStream"
    assert reply.data["details"]["group"] == "image.openshift.io"
    assert reply.data["message"].startswith(f'ImageStream.image.openshift.io "{"a" * 64}" is '
                                            'invalid: metadata.name: Invalid value: ')
    assert_nothing_written(api)


def test_namespace_too_long_is_invalid(api):
    namespace = "n" * 64
    reply = api.post(ns_path("imagestreams", namespace=namespace),
                     {"kind": "ImageStream", "metadata": {"name": "ok"}})
    assert reply.status_code == 422
    assert "metadata.namespace" in causes(reply)


def test_path_and_body_names_that_disagree_are_invalid(api):
    api.post(ns_path("imagestreams"), {"kind": "ImageStream", "metadata": {"name": "a"}})
    reply = api.put(ns_path("imagestreams", "a"), {"kind": "ImageStream",
                                                   "metadata": {"name": "b"}})
    assert reply.status_code == 422
    assert "does not match the name on the URL" in causes(reply)["metadata.name"]
    tag = istag("DockerImage", "busybox", reference=True)
    tag["metadata"] = {"name": "other:v1"}
    reply = api.put(ns_path("imagestreamtags", "a:v1"), tag)
    assert reply.status_code == 422 and "metadata.name" in causes(reply)


def test_body_namespace_that_disagrees_is_invalid(api):
    reply = api.post(ns_path("imagestreams"), {"kind": "ImageStream",
                                               "metadata": {"name": "a", "namespace": "other"}})
    assert reply.status_code == 422 and "metadata.namespace" in causes(reply)
    assert_nothing_written(api)


def test_every_bad_spec_tag_is_named(api):
    body = {"kind": "ImageStream", "metadata": {"name": "python"}, "spec": {"tags": [
        {"name": "bad tag!", "from": {"kind": "DockerImage", "name": "python"}},
        {"name": "k", "from": {"kind": "Pod", "name": "x"}},
        {"name": "s", "from": {"kind": "ImageStreamTag", "name": "python:3.5"},
         "importPolicy": {"scheduled": True}},
        {"name": "r", "from": {"kind": "DockerImage", "name": "Upper/Case"}},
    ]}}
    reply = api.post(ns_path("imagestreams"), body)
    assert reply.status_code == 422
    found = causes(reply)
    assert "invalid tag" in found["spec.tags[bad tag!].name"]
    assert found["spec.tags[k].from.kind"].startswith('Unsupported value: "Pod"')
    assert found["spec.tags[s].importPolicy.scheduled"].endswith(
        "only tags pointing to Docker repositories may be scheduled for background import")
    assert "repository name must be lowercase" in found["spec.tags[r].from.name"]
    assert_nothing_written(api)


def test_istag_without_tag_and_malformed_names(api):
    reply = api.put(ns_path("imagestreamtags", "python:3.5"), {"kind": "ImageStreamTag"})
    assert reply.status_code == 422 and "tag" in causes(reply)
    for name in ["python", "python:a:b", "python@sha256:x", ":x"]:
        bad = api.get(ns_path("imagestreamtags", name))
        assert bad.status_code == 400, name
        assert "must be of the form <stream_name>:<tag>" in bad.data["message"]


def test_tracking_loop_is_refused_and_nothing_written(api):
    api.put(ns_path("imagestreamtags", "app:a"), istag("ImageStreamTag", "app:b"))
    before = api.get(ns_path("imagestreams", "app")).data
    reply = api.put(ns_path("imagestreamtags", "app:b"), istag("ImageStreamTag", "app:a"))
    assert reply.status_code == 422
    assert any("reference tag is circular" in m for m in causes(reply).values())
    assert api.get(ns_path("imagestreams", "app")).data == before


def test_type_errors_in_fields_are_invalid_not_500(api):
    reply = api.post(ns_path("imagestreams"), {"kind": "ImageStream",
                                               "metadata": {"name": "x", "labels": "no"}})
    assert reply.status_code == 422 and "metadata.labels" in causes(reply)
    reply = api.post(ns_path("imagestreams"), {"kind": "ImageStream", "metadata": "x"})
    assert reply.status_code == 400


@pytest.mark.parametrize("query", ["limit=abc", "limit=-1", "continue=%%%", "continue=e30",
                                   "labelSelector=a%20in%20b", "labelSelector=!a=b"])
def test_bad_list_parameters_are_bad_request(api, query):
    reply = api.get(ns_path("imagestreams") + "?" + query)
    assert reply.status_code == 400, reply.data
    assert reply.data["reason"] == "BadRequest"


def test_long_names_in_read_paths_are_not_found_not_500(api):
    assert api.get(ns_path("imagestreams", "x" * 3000)).status_code == 404
    assert api.delete(ns_path("imagestreams", "x" * 3000)).status_code == 404
    assert api.get(ns_path("imagestreamtags", "x" * 3000 + ":t")).status_code == 404
    assert api.get(ns_path("imagestreamimages", "x@" + "a" * 3000)).status_code == 404
    assert api.get(f"{V1}/images/" + "a" * 3000).status_code == 404


def test_status_bodies_are_json_with_content_type(api):
    reply = api.get("/nothing")
    assert reply.headers["Content-Type"] == "application/json"
    json.loads(reply.body)


def test_annotation_size_counts_bytes_not_characters(api):
    body = {"kind": "ImageStream", "metadata": {"name": "x", "annotations": {"a": "é" * 140_000}}}
    reply = api.post(ns_path("imagestreams"), body)
    assert reply.status_code == 422
    assert "Too long" in causes(reply)["metadata.annotations"]
    assert_nothing_written(api)


def test_lone_surrogate_escapes_are_read_as_go_reads_them(api):
    # Found by fuzzing: "\ud800" in an annotation could not be encoded to count its bytes (500).
    raw = b'{"metadata": {"name": "x", "annotations": {"note": "a\\ud800b\\udc00"}}}'
    reply = api.request("POST", ns_path("imagestreams"), raw=raw)
    assert reply.status_code == 201, reply.data
    stored = api.get(ns_path("imagestreams", "x")).data
    assert stored["metadata"]["annotations"] == {"note": "a\ufffdb\ufffd"}
    bad_key = api.request("POST", ns_path("imagestreams"),
                          raw=b'{"metadata": {"name": "y", "annotations": {"\\udc00": ""}}}')
    assert bad_key.status_code == 422 and "metadata.annotations" in causes(bad_key)
    patched = api.request("PATCH", ns_path("imagestreams", "x"),
                          content_type="application/merge-patch+json",
                          raw=b'{"metadata": {"annotations": {"other": "\\udfff"}}}')
    assert patched.status_code == 200
    assert patched.data["metadata"]["annotations"]["other"] == "\ufffd"


@pytest.mark.parametrize("number", [b"NaN", b"-Infinity", b"1e999", b"9223372036854775808",
                                    b"-9223372036854775809"])
def test_numbers_json_cannot_carry_back_are_bad_request(api, number):
    # Found by fuzzing: NaN in dockerImageMetadata was stored, then answered as invalid JSON.
    raw = (b'{"metadata": {"name": "app"}, "tag": "v1", "image": {"metadata": {"name": "sha256:'
           + b"a" * 64 + b'"}, "dockerImageReference": "quay.io/a/b@sha256:' + b"a" * 64
           + b'", "dockerImageMetadata": {"Size": ' + number + b"}}}")
    reply = api.request("POST", ns_path("imagestreammappings"), raw=raw)
    assert reply.status_code == 400 and reply.data["reason"] == "BadRequest"
    assert reply.data["message"].startswith("the request body is not valid JSON")
    assert_nothing_written(api)


def test_bodies_nested_past_any_resource_are_bad_request(api):
    for depth in (101, 100_000):
        raw = b'{"metadata": {"name": "x", "labels": ' + b"[" * depth + b"]" * depth + b"}}"
        reply = api.request("POST", ns_path("imagestreams"), raw=raw)
        assert reply.status_code == 400 and "nested" in reply.data["message"]
    assert_nothing_written(api)


@pytest.mark.parametrize("options", [b"[1]", b'"x"', b'{"preconditions": 7}',
                                     b'{"preconditions": {"resourceVersion": {"a": 1}}}'])
def test_malformed_delete_options_are_bad_request(api, options):
    # Found by fuzzing: a DeleteOptions body that was not an object of objects was a 500.
    api.post(ns_path("imagestreams"), {"metadata": {"name": "x"}})
    reply = api.request("DELETE", ns_path("imagestreams", "x"), raw=options)
    assert reply.status_code == 400 and reply.data["reason"] == "BadRequest"
    assert api.get(ns_path("imagestreams", "x")).status_code == 200


@pytest.mark.parametrize("after", ["x" * 3000, "a\ud800", "a\x00", "é"])
def test_continue_keys_no_page_could_end_on_are_bad_request(api, after):
    # The store makes a key of it, which DynamoDB refuses (a 500) past 1024 bytes.
    token = base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()
    for path in (ns_path("imagestreams"), ns_path("imagestreamtags"), f"{V1}/images"):
        reply = api.get(f"{path}?continue={token}")
        assert reply.status_code == 400 and reply.data["reason"] == "BadRequest"
        assert reply.data["message"].startswith("continue key is not valid")


@pytest.mark.parametrize("limit", ["0", "-0", "%2B0"])
def test_a_zero_limit_however_signed_is_the_servers_page_size(api, limit):
    # Found while fuzzing: "-0" and "+0" were a limit of 0: an empty page with no continue key
    # for streams, and an IndexError (a 500) for stream tags.
    assert api.post(ns_path("imagestreams"), {"metadata": {"name": "app"}}).status_code == 201
    assert api.post(ns_path("imagestreammappings"), mapping("app", "v1", digest("a"))
                    ).status_code == 201
    for resource in ("imagestreams", "imagestreamtags"):
        reply = api.get(ns_path(resource) + f"?limit={limit}")
        assert reply.status_code == 200, reply.data
        assert len(reply.data["items"]) == 1 and "continue" not in reply.data["metadata"]


@pytest.mark.parametrize("limit", ["1_0", "%201", "%D9%A1", "1.0", "99999999999999999999"])
def test_limits_go_would_not_parse_are_bad_request(api, limit):
    reply = api.get(ns_path("imagestreamtags") + f"?limit={limit}")
    assert reply.status_code == 400 and reply.data["message"].startswith("limit: invalid value")


def test_digests_longer_than_any_are_not_found_or_invalid(api):
    too_long = "sha256:" + "a" * 3000
    assert api.get(f"{V1}/images/{too_long}").status_code == 404
    api.post(ns_path("imagestreams"), {"metadata": {"name": "app"}})
    reply = api.post(ns_path("imagestreammappings"), mapping("app", "v1", too_long))
    assert reply.status_code == 422 and "image.metadata.name" in causes(reply)
