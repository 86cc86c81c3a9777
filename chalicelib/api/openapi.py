"""OpenAPI documents of the API, made from the route table they are given and the models the
catalogue names.

- `document`: one OpenAPI 3.1 document of every route, its schemas as pydantic writes them
  (the schemathesis fuzzing reads it).
- `index` and `group_version_document`: Kubernetes' OpenAPI v3 discovery, one OpenAPI 3.0
  document per group-version, its schemas named and annotated as Kubernetes does. kubectl
  (1.27 and later) reads it to build the strategic merge patch an apply sends and for
  `kubectl explain`.
- `swagger_v2` and `swagger_v2_protobuf`: Kubernetes' /openapi/v2, the same schemas as
  Swagger 2.0, in JSON or in the protobuf form kubectl asks for. Every kubectl validates a
  manifest against it before sending it (the server does not take the fieldValidation
  parameter, so validation is the client's), and kubectl 1.20 reads nothing else: explain
  and apply's patches too.
"""
from __future__ import annotations

import hashlib
import json
import re
import struct
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..domain.errors import NotFound
from ..resources.meta import API_GROUP, AUTHORIZATION_GROUP, RBAC_GROUP, Status
from ..services.patching import JSON_PATCH, PATCH_MEDIA_TYPES
from ..services.streams import STREAM_MERGE_KEYS
from .catalogue import CATALOGUE, Resource
from .discovery import SERVICE_VERSION
from .openapi_paths import group_version_paths, index_key, resource_paths
from .route import Route, RouteTable

# Only these lists page and select by label (api/listing.py); the others return every item.
_LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0},
          "description": "at most this many items (0: the server's page size); "
                         "metadata.continue fetches the next page"}
_CONTINUE = {"name": "continue", "in": "query", "schema": {"type": "string"}}
_LABEL_SELECTOR = {"name": "labelSelector", "in": "query", "schema": {"type": "string"}}
_LIST_PARAMETERS = {
    "imagestreams": [_LIMIT, _CONTINUE, _LABEL_SELECTOR],
    "imagestreamtags": [_LIMIT, _CONTINUE],
    "images": [_LIMIT, _CONTINUE],
}
# Every list filters by field (api/shaping.py); streams and tags can be watched (api/watch.py).
_FIELD_SELECTOR = {"name": "fieldSelector", "in": "query", "schema": {"type": "string"}}
_WATCH_PARAMETERS = [
    {"name": "watch", "in": "query", "schema": {"type": "boolean"},
     "description": "the changes after resourceVersion, as watch events, one JSON object a "
                    "line, within timeoutSeconds"},
    {"name": "resourceVersion", "in": "query", "schema": {"type": "string"}},
    {"name": "timeoutSeconds", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    {"name": "allowWatchBookmarks", "in": "query", "schema": {"type": "boolean"}},
]
_EXPIRED = (410, "Expired: a watch from a resourceVersion older than what is kept")
_ERROR_REASONS = [(400, "BadRequest"), (401, "Unauthorized"), (403, "Forbidden"),
                  (404, "NotFound"), (409, "Conflict or AlreadyExists"),
                  (413, "RequestEntityTooLarge"), (415, "UnsupportedMediaType"),
                  (422, "Invalid"), (429, "TooManyRequests"), (503, "ServiceUnavailable")]
_COMPONENTS = "#/components/schemas/"

# A resource's object or list schema, or the Status schema (resource None), as a $ref.
SchemaRef = Callable[[Resource | None, str], dict[str, str]]


def _operation(path: str, method: str, route: Route, ref: SchemaRef) -> dict[str, Any]:
    """An OpenAPI 3 operation of `route`, its schemas named by `ref`."""
    verb, key = route.verb, route.resource
    resource = CATALOGUE.get(key)
    described = resource if resource is not None and resource.model is not None else None
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"{(\w+)}", path)]
    if verb == "list":
        parameters += [*_LIST_PARAMETERS.get(key, []), _FIELD_SELECTOR]
    if route.watch is not None:
        parameters += _WATCH_PARAMETERS
    reply: dict[str, Any] = {"type": "object"}
    if described and verb == "list" and described.list_model is not None:
        reply = ref(described, "list")
    elif described and verb in ("get", "create", "update", "patch") and \
            key != "imagestreammappings":
        reply = ref(described, "object")
    elif verb in ("delete",) or key == "imagestreammappings":
        reply = ref(None, "status")
    code = "201" if verb == "create" else "200"
    errors = {str(status): {"description": reason, "content": {"application/json": {
        "schema": ref(None, "status")}}} for status, reason in
        [*_ERROR_REASONS, *([_EXPIRED] if route.watch is not None else [])]}
    operation: dict[str, Any] = {
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{method.lower()}{path}").strip("_"),
        "parameters": parameters,
        "responses": {code: {"description": "OK", "content": {
            media_type: {"schema": reply if media_type == "application/json"
                         else {"type": "string"}}
            for media_type in route.media_types}}, **errors},
    }
    if method in ("POST", "PUT") and described:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": ref(described, "object")}}}
    if method == "PATCH":
        operation["requestBody"] = {"required": True, "content": {
            media_type: {"schema": {"type": "array", "items": {"type": "object"}}
                         if media_type == JSON_PATCH else {"type": "object"}}
            for media_type in PATCH_MEDIA_TYPES}}
    if verb is not None:
        operation["security"] = [{"bearer": []}]
    return operation


