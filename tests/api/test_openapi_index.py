"""Kubernetes' OpenAPI discovery as kubectl reads it: the v3 index and its per-group-version
documents, and /openapi/v2 in JSON and protobuf, built from the route table."""
from __future__ import annotations

import copy
import hashlib
import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from chalicelib.api import openapi, openapi_paths
from chalicelib.api.catalogue import CATALOGUE
from chalicelib.api.routes import ROUTES
from chalicelib.domain.errors import NotFound
from chalicelib.services.streams import STREAM_MERGE_KEYS

from .conftest import refs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openshift"
IMAGE = "image.openshift.io/v1"
PACKAGE = "com.github.openshift.api.image.v1"
IMAGE_STREAM = f"{PACKAGE}.ImageStream"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
COMPONENTS = "#/components/schemas/"


def served_group_versions() -> list[str]:
    return list(dict.fromkeys(CATALOGUE[route.resource].group_version
                              for methods in ROUTES.values() for route in methods.values()
                              if route.resource in CATALOGUE))


def image_schemas() -> dict[str, Any]:
    return openapi.group_version_document(ROUTES, IMAGE)["components"]["schemas"]


def target(schema: dict[str, Any]) -> str:
    """The schema name a property refers to, bare or wrapped in an allOf."""
    ref = schema["$ref"] if "$ref" in schema else schema["allOf"][0]["$ref"]
    return ref.removeprefix(COMPONENTS)


# -- the index

def test_the_index_has_one_entry_per_group_version_the_table_serves():
    paths = openapi.index(ROUTES)["paths"]
    expected = {("api/v1" if group_version == "v1" else f"apis/{group_version}")
                for group_version in served_group_versions()}
    assert set(paths) == expected
    assert {"apis/image.openshift.io/v1", "api/v1", "apis/rbac.authorization.k8s.io/v1"} <= \
        set(paths)


def test_each_entry_names_its_document_by_the_hash_of_its_content():
    paths = openapi.index(ROUTES)["paths"]
    for group_version in served_group_versions():
        key = "api/v1" if group_version == "v1" else f"apis/{group_version}"
        url = paths[key]["serverRelativeURL"]
        document = openapi.group_version_document(ROUTES, group_version)
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
        assert url == f"/openapi/v3/{key}?hash={hashlib.sha512(canonical).hexdigest().upper()}"


def test_each_document_s_path_is_the_one_the_index_names():
    paths = openapi_paths.group_version_paths(ROUTES)
    assert list(paths.values()) == served_group_versions()
    assert paths["/openapi/v3/api/v1"] == "v1"
    urls = [entry["serverRelativeURL"] for entry in openapi.index(ROUTES)["paths"].values()]
    assert [url.split("?")[0] for url in urls] == list(paths)


def test_the_index_is_the_same_each_time_it_is_built():
    assert openapi.index(ROUTES) == openapi.index(ROUTES)


def test_a_table_with_fewer_routes_has_fewer_entries():
    streams_only = {path: methods for path, methods in ROUTES.items()
                    if all(route.resource == "imagestreams" for route in methods.values())}
    assert list(openapi.index(streams_only)["paths"]) == ["apis/image.openshift.io/v1"]


def test_an_unserved_group_version_has_no_document():
    with pytest.raises(NotFound):
        openapi.group_version_document(ROUTES, "apps/v1")


# -- the group-version documents

@pytest.mark.parametrize("group_version", served_group_versions())
def test_each_document_is_openapi_3_0_and_refers_only_to_schemas_it_holds(group_version):
    document = openapi.group_version_document(ROUTES, group_version)
    validate(document)
    assert document["openapi"].startswith("3.0")
    schemas = document["components"]["schemas"]
    for ref in refs(document):
        assert ref.startswith(COMPONENTS) and ref.removeprefix(COMPONENTS) in schemas, ref
    for path in document["paths"]:
        assert path.startswith("/api/v1/" if group_version == "v1" else f"/apis/{group_version}")


