"""The access decision every routed call passes through: who asks, and may they."""
from __future__ import annotations

from typing import Any, Optional

from chalice import AuthResponse

from ..domain.errors import Unauthorized
from ..services.access import ANONYMOUS, current_pull_check
from ..wiring import Services
from .handlers import Call
from .routes import SELF, Route


def bearer_token(header: Optional[str]) -> Optional[str]:
    scheme, _, token = (header or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def authenticate(services: Services, header: Optional[str]) -> AuthResponse:
    """The API Gateway authorizer's answer. A bad token is let through as anonymous with
    the reason, so the function answers with a Kubernetes 401 Status (API Gateway's own
    deny has no such body); the answer is cached per token for the authorizer's TTL."""
    try:
        subject = services.access.authenticate(bearer_token(header))
    except Unauthorized as exc:
        return AuthResponse(routes=["*"], principal_id=ANONYMOUS, context={"reason": exc.message})
    return AuthResponse(routes=["*"], principal_id=subject)


def authorize(services: Services, route: Route, call: Call, context: dict[str, Any]) -> str:
    """The subject a protected route acts for; Unauthorized or Forbidden if it may not."""
    if route.verb is None:
        return ""
    authorizer = context.get("authorizer") or {}
    subject = authorizer.get("principalId") or ANONYMOUS
    if subject == ANONYMOUS:
        raise Unauthorized(authorizer.get("reason") or "a valid bearer token is required")
    if route.resource != SELF:
        services.access.authorize(subject, call.path.get("namespace"), route.resource,
                                  route.verb)
    current_pull_check.set(lambda namespace: services.access.may_pull_from(subject, namespace))
    return subject
