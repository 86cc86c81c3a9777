"""From a Chalice request to a JSON response: routing, access, errors as Status."""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

from chalice import Response

from ..domain.errors import ApiError, MethodNotAllowed
from ..services.access import current_pull_check
from ..wiring import services
from .access import authorize
from .openapi_paths import V2_PROTOBUF
from .route import Call, Route, WatchEvents
from .routes import NOT_FOUND, ROUTES
from .shaping import shaped
from .status import error_status
from .watch import watch_route

logger = logging.getLogger(__name__)
JSON_HEADERS = {"Content-Type": "application/json"}
RETRY_AFTER_SECONDS = 1  # a 429 or 503 is a busy stream or table, or an outage: retry soon


def _route(template: str, method: str) -> Route:
    methods = ROUTES.get(template)
    if methods is None:
        return NOT_FOUND
    route = methods.get(method)
    if route is None:
        raise MethodNotAllowed(f"the server does not allow this method on the requested "
                               f"resource (allowed: {', '.join(sorted(methods))})")
    return route


def respond(request: Any) -> Response:
    """Serve a Chalice request; every failure becomes a Kubernetes Status."""
    # API Gateway hands path parameters over percent-encoded as sent; a client may encode
    # `web:latest` as `web%3Alatest` (encodeURIComponent does), and Kubernetes decodes it.
    path = {key: unquote(value) for key, value in (request.uri_params or {}).items()}
    call = Call(method=request.method, path=path,
                query=dict(request.query_params or {}),
                query_all={key: request.query_params.getlist(key)
                           for key in (request.query_params or {})},
                headers=dict(request.headers or {}),
                body=request.raw_body)
    current_pull_check.set(None)  # a warm Lambda must not carry the last caller's rights
    try:
        route = watch_route(_route(request.context.get("resourcePath", ""), request.method),
                            call)
        current = services()
        call = replace(call, subject=authorize(current, route, call, request.context))
        code, body = route.handler(current, call)
        if code == 200:
            body = shaped(route, call, body)
    except ApiError as error:
        code, body = error.code, error_status(error).to_json()
    except Exception:  # an unexpected failure must still answer with a Status, never a trace
        logger.exception("unhandled error serving %s %s", request.method,
                         request.context.get("resourcePath"))
        code, body = 500, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                           "status": "Failure", "reason": "InternalError", "code": 500,
                           "message": "an internal error occurred; it has been logged"}
    if isinstance(body, bytes):  # /openapi/v2 in protobuf, the one answer that is not JSON
        return Response(body=body, status_code=code,
                        headers={"Content-Type": V2_PROTOBUF})
    if isinstance(body, WatchEvents):
        return Response(body="".join(json.dumps(event, separators=(",", ":")) + "\n"
                                     for event in body.events),
                        status_code=code, headers=JSON_HEADERS)
    headers = JSON_HEADERS
    if code in (429, 503):
        # As Kubernetes does: client-go waits this long and retries these on its own.
        headers = {**JSON_HEADERS, "Retry-After": str(RETRY_AFTER_SECONDS)}
    # Compact, as fit_stream measures it: a stream trimmed to fit must still fit when sent.
    return Response(body=json.dumps(body, separators=(",", ":")), status_code=code,
                    headers=headers)
