"""Tables: Accept negotiation, each kind's columns and cells, ages, and includeObject."""
from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.api.tables import age, relative_time, table_version, to_table
from chalicelib.domain.errors import BadRequest

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
KUBECTL_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                  "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
FIXTURE = Path(__file__).parent.parent / "fixtures/openshift/library/python-centos7.json"
DIGEST = "sha256:49c18358df82f4577386404991c51a9559f243e0b1bdc366df25"
REFERENCE = f"centos/python-35-centos7@{DIGEST}"
REPOSITORY = "registry.example.test:5000/default/python"
NAME_DOC = ("Name must be unique within a namespace. Is required when creating resources, "
            "although some resources may allow a client to request the generation of an "
            "appropriate name automatically. Name is primarily intended for creation "
            "idempotence and configuration definition. Cannot be updated. More info: "
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names")


def event(created: str) -> dict:
    return {"created": created, "dockerImageReference": REFERENCE, "image": DIGEST,
            "generation": 2}


def python_stream() -> dict:
    """OpenShift's sample python stream as this service answers it once tags have moved."""
    stream = json.loads(FIXTURE.read_text())
    stream["apiVersion"] = "image.openshift.io/v1"
    stream["metadata"].update(namespace="default", uid="6f7d", resourceVersion="12",
                              generation=2, creationTimestamp="2024-04-01T09:00:00Z")
    stream["status"] = {"dockerImageRepository": REPOSITORY, "tags": [
        {"tag": "2.7", "items": [], "conditions": [
            {"type": "ImportSuccess", "status": "False", "reason": "NotFound"}]},
        {"tag": "3.3", "items": [event("2024-04-01T12:00:00Z")]},
        {"tag": "3.4", "items": [event("2024-05-01T10:00:00Z")]},
        {"tag": "3.5", "items": [event("2024-05-01T11:58:00Z")]},
        {"tag": "latest", "items": [event("2024-05-01T11:58:00Z"),
                                    event("2024-04-01T12:00:00Z")]},
    ]}
    return stream


def stream_list(*streams: dict) -> dict:
    return {"kind": "ImageStreamList", "apiVersion": "image.openshift.io/v1",
            "metadata": {"resourceVersion": "40", "continue": "eyJhZnRlciI6ICJweXRob24ifQ=="},
            "items": list(streams)}


def stream_with_tags(*tags: tuple[str, str]) -> dict:
    return {"kind": "ImageStream", "metadata": {"name": "many"},
            "status": {"tags": [{"tag": name, "items": [event(created)]}
                                for name, created in tags]}}


def cells(answer: dict) -> list[list]:
    return [row["cells"] for row in to_table(answer, version="meta.k8s.io/v1",
                                             include_object="", now=NOW)["rows"]]


def headers(answer: dict) -> list[tuple[str, str, str, int]]:
    table = to_table(answer, version="meta.k8s.io/v1", include_object="None", now=NOW)
    return [(column["name"], column["type"], column["format"], column["priority"])
            for column in table["columnDefinitions"]]


@pytest.mark.parametrize("accept, version", [
    (KUBECTL_ACCEPT, "meta.k8s.io/v1"),
    ("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", "meta.k8s.io/v1beta1"),
    ("application/json; g=meta.k8s.io; v=v1; as=Table", "meta.k8s.io/v1"),
    ("*/*;as=Table;v=v1;g=meta.k8s.io", "meta.k8s.io/v1"),
    ("application/*;as=Table;v=v1;g=meta.k8s.io", "meta.k8s.io/v1"),
    # a conversion this server cannot make is passed over, not refused
    ("application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,"
     "application/json;as=Table;v=v1;g=meta.k8s.io", "meta.k8s.io/v1"),
    # higher quality first, whatever the order written
    ("application/json;q=0.5,application/json;as=Table;v=v1;g=meta.k8s.io", "meta.k8s.io/v1"),
    ("application/json", None),
    ("", None),
    ("*/*", None),
    ("application/json;as=Table;v=v1;g=meta.k8s.io;q=0.5,application/json", None),
    ("application/yaml;as=Table;v=v1;g=meta.k8s.io", None),  # only JSON is served
    ("application/json;as=Table;v=v2;g=meta.k8s.io", None),
    ("application/json;as=Table;g=meta.k8s.io", None),
    ("application/json;as=Table;v=v1;g=image.openshift.io", None),
])
def test_table_version_negotiated_as_kubernetes_does(accept, version):
    assert table_version(accept) == version


def test_a_stream_list_as_kubectl_gets_it():
    stream = python_stream()
    table = to_table(stream_list(stream), version="meta.k8s.io/v1", include_object="", now=NOW)
    assert table == {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": "40", "continue": "eyJhZnRlciI6ICJweXRob24ifQ=="},
        "columnDefinitions": [
            {"name": "Name", "type": "string", "format": "name", "description": NAME_DOC,
             "priority": 0},
            {"name": "Image Repository", "type": "string", "format": "",
             "description": "DockerImageRepository represents the effective location this "
                            "stream may be accessed at. May be empty until the server "
                            "determines where the repository is located",
             "priority": 0},
            {"name": "Tags", "type": "string", "format": "",
             "description": "Human readable list of tags.", "priority": 0},
            {"name": "Updated", "type": "string", "format": "",
             "description": "Last update time.", "priority": 0},
        ],
        "rows": [{
            # newest first, 3.5 before latest at the same second, 2.7 without events last
            "cells": ["python", REPOSITORY, "3.5,latest,3.4,3.3,2.7", "2 minutes ago"],
            "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                       "metadata": {"annotations": {"openshift.io/display-name": "Python"},
                                    "name": "python", "namespace": "default", "uid": "6f7d",
                                    "resourceVersion": "12", "generation": 2,
                                    "creationTimestamp": "2024-04-01T09:00:00Z"}},
        }],
    }


