"""The message published each time a tag moves, or a pinned tag holds a newer image off (the
event contract of DESIGN.md, with README's additions)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .meta import API_VERSION, Model

ChangeType = Literal["Created", "Updated", "Deleted", "Held"]


class ImagePointer(BaseModel):
    image: str
    docker_image_reference: str = Field(alias="dockerImageReference")

    model_config = {"populate_by_name": True}


class ImageStreamTagEvent(Model):
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    kind: str = "ImageStreamTagEvent"
    type: ChangeType
    namespace: str
    image_stream: str = Field(alias="imageStream")
    # Which life of the stream moved: an attribute for filter policies, not in the body. A
    # trigger's policy names its stream's uid, so a stream deleted and created again under
    # the same name never sends its moves to the old stream's subscribers.
    image_stream_uid: str = Field(default="", alias="imageStreamUid", exclude=True)
    tag: str
    image: str
    docker_image_reference: str = Field(alias="dockerImageReference")
    previous: ImagePointer | None
    generation: int
    time: str
    event_id: str = Field(alias="eventId")
    # The table stream's sequence number of the write (decimal digits). A tag's writes come
    # in order under rising numbers, so it orders two moves `time` (whole seconds) cannot;
    # numbers of different streams (a table's stream replaced) do not compare.
    sequence: str = ""
    # On Held messages only: the image waiting on the pinned tag, which `image` (the tag's
    # own, unchanged) is not.
    held: ImagePointer | None = None

    def to_json(self) -> dict:
        # `previous` is part of the contract even when null; `held` is left out where it is
        # null, so the messages of moves are as they always were.
        return self.model_dump(mode="json", by_alias=True,
                               exclude=None if self.held else {"held"})

    def attributes(self) -> dict[str, str]:
        """What SNS filter policies match on."""
        attributes = {"namespace": self.namespace, "imageStream": self.image_stream,
                      "tag": self.tag, "type": self.type}
        if self.image_stream_uid:
            attributes["imageStreamUid"] = self.image_stream_uid
        return attributes
