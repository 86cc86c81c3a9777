"""ECR push events and the reconcile pass that repairs the events ECR never delivered."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Optional, Protocol

from ..domain.pushes import stream_of_repository
from ..registry.manifests import (Manifest, image_from_list, image_from_manifest, parse_manifest,
                                  verify_digest)
from ..resources.image import Image
from .ports import StreamStore
from .pushes import Push, PushService

logger = logging.getLogger(__name__)


class Ecr(Protocol):
    def manifest(self, repository: str, digest: str) -> tuple[bytes, str]: ...

    def blob(self, repository: str, digest: str) -> bytes: ...

    def tag_digest(self, repository: str, tag: str) -> Optional[str]: ...

    def tagged_images(self, repository: str) -> Any: ...

    def repositories(self, prefix: str) -> Any: ...


class EcrPushes:
    def __init__(self, ecr: Ecr, pushes: PushService, store: StreamStore, registry: str,
                 prefix: str = ""):
        self.ecr = ecr
        self.pushes = pushes
        self.store = store
        self.registry = registry  # <account>.dkr.ecr.<region>.amazonaws.com
        self.prefix = prefix

    def handle_event(self, event: dict[str, Any]) -> str:
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
        return self._apply(repository, tag, digest, target)

    def reconcile(self, now: Optional[datetime] = None) -> dict[str, int]:
        """Apply tagged ECR images that no event delivered: a tag is moved only if the image
        was pushed after the tag last moved, so deliberate moves (rollbacks) are kept."""
        outcomes: dict[str, int] = {}
        for repository in self.ecr.repositories(self.prefix):
            target = stream_of_repository(repository, self.prefix)
            if target is None:
                continue
            for tagged in self.ecr.tagged_images(repository):
                tag = self.store.get_tag(*target, tagged.tag)
                head = tag.head if tag else None
                if head is not None and (head.image == tagged.digest
                                         or head.created >= _utc(tagged.pushed_at)):
                    continue
                outcome = self._apply(repository, tagged.tag, tagged.digest, target)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        return outcomes

    def _apply(self, repository: str, tag: str, digest: str, target: tuple[str, str]) -> str:
        image, children = self._image(repository, digest)
        push = Push(target[0], target[1], tag, image, children)
        # ECR events may arrive late or twice: move the tag only if ECR's tag still names it.
        return self.pushes.apply(push, lambda: self.ecr.tag_digest(repository, tag) == digest)

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
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
