"""Cluster-scoped Image reads."""
from __future__ import annotations

from ..domain.errors import NotFound
from ..domain.reference import DIGEST_RE
from ..resources.image import Image, ImageList
from .ports import StreamStore

IMAGES = "images.image.openshift.io"


class ImageService:
    def __init__(self, store: StreamStore):
        self.store = store

    def get(self, digest: str) -> Image:
        image = self.store.get_image(digest) if DIGEST_RE.fullmatch(digest) else None
        if image is None:
            raise NotFound.of(IMAGES, digest)
        return image

    def list(self, limit: int, after: str | None) -> tuple[ImageList, str | None]:
        page = self.store.list_images(limit, after)
        return ImageList(items=page.items), page.after
