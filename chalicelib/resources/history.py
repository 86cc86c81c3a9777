"""ImageStreamTagHistory: one page of a tag's history (an extension, like triggers)."""
from __future__ import annotations

from pydantic import Field

from .meta import API_VERSION, ListMeta, Model
from .stream import TagEvent


class ImageStreamTagHistory(Model):
    """Events of `stream:tag`, newest first as in status.tags[].items, a page at a time:
    `metadata.continue` asks for the next, as a list's does."""

    kind: str = "ImageStreamTagHistory"
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    metadata: ListMeta = Field(default_factory=ListMeta)
    tag: str = ""
    items: list[TagEvent] = Field(default_factory=list)