def test_each_kind_schema_names_its_group_version_and_kind_as_kubernetes_does():
    for group_version in served_group_versions():
        schemas = openapi.group_version_document(ROUTES, group_version)["components"]["schemas"]
        for resource in CATALOGUE.values():
            if resource.group_version != group_version or resource.model is None:
                continue
            kinds = {name.rsplit(".", 1)[1]: schema for name, schema in schemas.items()
                     if "x-kubernetes-group-version-kind" in schema}
            schema = kinds[resource.kind]
            assert schema["x-kubernetes-group-version-kind"] == [
                {"group": resource.group, "kind": resource.kind, "version": "v1"}]
            assert {"apiVersion", "kind", "metadata"} <= set(schema["properties"])
            assert target(schema["properties"]["metadata"]) == OBJECT_META


def test_image_stream_schemas_are_named_after_openshift_s_go_types():
    schemas = image_schemas()
    stream = schemas[IMAGE_STREAM]
    assert target(stream["properties"]["spec"]) == f"{PACKAGE}.ImageStreamSpec"
    assert target(stream["properties"]["status"]) == f"{PACKAGE}.ImageStreamStatus"
    tag = schemas[f"{PACKAGE}.TagReference"]
    assert target(tag["properties"]["from"]) == "io.k8s.api.core.v1.ObjectReference"


def test_a_kind_sharing_another_s_model_has_its_own_schema_and_list():
    schemas = openapi.group_version_document(ROUTES, "rbac.authorization.k8s.io/v1")[
        "components"]["schemas"]
    cluster = schemas["io.k8s.api.rbac.v1.ClusterRoleBinding"]
    assert cluster["x-kubernetes-group-version-kind"][0]["kind"] == "ClusterRoleBinding"
    assert schemas["io.k8s.api.rbac.v1.RoleBinding"]["x-kubernetes-group-version-kind"][0][
        "kind"] == "RoleBinding"
    listed = schemas["io.k8s.api.rbac.v1.ClusterRoleBindingList"]
    assert listed["properties"]["items"]["items"]["$ref"] == \
        COMPONENTS + "io.k8s.api.rbac.v1.ClusterRoleBinding"


def test_spec_and_status_tags_merge_by_their_keys_as_the_server_merges_them():
    schemas = image_schemas()
    for path, key in STREAM_MERGE_KEYS.items():
        part, field = path.split(".")
        holder = schemas[target(schemas[IMAGE_STREAM]["properties"][part])]
        tags = holder["properties"][field]
        assert tags["x-kubernetes-patch-merge-key"] == key
        assert tags["x-kubernetes-patch-strategy"] == "merge"
        assert tags["x-kubernetes-list-type"] == "map"
        assert tags["x-kubernetes-list-map-keys"] == [key]
    assert STREAM_MERGE_KEYS["spec.tags"] == "name"


def test_the_patch_of_a_kind_is_found_by_its_kind_and_takes_a_strategic_merge_patch():
    document = openapi.group_version_document(ROUTES, IMAGE)
    patches = {operation["x-kubernetes-group-version-kind"]["kind"]: operation
               for operations in document["paths"].values()
               for method, operation in operations.items() if method == "patch"}
    assert patches["ImageStream"]["x-kubernetes-group-version-kind"] == {
        "group": "image.openshift.io", "kind": "ImageStream", "version": "v1"}
    assert patches["ImageStream"]["x-kubernetes-action"] == "patch"
    assert set(patches["ImageStream"]["requestBody"]["content"]) == {
        "application/strategic-merge-patch+json", "application/merge-patch+json",
        "application/json-patch+json"}


def test_fields_carry_descriptions_for_kubectl_explain():
    schemas = image_schemas()
    tag = schemas[f"{PACKAGE}.TagReference"]
    assert tag["description"]
    for name, field in tag["properties"].items():
        assert field.get("description"), name
    assert schemas[IMAGE_STREAM]["properties"]["spec"]["description"]
    # A model's own field description comes first.
    rbac = openapi.group_version_document(ROUTES, "rbac.authorization.k8s.io/v1")
    subject = rbac["components"]["schemas"]["io.k8s.api.rbac.v1.Subject"]
    assert subject["properties"]["kind"]["description"] == "User, ServiceAccount or Group"


