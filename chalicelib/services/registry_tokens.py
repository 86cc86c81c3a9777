"""Tokens for the integrated registry, granted by this service's roles.

The registry `make run` starts authenticates as OpenShift's integrated registry does: a
client it answers 401 asks this service's token endpoint (Docker Registry v2 token
authentication) for the scopes it needs, showing one of the service's own tokens, and gets
a JWT that lists the actions granted, signed by a key whose certificate the registry
trusts. What is granted follows the service's rules: pull needs the pull right in the
stream's namespace (`system:image-puller`, `view` and up), push the right to create
ImageStreamMappings there, since a push is one. A scope the caller may not have is left out
of the token, not refused, as the token specification says; the registry then refuses the
request. An anonymous caller gets a token with no access at all.

The service reads its own registry too (a pushed image, an import from it): those reads
get a pull token signed here, without a request to the endpoint (see `own_read_token`).
"""
from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain.errors import BadRequest
from ..domain.pushes import stream_of_repository
from ..domain.registry_scopes import PULL, PUSH, REPOSITORY, Scope, parse_scope
from ..resources.meta import now as utc_now
from .access import ANONYMOUS, AccessService
from .ports import TokenSigner

SERVICE = "imagestreams-registry"  # the registry's `auth.token.service`: the JWT's audience
ISSUER = "imagestreams"  # the registry's `auth.token.issuer`
TOKEN_SECONDS = 300  # Docker clients ask again when a token runs out; 60 s is the minimum
OWN_SUBJECT = "system:imagestreams"  # the service itself, reading its own registry
# The right a push needs: a push is an ImageStreamMapping, made by the registry's webhook.
PUSH_RESOURCE, PUSH_VERB = "imagestreammappings", "create"
MAX_SCOPES = 20  # a push asks for two (its repository and a mount's source)


@dataclass(frozen=True)
class IssuedToken:
    token: str = field(repr=False)
    expires_in: int
    issued_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The token endpoint's answer; `access_token` too, for OAuth2 clients."""
        return {"token": self.token, "access_token": self.token, "expires_in": self.expires_in,
                "issued_at": self.issued_at.isoformat().replace("+00:00", "Z")}


class RegistryTokens:
    def __init__(self, access: AccessService, signer: TokenSigner, registry: str,
                 clock: Callable[[], datetime] = utc_now):
        """`registry` is INTEGRATED_REGISTRY, `host[:port][/prefix]`: the registry the
        tokens are for, and the prefix of its repositories' names."""
        host, _, prefix = registry.partition("/")
        self.access = access
        self.signer = signer
        self.host = host
        self.prefix = f"{prefix}/" if prefix else ""
        self.clock = clock

    def issue(self, credential: str | None, service: str,
              scopes: Sequence[str]) -> IssuedToken:
        """A token for `scopes`, for whoever `credential` (one of the service's tokens)
        stands for; None: anonymous. Unauthorized for a credential that is no valid token,
        BadRequest for another service or a malformed scope."""
        if service and service != SERVICE:
            raise BadRequest(f'this token endpoint issues tokens for the service "{SERVICE}" '
                             "only")
        if len(scopes) > MAX_SCOPES:
            raise BadRequest(f"at most {MAX_SCOPES} scopes may be asked for at once")
        parsed = []
        for index, text in enumerate(scopes):
            try:
                parsed.append(parse_scope(text))
            except ValueError as error:  # the scope is not quoted: it is the caller's text
                raise BadRequest(f"scope {index + 1}: {error}") from None
        subject = ANONYMOUS if credential is None else self.access.authenticate(credential)
        return self._signed(subject, self.granted(subject, parsed))

    def granted(self, subject: str, scopes: Sequence[Scope]) -> list[dict[str, Any]]:
        """The token's `access` claim: per scope, the actions `subject` may take, leaving
        out the scopes with none."""
        if subject == ANONYMOUS:
            return []
        access = []
        for scope in scopes:
            stream = (stream_of_repository(scope.name, self.prefix)
                      if scope.type == REPOSITORY else None)
            if stream is None:
                continue  # no stream's repository (or not a repository): nothing to grant
            actions = [action for action in scope.actions if self._may(subject, stream[0], action)]
            if actions:
                access.append({"type": REPOSITORY, "name": scope.name, "actions": actions})
        return access

    def own_read_token(self, registry: str, service: str, scope: str) -> str | None:
        """A pull token for this service's own read of `registry`, or None when that is not
        the integrated registry (or `service` not its token service). Which namespaces a
        caller may read through the service is decided before the read, by the API."""
        if registry.lower() != self.host.lower() or service != SERVICE:
            return None
        try:
            parsed = parse_scope(scope)
        except ValueError:
            return None
        if parsed.type != REPOSITORY or PULL not in parsed.actions:
            return None
        return self._signed(OWN_SUBJECT, [{"type": REPOSITORY, "name": parsed.name,
                                           "actions": [PULL]}]).token

    def _may(self, subject: str, namespace: str, action: str) -> bool:
        if action == PULL:
            return self.access.may_pull_from(subject, namespace)
        if action == PUSH:
            return self.access.may(subject, namespace, PUSH_RESOURCE, PUSH_VERB)
        return False  # delete, `*`: the registry's own deletes change no stream; not granted

    def _signed(self, subject: str, access: list[dict[str, Any]]) -> IssuedToken:
        issued = self.clock()
        at = int(issued.timestamp())
        claims = {"iss": ISSUER, "sub": "" if subject == ANONYMOUS else subject, "aud": SERVICE,
                  "iat": at, "nbf": at, "exp": at + TOKEN_SECONDS,
                  "jti": secrets.token_hex(16), "access": access}
        return IssuedToken(self.signer.sign(claims), TOKEN_SECONDS, issued)
