"""Import rules (domain/imports.py): sources, pull specs, conditions, schedule, order; and
the settings read from the environment."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.imports import (
    NOT_CONFIGURED,
    PREFER_ARCH,
    PREFER_OS,
    ImportContext,
    ImportOutcome,
    ImportSource,
    RepositoryListing,
    RepositorySource,
    import_conditions,
    next_due,
    prioritized_tags,
    pull_spec,
    repository_errors,
    repository_source,
    source_of,
)
from chalicelib.resources.stream import TagEventCondition, TagReference
from chalicelib.services.imports import ImportSettings

NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
DIGEST = "sha256:" + "ab" * 32
OK = ImportOutcome(source_digest=DIGEST, image=DIGEST, reference=f"x.io/a@{DIGEST}")
NOT_FOUND = ImportOutcome.failed("NotFound", "manifest x.io/a:1 not found")


def spec(source: str = "x.io/a:1", **extra: object) -> TagReference:
    return TagReference.model_validate({"name": "t", "generation": 3,
                                        "from": {"kind": "DockerImage", "name": source},
                                        **extra})


@pytest.mark.parametrize("reference, expected", [
    ("docker.io/python:3.6.0", f"docker.io/python@{DIGEST}"),
    ("python:3.6", f"python@{DIGEST}"),  # as written: no registry added
    ("centos/python-35-centos7", f"centos/python-35-centos7@{DIGEST}"),
    ("127.0.0.1:5000/a/b:1", f"127.0.0.1:5000/a/b@{DIGEST}"),
    (f"quay.io/a@{'sha256:' + 'cd' * 32}", f"quay.io/a@{DIGEST}"),
])
def test_pull_spec_replaces_the_tag_with_the_digest(reference: str, expected: str) -> None:
    assert pull_spec(reference, DIGEST) == expected


def test_source_of_a_spec_tag() -> None:
    assert source_of(spec(), {}) == ImportSource("x.io/a:1")
    assert source_of(spec(importPolicy={"insecure": True, "importMode": "PreserveOriginal"}),
                     {PREFER_ARCH: "arm64", PREFER_OS: "windows"}) == ImportSource(
        "x.io/a:1", insecure=True, preserve_original=True, architecture="arm64", os="windows")
    assert source_of(spec(reference=True), {}) is None
    assert source_of(TagReference.model_validate(
        {"name": "t", "from": {"kind": "ImageStreamTag", "name": "a:b"}}), {}) is None
    assert ImportSource(f"x.io/a@{DIGEST}").pinned and not ImportSource("x.io/a:1").pinned


def test_a_failure_is_set_once_and_a_success_clears_it() -> None:
    other = TagEventCondition(type="Other", status="True")
    [failed] = import_conditions((), NOT_FOUND, 3, NOW)
    assert (failed.type, failed.status, failed.reason, failed.message, failed.generation,
            failed.last_transition_time) == ("ImportSuccess", "False", "NotFound",
                                             NOT_FOUND.message, 3, NOW)
    later = NOW + timedelta(minutes=15)
    assert import_conditions((failed,), NOT_FOUND, 3, later) == (failed,)  # not rewritten
    changed = import_conditions((other, failed), ImportOutcome.failed("Timeout", "slow"), 3,
                                later)
    assert [(c.type, c.reason) for c in changed] == [("Other", None), ("ImportSuccess", "Timeout")]
    assert import_conditions((other, failed), OK, 3, later) == (other,)


def test_next_due() -> None:
    interval = timedelta(minutes=15)
    scheduled = spec(importPolicy={"scheduled": True})
    assert next_due(scheduled, OK, NOW, interval) == NOW + interval
    assert next_due(spec(), OK, NOW, interval) is None
    pinned = spec(f"x.io/a@{DIGEST}", importPolicy={"scheduled": True})
    assert next_due(pinned, OK, NOW, interval) is None  # imported: never again
    assert next_due(pinned, NOT_FOUND, NOW, interval) == NOW + interval


def test_bulk_imports_take_latest_then_newest_versions_then_the_rest() -> None:
    tags = ["beta", "1.9", "3.6-alpine", "1.10", "latest", "3.6", "v2", "alpha", "3.6"]
    assert prioritized_tags(tags) == ["latest", "3.6", "3.6-alpine", "v2", "1.10", "1.9",
                                      "alpha", "beta"]


def test_an_import_context_without_a_fetcher_reports_it() -> None:
    context = ImportContext()
    context.missing.add(ImportSource("x.io/a:1"))
    context.fetch_missing()
    assert context.outcomes == {ImportSource("x.io/a:1"): NOT_CONFIGURED}
    assert context.missing == set()


def test_settings_from_the_environment() -> None:
    settings = ImportSettings.from_env({"IMPORT_ALLOW_LIST": "127.0.0.0/8,registry:5000",
                                        "IMPORT_SCHEDULE_MINUTES": "5",
                                        "IMPORT_RATE_PER_MINUTE": "10", "IMPORT_MAX_TAGS": "7",
                                        "IMPORT_HOST_CONCURRENCY": "2"})
    assert (settings.allow_list, settings.interval, settings.imports_per_minute,
            settings.max_repository_tags, settings.host_concurrency) == (
        "127.0.0.0/8,registry:5000", timedelta(minutes=5), 10, 7, 2)
    assert ImportSettings.from_env({}) == ImportSettings()
    with pytest.raises(ValueError, match="IMPORT_RATE_PER_MINUTE"):
        ImportSettings.from_env({"IMPORT_RATE_PER_MINUTE": "0"})


def test_a_repeated_failure_keeps_its_condition_whatever_generation_asked() -> None:
    [failed] = import_conditions((), NOT_FOUND, 3, NOW)
    assert import_conditions((failed,), NOT_FOUND, 4, NOW + timedelta(minutes=1)) == (failed,)


def test_a_repository_is_listed_and_its_tags_imported_before_the_next_plan() -> None:
    repository = RepositorySource("x.io/team/app", insecure=True)
    asked: list[tuple[set, set]] = []

    def fetch_repositories(repositories, sources):  # the Importer's part, here a stand-in
        asked.append((set(repositories), set(sources)))
        listing = RepositoryListing.of(["1", "latest", "2"], 2)
        return {repository: listing}, {repository.tag(t): OK for t in listing.tags}

    context = ImportContext(fetch_repositories=fetch_repositories)
    other = ImportSource("x.io/other:1")
    context.missing |= {repository, other}
    context.fetch_missing()
    assert asked == [({repository}, {other})] and context.missing == set()
    assert context.listings[repository] == RepositoryListing(("latest", "2"), ("1",))
    assert context.outcomes == {ImportSource("x.io/team/app:latest", insecure=True): OK,
                                ImportSource("x.io/team/app:2", insecure=True): OK,
                                other: NOT_CONFIGURED}  # the stand-in did not import it
    unlisted = ImportContext()
    unlisted.missing.add(repository)
    unlisted.fetch_missing()
    assert unlisted.listings[repository] == RepositoryListing(failure=NOT_CONFIGURED)


def test_a_stream_repository_source_follows_the_stream_annotations() -> None:
    assert repository_source("", {}) is None
    assert repository_source("x.io/a", {"openshift.io/image.insecureRepository": "true",
                                        PREFER_ARCH: "arm64"}) == RepositorySource(
        "x.io/a", insecure=True, architecture="arm64")
    assert repository_errors("x.io/a", "f") == [] and repository_errors("Bad/Name", "f") == []
    [tagged] = repository_errors("x.io/a:1", "f")
    assert tagged.message.endswith("you must specify an image repository, not a tag or ID")