def test_a_single_stream_carries_its_resource_version():
    table = to_table(python_stream(), version="meta.k8s.io/v1beta1", include_object="Metadata",
                     now=NOW)
    assert table["apiVersion"] == "meta.k8s.io/v1beta1"
    assert table["metadata"] == {"resourceVersion": "12"}
    assert [row["object"]["apiVersion"] for row in table["rows"]] == ["meta.k8s.io/v1beta1"]


def test_include_object_none_and_object():
    stream = python_stream()
    answer = stream_list(stream)
    none = to_table(answer, version="meta.k8s.io/v1", include_object="None", now=NOW)
    assert none["rows"][0]["object"] is None
    whole = to_table(answer, version="meta.k8s.io/v1", include_object="Object", now=NOW)
    assert whole["rows"][0]["object"] == stream


def test_an_unknown_include_object_is_a_bad_request():
    with pytest.raises(BadRequest) as raised:
        to_table(python_stream(), version="meta.k8s.io/v1", include_object="metadata", now=NOW)
    assert raised.value.message == (
        'Unable to convert to Table as requested: includeObject: Invalid value: "metadata": '
        "must be 'Metadata', 'Object', 'None', or empty")


def test_an_empty_list_has_columns_and_no_rows():
    table = to_table({"kind": "ImageStreamList", "metadata": {"resourceVersion": "3"},
                      "items": []}, version="meta.k8s.io/v1", include_object="", now=NOW)
    assert (table["metadata"], table["rows"]) == ({"resourceVersion": "3"}, [])
    assert len(table["columnDefinitions"]) == 4


def test_stream_repository_prefers_the_public_one_then_spec_then_status():
    stream = python_stream()
    stream["spec"]["dockerImageRepository"] = "docker.io/library/python"
    assert cells(stream)[0][1] == "docker.io/library/python"
    stream["status"]["publicDockerImageRepository"] = "registry.example.com/default/python"
    assert cells(stream)[0][1] == "registry.example.com/default/python"


def test_a_stream_without_tags():
    fresh = {"kind": "ImageStream", "metadata": {"name": "empty"}, "spec": {}}
    assert cells(fresh) == [["empty", "", "", ""]]


def test_tags_past_forty_characters_are_counted_not_shown():
    stream = stream_with_tags(*[(f"tag-00{i}", f"2024-05-01T11:5{i}:00Z") for i in range(7)])
    # five tags of eight characters with their commas fill the forty exactly
    assert cells(stream)[0][2] == "tag-006,tag-005,tag-004,tag-003,tag-002 + 2 more..."


