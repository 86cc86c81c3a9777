"""The pieces that make isctl's output oc's: durations, sizes, Go's tabwriter, tag order,
image references and error wording."""
from __future__ import annotations

import pytest

from isctl.errors import ApiError, error_message
from isctl.humanize import human_duration, human_size
from isctl.references import InvalidReference, parse_reference
from isctl.tabwriter import align, table
from isctl.tagorder import TagReferenceError, prioritize, tag_of_source


@pytest.mark.parametrize("seconds, text", [
    (0.5, "Less than a second"), (1, "1 second"), (59, "59 seconds"), (60, "About a minute"),
    (119, "About a minute"), (120, "2 minutes"), (3599, "59 minutes"),
    (3600, "About an hour"), (5399, "About an hour"), (5400, "2 hours"),
    (47 * 3600, "47 hours"), (48 * 3600, "2 days"), (13 * 86400, "13 days"),
    (14 * 86400, "2 weeks"), (59 * 86400, "8 weeks"), (60 * 86400, "2 months"),
    (729 * 86400, "24 months"), (730 * 86400, "2 years"),
])
def test_durations(seconds: float, text: str):
    assert human_duration(seconds) == text


@pytest.mark.parametrize("size, text", [
    (0, "0 B"), (999, "999 B"), (1000, "1 kB"), (2898000, "2.898 MB"),
    (251234567, "251.2 MB"), (72260000, "72.26 MB"), (1.5e12, "1.5 TB"),
])
def test_sizes(size: float, text: str):
    assert human_size(size) == text


def test_tabwriter_matches_go():
    # describe: tab padding at tab stops of 8, one cell of padding
    assert align("a:\t1\nlonger label:\t2\n") == "a:\t\t1\nlonger label:\t2\n"
    # a line without tabs ends a column block
    assert align("a:\t1\n\nbb:\t2\n") == "a:\t1\n\nbb:\t2\n"
    # nested columns align within their own block
    assert align("L:\t1 MB\tx\n\t10 MB\ty\n") == "L:\t1 MB\tx\n\t10 MB\ty\n"
    assert align("Layers:\t1 MB\tx\n\t123456789 MB\ty\n") == (
        "Layers:\t1 MB\t\tx\n\t123456789 MB\ty\n")
    # tables: spaces, three between columns, at least six wide; no padding after the last
    assert table([["NAME", "X"], ["a", "long value"], ["abcdefgh", ""]]) == (
        "NAME       X\na          long value\nabcdefgh   ")


def test_tag_priority():
    tags = ["nightly", "1.9", "latest", "v1.10", "1.10", "2.0.1", "2.0.0-rc1", "2.0.0",
            "alpha", "1.10-beta", "3"]
    assert prioritize(tags) == [
        "latest", "1.10", "v1.10", "1.10-beta", "1.9", "2.0.1", "2.0.0", "2.0.0-rc1",
        "3", "alpha", "nightly"]


@pytest.mark.parametrize("spec, parts, exact", [
    ("python:3.5", ("", "", "python", "3.5", ""), "python:3.5"),
    ("docker.io/python:3.6.0", ("docker.io", "", "python", "3.6.0", ""),
     "docker.io/python:3.6.0"),
    ("ns/python@sha256:" + "a" * 64, ("", "ns", "python", "", "sha256:" + "a" * 64),
     "ns/python@sha256:" + "a" * 64),
    ("localhost/a/b/c:1", ("localhost", "a", "b/c", "1", ""), "localhost/a/b/c:1"),
    ("quay.io:443/org/app", ("quay.io:443", "org", "app", "", ""), "quay.io:443/org/app"),
])
def test_references(spec: str, parts: tuple, exact: str):
    ref = parse_reference(spec)
    assert (ref.registry, ref.namespace, ref.name, ref.tag, ref.id) == parts
    assert ref.exact() == exact


@pytest.mark.parametrize("spec, message", [
    ("", "repository name must have at least one component"),
    ("Python", "repository name must be lowercase"),
    ("a b", "invalid reference format"),
    ("x/" + "a" * 260, "repository name must not be more than 255 characters"),
])
def test_reference_errors(spec: str, message: str):
    with pytest.raises(InvalidReference, match=message):
        parse_reference(spec)


@pytest.mark.parametrize("source, tag", [
    ({"name": "3.5"}, "3.5"),  # one part: a tag of the same stream
    ({"name": "python:3.5"}, "3.5"),
    ({"name": "3.5", "namespace": "ns"}, "3.5"),
    ({"name": "ruby:2.3"}, "cross-stream"),
    ({"name": "3.5", "namespace": "other"}, "cross-stream"),
    ({"name": "python:"}, "invalid"),
    ({"name": "python:a:b"}, "invalid"),
    ({"name": "python@sha256:abc"}, "invalid"),
    ({}, "invalid"),
])
def test_tag_of_an_image_stream_tag_source(source: dict, tag: str):
    stream = {"metadata": {"name": "python", "namespace": "ns"}}
    try:
        found = tag_of_source(stream, {"kind": "ImageStreamTag", **source})
    except TagReferenceError as error:
        found = str(error)
    assert found == tag


def test_error_wording():
    invalid = ApiError({"kind": "Status", "reason": "Invalid", "code": 422, "message": "m",
                        "details": {"kind": "imagestreams", "name": "x", "causes": [
                            {"field": "a", "message": "bad"}, {"field": "b", "message": "worse"}]}},
                       422)
    assert error_message(invalid) == 'The ImageStream "x" is invalid: \n* a: bad\n* b: worse'
    gateway = ApiError.from_response(502, {"message": "Internal server error"}, "")
    assert error_message(gateway) == (
        'Error from server (InternalError): an error on the server ("Internal server error") '
        "has prevented the request from succeeding")
    assert error_message(ApiError.from_response(403, {"message": "Forbidden"}, "")) == (
        "Error from server (Forbidden): Forbidden")
