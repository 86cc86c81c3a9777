"""Image prune runs: started by a cluster admin (or the schedule), then driven a bounded step
at a time by the table stream's consumer (`advance`), each step saved with its run.

A run walks every stream (its Streams stage: the keep set, and in its namespaces each
tag's history cut below the kept block), then the Image items (Images: those out of use
and older than the threshold go), then, with pruneRegistry, the streams' ECR repositories
(Registry). An image pushed while a run goes is younger than its threshold, so it is kept
whatever the run has read: that is what keepYoungerThan is for, as in OpenShift.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from ..domain.errors import FieldErrors, NotFound, ServiceUnavailable
from ..domain.pruning import (
    DEFAULT_KEEP_TAG_REVISIONS,
    DEFAULT_KEEP_YOUNGER_THAN,
    DONE,
    FAILED,
    IMAGES,
    MAX_RUN_AGE,
    REGISTRY,
    RUNNING,
    RUNS,
    STREAMS,
    SUCCEEDED,
    PruneRun,
    PruneSpec,
    parse_duration,
)
from ..domain.validation import invalid, validate_namespace
from ..resources.meta import ObjectMeta, now
from ..resources.prune import (
    ImagePruneRun,
    ImagePruneRunList,
    ImagePruneRunRemoved,
    ImagePruneRunScanned,
    ImagePruneRunSpec,
    ImagePruneRunStatus,
)
from . import prune_stages as stages
from .actor import Actor
from .ports import PrunableRegistry, PruneRuns, StreamStore

CREATED_BY = "imagestreams.dev/created-by"
GENERATED_NAME = "prune-"
# Kubernetes' generateName suffix: five characters of consonants and digits.
_SUFFIX = "bcdfghjklmnpqrstvwxz2456789"


class PruneService:
    def __init__(self, store: StreamStore, runs: PruneRuns,
                 registry: PrunableRegistry | None = None, repository_prefix: str = "",
                 clock: Callable[[], datetime] = now):
        """`registry` is the streams' ECR (None: the registry stage removes nothing);
        `repository_prefix` what their repositories' names start with."""
        self.store = store
        self.runs = runs
        self.registry = registry
        self.repository_prefix = repository_prefix
        self.clock = clock

    def start(self, actor: Actor, spec: ImagePruneRunSpec | None, name: str | None = None,
              generate_name: str | None = None) -> ImagePruneRun:
        """Store a new run at its first step (the table stream's consumer does the steps);
        without a name, one is made from `generate_name` (default `prune-`)."""
        chosen = name or (generate_name or GENERATED_NAME) + "".join(
            secrets.choice(_SUFFIX) for _ in range(5))
        checked = self._spec(chosen, spec or ImagePruneRunSpec())
        started = self.clock()
        younger = parse_duration(checked.keep_younger_than)
        assert younger is not None  # _spec refused any other
        run = PruneRun(name=chosen, uid=secrets.token_hex(16), created=started,
                       created_by=actor.subject, spec=checked, threshold=started - younger)
        self.runs.create(run)
        return view(run)

    def get(self, name: str) -> ImagePruneRun:
        run = self.runs.get(name)
        if run is None:
            raise NotFound.of(RUNS, name)
        return view(run)

    def list(self) -> ImagePruneRunList:
        return ImagePruneRunList(items=[view(run) for run in self.runs.list()])

    def advance(self, name: str, step: int) -> PruneRun | None:
        """Do step `step` of the run if it is still at that step (a record delivered again,
        or late, does nothing); the run as this call saved it, None if it did nothing."""
        run = self.runs.get(name)
        if run is None or run.phase != RUNNING or run.step != step:
            return None
        if self.clock() - run.created > MAX_RUN_AGE:
            late = replace(run, phase=FAILED, step=step + 1, completed=self.clock())
            return self._saved(late.noted(
                f"the run went on for more than {MAX_RUN_AGE}, longer than its keep set is "
                "kept: start a new run"), step)
        work = stages.Step(run, self.store, self.runs, dict(run.cursor))
        try:
            if run.stage == STREAMS:
                stages.streams_stage(work)
            elif run.stage == IMAGES:
                stages.images_stage(work)
            elif run.stage == REGISTRY:
                stages.registry_stage(work, self.registry, self.repository_prefix)
            work.flush()
        except ServiceUnavailable:
            raise  # the table stream delivers the record again
        except Exception as exc:  # noqa: BLE001 - anything else ends the run, saying why
            failed = replace(run, phase=FAILED, step=step + 1, completed=self.clock())
            return self._saved(failed.noted(f"{type(exc).__name__}: {exc}"), step)
        done = work.run.stage == DONE
        saved = replace(work.run.counted(work.scanned, work.removed), step=step + 1,
                        cursor=work.cursor, phase=SUCCEEDED if done else RUNNING,
                        completed=self.clock() if done else None)
        return self._saved(saved, step)

    def _saved(self, run: PruneRun, read_step: int) -> PruneRun | None:
        """`run` if it was saved over the run at `read_step` (another consumer's call may
        have done that step meanwhile); None otherwise."""
        return run if self.runs.save(run, read_step) else None

    def _spec(self, name: str, spec: ImagePruneRunSpec) -> PruneSpec:
        errors = FieldErrors()
        errors.extend(validate_namespace(name, "metadata.name"))
        revisions = (spec.keep_tag_revisions if spec.keep_tag_revisions is not None
                     else DEFAULT_KEEP_TAG_REVISIONS)
        if revisions < 0:
            errors.items.append(invalid("spec.keepTagRevisions", revisions, "must be >= 0"))
        younger = spec.keep_younger_than if spec.keep_younger_than is not None else (
            DEFAULT_KEEP_YOUNGER_THAN)
        if parse_duration(younger) is None:
            errors.items.append(invalid("spec.keepYoungerThan", younger,
                                        'not a duration (a Go duration such as "60m", '
                                        '"1h30m" or "48h", not negative)'))
        for index, namespace in enumerate(spec.namespaces or []):
            errors.extend(validate_namespace(namespace, f"spec.namespaces[{index}]"))
        errors.raise_if_any(RUNS, name)
        return PruneSpec(revisions, younger,
                         tuple(spec.namespaces) if spec.namespaces is not None else None,
                         spec.dry_run if spec.dry_run is not None else True,
                         bool(spec.prune_registry))


def view(run: PruneRun) -> ImagePruneRun:
    """The run as the API answers it: every spec field filled."""
    spec = run.spec
    return ImagePruneRun(
        metadata=ObjectMeta(name=run.name, uid=run.uid, creation_timestamp=run.created,
                            resource_version=str(run.step),
                            annotations={CREATED_BY: run.created_by} if run.created_by
                            else None),
        spec=ImagePruneRunSpec(keep_tag_revisions=spec.keep_tag_revisions,
                               keep_younger_than=spec.keep_younger_than,
                               namespaces=list(spec.namespaces) if spec.namespaces is not None
                               else None,
                               dry_run=spec.dry_run, prune_registry=spec.prune_registry),
        status=ImagePruneRunStatus(
            phase=run.phase, stage=run.stage, start_time=run.created,
            completion_time=run.completed, message=run.message or None,
            scanned=ImagePruneRunScanned.model_validate(run.scanned),
            removed=ImagePruneRunRemoved.model_validate(run.removed)))

