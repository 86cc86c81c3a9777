"""An OpenAPI 3 document of the API, made from the route table it is given and the models
the catalogue names."""
from __future__ import annotations

import re
from typing import Any, Optional

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..resources.meta import Status
from .catalogue import CATALOGUE
from .discovery import SERVICE_VERSION
from .route import RouteTable

# Only these lists page and filter (api/listing.py); the others return every item.
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
_ERRORS = {str(code): {"description": reason, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Status"}}}}
    for code, reason in [(400, "BadRequest"), (401, "Unauthorized"), (403, "Forbidden"),
                         (404, "NotFound"), (409, "Conflict or AlreadyExists"),
                         (413, "RequestEntityTooLarge"), (415, "UnsupportedMediaType"),
                         (422, "Invalid"), (429, "TooManyRequests"),
                         (503, "ServiceUnavailable")]}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(path: str, method: str, verb: Optional[str], resource: str) -> dict[str, Any]:
    described = CATALOGUE.get(resource)
    models = (described.model, described.list_model) if described and described.model else None
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"{(\w+)}", path)]
    if verb == "list":
        parameters += _LIST_PARAMETERS.get(resource, [])
    reply: dict[str, Any] = {"type": "object"}
    if models and verb == "list" and models[1] is not None:
        reply = _ref(models[1])
    elif models and verb in ("get", "create", "update", "patch") and resource != \
            "imagestreammappings":
        reply = _ref(models[0])
    elif verb in ("delete",) or resource == "imagestreammappings":
        reply = _ref(Status)
    code = "201" if verb == "create" else "200"
    operation: dict[str, Any] = {
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{method.lower()}{path}").strip("_"),
        "parameters": parameters,
        "responses": {code: {"description": "OK", "content": {
            "application/json": {"schema": reply}}}, **_ERRORS},
    }
    if method in ("POST", "PUT") and models:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _ref(models[0])}}}
    if method == "PATCH":
        operation["requestBody"] = {"required": True, "content": {
            "application/merge-patch+json": {"schema": {"type": "object"}}}}
    if verb is not None:
        operation["security"] = [{"bearer": []}]
    return operation


def document(routes: RouteTable) -> dict[str, Any]:
    described: dict[str, type[BaseModel]] = {}  # each model once, in the catalogue's order
    for resource in CATALOGUE.values():
        for model in (resource.model, resource.list_model):
            if model is not None:
                described.setdefault(model.__name__, model)
    models = [Status, *described.values()]
    _, schemas = models_json_schema([(m, "validation") for m in models],
                                    ref_template="#/components/schemas/{model}")
    paths: dict[str, Any] = {}
    for path, methods in routes.items():
        paths[path] = {method.lower(): _operation(path, method, route.verb, route.resource)
                       for method, route in methods.items()}
    return {
        "openapi": "3.1.0",  # its schemas are JSON Schema 2020-12, as pydantic writes them
        "info": {"title": "imagestreams", "version": SERVICE_VERSION,
                 "description": "OpenShift image streams (image.openshift.io/v1) on AWS."},
        "paths": paths,
        "components": {"schemas": schemas.get("$defs", {}),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
