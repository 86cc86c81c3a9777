"""The message published each time a tag moves (the event contract of DESIGN.md)."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, Field

from .meta import API_VERSION, Model

ChangeType = Literal["Created", "Updated", "Deleted"]


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
    tag: str
    image: str
    docker_image_reference: str = Field(alias="dockerImageReference")
    previous: Optional[ImagePointer]
    generation: int
    time: str
    event_id: str = Field(alias="eventId")

    def to_json(self) -> dict:
        # `previous` is part of the contract even when null.
        return self.model_dump(mode="json", by_alias=True)

    def attributes(self) -> dict[str, str]:
        """What SNS filter policies match on."""
        return {"namespace": self.namespace, "imageStream": self.image_stream,
                "tag": self.tag, "type": self.type}
