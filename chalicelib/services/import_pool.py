"""Running imports politely: per-host slots, a minute budget, Retry-After and back-off.

One dispatcher (the calling thread) hands checks and fetches to worker threads, never
more than `host_concurrency` at a time to one registry host, so a slow registry holds
only its own slots while the others go on. Each host has its own state: the time before
which it is not asked again (a 429's Retry-After, or back-off after 5xx answers, timeouts
and refused connections), a run of such failures after which it is left alone for the
rest of the run, and a budget of fetches a minute. Checks (a HEAD each) are not counted
against the budget: they are what keeps an unchanged tag cheap, and Docker Hub, for one,
does not count HEADs as pulls. A job waiting for a retry when its host is given up (or the
run stops) is reported with the failure its own request met. Other jobs not done are
reported with no outcome, so a caller can leave them for the next run, and with their
host's failure when that, not the end of the run, is why they were not done.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..domain.errors import ApiError
from ..domain.imports import MAX_LISTED_TAGS, ImportOutcome, ImportSource, RepositorySource
from ..registry import (
    ConnectionFailed,
    RegistryClient,
    RegistryError,
    RegistryRateLimited,
    ServerError,
    Timeout,
    locate,
)

if TYPE_CHECKING:
    from .imports import RegistryImports

log = logging.getLogger(__name__)
DEFAULT_RETRY_AFTER = 30.0  # a 429 without Retry-After
MAX_BACKOFF = 30.0
GIVE_UP_STREAK = 3  # consecutive transient failures after which a host waits for the next run
MAX_ATTEMPTS = 2  # tries of one step of one job within a run
TRANSIENT = (ServerError, Timeout, ConnectionFailed)


def failure(error: Exception) -> ImportOutcome:
    """An import error as the outcome a tag condition records."""
    if isinstance(error, (RegistryError, ApiError)):
        return ImportOutcome.failed(error.reason, error.message)
    if isinstance(error, ValueError):  # the reference grammar's InvalidReference
        return ImportOutcome.failed("InvalidReference", str(error))
    log.error("import failed unexpectedly", exc_info=error)
    return ImportOutcome.failed("InternalError", "an internal error occurred; it has been logged")


@dataclass
class ImportJob:
    """One source to check and, if it names something new, fetch; or a repository to list."""

    key: Hashable  # what the caller's results are keyed by
    source: ImportSource | RepositorySource
    client: RegistryClient
    known: Mapping[str, ImportOutcome] = field(default_factory=dict)  # digest → known outcome
    persist: bool = True  # record fetched images (a dry run does not)
    digest: str = ""  # once checked and new: what to fetch
    attempts: int = 0
    failure: ImportOutcome | None = None  # what its last attempt met, while it waits to retry


@dataclass(frozen=True)
class JobResult:
    key: Hashable
    outcome: ImportOutcome | None  # None: not done in this run
    unchanged: bool = False  # the check found a digest the job already knew
    # For a job not done: its host's failure, when the host was given up or asked to wait
    # past the run's end (None: the run ran out of time before reaching the job).
    held: ImportOutcome | None = None
    tags: tuple[str, ...] = ()  # a listed repository's tags, in the registry's order


# What a caller does with a result, returning any jobs it leads to (a listed repository's
# tags to import), which join the same run.
OnResult = Callable[[JobResult], Iterable[ImportJob] | None]


class _Budget:
    """A token bucket: `per_minute` fetches, refilled evenly over the minute."""

    def __init__(self, per_minute: int, now: float):
        self.capacity = self.tokens = float(per_minute)
        self.rate = per_minute / 60.0
        self.stamp = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, now: float) -> bool:
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def ready_at(self, now: float) -> float:
        self._refill(now)
        return now + max(0.0, (1 - self.tokens) / self.rate)


@dataclass
class _Host:
    checks: deque = field(default_factory=deque)
    fetches: deque = field(default_factory=deque)
    budget: _Budget | None = None
    running: int = 0
    not_before: float = 0.0
    streak: int = 0
    abandoned: bool = False
    failure: ImportOutcome | None = None  # what made it wait or be given up

    def queued(self) -> list[ImportJob]:
        jobs = [*self.checks, *self.fetches]
        self.checks.clear()
        self.fetches.clear()
        return jobs

    def next_ready(self, now: float) -> float | None:
        """When this host could take its next job (ignoring its slots); None if never."""
        if self.abandoned or not (self.checks or self.fetches):
            return None
        ready = self.not_before
        if not self.checks and self.budget is not None:
            ready = max(ready, self.budget.ready_at(now))
        return ready


class ImportPool:
    def __init__(self, registries: RegistryImports, *, host_concurrency: int = 4,
                 concurrency: int = 16, imports_per_minute: int | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.registries = registries
        self.host_concurrency = host_concurrency
        self.concurrency = concurrency
        self.imports_per_minute = imports_per_minute
        self.clock = clock

    def run(self, jobs: list[ImportJob], on_result: OnResult, *, stop_at: float,
            give_up_at: float) -> None:
        """Run `jobs` and those results lead to, calling `on_result` (in this thread) as each
        finishes. Nothing new starts after `stop_at`; what is still running at `give_up_at`
        is abandoned. Every job gets exactly one result; those not done have no outcome."""
        hosts: dict[str, _Host] = {}

        def report(result: JobResult) -> None:
            for follow_up in on_result(result) or ():
                enqueue(follow_up)

        def enqueue(job: ImportJob) -> None:
            try:
                host = locate(job.source.reference).host
            except ValueError as error:
                report(JobResult(job.key, failure(error)))
                return
            if host not in hosts:
                hosts[host] = _Host(budget=_Budget(self.imports_per_minute, self.clock())
                                    if self.imports_per_minute else None)
            if hosts[host].abandoned:
                report(_unfinished(job, hosts[host].failure))
            else:
                hosts[host].checks.append(job)

        for job in jobs:
            enqueue(job)
        running: dict[Future, tuple[_Host, ImportJob]] = {}
        executor = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="import")
        try:
            while True:
                now = self.clock()
                if now < stop_at:
                    self._dispatch(hosts, running, executor, now)
                if not running:
                    if now >= stop_at:
                        break
                    wake = min((t for h in hosts.values()
                                if (t := h.next_ready(now)) is not None), default=None)
                    if wake is None or wake >= stop_at:
                        break
                    time.sleep(max(0.0, wake - now))
                    continue
                done, _ = wait(list(running), return_when=FIRST_COMPLETED,
                               timeout=max(0.0, min(give_up_at, self._wake(hosts, now)) - now))
                for future in done:
                    host, job = running.pop(future)
                    host.running -= 1
                    self._settle(host, job, future.result(), stop_at, report)
                if self.clock() >= give_up_at:
                    break
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
        for _, job in running.values():
            report(JobResult(job.key, None))
        while left := [(host, job) for host in hosts.values() for job in host.queued()]:
            for host, job in left:
                waits = host.abandoned or host.not_before >= stop_at
                report(_unfinished(job, host.failure if waits else None))

    def _wake(self, hosts: dict[str, _Host], now: float) -> float:
        """When to look again for work while jobs run: the next host ready, or soon."""
        ready = [t for h in hosts.values() if (t := h.next_ready(now)) is not None and t > now]
        return min([now + 1.0, *ready])

    def _dispatch(self, hosts: dict[str, _Host], running: dict, executor: ThreadPoolExecutor,
                  now: float) -> None:
        for host in hosts.values():
            while (len(running) < self.concurrency and host.running < self.host_concurrency
                   and not host.abandoned and now >= host.not_before):
                if host.fetches and (host.budget is None or host.budget.take(now)):
                    job = host.fetches.popleft()
                elif host.checks:
                    job = host.checks.popleft()
                else:
                    break
                host.running += 1
                running[executor.submit(self._work, job)] = (host, job)

    def _work(self, job: ImportJob) -> Any:
        """One registry step, in a worker thread; errors are returned, not raised."""
        try:
            if isinstance(job.source, RepositorySource):
                return job.client.list_tags(job.source.reference, insecure=job.source.insecure,
                                            limit=MAX_LISTED_TAGS)
            if job.digest:
                return self.registries.fetch(job.client, job.source, job.digest, job.persist)
            return self.registries.check(job.client, job.source, job.known)
        except Exception as error:  # every failure becomes the job's outcome
            return error

    def _settle(self, host: _Host, job: ImportJob, value: Any, stop_at: float,
                on_result: Callable[[JobResult], None]) -> None:
        job.attempts += 1
        now = self.clock()
        if isinstance(value, Exception):
            job.failure = failure(value)
            retry = False
            if isinstance(value, RegistryRateLimited):
                wait_for = DEFAULT_RETRY_AFTER if value.retry_after is None else value.retry_after
                host.not_before = max(host.not_before, now + wait_for)
                host.failure = _held(job.failure, "the registry asked to wait")
                retry = True
            elif isinstance(value, TRANSIENT):
                host.streak += 1
                host.not_before = max(host.not_before,
                                      now + min(MAX_BACKOFF, 2.0 ** (host.streak - 1)))
                host.failure = _held(job.failure, f"the registry failed {host.streak} "
                                     f"time{'s' if host.streak > 1 else ''} in a row")
                if host.streak >= GIVE_UP_STREAK:
                    self._give_up(host, on_result)
                retry = not host.abandoned
            if retry and job.attempts < MAX_ATTEMPTS and host.not_before < stop_at:
                (host.fetches if job.digest else host.checks).appendleft(job)
                return
            on_result(JobResult(job.key, job.failure))
            return
        host.streak, job.failure = 0, None
        if isinstance(job.source, RepositorySource):
            on_result(JobResult(job.key, ImportOutcome(), tags=tuple(value)))
        elif job.digest:
            on_result(JobResult(job.key, value))
        elif value.outcome is not None:
            on_result(JobResult(job.key, value.outcome, value.unchanged))
        else:
            job.digest, job.attempts = value.digest, 0
            host.fetches.append(job)

    @staticmethod
    def _give_up(host: _Host, on_result: Callable[[JobResult], None]) -> None:
        """Leave the host alone for the rest of the run: what waits for it is settled now,
        each job with its own failure if it met one (a tag's condition names what its own
        request met), the others with the host's."""
        host.abandoned = True
        for job in host.queued():
            on_result(_unfinished(job, host.failure))


def _held(met: ImportOutcome, why: str) -> ImportOutcome:
    """The failure given to jobs a host's failures kept from being tried."""
    return ImportOutcome.failed(met.reason, f"{met.message} (not attempted: {why})")


def _unfinished(job: ImportJob, held: ImportOutcome | None) -> JobResult:
    """A queued job's result when the run leaves it: the failure its own last attempt met,
    or none (not done) with the reason its host was not asked, if any."""
    if job.failure is not None:
        return JobResult(job.key, job.failure)
    return JobResult(job.key, None, held=held)
