"""The HTTP layer: requests against the service's Kubernetes-style API.

The session is injectable: tests mount an adapter that answers from the app in process,
so every command runs the same code against the app, the local stack or AWS.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests

from . import __version__
from .errors import ApiError, CliError

GROUP = "/apis/image.openshift.io/v1"
MERGE_PATCH = "application/merge-patch+json"
PAGE = 500  # the server's largest page


def ns_path(namespace: str, resource: str, name: str = "", sub: str = "") -> str:
    path = f"{GROUP}/namespaces/{quote(namespace, safe='')}/{resource}"
    if name:
        path += "/" + quote(name, safe=":@")
    return path + (f"/{sub}" if sub else "")


def cluster_path(resource: str, name: str = "") -> str:
    return f"{GROUP}/{resource}" + ("/" + quote(name, safe=":@") if name else "")


class Client:
    """One server, one identity. Every call returns the decoded JSON or raises ApiError."""

    def __init__(self, server: str, token: str = "", session: requests.Session | None = None,
                 timeout: float = 60.0):
        self.server = server.rstrip("/")
        self.token = token
        self.session = session or requests.Session()
        self.timeout = timeout
        self._resources: set[str] | None = None

    def request(self, method: str, path: str, *, params: dict | None = None,
                body: Any = None, content_type: str = "application/json") -> Any:
        headers = {"Accept": "application/json", "User-Agent": f"isctl/{__version__}"}
        if self.token:
            # Bearer tokens as kubectl sends them; the service's authorizer reads this header.
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        try:
            reply = self.session.request(method, self.server + path, params=params, data=data,
                                         headers=headers, timeout=self.timeout)
        except requests.ConnectionError as exc:
            raise CliError(f"Unable to connect to the server: {_reason(exc)}") from exc
        except requests.Timeout as exc:
            raise CliError(f"Unable to connect to the server: {exc}") from exc
        decoded = _decode(reply)
        if reply.status_code >= 400:
            raise ApiError.from_response(reply.status_code, decoded, reply.text)
        return decoded

    def get(self, path: str, params: dict | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body=body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, body=body)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, body=body, content_type=MERGE_PATCH)

    def delete(self, path: str, body: Any = None) -> Any:
        return self.request("DELETE", path, body=body)

    def pages(self, path: str, params: dict | None = None) -> Iterator[dict]:
        """Every page of a list, following metadata.continue until the server stops."""
        query = dict(params or {})
        query.setdefault("limit", str(PAGE))
        while True:
            page = self.get(path, query)
            yield page
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return
            query["continue"] = token

    def list(self, path: str, params: dict | None = None) -> list[dict]:
        return [item for page in self.pages(path, params) for item in page.get("items") or []]

    def serves(self, resource: str) -> bool:
        """Whether the server's discovery lists `resource` (endpoints arrive over time)."""
        if self._resources is None:
            document = self.get(GROUP)
            self._resources = {r.get("name") for r in document.get("resources") or []}
        return resource in self._resources


def _decode(reply: requests.Response) -> Any:
    if not reply.content:
        return None
    try:
        return reply.json()
    except ValueError:
        return None


def _reason(exc: Exception) -> str:
    # requests nests the socket error a few levels down; the innermost text is the useful one
    inner: Any = exc
    while inner.args and isinstance(inner.args[0], Exception):
        inner = inner.args[0]
    return str(getattr(inner, "reason", None) or inner)
