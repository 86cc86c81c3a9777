"""Registry authentication: anonymous, Basic, and the Bearer token flow.

Credentials come from a CredentialSource: registry host → (username, password) or None.
Secrets never reach a message, a log line or a repr: `Credentials` hides its password,
tokens live in a cache whose entries do not print them.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

from .errors import RegistryUnauthorized, UnexpectedResponse
from .responses import raise_for_status
from .transport import Reply

DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io",
                                "registry.hub.docker.com"})
_PARAM = re.compile(r'([A-Za-z_][\w-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)')
_PROCESS_KEY = os.urandom(16)  # token cache keys hash credentials with it; never stored
DEFAULT_TOKEN_LIFETIME = 60  # seconds, when the token server does not say (distribution spec)


class Credentials(NamedTuple):
    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password='***')"

    def fingerprint(self) -> str:
        return hashlib.blake2b(f"{self.username}\0{self.password}".encode(), key=_PROCESS_KEY,
                               digest_size=16).hexdigest()

    def basic_header(self) -> str:
        return "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()


CredentialSource = Callable[[str], Credentials | None]


def anonymous(registry: str) -> Credentials | None:
    return None


def normalize_registry(key: str) -> str:
    """`https://host:5000/v1/` → `host:5000`; every Docker Hub spelling → `docker.io`."""
    text = key.strip().lower()
    if "://" in text:
        text = urlsplit(text).netloc
    text = text.split("/", 1)[0]
    return "docker.io" if text in DOCKER_HUB_ALIASES else text


class DockerConfigCredentials:
    """A CredentialSource over dockerconfigjson content (`{"auths": {host: entry}}`).

    An entry holds `auth` (base64 of `user:password`) or `username` and `password`.
    Hosts match by normalize_registry, so `https://host`, `host/v1/` and the Docker Hub
    aliases all find the same entry. The bare legacy `.dockercfg` map is accepted too.
    """

    def __init__(self, content: str | bytes | Mapping[str, Any]):
        document = json.loads(content) if isinstance(content, (str, bytes)) else content
        if not isinstance(document, Mapping):
            raise ValueError("dockerconfigjson must be a JSON object")
        auths = document.get("auths", document)
        if not isinstance(auths, Mapping):
            raise ValueError('dockerconfigjson "auths" must be an object')
        self._entries: dict[str, Credentials] = {}
        for host, entry in auths.items():
            self._entries[normalize_registry(host)] = _entry_credentials(host, entry)

    def __call__(self, registry: str) -> Credentials | None:
        return self._entries.get(normalize_registry(registry))

    @property
    def hosts(self) -> list[str]:
        return sorted(self._entries)

    def __repr__(self) -> str:
        return f"DockerConfigCredentials(hosts={self.hosts!r})"


def _entry_credentials(host: str, entry: Any) -> Credentials:
    if not isinstance(entry, Mapping):
        raise ValueError(f"dockerconfigjson entry for {host} must be an object")
    if entry.get("auth"):
        try:
            decoded = base64.b64decode(entry["auth"], validate=True).decode("utf-8")
        except (ValueError, TypeError):
            raise ValueError(f"dockerconfigjson entry for {host}: auth is not base64 of "
                             "user:password") from None
        username, sep, password = decoded.partition(":")
        if not sep:
            raise ValueError(f"dockerconfigjson entry for {host}: auth is not base64 of "
                             "user:password")
        return Credentials(username, password)
    if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
        return Credentials(entry["username"], entry["password"])
    raise ValueError(f"dockerconfigjson entry for {host} has neither auth nor username and "
                     "password")


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "bearer" or "basic", lower case
    params: Mapping[str, str]


def parse_challenge(header: str) -> Challenge | None:
    """The first challenge of a WWW-Authenticate header, None if there is none."""
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        return None
    params = {}
    for name, value in _PARAM.findall(rest):
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[name.lower()] = value
    return Challenge(scheme.lower(), params)


@dataclass
class _Token:
    value: str = field(repr=False)
    expires: float  # time.monotonic() deadline


# Sends a GET (url, headers) through the transport with the caller's insecure flag.
TokenGet = Callable[[str, Mapping[str, str]], Reply]
# A token for (registry, service, scope) signed by this process, or None: the service's own
# registry, whose token key it holds, is read without asking its token endpoint (the API
# itself, which imports need not be allowed to reach).
OwnTokens = Callable[[str, str, str], str | None]


class Authenticator:
    """Remembers what each registry host asked for and caches Bearer tokens.

    A host that once answered with a challenge gets credentials up front afterwards,
    so an unchanged tag costs one HEAD. Tokens are cached per (realm, service, scope)
    and per credentials, so two namespaces with different secrets never share one.
    """

    def __init__(self, credentials: CredentialSource, own_tokens: OwnTokens | None = None):
        self._credentials = credentials
        self._own_tokens = own_tokens
        self._lock = threading.Lock()
        self._challenges: dict[str, Challenge] = {}
        self._tokens: dict[tuple[str, str, str, str], _Token] = {}

    def header(self, registry: str, host: str, repository: str, get: TokenGet) -> dict[str, str]:
        """Authorization for a first request; empty when the host asked for nothing yet."""
        with self._lock:
            challenge = self._challenges.get(host)
        if not challenge:
            return {}
        return self._authorize(registry, challenge, repository, get, proactive=True)

    def challenged(self, registry: str, host: str, repository: str, www_authenticate: str,
                   get: TokenGet) -> dict[str, str]:
        """Authorization to retry with after a 401; Unauthorized when there is nothing to try."""
        challenge = parse_challenge(www_authenticate)
        if challenge is None or challenge.scheme not in ("bearer", "basic"):
            raise RegistryUnauthorized(f"{registry} requires authentication the client does "
                                       "not support")
        with self._lock:
            self._challenges[host] = challenge
        return self._authorize(registry, challenge, repository, get)

    def _authorize(self, registry: str, challenge: Challenge, repository: str, get: TokenGet,
                   proactive: bool = False) -> dict[str, str]:
        """Proactive: before any answer, so a cached token is fine and a Basic host without
        credentials is asked anyway (the path may be public). Otherwise: after a 401, so
        the cached token (if any) was refused and a new one is needed."""
        credentials = self._credentials(registry)
        if challenge.scheme == "basic":
            if credentials is None and proactive:
                return {}
            if credentials is None:
                raise RegistryUnauthorized(f"{registry} requires credentials and none are "
                                           "configured for it")
            return {"Authorization": credentials.basic_header()}
        realm = challenge.params.get("realm", "")
        if not realm:
            raise RegistryUnauthorized(f"{registry} sent a Bearer challenge without a realm")
        service = challenge.params.get("service", "")
        # Always the scope the client needs (a registry's challenge names the same one), so
        # the proactive and the challenged paths share cache entries.
        scope = f"repository:{repository}:pull"
        key = (realm, service, scope, credentials.fingerprint() if credentials else "")
        now = time.monotonic()
        with self._lock:
            cached = self._tokens.get(key)
        if cached and cached.expires > now and proactive:
            return {"Authorization": f"Bearer {cached.value}"}
        own = self._own_tokens(registry, service, scope) if self._own_tokens else None
        token = (_Token(own, now + DEFAULT_TOKEN_LIFETIME) if own is not None
                 else self._fetch(registry, realm, service, scope, credentials, get))
        with self._lock:
            self._tokens[key] = token
        return {"Authorization": f"Bearer {token.value}"}

    def _fetch(self, registry: str, realm: str, service: str, scope: str,
               credentials: Credentials | None, get: TokenGet) -> _Token:
        query = urlencode({k: v for k, v in (("service", service), ("scope", scope)) if v})
        url = realm + ("&" if "?" in realm else "?") + query
        headers = {"Accept": "application/json"}
        if credentials is not None:
            headers["Authorization"] = credentials.basic_header()
        started = time.monotonic()
        reply = get(url, headers)
        realm_host = urlsplit(realm).hostname
        if reply.status in (401, 403):
            refused = "credentials" if credentials else "anonymous request"
            raise RegistryUnauthorized(f"the token server {realm_host} for {registry} refused "
                                       f"the {refused} for {scope}")
        if reply.status != 200:
            raise_for_status(reply, f"token for {registry}")
        try:
            document = json.loads(reply.body)
            value = document.get("token") or document.get("access_token")
            lifetime = float(document.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
        except (ValueError, AttributeError, TypeError):
            raise UnexpectedResponse(f"the token server {realm_host} sent an unreadable "
                                     "answer") from None
        if not isinstance(value, str) or not value:
            raise UnexpectedResponse(f"the token server {realm_host} sent no token")
        # Renew a little early so a token does not expire between check and use.
        return _Token(value, started + lifetime - min(10.0, lifetime / 10))
