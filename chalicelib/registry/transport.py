"""HTTP for the registry client: checked addresses, redirects, timeouts, bounded bodies.

Every request, including token requests and each redirect hop, goes through
`PinnedAdapter.send`, which checks the destination with the AddressPolicy and then
connects to the address it checked. Nothing from requests or urllib3 escapes: failures
become errors of errors.py.
"""
from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from .errors import (
    ConnectionFailed,
    InsecureScheme,
    RegistryError,
    ResponseTooLarge,
    Timeout,
    UnexpectedResponse,
)
from .safety import AddressPolicy, IPAddress, parse_ip

log = logging.getLogger("chalicelib.registry")
MiB = 1024 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}
_ERROR_BODY_LIMIT = 64 * 1024  # enough for a registry's JSON error list
_Error = TypeVar("_Error", bound=BaseException)


@dataclass(frozen=True)
class ClientSettings:
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    # One request, all hops and the whole body: stops a trickling server.
    total_timeout: float = 60.0
    max_manifest_bytes: int = 4 * MiB
    max_config_bytes: int = 8 * MiB
    max_redirects: int = 5
    ca_bundle: str | None = None  # extra trust for private registries; None: system CAs


class RequestCounter:
    """Requests sent per host (`host:port` as addressed), for politeness and benchmarks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def add(self, host: str) -> None:
        with self._lock:
            self._counts[host] = self._counts.get(host, 0) + 1

    def get(self, host: str) -> int:
        with self._lock:
            return self._counts.get(host, 0)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str  # the last hop's URL, as requested (never the pinned address)


def netloc(url: str) -> str:
    """`host:port` of a URL, with the scheme's default port made explicit."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class PinnedAdapter(HTTPAdapter):
    """Checks each destination, counts it, and connects to the address that was checked.

    A host name is replaced in the URL by a checked address; the Host header, TLS SNI
    and certificate verification keep the name. This closes the DNS-rebinding gap
    between the check and the connection. Addresses are tried in resolver order while
    no connection can be established (our requests are GET and HEAD, safe to resend).
    """

    def __init__(self, policy: AddressPolicy, counter: RequestCounter):
        super().__init__(max_retries=0)
        self._policy = policy
        self._counter = counter

    def send(self, request: requests.PreparedRequest, *args: Any,
             **kwargs: Any) -> requests.Response:
        url = request.url or ""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = self._policy.check(host, port)
        self._counter.add(netloc(url))
        if parse_ip(host) is not None:
            return super().send(request, *args, **kwargs)
        request.headers["Host"] = parts.netloc.rsplit("@", 1)[-1]
        request.pinned_hostname = host  # type: ignore[attr-defined]
        for address in addresses[:-1]:
            try:
                return self._send_to(address, port, request, parts, *args, **kwargs)
            except requests.exceptions.ConnectionError as error:
                if not _cause(error, urllib3.exceptions.NewConnectionError):
                    raise
        return self._send_to(addresses[-1], port, request, parts, *args, **kwargs)

    def _send_to(self, address: IPAddress, port: int, request: requests.PreparedRequest,
                 parts: SplitResult, *args: Any, **kwargs: Any) -> requests.Response:
        literal = f"[{address}]" if address.version == 6 else str(address)
        request.url = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path, parts.query, ""))
        return super().send(request, *args, **kwargs)

    def build_connection_pool_key_attributes(self, request: requests.PreparedRequest, verify: Any,
                                             cert: Any = None) -> tuple[dict, dict]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify,
                                                                                cert)
        hostname = getattr(request, "pinned_hostname", None)
        if hostname and host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = hostname
            if verify is not False:
                pool_kwargs["assert_hostname"] = hostname
        return host_params, pool_kwargs


