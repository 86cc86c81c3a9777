"""The resource types isctl knows, by every name oc accepts for them."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import CliError

GROUP = "image.openshift.io"


@dataclass(frozen=True)
class Resource:
    plural: str  # the URL segment
    kind: str
    namespaced: bool = True
    short: tuple[str, ...] = ()

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified(self) -> str:
        """`imagestream.image.openshift.io`, as kubectl prints names and deletions."""
        return f"{self.singular}.{GROUP}"

    @property
    def group_resource(self) -> str:
        """`imagestreams.image.openshift.io`, as Status messages name the resource."""
        return f"{self.plural}.{GROUP}"


STREAMS = Resource("imagestreams", "ImageStream", short=("is",))
TAGS = Resource("imagestreamtags", "ImageStreamTag", short=("istag",))
STREAM_IMAGES = Resource("imagestreamimages", "ImageStreamImage", short=("isimage",))
IMAGES = Resource("images", "Image", namespaced=False)
MAPPINGS = Resource("imagestreammappings", "ImageStreamMapping")
IMPORTS = Resource("imagestreamimports", "ImageStreamImport")
ALL = (STREAMS, TAGS, STREAM_IMAGES, IMAGES, MAPPINGS, IMPORTS)

_BY_NAME = {}
for _resource in ALL:
    for _name in (_resource.plural, _resource.singular, *_resource.short,
                  _resource.qualified, _resource.group_resource):
        _BY_NAME[_name] = _resource
BY_KIND = {resource.kind: resource for resource in ALL}


def lookup(name: str) -> Resource:
    """A resource by plural, singular, short or group-qualified name, case-insensitively."""
    resource = _BY_NAME.get(name.lower())
    if resource is None:
        raise CliError(f'the server doesn\'t have a resource type "{name}"')
    return resource


def of_kind(kind: str) -> Resource:
    resource = BY_KIND.get(kind)
    if resource is None:
        raise CliError(f'no matches for kind "{kind}" in version "{GROUP}/v1"')
    return resource
