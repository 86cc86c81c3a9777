"""The resource types isctl knows, by every name oc accepts for them, each in its own API
group: image streams in image.openshift.io, registry secrets in the core group (`/api/v1`),
role bindings in rbac.authorization.k8s.io."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from .errors import CliError

GROUP = "image.openshift.io"
RBAC_GROUP = "rbac.authorization.k8s.io"
CORE_GROUP = ""


@dataclass(frozen=True)
class Resource:
    plural: str  # the URL segment
    kind: str
    namespaced: bool = True
    short: tuple[str, ...] = ()
    group: str = GROUP
    version: str = "v1"

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`imagestream.image.openshift.io` (`secret` in the core group), as kubectl prints
        names and deletions."""
        return f"{self.singular}.{self.group}" if self.group else self.singular

    @property
    def group_resource(self) -> str:
        """`imagestreams.image.openshift.io`, as Status messages name the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str = "", name: str = "") -> str:
        """The URL path of the collection (no name) or of one object."""
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced:
            root += f"/namespaces/{quote(namespace, safe='')}"
        path = f"{root}/{self.plural}"
        # ':' and '@' stay as written: istag and isimage names, and role names, carry them
        return path + ("/" + quote(name, safe=":@") if name else "")


STREAMS = Resource("imagestreams", "ImageStream", short=("is",))
TAGS = Resource("imagestreamtags", "ImageStreamTag", short=("istag",))
STREAM_IMAGES = Resource("imagestreamimages", "ImageStreamImage", short=("isimage",))
IMAGES = Resource("images", "Image", namespaced=False)
MAPPINGS = Resource("imagestreammappings", "ImageStreamMapping")
IMPORTS = Resource("imagestreamimports", "ImageStreamImport")
SECRETS = Resource("secrets", "Secret", group=CORE_GROUP)
ROLE_BINDINGS = Resource("rolebindings", "RoleBinding", group=RBAC_GROUP)
CLUSTER_ROLE_BINDINGS = Resource("clusterrolebindings", "ClusterRoleBinding", namespaced=False,
                                 group=RBAC_GROUP)
IMAGE_KINDS = (STREAMS, TAGS, STREAM_IMAGES, IMAGES, MAPPINGS, IMPORTS)
ALL = IMAGE_KINDS + (SECRETS, ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS)
# What `get`, `describe` and `delete` offer to complete, by the names oc users type.
COMMON_NAMES = ("imagestreams", "is", "imagestreamtags", "istag", "imagestreamimages",
                "isimage", "images", "secrets", "rolebindings", "clusterrolebindings")

_BY_NAME = {}
for _resource in ALL:
    for _name in (_resource.plural, _resource.singular, *_resource.short,
                  _resource.qualified, _resource.group_resource):
        _BY_NAME[_name] = _resource
BY_KIND = {resource.kind: resource for resource in ALL}
# OpenShift 3 manifests name the image kinds in the legacy `v1`, as the server accepts them.
LEGACY_VERSION = "v1"


def lookup(name: str) -> Resource:
    """A resource by plural, singular, short or group-qualified name, case-insensitively."""
    resource = _BY_NAME.get(name.lower())
    if resource is None:
        raise CliError(f'the server doesn\'t have a resource type "{name}"')
    return resource


def of_kind(kind: str, api_version: str = f"{GROUP}/v1") -> Resource:
    """The resource a manifest's `apiVersion` and `kind` name; kubectl's error for any other
    pair, so a Secret written as image.openshift.io/v1 is refused as kubectl refuses it."""
    resource = BY_KIND.get(kind)
    if resource is not None and (api_version == resource.api_version or (
            resource.group == GROUP and api_version == LEGACY_VERSION)):
        return resource
    raise CliError(f'no matches for kind "{kind}" in version "{api_version}"')
