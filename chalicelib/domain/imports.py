"""Importing a spec tag from a registry: what to fetch, and what the result does to the tag.

Registry I/O never happens while a write is planned. A plan that meets a spec tag to
import looks up the outcome in its ImportContext; when it is missing, the plan records
the source and the write is planned again once the source has been fetched. A stream's
spec.dockerImageRepository goes the same way: the plan asks for the repository, and its
tags are listed and imported before the next plan.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ..resources.image import Image
from ..resources.stream import TagEvent, TagEventCondition, TagReference
from .errors import FieldError
from .records import TagRecord
from .reference import parse_reference
from .tags import IMPORT_SUCCESS, needs_import
from .validation import invalid

PREFER_ARCH = "importer.image.openshift.io/prefer-arch"
PREFER_OS = "importer.image.openshift.io/prefer-os"
INSECURE_REPOSITORY = "openshift.io/image.insecureRepository"
REPOSITORY_CHECK = "openshift.io/image.dockerRepositoryCheck"  # when it was last imported
DEFAULT_INTERVAL = timedelta(minutes=15)
MAX_LISTED_TAGS = 1000  # a repository's tags read for one import (the rest unlisted)


@dataclass(frozen=True)
class ImportSource:
    """What one import fetches. Tags with equal sources share one registry check."""

    reference: str  # from.name as written
    insecure: bool = False
    preserve_original: bool = False
    architecture: str = "amd64"  # the platform Legacy mode picks from a manifest list
    os: str = "linux"

    @property
    def pinned(self) -> bool:
        """A digest reference names one image forever: once imported, it is never re-checked."""
        return "@" in self.reference


@dataclass(frozen=True)
class RepositorySource:
    """A repository whose tags an import takes, each as an ImportSource of these settings."""

    reference: str  # the repository as written, without tag or digest
    insecure: bool = False
    preserve_original: bool = False
    architecture: str = "amd64"
    os: str = "linux"

    def tag(self, tag: str) -> ImportSource:
        return ImportSource(reference=f"{self.reference}:{tag}", insecure=self.insecure,
                            preserve_original=self.preserve_original,
                            architecture=self.architecture, os=self.os)


def repository_source(repository: str, annotations: Mapping[str, str]
                      ) -> RepositorySource | None:
    """What a stream's spec.dockerImageRepository imports, as OpenShift's controller asks
    for it: Legacy mode, plain HTTP only with the stream's insecure-repository annotation."""
    if not repository:
        return None
    return RepositorySource(reference=repository,
                            insecure=annotations.get(INSECURE_REPOSITORY) == "true",
                            architecture=annotations.get(PREFER_ARCH) or "amd64",
                            os=annotations.get(PREFER_OS) or "linux")


def repository_errors(name: str, field: str) -> list[FieldError]:
    """A repository to import is named without tag or digest. A name that does not parse is
    left to the reference grammar's check, which says why."""
    try:
        parsed = parse_reference(name)
    except ValueError:
        return []
    if parsed.tag or parsed.digest:
        return [invalid(field, name, "you must specify an image repository, not a tag or ID")]
    return []


@dataclass(frozen=True)
class RepositoryListing:
    """The tags a repository import takes, in order, or why the repository was not listed."""

    tags: tuple[str, ...] = ()
    additional: tuple[str, ...] = ()  # listed, but over the limit
    failure: ImportOutcome | None = None

    @classmethod
    def of(cls, tags: Collection[str], limit: int) -> RepositoryListing:
        ordered = prioritized_tags(tags)
        return cls(tuple(ordered[:limit]), tuple(ordered[limit:]))


def source_of(ref: TagReference, annotations: Mapping[str, str]) -> ImportSource | None:
    """The import a spec tag asks for, None if it imports nothing; `annotations` are the
    stream's."""
    if not needs_import(ref) or ref.from_ is None:
        return None
    policy = ref.import_policy
    return ImportSource(reference=ref.from_.name, insecure=bool(policy.insecure),
                        preserve_original=policy.import_mode == "PreserveOriginal",
                        architecture=annotations.get(PREFER_ARCH) or "amd64",
                        os=annotations.get(PREFER_OS) or "linux")