# -- what kubectl's validation accepts

def strict(schemas: dict[str, Any]) -> dict[str, Any]:
    """The schemas refusing a field their properties lack, as kubectl's validation does."""
    def close(schema: Any) -> Any:
        if isinstance(schema, list):
            return [close(item) for item in schema]
        if not isinstance(schema, dict):
            return schema
        closed = {key: close(value) for key, value in schema.items()}
        if "properties" in closed and not closed.get("x-kubernetes-preserve-unknown-fields"):
            closed["additionalProperties"] = False
        return closed
    return close(copy.deepcopy(schemas))


def stream_validator() -> OAS30Validator:
    return OAS30Validator({"$ref": COMPONENTS + IMAGE_STREAM,
                           "components": {"schemas": strict(image_schemas())}})


def fixture_streams() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(FIXTURES.rglob("*.json")):
        document = json.loads(path.read_text())
        for item in document.get("items", [document]):
            yield f"{path.relative_to(FIXTURES)}:{item['metadata']['name']}", item


def test_every_openshift_fixture_validates_against_the_image_stream_schema():
    validator = stream_validator()
    streams = list(fixture_streams())
    assert len(streams) > 18  # one List among the files
    for name, stream in streams:
        errors = [f"{list(error.path)}: {error.message}"
                  for error in validator.iter_errors(stream)]
        assert errors == [], name


def test_the_fixtures_use_what_the_schemas_must_accept():
    texts = "".join(path.read_text() for path in FIXTURES.rglob("*.json"))
    for used in ('"generation": null', '"annotations": null', '"importPolicy": {}',
                 '"creationTimestamp": null', '"status"'):
        assert used in texts, used


def test_fields_of_kubernetes_own_types_that_the_models_leave_out_are_accepted():
    stream = {"apiVersion": IMAGE, "kind": "ImageStream", "metadata": {
        "name": "exported", "selfLink": "/x", "finalizers": ["f"],
        "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "o",
                             "uid": "u", "controller": True}],
        "managedFields": [{"manager": "oc", "operation": "Update", "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:spec": {"f:tags": {}}}}]},
        "spec": {"tags": [{"name": "t", "from": {"kind": "DockerImage", "name": "x:1",
                                                 "apiVersion": "v1", "uid": "u"}}]}}
    assert list(stream_validator().iter_errors(stream)) == []
    core = openapi.group_version_document(ROUTES, "v1")["components"]["schemas"]
    assert "immutable" in core["io.k8s.api.core.v1.Secret"]["properties"]


@pytest.mark.parametrize("stream", [
    {"kind": "ImageStream", "metadata": {"name": "a"}, "spec": {"tags": [{"name": "t",
                                                                          "bogus": 1}]}},
    {"kind": "ImageStream", "metadata": {"name": "a"}, "spec": {"tags": [{"name": "t",
                                                                          "importPolicy": None}]}},
    {"kind": "ImageStream", "metadata": {"name": "a", "labels": {"x": 1}}},
])
def test_what_the_server_would_refuse_or_drop_is_refused(stream):
    assert list(stream_validator().iter_errors(stream)) != []


# -- /openapi/v2

