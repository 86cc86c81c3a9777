"""The registry client: resolve a reference to a digest, fetch an image's metadata.

Docker Registry HTTP API v2 / OCI distribution. One client may serve many imports and
threads; it keeps the Bearer tokens, what each host asked for, and which scheme an
insecure host answered on, so an unchanged tag costs one HEAD.
"""
from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from ..domain.reference import DIGEST_RE, DockerImageReference, parse_reference
from ..resources.image import Image
from .auth import Authenticator, CredentialSource, OwnTokens, anonymous
from .errors import ConnectionFailed, UnexpectedResponse, UnsupportedManifest
from .manifests import (
    ACCEPT,
    Descriptor,
    Manifest,
    ManifestList,
    Platform,
    choose_platform,
    image_from_list,
    image_from_manifest,
    parse_manifest,
    sha256_digest,
    verify_digest,
)
from .responses import raise_for_status
from .safety import AddressPolicy
from .transport import ClientSettings, Reply, RequestCounter, Transport

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"  # docker.io names the registry; this host serves its API
_TOKEN_LIMIT = 1024 * 1024
_MAX_TAG_PAGES = 20
_NEXT_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')


@dataclass(frozen=True)
class Location:
    """Where a reference lives: `registry` as people write it, `host` where its API is."""

    registry: str
    host: str
    repository: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def ref(self) -> str:
        return self.digest or self.tag


def locate(reference: str | DockerImageReference) -> Location:
    """`python:3.6` → registry docker.io, host registry-1.docker.io, repository library/python."""
    parsed = parse_reference(reference) if isinstance(reference, str) else reference
    full = parsed.docker_client_defaults()
    host = DOCKER_HUB_API if full.registry == DOCKER_HUB else full.registry
    tag = full.tag or ("" if full.digest else "latest")
    return Location(full.registry, host, full.repository, tag, full.digest)


@dataclass(frozen=True)
class ImportedImage:
    """What an import tags: `image`; for a manifest list, what else it found.

    Legacy import of a list: `image` is the chosen platform's image and
    `manifest_list_digest` the list's digest. PreserveOriginal: `image` is the list
    itself (with dockerImageManifests) and `children` its platform images.
    """

    image: Image
    manifest_list_digest: str | None = None
    children: tuple[Image, ...] = ()

    @property
    def digest(self) -> str:
        return self.image.metadata.name or ""


@dataclass(frozen=True)
class _Fetched:
    digest: str
    manifest: Manifest | ManifestList


