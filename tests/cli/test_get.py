"""`isctl get`: oc's tables, -o wide|json|yaml|name, label selectors and list paging."""
from __future__ import annotations

import json

import pytest
import yaml

import isctl.http

from .conftest import REGISTRY, Isctl, digest, mapping


def stream(isctl: Isctl, name: str, namespace: str = "default", **labels: str) -> None:
    isctl.api("POST", f"/namespaces/{namespace}/imagestreams",
              {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
               "metadata": {"name": name, "labels": labels or None}})


def push(isctl: Isctl, name: str, tag: str, char: str) -> None:
    isctl.api("POST", "/namespaces/default/imagestreammappings",
              mapping(name, tag, digest(char), f"quay.io/org/{name}@{digest(char)}"))


@pytest.fixture
def streams(isctl: Isctl) -> Isctl:
    stream(isctl, "python", app="lang")
    stream(isctl, "ruby", app="lang", tier="old")
    stream(isctl, "web")
    push(isctl, "python", "3.5", "a")
    isctl.later(120)
    push(isctl, "python", "latest", "b")
    for tag in ("1.0", "2.0", "2.1", "nightly", "v3.0-rc1", "a-very-long-tag-name-here"):
        push(isctl, "ruby", tag, "c")
    isctl.later(3 * 3600)
    return isctl


def test_streams_table(streams: Isctl):
    # tags: latest, then versions newest first, then the rest by name, up to ~40 characters
    assert streams.ok("get", "is") == (
        "NAME     IMAGE REPOSITORY                            TAGS" + " " * 57 + "UPDATED\n"
        f"python   {REGISTRY}/default/python   latest,3.5" + " " * 51 + "3 hours ago\n"
        f"ruby     {REGISTRY}/default/ruby     "
        "v3.0-rc1,2.1,2.0,1.0,a-very-long-tag-name-here + 1 more...   3 hours ago\n"
        f"web      {REGISTRY}/default/web      " + " " * 61 + "\n")


def test_one_stream_and_missing_ones(streams: Isctl):
    result = streams("get", "is", "python", "ghost")
    assert result.code == 1
    assert result.out.split("\n")[1].startswith("python ")
    assert result.err == ('Error from server (NotFound): imagestreams.image.openshift.io '
                          '"ghost" not found\n')


def test_istag_table_and_wide(streams: Isctl):
    out = streams.ok("get", "istag", "python:latest")
    assert out.startswith("NAME            IMAGE REFERENCE")
    assert "python:latest   quay.io/org/python@" + digest("b") + "   3 hours ago" in out
    wide = streams.ok("get", "istag/python:latest", "-o", "wide")
    header = wide.split("\n")[0]
    assert header.split()[-2:] == ["IMAGE", "NAME"] and "UPDATED" in header
    assert wide.split("\n")[1].endswith(digest("b"))


def test_isimage_and_images(streams: Isctl):
    out = streams.ok("get", "isimage", f"python@{digest('a')[:20]}")
    assert out.split("\n")[0].split() == ["NAME", "UPDATED"]
    wide = streams.ok("get", "isimage", f"python@{digest('a')}", "-o", "wide")
    assert wide.split("\n")[0].split() == ["NAME", "UPDATED", "IMAGE", "REFERENCE", "IMAGE",
                                           "NAME"]
    images = streams.ok("get", "images")
    assert images.split("\n")[0].split() == ["NAME", "IMAGE", "REFERENCE"]
    assert {line.split()[0] for line in images.strip().split("\n")[1:]} == {
        digest("a"), digest("b"), digest("c")}
    assert streams.ok("get", "image", digest("b"), "-o", "name") == (
        f"image.image.openshift.io/{digest('b')}\n")


def test_output_formats(streams: Isctl):
    one = json.loads(streams.ok("get", "is", "python", "-o", "json"))
    assert one["kind"] == "ImageStream" and one["metadata"]["name"] == "python"
    listed = json.loads(streams.ok("get", "is", "-o", "json"))
    assert listed["kind"] == "List" and [i["metadata"]["name"] for i in listed["items"]] == [
        "python", "ruby", "web"]
    as_yaml = yaml.safe_load(streams.ok("get", "is/python", "-o", "yaml"))
    assert as_yaml == one
    assert streams.ok("get", "is", "-o", "name") == (
        "imagestream.image.openshift.io/python\nimagestream.image.openshift.io/ruby\n"
        "imagestream.image.openshift.io/web\n")
    text = streams.ok("get", "is", "python", "-o", "json")
    assert text.startswith('{\n    "apiVersion": "image.openshift.io/v1",\n')


def test_label_selector(streams: Isctl):
    assert streams.ok("get", "is", "-l", "app=lang", "-o", "name").split() == [
        "imagestream.image.openshift.io/python", "imagestream.image.openshift.io/ruby"]
    assert streams.ok("get", "is", "-l", "app in (lang),!tier", "-o", "name").split() == [
        "imagestream.image.openshift.io/python"]
    result = streams("get", "is", "-l", "app=nothing")
    assert (result.code, result.out, result.err) == (
        0, "", "No resources found in default namespace.\n")
    bad = streams("get", "is", "-l", "a b c")
    assert bad.code == 1 and bad.err.startswith("Error from server (BadRequest): labelSelector")


def test_lists_follow_continue_pages(streams: Isctl, monkeypatch):
    for index in range(4):
        stream(streams, f"extra{index}")
    monkeypatch.setattr(isctl.http, "PAGE", 2)
    names = streams.ok("get", "is", "-o", "name").split()
    assert len(names) == 7
    calls = [path for method, path in streams.adapter.requests if "imagestreams?" in path]
    assert len(calls) == 4 and "continue=" in calls[-1] and "limit=2" in calls[0]
    assert len(streams.ok("get", "istag", "-o", "name").split()) == 8


def test_several_types_and_namespaces(streams: Isctl):
    out = streams.ok("get", "is,istag")
    assert out.count("NAME") == 2 and "\n\n" in out
    assert streams("get", "is", "-n", "empty").err == "No resources found in empty namespace.\n"


def test_unknown_type_and_missing_argument(streams: Isctl):
    result = streams("get", "pods")
    assert (result.code, result.err) == (
        1, 'error: the server doesn\'t have a resource type "pods"\n')
    assert streams("get").code == 2
    assert streams("get", "is", "-o", "wide-ish").code == 2
