"""ECR push events and the reconcile pass that repairs the events ECR never delivered.

A reconcile pass goes through the mapped repositories and their tags in one fixed order
(repository, then tag, by name) and stops starting new work when the function's time is
nearly up. It saves how far it got (`ReconcilePosition`); the next run goes on after that
point, and a pass that reaches the end starts the following one from the beginning. So
every repository is looked at however many there are, a run at a time.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..domain.errors import ApiError
from ..domain.pushes import stream_of_repository
from ..registry import RegistryError
from ..registry.manifests import (
    Manifest,
    image_from_list,
    image_from_manifest,
    parse_manifest,
    verify_digest,
)
from ..resources.image import Image
from .actor import Actor
from .ports import Ecr, Position, ReconcilePosition, StreamStore
from .pushes import Push, PushService

logger = logging.getLogger(__name__)


# A run starts no new tag with less time left than this: one tag's worst case is its
# manifest and tag reads (each up to 15 s when ECR does not answer, wiring.py), a config
# download (20 s, adapters/ecr_images.py) and the table write.
ITEM_SECONDS = 60.0
STOPPED = "stopped for time; the next run goes on from here"


class MemoryReconcilePosition:
    """The position in this process only: tests, and the in-memory store."""

    def __init__(self) -> None:
        self.position: Position | None = None

    def load(self) -> Position | None:
        return self.position

    def save(self, position: Position | None) -> None:
        self.position = position


class EcrPushes:
    def __init__(self, ecr: Ecr, pushes: PushService, store: StreamStore, registry: str,
                 prefix: str = "", position: ReconcilePosition | None = None):
        self.ecr = ecr
        self.pushes = pushes
        self.store = store
        self.registry = registry  # <account>.dkr.ecr.<region>.amazonaws.com
        self.prefix = prefix
        self.position = position or MemoryReconcilePosition()

    def handle_event(self, actor: Actor, event: dict[str, Any]) -> str:
        """Apply one `ECR Image Action` event; returns what happened, for the log."""
        detail = event.get("detail") or {}
        if (event.get("source") != "aws.ecr" or detail.get("action-type") != "PUSH"
                or detail.get("result") != "SUCCESS"):
            return "ignored: not a successful ECR push"
        repository, digest = detail.get("repository-name", ""), detail.get("image-digest", "")
        tag = detail.get("image-tag") or ""
        if not tag:
            return "ignored: untagged manifest (a platform image of a multi-arch push)"
        target = stream_of_repository(repository, self.prefix)
        if target is None:
            logger.info("ECR repository %s maps to no image stream; push ignored", repository)
            return "ignored: repository maps to no image stream"
        return self._apply(actor, repository, tag, digest, target)

    def reconcile(self, actor: Actor, remaining_seconds: Callable[[], float] = lambda: math.inf
                  ) -> dict[str, int]:
        """Apply tagged ECR images that no event delivered: a tag is moved only if the image
        was pushed after the tag last moved, so deliberate moves (rollbacks) are kept.

        `remaining_seconds` is the run's time left (the Lambda context's); with less than
        ITEM_SECONDS left the pass stops, saves where, and counts STOPPED. A tag whose
        image cannot be read counts as "failed" and the pass goes on: one bad image must
        not hold back every repository after it (the next pass tries it again)."""
        outcomes: dict[str, int] = {}
        resume_after = self.position.load()
        repositories = sorted(repository for repository in self.ecr.repositories(self.prefix)
                              if stream_of_repository(repository, self.prefix) is not None)
        for repository in repositories:
            if resume_after is not None and repository < resume_after[0]:
                continue
            target = stream_of_repository(repository, self.prefix)
            assert target is not None
            for tagged in sorted(self.ecr.tagged_images(repository), key=lambda t: t.tag):
                if resume_after is not None and (repository, tagged.tag) <= resume_after:
                    continue
                if remaining_seconds() < ITEM_SECONDS:
                    self._stop(outcomes, resume_after)
                    return outcomes
                outcome = self._reconciled(actor, repository, tagged, target)
                if outcome is not None:
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
                resume_after = (repository, tagged.tag)
        self.position.save(None)  # the whole way through: the next pass starts afresh
        return outcomes

    def _reconciled(self, actor: Actor, repository: str, tagged: Any, target: tuple[str, str]
                    ) -> str | None:
        """What reconciling one tagged image did; None when the stream had it already."""
        tag = self.store.get_tag(*target, tagged.tag)
        head = tag.head if tag else None
        if head is not None and (head.image == tagged.digest
                                 or head.created >= _utc(tagged.pushed_at)):
            return None
        if tag is not None and tag.held is not None and tag.held.image == tagged.digest:
            return None  # it waits on the pinned tag already
        try:
            return self._apply(actor, repository, tagged.tag, tagged.digest, target)
        except (RegistryError, ApiError) as exc:
            logger.warning("ECR reconcile: %s:%s (%s) not applied: %s", repository,
                           tagged.tag, tagged.digest, exc)
            return "failed"

    def _stop(self, outcomes: dict[str, int], reached: Position | None) -> None:
        self.position.save(reached)
        outcomes[STOPPED] = 1
        logger.info("ECR reconcile stopped for time after %s; the next run goes on from "
                    "there", ":".join(reached) if reached else "the start")

    def _apply(self, actor: Actor, repository: str, tag: str, digest: str,
               target: tuple[str, str]) -> str:
        image, children = self._image(repository, digest)
        push = Push(target[0], target[1], tag, image, children)
        # ECR events may arrive late or twice: move the tag only if ECR's tag still names it.
        return self.pushes.apply(actor, push,
                                 lambda: self.ecr.tag_digest(repository, tag) == digest)

    def _image(self, repository: str, digest: str) -> tuple[Image, tuple[Image, ...]]:
        name = f"{self.registry}/{repository}"
        body, media_type = self.ecr.manifest(repository, digest)
        verify_digest(body, digest, f"manifest {name}@{digest}")
        manifest = parse_manifest(body, media_type)
        if isinstance(manifest, Manifest):
            config = self.ecr.blob(repository, manifest.config.digest)
            verify_digest(config, manifest.config.digest, f"config of {name}@{digest}")
            return image_from_manifest(name, digest, manifest, config), ()
        children = tuple(self._image(repository, entry.digest)[0] for entry in manifest.manifests)
        return image_from_list(name, digest, manifest), children


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
