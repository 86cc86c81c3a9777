"""The integrated registry's token endpoint (Docker Registry v2 token authentication).

`GET /registry/token?service=...&scope=repository:<ns>/<stream>:pull,push`, with one of
the service's tokens as the password of Basic credentials (any username: `skopeo login -u
anything -p <token>`) or as a Bearer token, or with none (anonymous). An open route: it
authenticates the caller itself, since registry clients send Basic credentials, which the
API's authorizer does not read. Neither the token sent nor the one issued is ever logged
or put into a message.
"""
from __future__ import annotations

import base64
import binascii

from ..domain.errors import NotFound, Unauthorized
from ..wiring import Services
from .route import Call, Reply


def issue_registry_token(services: Services, call: Call) -> Reply:
    tokens = services.registry_tokens
    if tokens is None:
        raise NotFound("this deployment's integrated registry does not take tokens from this "
                       "service (ECR authenticates with IAM)")
    headers = {name.lower(): value for name, value in call.headers.items()}
    credential = presented_credential(headers.get("authorization"))
    issued = tokens.issue(credential, call.query.get("service", ""),
                          call.query_all.get("scope", []))
    return 200, issued.to_json()


def presented_credential(header: str | None) -> str | None:
    """The service token an Authorization header carries: a Bearer token, or the password
    of Basic credentials; None without a header. Unauthorized for anything else."""
    if not header or not header.strip():
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("the Basic credentials are not base64 of user:password") from None
        _, colon, password = decoded.partition(":")
        if colon:
            return password
    raise Unauthorized("send one of this service's tokens as the password of Basic "
                       "credentials, or as a Bearer token")
