"""From a Chalice request to a JSON response: routing, access, errors as Status."""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

from chalice import Response

from .. import logs, metrics
from ..domain.errors import ApiError, Forbidden, MethodNotAllowed, Unauthorized
from ..wiring import services
from .access import authorize
from .openapi_paths import V2_PROTOBUF
from .route import Call, RawBody, Route, WatchEvents
from .routes import NOT_FOUND, ROUTES
from .shaping import shaped
from .status import error_status
from .watch import watch_route

logger = logging.getLogger(__name__)
JSON_HEADERS = {"Content-Type": "application/json"}
RETRY_AFTER_SECONDS = 1  # a 429 or 503 is a busy stream or table, or an outage: retry soon
# The writes each get a log line of their own (who, what, the answer): those of streams' data.
STREAM_WRITES = {"imagestreams", "imagestreamtags", "imagestreammappings", "imagestreamimports"}
WRITE_VERBS = {"create", "update", "patch", "delete"}
DENIALS = {Unauthorized: "Unauthenticated", Forbidden: "AuthorizationDenied"}


def _route(template: str, method: str) -> Route:
    methods = ROUTES.get(template)
    if methods is None:
        return NOT_FOUND
    route = methods.get(method)
    if route is None:
        raise MethodNotAllowed(f"the server does not allow this method on the requested "
                               f"resource (allowed: {', '.join(sorted(methods))})")
    return route


def request_ids(request: Any) -> tuple[str, str]:
    """The Lambda invocation's request id and API Gateway's, from the request's contexts
    (either may be missing: `chalice local` has no API Gateway id, a bench no context)."""
    lambda_context = getattr(request, "lambda_context", None)
    return (getattr(lambda_context, "aws_request_id", "") or "",
            (request.context or {}).get("requestId") or "")


def respond(request: Any) -> Response:
    """Serve a Chalice request; every failure becomes a Kubernetes Status."""
    request_id, api_request_id = request_ids(request)
    with logs.request_scope(request_id, api_request_id), \
            metrics.invocation("app", request_id) as counted:
        return _respond(request, counted)


def _respond(request: Any, counted: metrics.InvocationMetrics) -> Response:
    # API Gateway hands path parameters over percent-encoded as sent; a client may encode
    # `web:latest` as `web%3Alatest` (encodeURIComponent does), and Kubernetes decodes it.
    path = {key: unquote(value) for key, value in (request.uri_params or {}).items()}
    call = Call(method=request.method, path=path,
                query=dict(request.query_params or {}),
                query_all={key: request.query_params.getlist(key)
                           for key in (request.query_params or {})},
                headers=dict(request.headers or {}),
                body=request.raw_body, request_path=(request.context or {}).get("path", ""))
    route = None
    try:
        route = watch_route(_route(request.context.get("resourcePath", ""), request.method),
                            call)
        current = services()
        try:
            call = replace(call, actor=authorize(current, route, call, request.context))
        except (Unauthorized, Forbidden) as denial:
            counted.add(DENIALS[type(denial)])
            raise
        code, body = route.handler(current, call)
        if code == 200:
            body = shaped(route, call, body)
    except ApiError as error:
        code, body = error.code, error_status(error).to_json()
    except Exception:  # an unexpected failure must still answer with a Status, never a trace
        logs.about(logger, *_write_target(route, call, None)).exception(
            "unhandled error serving %s %s", request.method, request.context.get("resourcePath"))
        code, body = 500, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                           "status": "Failure", "reason": "InternalError", "code": 500,
                           "message": "an internal error occurred; it has been logged"}
    if route is not None and route.resource in STREAM_WRITES and route.verb in WRITE_VERBS:
        logs.about(logger, *_write_target(route, call, body)).info(
            "%s %s by %s: %d", route.verb, route.resource, call.subject or "-", code,
            extra={"subject": call.subject, "verb": route.verb, "resource": route.resource,
                   "status": code})
    # Each Response gets a dict of headers of its own: Chalice adds to it (CORS headers).
    if isinstance(body, bytes):  # /openapi/v2 in protobuf, the one answer that is not JSON
        return Response(body=body, status_code=code,
                        headers={"Content-Type": V2_PROTOBUF})
    if isinstance(body, RawBody):  # the console's page and assets
        return Response(body=body.body, status_code=code, headers={**body.headers})
    if isinstance(body, WatchEvents):
        return Response(body="".join(json.dumps(event, separators=(",", ":")) + "\n"
                                     for event in body.events),
                        status_code=code, headers={**JSON_HEADERS})
    headers: dict[str, str | list[str]] = {**JSON_HEADERS}
    if code in (429, 503):
        # As Kubernetes does: client-go waits this long and retries these on its own.
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Compact, as fit_stream measures it: a stream trimmed to fit must still fit when sent.
    return Response(body=json.dumps(body, separators=(",", ":")), status_code=code,
                    headers=headers)


def _write_target(route: Any, call: Call, reply: Any) -> tuple[str, str, str]:
    """The namespace, stream and tag a request writes, as far as its path, its answer or
    its body name them (a POST to a collection names the object in the body)."""
    name = call.name or _metadata_name(reply) or _metadata_name(_json_object(call.body))
    stream, _, tag = name.partition(":")
    stream = stream.partition("@")[0]
    if route is not None and route.resource == "imagestreammappings":
        tag = str(_json_object(call.body).get("tag") or "")
    return call.namespace, stream, tag


def _metadata_name(body: Any) -> str:
    metadata = body.get("metadata") if isinstance(body, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else ""


def _json_object(raw: bytes | None) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        # Not JSON (YAML, say), or nested past what json parses (the request was refused
        # for it): the line names what the path and answer do.
        return {}
    return body if isinstance(body, dict) else {}
