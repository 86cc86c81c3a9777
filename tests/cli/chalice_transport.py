"""A requests transport that answers from the Chalice app in process.

isctl takes a requests.Session; mounting this adapter on it sends every request to
chalice.test.Client instead of the network, so the CLI runs unchanged against app.py.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from chalice.test import Client
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


class ChaliceAdapter(BaseAdapter):
    def __init__(self, client: Client):
        super().__init__()
        self.client = client
        self.requests: list[tuple[str, str]] = []  # (method, path) of every call, for tests
        self.headers: list[dict[str, str]] = []

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body.encode() if isinstance(request.body, str) else request.body
        self.requests.append((request.method or "GET", path))
        self.headers.append(dict(request.headers))
        reply = self.client.http.request(request.method, path, body=body or b"",
                                         headers=dict(request.headers))
        response = requests.Response()
        response.status_code = reply.status_code
        response._content = reply.body if isinstance(reply.body, bytes) else (
            reply.body or "").encode()
        response.headers = CaseInsensitiveDict(reply.headers)
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


def session_for(client: Client, server: str) -> tuple[requests.Session, ChaliceAdapter]:
    session = requests.Session()
    adapter = ChaliceAdapter(client)
    session.mount(server, adapter)
    return session, adapter