class RegistryClient:
    """Failures raise the errors of errors.py (RegistryError); an unparsable reference
    raises the domain's InvalidReference (a ValueError) before any request."""

    def __init__(self, *, credentials: CredentialSource = anonymous,
                 policy: AddressPolicy | None = None, settings: ClientSettings | None = None,
                 session: requests.Session | None = None,
                 counter: RequestCounter | None = None,
                 own_tokens: OwnTokens | None = None):
        """`policy` defaults to refusing every non-public address; `counter` may be shared;
        `own_tokens` signs the tokens of the service's own registry (auth.OwnTokens)."""
        self.settings = settings or ClientSettings()
        self.counter = counter or RequestCounter()
        self._transport = Transport(policy or AddressPolicy(), self.settings, self.counter, session)
        self._auth = Authenticator(credentials, own_tokens)
        self._lock = threading.Lock()
        self._insecure_schemes: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"RegistryClient(requests={self.counter.total})"

    def resolve(self, reference: str | DockerImageReference, *, insecure: bool = False) -> str:
        """The manifest digest a reference names now (a digest reference is returned as is)."""
        location = locate(reference)
        if location.digest:
            return location.digest
        reply = self._call(location, "HEAD", self._manifest_path(location, location.tag), ACCEPT,
                           insecure)
        digest = reply.headers.get("Docker-Content-Digest", "")
        if reply.status != 405:
            raise_for_status(reply, f"manifest {location.name}:{location.tag}")
            if digest.startswith("sha256:") and DIGEST_RE.fullmatch(digest):
                return digest
        # Some registries do not answer HEAD or leave the digest out: read the manifest.
        return self._manifest(location, location.tag, insecure).digest

    def fetch_image(self, reference: str | DockerImageReference, *,
                    platform: Platform | None = None, preserve_original: bool = False,
                    insecure: bool = False) -> ImportedImage:
        """The Image(s) of a reference; see ImportedImage. Legacy picks `platform`
        (linux/amd64 when None) from a manifest list."""
        location = locate(reference)
        top = self._manifest(location, location.ref, insecure)
        if isinstance(top.manifest, Manifest):
            return ImportedImage(self._image(location, top.digest, top.manifest, insecure))
        if preserve_original:
            children = tuple(self._child(location, entry, insecure)
                             for entry in top.manifest.manifests)
            return ImportedImage(image_from_list(location.name, top.digest, top.manifest),
                                 children=children)
        chosen = choose_platform(top.manifest, platform)
        return ImportedImage(self._child(location, chosen, insecure),
                             manifest_list_digest=top.digest)

    def list_tags(self, repository: str | DockerImageReference, *, insecure: bool = False,
                  limit: int = 1000, page_size: int | None = None) -> list[str]:
        """The repository's tags in the registry's order (tags/list, following `Link` pages),
        at most `limit`. A tag or digest in `repository` is ignored."""
        location = locate(repository)
        path = f"/v2/{location.repository}/tags/list" + (f"?n={page_size}" if page_size else "")
        tags: list[str] = []
        for _ in range(_MAX_TAG_PAGES):
            reply = self._call(location, "GET", path, "application/json", insecure)
            raise_for_status(reply, f"tags of {location.name}")
            try:
                page = json.loads(reply.body).get("tags") or []
            except (ValueError, AttributeError):
                raise UnexpectedResponse(f"the tag list of {location.name} is not JSON") from None
            if not isinstance(page, list) or not all(isinstance(t, str) for t in page):
                raise UnexpectedResponse(f"the tag list of {location.name} is not a list of names")
            tags += page
            path = _next_page(reply.headers.get("Link", ""), location.repository)
            if len(tags) >= limit or not path:
                break
        return tags[:limit]

    def _child(self, location: Location, entry: Descriptor, insecure: bool) -> Image:
        fetched = self._manifest(location, entry.digest, insecure)
        if not isinstance(fetched.manifest, Manifest):
            raise UnsupportedManifest(f"{location.name}@{entry.digest}: a manifest list inside a "
                                      "manifest list")
        return self._image(location, fetched.digest, fetched.manifest, insecure)

    def _image(self, location: Location, digest: str, manifest: Manifest, insecure: bool) -> Image:
        config = manifest.config.digest
        reply = self._call(location, "GET", f"/v2/{location.repository}/blobs/{config}", "*/*",
                           insecure, limit=self.settings.max_config_bytes)
        raise_for_status(reply, f"config {config} of {location.name}@{digest}")
        verify_digest(reply.body, config, f"config of {location.name}@{digest}")
        return image_from_manifest(location.name, digest, manifest, reply.body)

    def _manifest(self, location: Location, ref: str, insecure: bool) -> _Fetched:
        """GET a manifest and check its bytes against every digest that names them."""
        is_digest = bool(DIGEST_RE.fullmatch(ref))
        what = f"manifest {location.name}{'@' if is_digest else ':'}{ref}"
        reply = self._call(location, "GET", self._manifest_path(location, ref), ACCEPT, insecure)
        raise_for_status(reply, what)
        sent = reply.headers.get("Docker-Content-Digest", "")
        if sent:
            verify_digest(reply.body, sent, f"{what} (Docker-Content-Digest)")
        if is_digest:
            verify_digest(reply.body, ref, what)
        manifest = parse_manifest(reply.body, reply.headers.get("Content-Type", ""))
        return _Fetched(ref if is_digest else sha256_digest(reply.body), manifest)

    @staticmethod
    def _manifest_path(location: Location, ref: str) -> str:
        return f"/v2/{location.repository}/manifests/{ref}"

    def _call(self, location: Location, method: str, path: str, accept: str, insecure: bool,
              limit: int | None = None) -> Reply:
        """One API request: HTTPS, or with `insecure` HTTPS without verification and then
        plain HTTP, remembering per host which one answered."""
        with self._lock:
            known = self._insecure_schemes.get(location.host) if insecure else None
        schemes = [known] if known else (["https", "http"] if insecure else ["https"])
        limit = limit or self.settings.max_manifest_bytes

        def attempt(scheme: str) -> Reply:
            reply = self._authorized(location, method, f"{scheme}://{location.host}{path}", accept,
                                     insecure, limit)
            if insecure:
                with self._lock:
                    self._insecure_schemes[location.host] = scheme
            return reply

        for scheme in schemes[:-1]:
            try:
                return attempt(scheme)
            except ConnectionFailed:
                pass  # insecure: no TLS there (or not working); plain HTTP next
        return attempt(schemes[-1])

    def _authorized(self, location: Location, method: str, url: str, accept: str, insecure: bool,
                    limit: int) -> Reply:
        def get_token(token_url: str, headers: Mapping[str, str]) -> Reply:
            return self._transport.request("GET", token_url, headers=headers, insecure=insecure,
                                           limit=_TOKEN_LIMIT)

        args = (location.registry, location.host, location.repository)
        headers = {"Accept": accept, **self._auth.header(*args, get_token)}
        reply = self._transport.request(method, url, headers=headers, insecure=insecure,
                                        limit=limit)
        if reply.status != 401:
            return reply
        retry = self._auth.challenged(*args, reply.headers.get("WWW-Authenticate", ""), get_token)
        return self._transport.request(method, url, headers={**headers, **retry},
                                       insecure=insecure, limit=limit)


def _next_page(link: str, repository: str) -> str:
    """The path of a `Link: <...>; rel="next"` to the same repository's tag list, else "".

    Only a relative link on the same path is followed: a next page on another host would
    send the client (and its credentials) somewhere the reference did not name.
    """
    match = _NEXT_LINK.search(link)
    if not match:
        return ""
    url = urlsplit(match.group(1))
    if url.netloc or url.scheme or url.path != f"/v2/{repository}/tags/list":
        return ""
    return url.path + (f"?{url.query}" if url.query else "")
