"""Imports from registries: check a source, reuse stored images, fetch only what is new.

`RegistryImports` does the registry and image-store work of one import in two steps:
`check` resolves the reference (one HEAD, none for a digest) and answers from what is
already known or stored; `fetch` reads the manifest and config of a new digest and
records the Image. `NamespaceImporter` runs these for the API's writes, through an ImportPool.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from .. import metrics
from ..domain.imports import (
    ImportContext,
    ImportOutcome,
    ImportSource,
    RepositoryListing,
    RepositorySource,
    pull_spec,
)
from ..registry import (
    AddressPolicy,
    CredentialSource,
    ImportedImage,
    Platform,
    RegistryClient,
    RequestCounter,
    locate,
)
from ..registry.auth import OwnTokens
from ..resources.image import Image, ImageManifest
from ..resources.meta import now as utc_now
from .import_pool import ImportJob, ImportPool, JobResult
from .import_settings import ImportSettings
from .ports import StreamStore
from .secrets import SecretService


@dataclass(frozen=True)
class Checked:
    """A check's answer: the digest the reference names, and the outcome if no fetch is needed."""

    digest: str
    outcome: ImportOutcome | None = None
    unchanged: bool = False  # the digest is one the caller already imported


class RegistryImports:
    """Registry clients (one per set of credentials) sharing one request counter."""

    def __init__(self, store: StreamStore, settings: ImportSettings,
                 counter: RequestCounter | None = None,
                 clock: Callable[[], datetime] = utc_now,
                 own_tokens: OwnTokens | None = None):
        """`own_tokens`: the integrated registry's tokens, signed here (auth.OwnTokens)."""
        self.store = store
        self.settings = settings
        self.own_tokens = own_tokens
        self.counter = counter or RequestCounter()
        self.clock = clock
        self.policy = AddressPolicy.from_config(settings.allow_list)
        self._client_settings = settings.client_settings()
        self._clients: dict[str, RegistryClient] = {}
        self._lock = threading.Lock()

    def client(self, key: str, credentials: CredentialSource) -> RegistryClient:
        """The client for `key`: callers give equal keys only to equal credentials, so
        clients (and their token caches) are shared exactly as far as credentials are."""
        with self._lock:
            if key not in self._clients:
                self._clients[key] = RegistryClient(credentials=credentials, policy=self.policy,
                                                    settings=self._client_settings,
                                                    counter=self.counter,
                                                    own_tokens=self.own_tokens)
            return self._clients[key]

    def check(self, client: RegistryClient, source: ImportSource,
              known: Mapping[str, ImportOutcome]) -> Checked:
        """Resolve the reference; answer from `known` (digest → outcome) or stored images."""
        digest = client.resolve(source.reference, insecure=source.insecure)
        if digest in known:
            return Checked(digest, known[digest], unchanged=True)
        return Checked(digest, self._stored(source, digest))

    def fetch(self, client: RegistryClient, source: ImportSource, digest: str,
              persist: bool) -> ImportOutcome:
        """Read the image `digest` names (by digest: the tag may move meanwhile) and record it."""
        name = locate(source.reference).name
        imported = client.fetch_image(f"{name}@{digest}", insecure=source.insecure,
                                      platform=Platform(source.architecture, source.os),
                                      preserve_original=source.preserve_original)
        images = self._named(source, imported)
        if persist:
            for image in images[1:] + images[:1]:  # a stored list implies its children are
                self.store.put_image(image)
        return ImportOutcome(source_digest=digest, image=imported.digest,
                             reference=pull_spec(source.reference, imported.digest),
                             images=tuple(images))

    def _named(self, source: ImportSource, imported: ImportedImage) -> list[Image]:
        now = self.clock()

        def named(image: Image) -> Image:
            digest = image.metadata.name or ""
            meta = image.metadata.model_copy(update={"creation_timestamp": now})
            return image.model_copy(update={"metadata": meta, "docker_image_reference":
                                            pull_spec(source.reference, digest)})

        return [named(imported.image)] + [named(child) for child in imported.children]

    def _stored(self, source: ImportSource, digest: str) -> ImportOutcome | None:
        """The outcome from images already recorded, None when something must be fetched."""
        image = self.store.get_image(digest)
        if image is None:
            return None
        if not image.docker_image_manifests:
            chosen, children = image, []
        elif source.preserve_original:
            chosen = image
            children = [self.store.get_image(entry.digest)
                        for entry in image.docker_image_manifests]
            if any(child is None for child in children):
                return None
        else:
            entry = _choose(image.docker_image_manifests, source)
            platform_image = self.store.get_image(entry.digest) if entry else None
            if platform_image is None:
                return None  # the fetch reports a missing platform with its own message
            chosen, children = platform_image, []
        image_digest = chosen.metadata.name or ""
        return ImportOutcome(source_digest=digest, image=image_digest,
                             reference=pull_spec(source.reference, image_digest),
                             images=tuple([chosen] + [c for c in children if c is not None]))