@dataclass(frozen=True)
class ImportOutcome:
    """What an import found: the image to tag, or why there is none."""

    source_digest: str = ""  # the manifest the reference named (the list's, for a list)
    image: str = ""  # the digest the tag points at
    reference: str = ""  # the pull spec recorded on the tag: `<as written>@<image>`
    reason: str = ""  # set on failure, with `message`
    message: str = ""
    # The Image (first) and a manifest list's platform images, for answers that show them.
    images: tuple[Image, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def failed(cls, reason: str, message: str) -> ImportOutcome:
        return cls(reason=reason, message=message)

    @property
    def succeeded(self) -> bool:
        return not self.reason


def pull_spec(reference: str, digest: str) -> str:
    """The reference as written with its tag replaced by the digest, as OpenShift records it:
    `docker.io/python:3.6` → `docker.io/python@sha256:…`, `centos/app` → `centos/app@sha256:…`."""
    return parse_reference(reference).with_digest(digest).exact


def imported_event(spec: TagReference, outcome: ImportOutcome, now: datetime) -> TagEvent:
    return TagEvent(created=now, docker_image_reference=outcome.reference, image=outcome.image,
                    generation=spec.generation or 0)


def import_conditions(current: tuple[TagEventCondition, ...], outcome: ImportOutcome,
                      generation: int, now: datetime) -> tuple[TagEventCondition, ...]:
    """A success clears ImportSuccess; a failure sets it False, keeping one with the same
    reason and message as it is (its transition time and generation too, as OpenShift's
    hasTagCondition does), so a repeated failure rewrites nothing."""
    others = tuple(c for c in current if c.type != IMPORT_SUCCESS)
    if outcome.succeeded:
        return others
    for condition in current:
        if (condition.type, condition.status, condition.reason, condition.message) == (
                IMPORT_SUCCESS, "False", outcome.reason, outcome.message):
            return current
    return others + (TagEventCondition(type=IMPORT_SUCCESS, status="False",
                                       last_transition_time=now, reason=outcome.reason,
                                       message=outcome.message, generation=generation),)


def next_due(spec: TagReference, outcome: ImportOutcome, now: datetime,
             interval: timedelta) -> datetime | None:
    """When the tag is next checked: scheduled tags every interval, a digest until it imports."""
    source = source_of(spec, {})
    if source is None or not spec.import_policy.scheduled:
        return None
    if source.pinned and outcome.succeeded:
        return None
    return now + interval


def after_import(tag: TagRecord, outcome: ImportOutcome, now: datetime,
                 interval: timedelta) -> TagRecord:
    """The tag's conditions, schedule and import digest once `outcome` is applied (its head is
    moved separately, by the history rules)."""
    assert tag.spec is not None
    return replace(
        tag, conditions=import_conditions(tag.conditions, outcome, tag.spec.generation or 0, now),
        due=next_due(tag.spec, outcome, now, interval),
        import_digest=outcome.source_digest if outcome.succeeded else tag.import_digest)


Fetch = Callable[[Collection[ImportSource]], Mapping[ImportSource, ImportOutcome]]
# Repositories listed, and their listed tags imported, with other sources in the same run.
FetchRepositories = Callable[
    [Collection[RepositorySource], Collection[ImportSource]],
    tuple[Mapping[RepositorySource, RepositoryListing], Mapping[ImportSource, ImportOutcome]]]
NOT_CONFIGURED = ImportOutcome.failed(
    "ImportNotConfigured", "this service has no registry client configured for imports")


@dataclass
class ImportContext:
    """The registry outcomes one write may use, and the sources it found missing."""

    fetch: Fetch | None = None  # None: every import fails as not configured
    interval: timedelta = DEFAULT_INTERVAL
    outcomes: dict[ImportSource, ImportOutcome] = field(default_factory=dict)
    listings: dict[RepositorySource, RepositoryListing] = field(default_factory=dict)
    missing: set[ImportSource | RepositorySource] = field(default_factory=set)
    fetch_repositories: FetchRepositories | None = None  # None: repositories unlisted

    def fetch_missing(self) -> None:
        """Fetch what the last plan missed (outside any write), for the next plan to use."""
        repositories = {m for m in self.missing if isinstance(m, RepositorySource)}
        sources = {m for m in self.missing if isinstance(m, ImportSource)}
        found: dict[ImportSource, ImportOutcome] = {}
        if repositories and self.fetch_repositories:
            listings, imported = self.fetch_repositories(repositories, sources)
            self.listings.update(listings)
            found.update(imported)
        elif sources and self.fetch:
            found.update(self.fetch(sources))
        for repository in repositories:
            listing = self.listings.setdefault(repository, RepositoryListing(
                failure=NOT_CONFIGURED))
            sources |= {repository.tag(tag) for tag in listing.tags}
        for source in sources:
            self.outcomes[source] = found.get(source, NOT_CONFIGURED)
        self.missing = set()


def prioritized_tags(tags: Collection[str]) -> list[str]:
    """A repository's tags in the order a bulk import takes them: `latest`, then versions
    newest first (`3.10` before `3.9`, `3.6` before `3.6-alpine`), then the rest by name."""
    def order(tag: str) -> tuple:
        if tag == "latest":
            return (0,)
        match = re.fullmatch(r"v?(\d+(?:\.\d+)*)(.*)", tag)
        if match:
            numbers = tuple(-int(part) for part in match.group(1).split("."))
            return (1, numbers, match.group(2), tag)
        return (2, tag)

    return sorted(set(tags), key=order)
