"""API Gateway events as the deployed functions receive them, for benchmarks that call
the app the way Lambda does: `app(event, context)`."""
from __future__ import annotations

import json
from typing import Any

REST_API = "abcdef1234"
METHOD_ARN = f"arn:aws:execute-api:us-east-1:123456789012:{REST_API}/api"


def proxy_event(method: str, resource: str, params: dict[str, str], principal: str, *,
                token: str = "", body: Any = None,
                content_type: str = "application/json") -> dict[str, Any]:
    """A REST API proxy event for `resource` (a route template) filled with `params`, after
    the token authorizer allowed `principal`: API Gateway passes the authorizer's principal
    and context (none for an allowed token) in requestContext.authorizer."""
    path = resource.format(**params)
    headers = {"Accept": "application/json", "Host": f"{REST_API}.execute-api.us-east-1"
               ".amazonaws.com", "User-Agent": "oc/4.15.0", "X-Forwarded-For": "203.0.113.7",
               "X-Forwarded-Port": "443", "X-Forwarded-Proto": "https"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    raw: str | None = None
    if body is not None:
        raw = body if isinstance(body, str) else json.dumps(body)
        headers["Content-Type"] = content_type
    return {
        "resource": resource, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": dict(params) or None, "stageVariables": None,
        "requestContext": {
            "resourceId": "a1b2c3", "resourcePath": resource, "httpMethod": method,
            "path": f"/api{path}", "stage": "api", "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "accountId": "123456789012",
            "apiId": REST_API, "requestTimeEpoch": 1700000000000,
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "oc/4.15.0"},
            "authorizer": {"principalId": principal, "integrationLatency": 0},
        },
        "body": raw, "isBase64Encoded": False,
    }


def token_event(token: str, method: str, path: str) -> dict[str, Any]:
    """What API Gateway sends a TOKEN authorizer (when no cached answer covers the token)."""
    return {"type": "TOKEN", "authorizationToken": f"Bearer {token}",
            "methodArn": f"{METHOD_ARN}/{method}{path}"}
