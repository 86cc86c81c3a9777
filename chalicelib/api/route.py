"""What the route table holds: per path and method, the verb, the resource and the handler
that turns a Call into a Reply."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..services.actor import NOBODY, Actor
from ..wiring import Services

Reply = tuple[int, Any]  # the status code and the JSON body


@dataclass(frozen=True)
class Call:
    """One request as the handlers see it: path parameters percent-decoded."""

    method: str
    path: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)  # a repeated parameter's last value
    # Every value of each parameter, for those that repeat (a registry token's `scope`).
    query_all: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    actor: Actor = NOBODY  # who the request acts for, once authenticated
    # The path as the client sent it, stage prefix included: where the console's page is.
    request_path: str = ""

    @property
    def subject(self) -> str:
        return self.actor.subject

    @property
    def namespace(self) -> str:
        return self.path.get("namespace", "")

    @property
    def name(self) -> str:
        return self.path.get("name", "")


Handler = Callable[[Services, Call], Reply]


@dataclass(frozen=True)
class WatchEvents:
    """A watch's answer: Kubernetes watch events, sent as one JSON object a line."""

    events: list[dict[str, Any]]


@dataclass(frozen=True)
class Route:
    verb: str | None  # None: open to everyone (discovery, health, the webhook)
    resource: str  # a key of api/catalogue.py's CATALOGUE, or one of its non-resources
    handler: Handler
    watch: Handler | None = None  # a list's `?watch=true`, checked as the verb watch
    # What a success is sent as, for the OpenAPI document: JSON but for the console's files.
    media_types: tuple[str, ...] = ("application/json",)


@dataclass(frozen=True)
class RawBody:
    """An answer that is no JSON (the console's page and assets): sent as it is, with its
    own Content-Type and headers."""

    body: str
    headers: dict[str, str]


RouteTable = dict[str, dict[str, Route]]  # path template: method: route