class Transport:
    def __init__(self, policy: AddressPolicy, settings: ClientSettings, counter: RequestCounter,
                 session: requests.Session | None = None):
        self.settings = settings
        self.counter = counter
        self._session = session or requests.Session()
        # No proxies, .netrc or CA bundle from the environment: a proxy would bypass the
        # address checks, and .netrc could attach credentials to an unrelated host.
        self._session.trust_env = False
        adapter = PinnedAdapter(policy, counter)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def request(self, method: str, url: str, *, headers: Mapping[str, str], insecure: bool,
                limit: int) -> Reply:
        """Send, following up to `max_redirects` redirects; the body is read up to `limit`.

        Authorization goes only to the origin of `url`: a redirect to blob storage or
        elsewhere must not carry registry credentials.
        """
        deadline = time.monotonic() + self.settings.total_timeout
        origin, current = _origin(url), url
        for _ in range(self.settings.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https"):
                raise InsecureScheme(f"refusing the {parts.scheme or 'empty'} scheme for "
                                     f"{parts.hostname}")
            if parts.scheme == "http" and not insecure:
                raise InsecureScheme(f"refusing plain HTTP to {parts.hostname}: the import is not "
                                     "insecure")
            if time.monotonic() > deadline:
                raise Timeout(f"{urlsplit(url).hostname} took too long to answer (redirects)")
            sent = dict(headers) if _origin(current) == origin else _without_auth(headers)
            reply = self._once(method, current, sent, insecure, limit, deadline)
            location = reply.headers.get("Location")
            if reply.status not in _REDIRECTS or not location:
                return reply
            current = urljoin(current, location)
            if reply.status == 303 and method != "HEAD":
                method = "GET"
        raise UnexpectedResponse(f"more than {self.settings.max_redirects} redirects from "
                                 f"{urlsplit(url).hostname}")

    def _once(self, method: str, url: str, headers: dict[str, str], insecure: bool, limit: int,
              deadline: float) -> Reply:
        host = netloc(url)
        verify: bool | str = False if insecure else (self.settings.ca_bundle or True)
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        headers.setdefault("Accept-Encoding", "identity")  # the digest is over the exact bytes
        try:
            response = self._session.request(method, url, headers=headers, allow_redirects=False,
                                             stream=True, timeout=timeout, verify=verify)
            try:
                body = b"" if method == "HEAD" or response.status_code in _REDIRECTS else \
                    _read_body(response, limit, deadline, host)
            finally:
                response.close()
        except RegistryError:
            raise
        except Exception as error:  # requests, urllib3, ssl, socket: translated, chain dropped
            raise _translate(error, host) from None
        log.debug("%s %s://%s%s -> %d (%d bytes)", method, urlsplit(url).scheme, host,
                  urlsplit(url).path, response.status_code, len(body))
        return Reply(response.status_code, CaseInsensitiveDict(response.headers), body, url)


def _read_body(response: requests.Response, limit: int, deadline: float, host: str) -> bytes:
    """The body up to `limit` bytes; error bodies are cut short instead of refused."""
    is_error = response.status_code >= 400
    if is_error:
        limit = min(limit, _ERROR_BODY_LIMIT)
    length = response.headers.get("Content-Length", "")
    if not is_error and length.isdigit() and int(length) > limit:
        raise ResponseTooLarge(f"{host} announced {length} bytes; the limit is {limit}")
    chunks, size = [], 0
    # read1 returns what has arrived instead of waiting for a full chunk, so the deadline
    # is checked while a server trickles bytes.
    while chunk := response.raw.read1(64 * 1024, decode_content=True):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            if is_error:
                break
            raise ResponseTooLarge(f"{host} sent more than {limit} bytes")
        if time.monotonic() > deadline:
            raise Timeout(f"{host} took too long to send the response")
    return b"".join(chunks)[:limit]


def _origin(url: str) -> tuple[str, str]:
    return urlsplit(url).scheme, netloc(url)


def _without_auth(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() != "authorization"}


def _translate(error: Exception, host: str) -> RegistryError:
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return Timeout(f"connecting to {host} timed out")
    if (isinstance(error, requests.exceptions.ReadTimeout)
            or _cause(error, urllib3.exceptions.ReadTimeoutError)):
        return Timeout(f"{host} did not answer in time")
    detail = _detail(error)
    if isinstance(error, requests.exceptions.SSLError):
        return ConnectionFailed(f"TLS with {host} failed: {detail}")
    return ConnectionFailed(f"cannot talk to {host}: {detail}")


def _chain(error: BaseException) -> list[BaseException]:
    """The error and what it wraps (requests and urllib3 keep causes in args and .reason)."""
    seen: list[BaseException] = []
    pending: list[Any] = [error]
    while pending:
        item = pending.pop()
        if not isinstance(item, BaseException) or item in seen:
            continue
        seen.append(item)
        pending.extend([getattr(item, "reason", None), item.__cause__, item.__context__,
                        *item.args])
    return seen


def _cause(error: BaseException, kind: type[_Error]) -> _Error | None:
    return next((item for item in _chain(error) if isinstance(item, kind)), None)


def _detail(error: BaseException) -> str:
    """A short reason without URLs (they may carry signed query strings)."""
    tls = _cause(error, ssl.SSLError)
    if isinstance(tls, ssl.SSLCertVerificationError):
        return f"certificate verify failed ({tls.verify_message})"
    if tls is not None:
        return str(tls.reason or "TLS error")
    oserror = _cause(error, OSError)
    if oserror is not None and oserror.strerror:
        return oserror.strerror
    return type(error).__name__
