"""One scheduled re-import cycle: read the due tags, check each source once, write results.

Only the schedule index is read. Tags are grouped by what their import fetches and by
the credentials their namespace has for that registry, so a source shared by many tags
(in any namespaces with the same access) costs one check. A check that finds the digest
the tags were imported from changes nothing but their next-due times; a new digest is
fetched once and moves every tag of the group. Tags whose source was not checked before
the run had to stop keep their due time and come first in the next run.

A stream's spec.dockerImageRepository has its own entry in the schedule: the repository is
listed and its tags imported in the same run (see `import_repository`), and the entry stays
due when the run stopped before all of that was done.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from itertools import chain, zip_longest

from ..domain.errors import ApiError, NotFound
from ..domain.imports import (
    ImportContext,
    ImportOutcome,
    ImportSource,
    RepositoryListing,
    RepositorySource,
    import_conditions,
    next_due,
    repository_source,
    source_of,
)
from ..domain.records import TagRecord
from ..domain.reference import parse_reference
from ..domain.sources import FORBIDDEN, scheduled_import_refusal
from ..logs import about
from ..registry import Credentials, RegistryClient, locate
from ..registry.auth import normalize_registry
from ..resources.meta import now as utc_now
from .actor import SERVICE, Actor
from .import_pool import ImportJob, ImportPool, JobResult
from .imports import ImportSettings, RegistryImports
from .ports import DueRepository, DueTag, StreamStore
from .secrets import NamespaceCredentials, SecretService
from .stream_imports import import_repository
from .stream_write import StreamWrite, write_stream

log = logging.getLogger(__name__)
MAX_TAGS_PER_RUN = 5000
WRITE_RESERVE = 10.0  # seconds kept at the end of a run for the last results' writes...
WRITE_SHARE = 1 / 6  # ...or this share of a short run

GroupKey = tuple[ImportSource, str]  # the source, and who asks: registry and credentials


@dataclass
class _Group:
    registry: str
    credentials: Credentials | None
    tags: list[DueTag]


@dataclass(frozen=True)
class _Stream:
    """The key of a repository entry's listing; `_RepositoryTag` those of its tags' imports."""

    namespace: str
    name: str


@dataclass(frozen=True)
class _RepositoryTag:
    stream: _Stream
    tag: str


@dataclass
class _Repository:
    """A due repository entry while its repository is listed and its tags imported."""

    item: DueRepository
    source: RepositorySource
    client: RegistryClient
    listing: RepositoryListing = RepositoryListing()
    outcomes: dict[ImportSource, ImportOutcome] = field(default_factory=dict)
    pending: int = 0  # tag imports not reported yet
    complete: bool = True  # every listed tag's import was done in this run


@dataclass
class CycleReport:
    due: int = 0
    sources: int = 0
    unchanged: int = 0  # tags whose only write was their next-due time
    written: int = 0  # tags whose image, condition or import digest changed
    deferred: int = 0  # tags (and repositories) left due for the next run
    requests: int = 0  # registry requests of this run
    repositories: int = 0  # streams' repositories imported
    imported: int = 0  # tags whose import succeeded (whether or not it changed them)
    failed: int = 0  # tags whose import failed
    # Whether the run ended with work it had no time for (not a registry asking to wait):
    # what the scheduled-cycle alarm watches (docs/operations.md).
    stopped_for_time: bool = False


class Scheduler:
    def __init__(self, store: StreamStore, registries: RegistryImports, secrets: SecretService,
                 clock: Callable[[], datetime] = utc_now, max_tags: int = MAX_TAGS_PER_RUN,
                 registry: str = "", may_pull: Callable[[str, str], bool] | None = None):
        """`registry` is the integrated registry (INTEGRATED_REGISTRY); a source in another
        namespace's stream there is imported only while `may_pull(author, namespace)`, the
        access decision, allows whoever set it (none given: never)."""
        self.store = store
        self.registries = registries
        self.secrets = secrets
        self.clock = clock
        self.max_tags = max_tags
        self.registry = registry
        self.may_pull = may_pull or (lambda subject, namespace: False)

    @property
    def settings(self) -> ImportSettings:
        return self.registries.settings

    def run(self, remaining_seconds: Callable[[], float]) -> CycleReport:
        """One cycle; `remaining_seconds` is the Lambda's time left (its context's)."""
        interval = self.settings.interval
        # Due a little early still counts: a tag set at 12:00:00.4 is checked by the run
        # at 12:15:00.1, not skipped until 12:30.
        slack = min(timedelta(minutes=1), interval / 10)
        due = self.store.due_entries(self.clock() + slack, self.max_tags)
        report = CycleReport(due=len(due))
        requests_before = self.registries.counter.total
        books: dict[str, NamespaceCredentials] = {}  # each namespace's secrets read once a run
        permitted, refused = self._permitted([d for d in due if isinstance(d, DueTag)])
        groups = self._groups(permitted, books)
        repositories = self._repositories([d for d in due if isinstance(d, DueRepository)],
                                          books, report)
        report.sources = len(groups) + len(repositories)
        jobs = _interleaved([self._job(key, group) for key, group in groups.items()])
        jobs += [ImportJob(key, r.source, r.client) for key, r in repositories.items()]
        # Nothing starts unless a request can finish before the run gives up waiting, and
        # the last writes have time after that; what is still running then stays due.
        remaining = remaining_seconds()
        give_up_at = time.monotonic() + remaining - min(WRITE_RESERVE, remaining * WRITE_SHARE)
        stop_at = give_up_at - self.settings.request_seconds
        pool = ImportPool(self.registries, host_concurrency=self.settings.host_concurrency,
                          concurrency=self.settings.concurrency,
                          imports_per_minute=self.settings.imports_per_minute)

        def on_result(result: JobResult) -> list[ImportJob]:
            if result.outcome is None and result.held is None:
                report.stopped_for_time = True
            if isinstance(result.key, _Stream):
                return self._listed(result.key, repositories[result.key], result, report)
            if isinstance(result.key, _RepositoryTag):
                self._imported(repositories[result.key.stream], result, report)
            else:
                assert isinstance(result.key, tuple)  # a GroupKey, the last kind of job
                self._apply(groups[result.key].tags, result, report)
            return []

        for outcome, items in refused.items():  # nothing to fetch: written at once
            self._apply(items, JobResult(key=outcome, outcome=outcome), report)
        pool.run(jobs, on_result, stop_at=stop_at, give_up_at=give_up_at)
        report.requests = self.registries.counter.total - requests_before
        about(log).info("scheduled import run: %s", report, extra={"report": asdict(report)})
        return report

    def _permitted(self, due: list[DueTag]
                   ) -> tuple[list[DueTag], dict[ImportOutcome, list[DueTag]]]:
        """The due tags whose author may still read their source, and the refused ones by
        the failure each gets: its condition says why, the tag keeps its image and stays
        scheduled, and it imports again once its author may (domain/sources.py)."""
        permitted: list[DueTag] = []
        refused: dict[ImportOutcome, list[DueTag]] = defaultdict(list)
        for item in due:
            spec = item.tag.spec
            reason = (self._refusal(spec.from_.name, item.stream.namespace, item.tag.author)
                      if spec is not None and spec.from_ is not None else None)
            if reason is None:
                permitted.append(item)
            else:
                refused[ImportOutcome.failed(FORBIDDEN, reason)].append(item)
        return permitted, refused

    def _author(self, subject: str) -> Actor:
        return Actor(subject, lambda namespace: self.may_pull(subject, namespace))

    def _refusal(self, reference: str, namespace: str, author: str) -> str | None:
        return scheduled_import_refusal(reference, namespace, author, self.registry,
                                        self.may_pull)

    def _groups(self, due: list[DueTag], books: dict[str, NamespaceCredentials]
                ) -> dict[GroupKey, _Group]:
        groups: dict[GroupKey, _Group] = {}
        for item in due:
            spec = item.tag.spec
            source = source_of(spec, item.stream.annotations) if spec else None
            if spec is None or source is None or not spec.import_policy.scheduled:
                self._reschedule(item, None)  # no longer a scheduled import
                continue
            registry, who, credentials = self._asker(item.stream.namespace, source.reference,
                                                     books)
            groups.setdefault((source, who), _Group(registry, credentials, [])).tags.append(item)
        return groups

    def _asker(self, namespace: str, reference: str, books: dict[str, NamespaceCredentials]
               ) -> tuple[str, str, Credentials | None]:
        """The registry of `reference`, who asks it (the registry and the credentials the
        namespace has for it: equal only for equal access), and those credentials."""
        book = books.setdefault(namespace, self.secrets.credentials(namespace))
        try:
            registry = normalize_registry(locate(reference).registry)
            credentials = book(registry)
        except ValueError:
            registry, credentials = "", None  # the check reports the bad reference
        return registry, f"{registry}|{credentials.fingerprint()}" if credentials else "", \
            credentials

    def _client(self, registry: str, who: str, credentials: Credentials | None
                ) -> RegistryClient:
        def only_there(asked: str) -> Credentials | None:
            return credentials if normalize_registry(asked) == registry else None

        return self.registries.client(who, only_there)

    def _job(self, key: GroupKey, group: _Group) -> ImportJob:
        source, who = key
        tags = group.tags
        # What the group's tags were imported from: finding it again needs no fetch.
        known = {t.tag.import_digest: ImportOutcome(t.tag.import_digest, t.tag.head.image,
                                                    t.tag.head.docker_image_reference)
                 for t in tags if t.tag.import_digest and t.tag.head is not None}
        return ImportJob(key, source, self._client(group.registry, who, group.credentials),
                         known)

    # -- streams' repositories

    def _repositories(self, due: list[DueRepository], books: dict[str, NamespaceCredentials],
                      report: CycleReport) -> dict[_Stream, _Repository]:
        """The due repository entries to import; an entry whose stream no longer has a
        repository leaves the schedule, and one whose author may no longer read it is
        written as refused (domain/sources.py)."""
        found: dict[_Stream, _Repository] = {}
        for item in due:
            stream = item.stream
            source = repository_source(stream.docker_image_repository, stream.annotations)
            if source is None:
                self._reschedule_repository(item, None)
                continue
            client = self._client(*self._asker(stream.namespace, source.reference, books))
            repository = _Repository(item, source, client)
            reason = self._refusal(source.reference, stream.namespace, stream.repository_author)
            if reason is not None:  # nothing to list: the check is recorded at once
                repository.listing = RepositoryListing(failure=ImportOutcome.failed(
                    FORBIDDEN, reason))
                self._write_repository(repository, report)
                continue
            found[_Stream(stream.namespace, stream.name)] = repository
        return found

    def _listed(self, key: _Stream, repository: _Repository, result: JobResult,
                report: CycleReport) -> list[ImportJob]:
        """The listed repository's tags to import, in this run; written at once when the
        listing failed or found nothing (the check is recorded either way)."""
        if result.outcome is None:
            report.deferred += 1
            return []
        if not result.outcome.succeeded:
            repository.listing = RepositoryListing(failure=result.outcome)
        else:
            repository.listing = RepositoryListing.of(result.tags,
                                                      self.settings.max_repository_tags)
        repository.pending = len(repository.listing.tags)
        if not repository.pending:
            self._write_repository(repository, report)
        return [ImportJob(_RepositoryTag(key, tag), repository.source.tag(tag),
                          repository.client) for tag in repository.listing.tags]

    def _imported(self, repository: _Repository, result: JobResult,
                  report: CycleReport) -> None:
        if result.outcome is None:
            repository.complete = False
        else:
            assert isinstance(result.key, _RepositoryTag)
            repository.outcomes[repository.source.tag(result.key.tag)] = result.outcome
            _tally(report, result.outcome, 1)
        repository.pending -= 1
        if not repository.pending:
            self._write_repository(repository, report)

    def _write_repository(self, repository: _Repository, report: CycleReport) -> None:
        """Write what was imported (all of it, or the tags done before the run stopped) and
        set the entry's next due time, unless the run left some of it undone."""
        stream, now = repository.item.stream, self.clock()
        done = RepositoryListing(tuple(tag for tag in repository.listing.tags
                                       if repository.source.tag(tag) in repository.outcomes),
                                 repository.listing.additional, repository.listing.failure)
        applied = [False]

        def plan(write: StreamWrite) -> None:
            # A repository changed meanwhile was imported by the write that changed it.
            applied[0] = repository_source(write.stream.docker_image_repository,
                                           write.stream.annotations) == repository.source
            if applied[0]:
                import_repository(write)

        imports = ImportContext(interval=self.settings.interval,
                                outcomes=dict(repository.outcomes),
                                listings={repository.source: done})
        try:
            # It acts for the repository's author: the spec tags it sets are theirs, so their
            # own scheduled imports act for them too.
            write_stream(self.store, stream.namespace, stream.name, now, None, plan,
                         actor=self._author(stream.repository_author), imports=imports)
        except NotFound:
            return  # the stream went away meanwhile; its entry goes when it is next due
        except ApiError as error:  # the entry stays due and is tried again next run
            about(log, stream.namespace, stream.name).warning(
                "writing the import of %s to %s/%s failed: %s", repository.source.reference,
                stream.namespace, stream.name, error.message)
            return
        if not (applied[0] and repository.complete):
            report.deferred += 1
            return
        report.repositories += 1
        self._reschedule_repository(repository.item, now + self.settings.interval)

    def _apply(self, tags: list[DueTag], result: JobResult, report: CycleReport) -> None:
        if result.outcome is None:
            report.deferred += len(tags)
            return
        outcome, now = result.outcome, self.clock()
        _tally(report, outcome, len(tags))
        writes: dict[tuple[str, str], list[TagRecord]] = defaultdict(list)
        for item in tags:
            if self._changes(item.tag, outcome, now):
                writes[(item.stream.namespace, item.stream.name)].append(item.tag)
            else:
                assert item.tag.spec is not None
                report.unchanged += self._reschedule(
                    item, next_due(item.tag.spec, outcome, now, self.settings.interval))
        for (namespace, name), records in writes.items():
            report.written += self._write(namespace, name, records, outcome, now)

    @staticmethod
    def _changes(tag: TagRecord, outcome: ImportOutcome, now: datetime) -> bool:
        """Whether applying `outcome` changes more than the tag's next-due time."""
        assert tag.spec is not None
        if import_conditions(tag.conditions, outcome, tag.spec.generation or 0, now) \
                != tag.conditions:
            return True
        if not outcome.succeeded:
            return False
        head = tag.head
        return (head is None or tag.import_digest != outcome.source_digest
                or (head.image, head.docker_image_reference, head.generation)
                != (outcome.image, outcome.reference, tag.spec.generation or 0))

    def _write(self, namespace: str, name: str, tags: list[TagRecord], outcome: ImportOutcome,
               now: datetime) -> int:
        def plan(write: StreamWrite) -> None:
            for tag in tags:
                assert tag.spec is not None
                write.apply_import(tag.name, tag.spec, outcome)

        try:
            # Applying an import sets no source (each tag's author was checked in _permitted).
            write_stream(self.store, namespace, name, now, None, plan, actor=SERVICE,
                         imports=ImportContext(interval=self.settings.interval))
        except NotFound:
            return 0  # the stream went away meanwhile
        except ApiError as error:  # the tags stay due and are tried again next run
            about(log, namespace, name, ",".join(tag.name for tag in tags)).warning(
                "writing imports to %s/%s failed: %s", namespace, name, error.message)
            return 0
        return len(tags)

    def _reschedule(self, item: DueTag, due: datetime | None) -> int:
        try:
            moved = self.store.reschedule(item.stream.namespace, item.stream.name, item.tag, due)
        except ApiError as error:
            about(log, item.stream.namespace, item.stream.name, item.tag.name).warning(
                "rescheduling %s/%s:%s failed: %s", item.stream.namespace, item.stream.name,
                item.tag.name, error.message)
            return 0
        return int(moved)

    def _reschedule_repository(self, item: DueRepository, due: datetime | None) -> None:
        stream = item.stream
        try:
            self.store.reschedule_repository(stream.namespace, stream.name, item.due, due)
        except ApiError as error:  # it stays due, and is checked again next run
            about(log, stream.namespace, stream.name).warning(
                "rescheduling the repository of %s/%s failed: %s", stream.namespace,
                stream.name, error.message)


def _tally(report: CycleReport, outcome: ImportOutcome, tags: int) -> None:
    if outcome.succeeded:
        report.imported += tags
    else:
        report.failed += tags


def _interleaved(jobs: list[ImportJob]) -> list[ImportJob]:
    """Jobs taking repositories in turn: checks of one repository running at once would each
    fetch the same token, where one after another the later ones reuse it."""
    by_repository: dict[str, list[ImportJob]] = defaultdict(list)
    for job in jobs:
        try:
            repository = parse_reference(job.source.reference).name
        except ValueError:
            repository = job.source.reference  # refused as it is checked
        by_repository[repository].append(job)
    return [job for job in chain.from_iterable(zip_longest(*by_repository.values())) if job]
