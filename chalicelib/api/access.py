"""The access decision every routed call passes through: who asks, and may they."""
from __future__ import annotations

import logging
from typing import Any

from chalice import AuthResponse

from ..domain.errors import ApiError, Forbidden, Unauthorized
from ..services.access import ANONYMOUS
from ..services.actor import Actor
from ..wiring import Services
from .catalogue import CATALOGUE
from .route import Call, Route

logger = logging.getLogger(__name__)
UNVERIFIED = "unverified"  # authorizer context: the token store could not be read
IMPERSONATE = "impersonate-"  # Impersonate-User, -Group, -Uid, -Extra-*


def bearer_token(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def authenticate(services: Services, header: str | None) -> AuthResponse:
    """The API Gateway authorizer's answer. A bad token is let through as anonymous with
    the reason, so the function answers with a Kubernetes 401 Status (API Gateway's own
    deny has no such body); the answer is cached per token for the authorizer's TTL.

    A token that could not be looked up (the table unreachable) is let through unverified:
    the function looks it up again, answering 503 while the outage lasts rather than a 401
    that would tell the caller their token is bad, or API Gateway's bodiless 500 for a
    failed authorizer; and once the table is back the token works, cached answer or not."""
    try:
        subject = services.access.authenticate(bearer_token(header))
    except Unauthorized as exc:
        return AuthResponse(routes=["*"], principal_id=ANONYMOUS, context={"reason": exc.message})
    except ApiError as exc:
        logger.warning("token lookup failed, the request goes on unverified: %s", exc.message)
        return AuthResponse(routes=["*"], principal_id=ANONYMOUS, context={UNVERIFIED: "true"})
    return AuthResponse(routes=["*"], principal_id=subject)


def authorize(services: Services, route: Route, call: Call, context: dict[str, Any]) -> Actor:
    """Who a protected route acts for; Unauthorized or Forbidden if they may not."""
    if route.verb is None:
        return call.actor  # an open route (discovery, the console's page) acts for nobody
    authorizer = context.get("authorizer") or {}
    subject = authorizer.get("principalId") or ANONYMOUS
    if authorizer.get(UNVERIFIED):
        subject = services.access.authenticate(bearer_token(call.headers.get("authorization")))
    elif subject == ANONYMOUS:
        raise Unauthorized(authorizer.get("reason") or "a valid bearer token is required")
    if any(header.lower().startswith(IMPERSONATE) for header in call.headers):
        # Acting for someone else (kubectl --as) is not served: answering as the caller
        # would tell them what another may do, or do as them what they did not mean.
        raise Forbidden(f'User "{subject}" cannot impersonate: impersonation is not '
                        "supported by this server")
    if not CATALOGUE[route.resource].about_the_caller:
        services.access.authorize(subject, call.path.get("namespace"), route.resource,
                                  route.verb)
    return Actor(subject, lambda namespace: services.access.may_pull_from(subject, namespace))