def test_a_tag_overflowing_by_a_quarter_is_still_shown_after_a_short_start():
    first, second = "a" * 20, "b" * 25
    stream = stream_with_tags((first, "2024-05-01T11:59:00Z"), (second, "2024-05-01T11:58:00Z"),
                              ("c", "2024-05-01T11:57:00Z"))
    assert cells(stream)[0][2] == f"{first},{second} + 1 more..."


def test_the_newest_tag_is_shown_however_long():
    long_name = "x" * 45
    stream = stream_with_tags((long_name, "2024-05-01T11:59:00Z"), ("old", "2024-01-01T00:00:00Z"))
    assert cells(stream)[0][2] == f"{long_name} + 1 more..."
    assert cells(stream)[0][3] == "About a minute ago"


def test_image_stream_tag():
    istag = {"kind": "ImageStreamTag", "apiVersion": "image.openshift.io/v1",
             "metadata": {"name": "python:latest", "namespace": "default",
                          "resourceVersion": "12", "creationTimestamp": "2024-05-01T10:30:00Z"},
             "image": {"metadata": {"name": DIGEST}, "dockerImageReference": REFERENCE}}
    assert headers(istag) == [("Name", "string", "name", 0), ("Image Reference", "string", "", 0),
                              ("Updated", "string", "", 0), ("Image Name", "string", "", 1)]
    table = to_table(istag, version="meta.k8s.io/v1", include_object="", now=NOW)
    assert table["metadata"] == {"resourceVersion": "12"}
    assert table["rows"][0]["cells"] == ["python:latest", REFERENCE, "2 hours ago", DIGEST]


def test_image_stream_image():
    isimage = {"kind": "ImageStreamImage",
               "metadata": {"name": f"python@{DIGEST}",
                            "creationTimestamp": "2024-04-29T12:00:00Z"},
               "image": {"metadata": {"name": DIGEST}, "dockerImageReference": REFERENCE}}
    assert headers(isimage) == [("Name", "string", "name", 0), ("Updated", "string", "", 0),
                                ("Image Reference", "string", "", 1),
                                ("Image Name", "string", "", 1)]
    assert cells(isimage) == [[f"python@{DIGEST}", "2 days ago", REFERENCE, DIGEST]]


def test_image_list():
    images = {"kind": "ImageList", "metadata": {}, "items": [
        {"kind": "Image", "metadata": {"name": DIGEST}, "dockerImageReference": REFERENCE}]}
    assert headers(images) == [("Name", "string", "name", 0), ("Image Reference", "string", "", 0)]
    assert cells(images) == [[DIGEST, REFERENCE]]
    assert to_table(images, version="meta.k8s.io/v1", include_object="",
                    now=NOW)["metadata"] == {}


def test_role_bindings():
    binding = {"kind": "RoleBinding",
               "metadata": {"name": "system:image-puller", "namespace": "default",
                            "creationTimestamp": "2024-04-30T09:00:00Z"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                           "name": "system:image-puller"},
               "subjects": [{"kind": "Group", "name": "system:serviceaccounts:ci"},
                            {"kind": "User", "name": "alice"},
                            {"kind": "ServiceAccount", "name": "builder", "namespace": "ci"},
                            {"kind": "User", "name": "bob"},
                            {"kind": "ServiceAccount", "name": "deployer"}]}
    assert headers(binding) == [("Name", "string", "name", 0), ("Role", "string", "", 0),
                                ("Age", "string", "", 0), ("Users", "string", "", 1),
                                ("Groups", "string", "", 1), ("ServiceAccounts", "string", "", 1)]
    assert cells(binding) == [["system:image-puller", "ClusterRole/system:image-puller", "27h",
                               "alice, bob", "system:serviceaccounts:ci",
                               "ci/builder, /deployer"]]


def test_cluster_role_bindings_list():
    bindings = {"kind": "ClusterRoleBindingList", "metadata": {"resourceVersion": "9"}, "items": [
        {"kind": "ClusterRoleBinding",
         "metadata": {"name": "auditors", "creationTimestamp": "2024-05-01T11:59:30Z"},
         "roleRef": {"kind": "ClusterRole", "name": "cluster-reader"},
         "subjects": [{"kind": "User", "name": "auditor"}]}]}
    table = to_table(bindings, version="meta.k8s.io/v1", include_object="", now=NOW)
    assert table["columnDefinitions"][3]["description"] == "Users in the clusterRoleBinding"
    assert cells(bindings) == [["auditors", "ClusterRole/cluster-reader", "30s", "auditor", "",
                                ""]]