def _choose(entries: list[ImageManifest], source: ImportSource) -> ImageManifest | None:
    wanted = Platform(source.architecture, source.os)
    return next((e for e in entries if e.architecture and e.os and wanted.matches(
        Platform(e.architecture, e.os, e.variant))), None)


class NamespaceImporter:
    """The Importer port of the API's writes: imports for one namespace, with its secrets,
    within the time an API request may spend on registries."""

    def __init__(self, registries: RegistryImports, secrets: SecretService):
        self.registries = registries
        self.secrets = secrets

    @property
    def settings(self) -> ImportSettings:
        return self.registries.settings

    def context(self, namespace: str) -> ImportContext:
        """The imports of one write. Its registry runs share one deadline, so a write planned
        again (after a repository was listed, or a lost race) spends no more than that."""
        deadline: list[float] = []

        def stop_at() -> float:
            if not deadline:
                deadline.append(time.monotonic() + self.settings.api_seconds)
            return deadline[0]

        return ImportContext(
            fetch=lambda sources: self.imports(namespace, sources, stop_at=stop_at())[1],
            fetch_repositories=lambda repositories, sources: self.imports(
                namespace, sources, repositories, stop_at=stop_at()),
            interval=self.settings.interval)

    def client(self, namespace: str) -> RegistryClient:
        """A client for one request. Not shared: the namespace's secrets are read only if a
        registry asks for credentials, and a request is too short to reuse much anyway."""
        return RegistryClient(credentials=self.secrets.credentials(namespace),
                              policy=self.registries.policy,
                              settings=self.settings.client_settings(),
                              counter=self.registries.counter,
                              own_tokens=self.registries.own_tokens)

    def run(self, namespace: str, sources: Collection[ImportSource], *,
            persist: bool = True) -> dict[ImportSource, ImportOutcome]:
        """The outcome of each source; `persist=False` records no image (a dry run)."""
        return self.imports(namespace, sources, persist=persist)[1]

    def imports(self, namespace: str, sources: Collection[ImportSource],
                repositories: Collection[RepositorySource] = (), *, persist: bool = True,
                stop_at: float | None = None
                ) -> tuple[dict[RepositorySource, RepositoryListing],
                           dict[ImportSource, ImportOutcome]]:
        """List each repository and import the tags it takes, with `sources`, in one run
        that ends by `stop_at` (by default the API's time from now). Returns the listings
        and the outcome of every source, the listed tags' too."""
        client = self.client(namespace)
        listings: dict[RepositorySource, RepositoryListing] = {}
        outcomes: dict[ImportSource, ImportOutcome] = {}
        asked = set(sources)
        timeout = ImportOutcome.failed(
            "Timeout", f"the import did not finish within {self.settings.api_seconds:.0f}s; "
            "try again")

        def collect(result: JobResult) -> list[ImportJob]:
            done = result.outcome or result.held or timeout
            if isinstance(result.key, ImportSource):
                outcomes[result.key] = done
                return []
            assert isinstance(result.key, RepositorySource)
            if not done.succeeded:
                listings[result.key] = RepositoryListing(failure=done)
                return []
            listing = listings[result.key] = RepositoryListing.of(
                result.tags, self.settings.max_repository_tags)
            wanted = [result.key.tag(tag) for tag in listing.tags]
            fresh = [source for source in wanted if source not in asked]
            asked.update(fresh)
            return [ImportJob(source, source, client, persist=persist) for source in fresh]

        pool = ImportPool(self.registries, host_concurrency=self.settings.host_concurrency,
                          concurrency=self.settings.concurrency)
        stop = time.monotonic() + self.settings.api_seconds if stop_at is None else stop_at
        jobs = [ImportJob(repository, repository, client) for repository in repositories]
        jobs += [ImportJob(source, source, client, persist=persist) for source in sources]
        pool.run(jobs, collect, stop_at=stop, give_up_at=stop)
        # The request's imports by outcome, in its one metrics line (chalicelib/metrics.py).
        failed = sum(not outcome.succeeded for outcome in outcomes.values())
        metrics.count("ImportsSucceeded", len(outcomes) - failed)
        metrics.count("ImportsFailed", failed)
        return listings, outcomes