def _pydantic_ref(resource: Resource | None, role: str) -> dict[str, str]:
    model: Any = Status if resource is None else \
        resource.list_model if role == "list" else resource.model
    return {"$ref": _COMPONENTS + model.__name__}


def _catalogue_models() -> list[type[BaseModel]]:
    """Status and each resource's models, once each, in the catalogue's order."""
    described: dict[str, type[BaseModel]] = {}
    for resource in CATALOGUE.values():
        for model in (resource.model, resource.list_model):
            if model is not None:
                described.setdefault(model.__name__, model)
    return [Status, *described.values()]


def _pydantic_schemas() -> dict[str, Any]:
    """Every model's JSON schema (2020-12) by model name, as the models validate input."""
    _, schemas = models_json_schema([(m, "validation") for m in _catalogue_models()],
                                    ref_template=_COMPONENTS + "{model}")
    return schemas.get("$defs", {})


def document(routes: RouteTable) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, methods in routes.items():
        paths[path] = {method.lower(): _operation(path, method, route, _pydantic_ref)
                       for method, route in methods.items()}
    return {
        "openapi": "3.1.0",  # its schemas are JSON Schema 2020-12, as pydantic writes them
        "info": {"title": "imagestreams", "version": SERVICE_VERSION,
                 "description": "OpenShift image streams (image.openshift.io/v1) on AWS."},
        "paths": paths,
        "components": {"schemas": _pydantic_schemas(),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


# -- Kubernetes' schemas: names, extensions and descriptions

_META = "io.k8s.apimachinery.pkg.apis.meta.v1"
_CORE = "io.k8s.api.core.v1"
# The Go packages Kubernetes names a group's schemas after. Any other group's are named as
# Kubernetes names a custom resource's: by the group reversed (dev.imagestreams.v1.X).
_PACKAGES = {"": _CORE, RBAC_GROUP: "io.k8s.api.rbac.v1",
             AUTHORIZATION_GROUP: "io.k8s.api.authorization.v1",
             API_GROUP: "com.github.openshift.api.image.v1"}
# Models of Kubernetes' own types, named as Kubernetes names those wherever they are used.
_SHARED_PACKAGES = {"ObjectMeta": _META, "ListMeta": _META, "Status": _META,
                    "StatusDetails": _META, "StatusCause": _META,
                    "ObjectReference": _CORE, "LocalObjectReference": _CORE}
_PATCH = f"{_META}.Patch"
# The lists a strategic merge patch merges by key, per resource, as the server merges them.
_MERGE_KEYS = {"imagestreams": STREAM_MERGE_KEYS}
_ACTIONS = {"list": "list", "get": "get", "create": "post", "update": "put", "patch": "patch",
            "delete": "delete"}

_STRING: dict[str, Any] = {"type": "string"}
_BOOLEAN: dict[str, Any] = {"type": "boolean"}
_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
_KEPT_NOWHERE = "Accepted as Kubernetes defines it; this server does not keep it."


def _kept_nowhere(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "description": _KEPT_NOWHERE}


# Fields Kubernetes' types have and the models leave out (the models ignore unknown fields).
# Documents exported from a cluster carry them, and kubectl refuses a field its schema lacks.
_UPSTREAM_ONLY_FIELDS: dict[str, dict[str, dict[str, Any]]] = {
    "ObjectMeta": {name: _kept_nowhere(schema) for name, schema in {
        "selfLink": _STRING,
        "deletionTimestamp": _TIME,
        "deletionGracePeriodSeconds": {"type": "integer", "format": "int64"},
        "finalizers": {"type": "array", "items": _STRING},
        "ownerReferences": {"type": "array", "items": {"type": "object", "properties": {
            "apiVersion": _STRING, "kind": _STRING, "name": _STRING, "uid": _STRING,
            "controller": _BOOLEAN, "blockOwnerDeletion": _BOOLEAN}}},
        "managedFields": {"type": "array", "items": {"type": "object", "properties": {
            "manager": _STRING, "operation": _STRING, "apiVersion": _STRING, "time": _TIME,
            "fieldsType": _STRING, "subresource": _STRING,
            "fieldsV1": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}},
    }.items()},
    "ListMeta": {"selfLink": _kept_nowhere(_STRING)},
    "Secret": {"immutable": _kept_nowhere(_BOOLEAN)},
    "ObjectReference": {name: _kept_nowhere(_STRING)
                        for name in ("apiVersion", "uid", "resourceVersion", "fieldPath")},
}

# What `kubectl explain` prints for a field whose model gives no description; "" is the
# type's own. A model's own descriptions (Field(description=...), docstrings) come first.
_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "ImageStream": {
        "": "A set of tags, each following an image: builds and deployments name a tag and "
            "are told when its image changes.",
        "spec": "The tags the stream should have and where each one's image comes from.",
        "status": "What the server made of the spec: the images each tag has pointed at.",
    },
    "ImageStreamSpec": {
        "lookupPolicy": "Whether workloads in this namespace may name the stream's tags as "
                        "images.",
        "dockerImageRepository": "A registry repository whose tags the server imports into "
                                 "the stream (OpenShift deprecates it for spec tags).",
        "tags": "The stream's tags, each with the source of its image; one per name (a "
                "patch merges them by name).",
    },
    "TagReference": {
        "name": "The tag's name, unique in the stream.",
        "annotations": "Annotations of the tag, such as its display name or a builder's "
                       "sample repository.",
        "from": "Where the tag's image comes from: a DockerImage pull spec, or an "
                "ImageStreamTag or ImageStreamImage of this or another stream.",
        "reference": "If true, the tag points at the pull spec in `from` as it is: the "
                     "image is not imported.",
        "generation": "The spec generation this tag was last changed at; set by the server.",
        "importPolicy": "How and when the tag's image is imported.",
        "referencePolicy": "Which pull spec workloads get for the tag's image.",
    },
    "TagImportPolicy": {
        "insecure": "Allow importing from a registry over plain HTTP or with an untrusted "
                    "certificate.",
        "scheduled": "Import the tag again periodically, to follow its source.",
        "importMode": "Legacy (one image; of a manifest list, this platform's) or "
                      "PreserveOriginal (a manifest list as it is).",
    },
    "TagReferencePolicy": {
        "type": "Source (the image's own pull spec) or Local (through the integrated "
                "registry).",
    },
    "ObjectReference": {
        "kind": "DockerImage, ImageStreamTag or ImageStreamImage.",
        "name": "A pull spec (DockerImage), stream:tag (ImageStreamTag) or stream@digest "
                "(ImageStreamImage).",
        "namespace": "The namespace of the stream referred to; the referring one's if left "
                     "out.",
    },
    "ImageLookupPolicy": {
        "local": "If true, workloads in this namespace may name the stream's tags (stream:tag) "
                 "as images.",
    },
    "ImageStreamStatus": {
        "dockerImageRepository": "The stream's repository in the integrated registry, to "
                                 "push to and pull from.",
        "publicDockerImageRepository": "The same repository as seen from outside the cluster.",
        "tags": "Per tag, the images it has pointed at (newest first) and why its last import "
                "failed, if it did.",
    },
    "NamedTagEventList": {
        "tag": "The tag's name.",
        "items": "The images the tag has pointed at, newest first.",
        "conditions": "Why the tag's last import failed, if it did.",
    },
    "TagEvent": {
        "created": "When the tag came to point at this image.",
        "dockerImageReference": "The image's pull spec.",
        "image": "The image's name: its manifest digest.",
        "generation": "The spec generation this event resolved.",
    },
    "TagEventCondition": {
        "type": "ImportSuccess.",
        "status": "True, False or Unknown.",
        "lastTransitionTime": "When the condition last changed.",
        "reason": "Why, in one word.",
        "message": "Why, for a person.",
        "generation": "The spec generation the condition is about.",
    },
}
# Every kind's first fields, as Kubernetes describes them.
_OBJECT_FIELDS = {
    "apiVersion": "The group and version of this representation of the object.",
    "kind": "The kind of the object.",
    "metadata": "The object's name, namespace, labels and annotations, and what the server "
                "sets: uid, resourceVersion, creationTimestamp.",
    "items": "The listed objects.",
}


def _package(group: str) -> str:
    return _PACKAGES.get(group) or ".".join(reversed(group.split("."))) + ".v1"


def _kind_name(resource: Resource, role: str) -> str:
    """The Kubernetes name of a resource's object ("object") or list ("list") schema."""
    return f"{_package(resource.group)}.{resource.kind}{'List' if role == 'list' else ''}"


def _kubernetes_ref(resource: Resource | None, role: str) -> dict[str, str]:
    name = f"{_META}.Status" if resource is None else _kind_name(resource, role)
    return {"$ref": _COMPONENTS + name}


def _gvk(resource: Resource) -> dict[str, str]:
    return {"group": resource.group, "kind": resource.kind,
            "version": resource.group_version.rsplit("/", 1)[-1]}


def _subschemas(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The schemas directly inside `schema`."""
    yield from schema.get("properties", {}).values()
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield schema[key]
    for key in ("anyOf", "allOf"):
        yield from schema.get(key, [])


def _referenced(schema: dict[str, Any]) -> Iterator[str]:
    """The names of the schemas `schema` refers to, at any depth."""
    if "$ref" in schema:
        yield schema["$ref"].rsplit("/", 1)[1]
    for inner in _subschemas(schema):
        yield from _referenced(inner)


def _closure(names: list[str], schemas: dict[str, Any]) -> list[str]:
    """`names` and every schema they refer to, directly or not, each once in first-seen
    order."""
    found: dict[str, None] = {}
    pending = list(names)
    while pending:
        name = pending.pop(0)
        if name not in found:
            found[name] = None
            pending += _referenced(schemas[name])
    return list(found)


def _openapi30(schema: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A pydantic schema as OpenAPI 3.0 and Kubernetes write it: refs renamed by `names`,
    Optional[X] as X nullable, open objects marked to keep unknown fields, no titles. A
    $ref may keep siblings here; _wrapped_refs puts it in an allOf for 3.0 documents."""
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" or (key == "default" and value is None):
            continue  # pydantic's titles repeat the field names
        if key == "$ref":
            value = _COMPONENTS + names[value.rsplit("/", 1)[1]]
        elif key == "properties":
            value = {name: _openapi30(inner, names) for name, inner in value.items()}
        elif key == "anyOf":
            value = [_openapi30(inner, names) for inner in value]
        elif isinstance(value, dict) and key in ("items", "additionalProperties"):
            value = _openapi30(value, names)
        elif key == "additionalProperties" and value is True:
            key = "x-kubernetes-preserve-unknown-fields"  # a model with extra="allow", a dict
        converted[key] = value
    options = converted.pop("anyOf", None)
    if options is not None:
        present = [option for option in options if option != {"type": "null"}]
        converted.update(present[0] if len(present) == 1 else {"anyOf": present})
        if len(present) < len(options):
            converted["nullable"] = True
    return converted


def _renamed(schema: Any, names: dict[str, str]) -> Any:
    """`schema` with its refs to the schemas named in `names` pointing at their new names."""
    if isinstance(schema, list):
        return [_renamed(item, names) for item in schema]
    if not isinstance(schema, dict):
        return schema
    renamed = {key: _renamed(value, names) for key, value in schema.items()}
    ref = renamed.get("$ref", "")
    if ref.startswith(_COMPONENTS) and ref[len(_COMPONENTS):] in names:
        renamed["$ref"] = _COMPONENTS + names[ref[len(_COMPONENTS):]]
    return renamed


def _property(schemas: dict[str, Any], name: str, path: str) -> dict[str, Any]:
    """The schema of the field at dotted `path` in the schema `name`, through refs."""
    *parents, last = path.split(".")
    schema = schemas[name]
    for part in parents:
        schema = schemas[schema["properties"][part]["$ref"].rsplit("/", 1)[1]]
    return schema["properties"][last]


def _kubernetes_schemas() -> dict[str, dict[str, Any]]:
    """Every schema of the API as Kubernetes names and annotates it; a $ref may have
    siblings (a description, nullable)."""
    pydantic = _pydantic_schemas()
    names = {model: f"{package}.{model}" for model, package in _SHARED_PACKAGES.items()}
    for resource in CATALOGUE.values():
        for role, model in (("object", resource.model), ("list", resource.list_model)):
            if model is not None:
                names.setdefault(model.__name__, _kind_name(resource, role))
    for resource in CATALOGUE.values():  # each other model in the first group that uses it
        if resource.model is not None:
            for model_name in _closure([resource.model.__name__], pydantic):
                names.setdefault(model_name, f"{_package(resource.group)}.{model_name}")
    schemas = {names[model_name]: _openapi30(schema, names)
               for model_name, schema in pydantic.items()}
    schemas[_PATCH] = {"type": "object", "description": (
        "A PATCH body: a JSON merge patch, a strategic merge patch or a JSON patch, as its "
        "Content-Type says.")}

    for model_name, fields in _UPSTREAM_ONLY_FIELDS.items():
        schemas[names[model_name]]["properties"].update(fields)
    for model_name, descriptions in _DESCRIPTIONS.items():
        schema = schemas[names[model_name]]
        for field, description in descriptions.items():
            (schema["properties"][field] if field else schema).setdefault(
                "description", description)
    for key, merge_keys in _MERGE_KEYS.items():
        kind_name = _kind_name(CATALOGUE[key], "object")
        for path, merge_key in merge_keys.items():
            _property(schemas, kind_name, path).update({
                "x-kubernetes-patch-merge-key": merge_key,
                "x-kubernetes-patch-strategy": "merge",
                "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": [merge_key]})

    for resource in CATALOGUE.values():
        if resource.model is None:
            continue
        # A kind made from another kind's model (ClusterRoleBinding from RoleBinding's) gets
        # a copy of that schema under its own name, its list's items renamed with it.
        renames = {names[resource.model.__name__]: _kind_name(resource, "object")}
        for role, model in (("object", resource.model), ("list", resource.list_model)):
            if model is None:
                continue
            name = _kind_name(resource, role)
            if name not in schemas:
                schemas[name] = _renamed(schemas[names[model.__name__]], renames)
            kind = schemas[name]
            kind["x-kubernetes-group-version-kind"] = [
                {**_gvk(resource), "kind": resource.kind + ("List" if role == "list" else "")}]
            for field, description in _OBJECT_FIELDS.items():
                if field in kind["properties"]:
                    kind["properties"][field].pop("default", None)  # the kind's, not a copy's
                    kind["properties"][field].setdefault("description", description)
    return schemas


def _wrapped_refs(schema: Any) -> Any:
    """`schema` as OpenAPI 3.0 needs it: a $ref with siblings, which 3.0 would ignore,
    inside an allOf, as Kubernetes writes it."""
    if isinstance(schema, list):
        return [_wrapped_refs(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    wrapped = {key: _wrapped_refs(value) for key, value in schema.items()}
    if "$ref" in wrapped and len(wrapped) > 1:
        wrapped = {"allOf": [{"$ref": wrapped.pop("$ref")}], **wrapped}
    return wrapped


# -- OpenAPI v3 discovery: an index of per-group-version documents

def _kubernetes_operation(path: str, method: str, route: Route) -> dict[str, Any]:
    resource = CATALOGUE[route.resource]
    operation = _operation(path, method, route, _kubernetes_ref)
    if method == "PATCH":  # every patch type the server applies; kubectl apply picks one
        operation["requestBody"]["content"] = {
            media_type: {"schema": {"$ref": _COMPONENTS + _PATCH}}
            for media_type in PATCH_MEDIA_TYPES}
    assert route.verb is not None  # every resource route has one
    operation["x-kubernetes-action"] = _ACTIONS[route.verb]
    # What kubectl looks for to find the PATCH of a kind, and whether it takes a strategic
    # merge patch.
    operation["x-kubernetes-group-version-kind"] = _gvk(resource)
    return operation


def _group_version_documents(routes: RouteTable) -> dict[str, dict[str, Any]]:
    schemas = _kubernetes_schemas()
    documents = {}
    for group_version, served in resource_paths(routes).items():
        paths = {path: {method.lower(): _kubernetes_operation(path, method, route)
                        for method, route in methods.items()}
                 for path, methods in served.items()}
        used = _closure(sorted({name for operations in paths.values()
                                for operation in operations.values()
                                for name in _referenced_in_operation(operation)}), schemas)
        documents[group_version] = {
            "openapi": "3.0.0",  # as Kubernetes serves them, and kubectl reads them
            "info": {"title": "imagestreams", "version": SERVICE_VERSION},
            "paths": paths,
            "components": {
                "schemas": {name: _wrapped_refs(schemas[name]) for name in sorted(used)},
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        }
    return documents


def _referenced_in_operation(operation: dict[str, Any]) -> Iterator[str]:
    bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
    for body in bodies:
        for media in body.get("content", {}).values():
            yield from _referenced(media["schema"])


def _content_hash(document: dict[str, Any]) -> str:
    """As Kubernetes hashes a document (SHA-512, upper-case hex): clients cache by URL."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha512(canonical.encode()).hexdigest().upper()


def index(routes: RouteTable) -> dict[str, Any]:
    """/openapi/v3: where each group-version's document is, its hash in the URL."""
    documents = _group_version_documents(routes)
    return {"paths": {
        index_key(group_version): {
            "serverRelativeURL": f"{path}?hash={_content_hash(documents[group_version])}"}
        for path, group_version in group_version_paths(routes).items()}}


def group_version_document(routes: RouteTable, group_version: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document of one group-version ("image.openshift.io/v1", "v1"): its
    paths and the schemas they use. NotFound for a group-version the table does not serve."""
    documents = _group_version_documents(routes)
    if group_version not in documents:
        raise NotFound(f"the server has no OpenAPI document for {group_version}")
    return documents[group_version]


# -- /openapi/v2: the same schemas and operations as Swagger 2.0

def _swagger_schema(schema: Any) -> Any:
    """A schema of _kubernetes_schemas as Swagger 2.0 writes it: refs to #/definitions/, no
    nullable (2.0 has none; kubectl skips null fields), and an object keeping unknown
    fields as a plain object, since kubectl refuses any field a schema's properties lack."""
    if isinstance(schema, list):
        return [_swagger_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: _swagger_schema(value) for key, value in schema.items()
                 if key != "nullable"}
    if converted.get("x-kubernetes-preserve-unknown-fields"):
        converted.pop("properties", None)
        converted.pop("required", None)
    if "$ref" in converted:
        converted["$ref"] = "#/definitions/" + converted["$ref"].rsplit("/", 1)[1]
    return converted


def _swagger_operation(operation: dict[str, Any]) -> dict[str, Any]:
    """A Kubernetes OpenAPI 3 operation as Swagger 2.0 writes it."""
    # 2.0 writes a parameter's type beside its name, and a request body as a parameter.
    parameters = [{**{key: value for key, value in parameter.items() if key != "schema"},
                   **parameter["schema"]} for parameter in operation["parameters"]]
    swagger: dict[str, Any] = {"operationId": operation["operationId"],
                               "produces": ["application/json"]}
    body = operation.get("requestBody")
    if body is not None:
        swagger["consumes"] = list(body["content"])
        first = next(iter(body["content"].values()))
        parameters.append({"name": "body", "in": "body", "required": True,
                           "schema": _swagger_schema(first["schema"])})
    swagger["parameters"] = parameters
    swagger["responses"] = {
        code: {"description": response["description"],
               "schema": _swagger_schema(response["content"]["application/json"]["schema"])}
        for code, response in operation["responses"].items()}
    swagger.update({key: value for key, value in operation.items() if key.startswith("x-")})
    return swagger


def swagger_v2(routes: RouteTable) -> dict[str, Any]:
    """/openapi/v2: every resource route and every schema, as Kubernetes serves them."""
    paths = {path: {method.lower(): _swagger_operation(
        _kubernetes_operation(path, method, route)) for method, route in methods.items()}
        for served in resource_paths(routes).values()
        for path, methods in served.items()}
    schemas = _kubernetes_schemas()
    return {"swagger": "2.0",
            "info": {"title": "imagestreams", "version": SERVICE_VERSION},
            "paths": paths,
            "definitions": {name: _swagger_schema(schemas[name]) for name in sorted(schemas)}}


# gnostic's openapi_v2 messages (github.com/google/gnostic, openapiv2/OpenAPIv2.proto), as
# far as swagger_v2's documents use them: each JSON field's number and how it is encoded.
# A field of no table raises KeyError, so a document the encoding would garble is refused.
Encoder = Callable[[int, Any], bytes]  # a field's number and JSON value: its protobuf bytes


def _varint(number: int) -> bytes:
    out = bytearray()
    while number > 0x7F:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def _length_delimited(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _string(field: int, value: str) -> bytes:
    return _length_delimited(field, value.encode())


def _strings(field: int, values: list[str]) -> bytes:
    return b"".join(_string(field, value) for value in values)


def _bool(field: int, value: bool) -> bytes:
    return _varint(field << 3) + _varint(1) if value else b""


def _double(field: int, value: float) -> bytes:
    return _varint(field << 3 | 1) + struct.pack("<d", value)


def _any(field: int, value: Any) -> bytes:
    """gnostic's Any: the value as YAML text (its field 2); JSON is YAML."""
    return _length_delimited(field, _string(2, json.dumps(value)))


def _anys(field: int, values: list[Any]) -> bytes:
    return b"".join(_any(field, value) for value in values)


def _message(fields: dict[str, tuple[int, Encoder]],
             extensions: int | None = None) -> Callable[[dict[str, Any]], bytes]:
    """An encoder of a JSON object as the message whose fields are `fields`; its x-
    extensions as NamedAny in the field `extensions`."""
    def encode(value: dict[str, Any]) -> bytes:
        out = b""
        for key, item in value.items():
            if key.startswith("x-") and extensions is not None:
                out += _length_delimited(extensions, _string(1, key) + _any(2, item))
            else:
                number, encoder = fields[key]
                out += encoder(number, item)
        return out
    return encode


def _embedded(encode: Callable[[Any], bytes]) -> Encoder:
    return lambda field, value: _length_delimited(field, encode(value))


def _named(encode: Callable[[Any], bytes]) -> Callable[[dict[str, Any]], bytes]:
    """A JSON map as gnostic writes one: Named* entries (1: the key, 2: the value) in the
    map message's field 1."""
    return lambda values: b"".join(
        _length_delimited(1, _string(1, name) + _length_delimited(2, encode(value)))
        for name, value in values.items())


def _schema_message(value: dict[str, Any]) -> bytes:
    return _SCHEMA(value)


_SCHEMA = _message({
    "$ref": (1, _string), "format": (2, _string), "description": (4, _string),
    "default": (5, _any), "minimum": (9, _double), "required": (19, _strings),
    "enum": (20, _anys),
    "additionalProperties": (21, _embedded(  # AdditionalPropertiesItem: a schema or a bool
        lambda value: _bool(2, value) if isinstance(value, bool)
        else _length_delimited(1, _schema_message(value)))),
    "type": (22, _embedded(lambda value: _strings(1, [value]))),  # TypeItem
    "items": (23, _embedded(lambda value: _length_delimited(1, _schema_message(value)))),
    "allOf": (24, lambda field, values: b"".join(
        _length_delimited(field, _schema_message(value)) for value in values)),
    "properties": (25, _embedded(_named(_schema_message))),
}, extensions=31)
_PARAMETER_FIELDS: dict[str, tuple[int, Encoder]] = {
    "required": (1, _bool), "in": (2, _string), "description": (3, _string),
    "name": (4, _string)}
_BODY_PARAMETER = _message({"description": (1, _string), "name": (2, _string),
                            "in": (3, _string), "required": (4, _bool),
                            "schema": (5, _embedded(_schema_message))})
_QUERY_PARAMETER = _message({**_PARAMETER_FIELDS, "type": (6, _string),
                             "minimum": (13, _double)})
_PATH_PARAMETER = _message({**_PARAMETER_FIELDS, "type": (5, _string)})


def _parameters_item(value: dict[str, Any]) -> bytes:
    """ParametersItem: a Parameter (1), itself a body parameter (1) or a non-body one (2),
    which is a query (3) or a path (4) parameter."""
    if value["in"] == "body":
        parameter = _length_delimited(1, _BODY_PARAMETER(value))
    elif value["in"] == "query":
        parameter = _length_delimited(2, _length_delimited(3, _QUERY_PARAMETER(value)))
    else:
        parameter = _length_delimited(2, _length_delimited(4, _PATH_PARAMETER(value)))
    return _length_delimited(1, parameter)


_RESPONSE = _message({"description": (1, _string),
                      "schema": (2, _embedded(  # SchemaItem: a schema (1)
                          lambda value: _length_delimited(1, _schema_message(value))))},
                     extensions=5)
_OPERATION = _message({
    "operationId": (5, _string), "produces": (6, _strings), "consumes": (7, _strings),
    "parameters": (8, lambda field, values: b"".join(
        _length_delimited(field, _parameters_item(value)) for value in values)),
    "responses": (9, _embedded(_named(  # Responses of ResponseValue: a response (1)
        lambda value: _length_delimited(1, _RESPONSE(value))))),
}, extensions=13)
_PATH_ITEM = _message({method: (number, _embedded(_OPERATION)) for method, number in
                       [("get", 2), ("put", 3), ("post", 4), ("delete", 5), ("patch", 8)]},
                      extensions=10)
_DOCUMENT = _message({
    "swagger": (1, _string),
    "info": (2, _embedded(_message({"title": (1, _string), "version": (2, _string),
                                    "description": (3, _string)}, extensions=7))),
    "paths": (8, _embedded(lambda paths: b"".join(  # Paths: NamedPathItem entries (2)
        _length_delimited(2, _string(1, path) + _length_delimited(2, _PATH_ITEM(item)))
        for path, item in paths.items()))),
    "definitions": (9, _embedded(_named(_schema_message))),
}, extensions=16)


def swagger_v2_protobuf(routes: RouteTable) -> bytes:
    """swagger_v2's document as gnostic's openapi_v2.Document, served as V2_PROTOBUF (see
    api/openapi_paths.py): the only form kubectl asks /openapi/v2 for."""
    return _DOCUMENT(swagger_v2(routes))