def test_secrets_count_the_key_their_type_holds():
    secret = {"kind": "Secret", "apiVersion": "v1", "type": "kubernetes.io/dockerconfigjson",
              "metadata": {"name": "quay-pull", "creationTimestamp": "2024-03-01T12:00:00Z"}}
    assert headers(secret) == [("Name", "string", "name", 0), ("Type", "string", "", 0),
                               ("Data", "string", "", 0), ("Age", "string", "", 0)]
    assert cells(secret) == [["quay-pull", "kubernetes.io/dockerconfigjson", 1, "61d"]]
    opaque = {"kind": "Secret", "type": "Opaque", "metadata": {"name": "o"},
              "data": {"a": "eA==", "b": "eQ=="}}
    assert cells(opaque) == [["o", "Opaque", 2, "<unknown>"]]


def test_other_kinds_get_the_default_name_and_creation_date():
    tokens = {"kind": "AccessTokenList", "metadata": {}, "items": [
        {"kind": "AccessToken", "metadata": {"name": "t-1", "creationTimestamp":
                                             "2024-05-01T08:00:00Z"}},
        {"kind": "AccessToken", "metadata": {"name": "t-2"}}]}
    assert headers(tokens) == [("Name", "string", "name", 0), ("Created At", "date", "", 0)]
    assert cells(tokens) == [["t-1", "2024-05-01T08:00:00Z"], ["t-2", "0001-01-01T00:00:00Z"]]


def test_the_answer_is_left_as_it_was():
    answer = stream_list(python_stream())
    before = copy.deepcopy(answer)
    to_table(answer, version="meta.k8s.io/v1", include_object="Object", now=NOW)
    assert answer == before


@pytest.mark.parametrize("elapsed, text", [
    (timedelta(0), "0s"),
    (timedelta(seconds=-1.5), "0s"),
    (timedelta(seconds=-2), "<invalid>"),
    (timedelta(seconds=5.9), "5s"),
    (timedelta(seconds=119), "119s"),
    (timedelta(minutes=2), "2m"),
    (timedelta(minutes=2, seconds=5), "2m5s"),
    (timedelta(minutes=9, seconds=59), "9m59s"),
    (timedelta(minutes=10, seconds=30), "10m"),
    (timedelta(minutes=179), "179m"),
    (timedelta(hours=3), "3h"),
    (timedelta(hours=7, minutes=59), "7h59m"),
    (timedelta(hours=8, minutes=30), "8h"),
    (timedelta(hours=47), "47h"),
    (timedelta(days=2), "2d"),
    (timedelta(days=7, hours=23), "7d23h"),
    (timedelta(days=8, hours=5), "8d"),
    (timedelta(days=729), "729d"),
    (timedelta(days=730), "2y"),
    (timedelta(days=731), "2y1d"),
    (timedelta(days=2919), "7y364d"),
    (timedelta(days=3000), "8y"),
])
def test_age_as_kubectl_prints_it(elapsed, text):
    assert age(elapsed) == text


@pytest.mark.parametrize("elapsed, text", [
    (timedelta(0), "Less than a second"),
    (timedelta(seconds=-30), "Less than a second"),
    (timedelta(seconds=1.5), "1 second"),
    (timedelta(seconds=59), "59 seconds"),
    (timedelta(seconds=119), "About a minute"),
    (timedelta(minutes=2), "2 minutes"),
    (timedelta(minutes=59), "59 minutes"),
    (timedelta(minutes=89), "About an hour"),
    (timedelta(minutes=90), "2 hours"),
    (timedelta(hours=47, minutes=29), "47 hours"),
    (timedelta(hours=47, minutes=30), "2 days"),
    (timedelta(days=13), "13 days"),
    (timedelta(days=14), "2 weeks"),
    (timedelta(days=59), "8 weeks"),
    (timedelta(days=60), "2 months"),
    (timedelta(days=729), "24 months"),
    (timedelta(days=730), "2 years"),
])
def test_relative_time_as_oc_prints_it(elapsed, text):
    assert relative_time(elapsed) == text