def test_swagger_v2_is_swagger_2_0_with_the_same_schemas_under_definitions():
    swagger = openapi.swagger_v2(ROUTES)
    validate(swagger)
    definitions = swagger["definitions"]
    assert set(image_schemas()) <= set(definitions)
    assert all(ref.startswith("#/definitions/") and ref.split("/")[-1] in definitions
               for ref in refs(swagger))
    assert "nullable" not in json.dumps(swagger)
    stream = definitions[IMAGE_STREAM]
    assert stream["x-kubernetes-group-version-kind"] == [
        {"group": "image.openshift.io", "kind": "ImageStream", "version": "v1"}]
    assert stream["properties"]["spec"]["$ref"] == f"#/definitions/{PACKAGE}.ImageStreamSpec"
    spec_tags = definitions[f"{PACKAGE}.ImageStreamSpec"]["properties"]["tags"]
    assert spec_tags["x-kubernetes-patch-merge-key"] == "name"
    # kubectl refuses any field a v2 schema's properties lack: open objects have none.
    docker_metadata = definitions[f"{PACKAGE}.DockerImageMetadata"]
    assert "properties" not in docker_metadata and docker_metadata["type"] == "object"


def protobuf_fields(data: bytes) -> Iterator[tuple[int, Any]]:
    """The (number, value) of each field of a protobuf message: bytes for length-delimited
    fields, int for varints, float for 64-bit ones."""
    position = 0

    def varint() -> int:
        nonlocal position
        value, shift = 0, 0
        while True:
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while position < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            yield number, varint()
        elif wire == 1:
            yield number, struct.unpack("<d", data[position:position + 8])[0]
            position += 8
        else:
            assert wire == 2, wire
            length = varint()
            yield number, data[position:position + length]
            position += length


def named_entries(message: bytes, field: int) -> dict[str, bytes]:
    """gnostic's Named* entries (1: the name, 2: the value) of `field`, by name."""
    entries = {}
    for number, entry in protobuf_fields(message):
        if number == field:
            parts = dict(protobuf_fields(entry))
            entries[parts[1].decode()] = parts[2]
    return entries


def test_the_protobuf_form_is_gnostic_s_document_of_the_same_content():
    swagger = openapi.swagger_v2(ROUTES)
    document = dict(protobuf_fields(openapi.swagger_v2_protobuf(ROUTES)))
    assert document[1] == b"2.0"
    definitions = named_entries(document[9], 1)
    assert list(definitions) == list(swagger["definitions"])
    paths = named_entries(document[8], 2)
    assert list(paths) == list(swagger["paths"])

    stream = definitions[IMAGE_STREAM]
    extensions = {name: yaml.safe_load(dict(protobuf_fields(value))[2])
                  for name, value in named_entries(stream, 31).items()}
    assert extensions["x-kubernetes-group-version-kind"] == \
        swagger["definitions"][IMAGE_STREAM]["x-kubernetes-group-version-kind"]
    properties = named_entries(dict(protobuf_fields(stream))[25], 1)
    assert list(properties) == list(swagger["definitions"][IMAGE_STREAM]["properties"])
    spec = dict(protobuf_fields(properties["spec"]))
    assert spec[1].decode() == f"#/definitions/{PACKAGE}.ImageStreamSpec"
    kind = dict(protobuf_fields(properties["kind"]))
    assert dict(protobuf_fields(kind[22])) == {1: b"string"}  # TypeItem


# -- as served

def test_the_served_index_leads_to_the_served_documents(api):
    paths = api.get("/openapi/v3").data["paths"]
    assert paths == openapi.index(ROUTES)["paths"]
    for path, group_version in openapi_paths.group_version_paths(ROUTES).items():
        assert api.get(path).data == openapi.group_version_document(ROUTES, group_version)
    missing = api.get("/openapi/v3/apis/apps/v1")
    assert (missing.status_code, missing.data["reason"]) == (404, "NotFound")


def test_the_whole_document_is_served_beside_the_index(api):
    assert api.get("/openapi/v3/imagestreams.json").data == openapi.document(ROUTES)


def test_openapi_v2_is_json_or_protobuf_as_the_accept_header_asks(api):
    assert api.get("/openapi/v2").data == openapi.swagger_v2(ROUTES)
    reply = api.client.http.get("/openapi/v2", headers={
        **api.headers, "accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == openapi_paths.V2_PROTOBUF
    assert reply.body == openapi.swagger_v2_protobuf(ROUTES)
