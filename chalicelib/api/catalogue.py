"""Every resource the API serves, described once: kind, group, scope, short names, models.

The route table (api/routes.py) names a resource by its key here and says which verbs each
path serves; discovery, /openapi/v3 and the access rules read both, so a resource's facts
are never written twice.
"""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from ..resources.access_review import AUTHORIZATION_GROUP, SelfSubjectAccessReview
from ..resources.image import Image, ImageList
from ..resources.imports import ImageStreamImport
from ..resources.meta import API_GROUP, USER_GROUP
from ..resources.prune import ImagePruneRun, ImagePruneRunList
from ..resources.rbac import (
    RBAC_GROUP,
    TOKENS_GROUP,
    AccessToken,
    AccessTokenList,
    RoleBinding,
    RoleBindingList,
)
from ..resources.secrets import Secret, SecretList
from ..resources.stream import (
    ImageStream,
    ImageStreamImage,
    ImageStreamList,
    ImageStreamMapping,
    ImageStreamTag,
    ImageStreamTagList,
)
from ..resources.triggers import ImageStreamTrigger, ImageStreamTriggerList

# Keys of what is no resource: open documents, the registry's webhook, unknown paths, and
# the registry's token endpoint.
DISCOVERY, WEBHOOKS, UNKNOWN = "discovery", "webhooks", "unknown"
REGISTRY_TOKENS = "registry-tokens"


@dataclass(frozen=True)
class Resource:
    """A resource kind as Kubernetes clients see it."""

    plural: str  # its name in URLs and discovery
    kind: str
    group: str  # "" for the core group
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    model: type[BaseModel] | None = None
    list_model: type[BaseModel] | None = None
    discovered: bool = True  # listed in its group's APIResourceList
    # Any authenticated subject may use it: it only tells callers about themselves.
    about_the_caller: bool = False

    @property
    def group_version(self) -> str:
        return f"{self.group}/v1" if self.group else "v1"

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified(self) -> str:
        """As Kubernetes names it in messages: `imagestreams.image.openshift.io`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


# Keyed by the name the access rules use (domain/rbac.py).
CATALOGUE: dict[str, Resource] = {
    "imagestreams": Resource("imagestreams", "ImageStream", API_GROUP, short_names=("is",),
                             model=ImageStream, list_model=ImageStreamList),
    "imagestreams/triggers": Resource("imagestreams/triggers", "ImageStreamTrigger", API_GROUP,
                                      model=ImageStreamTrigger,
                                      list_model=ImageStreamTriggerList),
    "imagestreamtags": Resource("imagestreamtags", "ImageStreamTag", API_GROUP,
                                short_names=("istag",), model=ImageStreamTag,
                                list_model=ImageStreamTagList),
    # A page of TagEvents with a list's metadata, no object of its own: no model to
    # describe as a kind (resources/history.py).
    "imagestreamtags/history": Resource("imagestreamtags/history", "ImageStreamTagHistory",
                                        API_GROUP),
    "imagestreamimages": Resource("imagestreamimages", "ImageStreamImage", API_GROUP,
                                  short_names=("isimage",), model=ImageStreamImage),
    "imagestreammappings": Resource("imagestreammappings", "ImageStreamMapping", API_GROUP,
                                    model=ImageStreamMapping),
    "imagestreamimports": Resource("imagestreamimports", "ImageStreamImport", API_GROUP,
                                   model=ImageStreamImport),
    "images": Resource("images", "Image", API_GROUP, namespaced=False, model=Image,
                       list_model=ImageList),
    "secrets": Resource("secrets", "Secret", "", model=Secret, list_model=SecretList),
    "rolebindings": Resource("rolebindings", "RoleBinding", RBAC_GROUP, model=RoleBinding,
                             list_model=RoleBindingList, discovered=False),
    "clusterrolebindings": Resource("clusterrolebindings", "ClusterRoleBinding", RBAC_GROUP,
                                    namespaced=False, model=RoleBinding,
                                    list_model=RoleBindingList, discovered=False),
    "tokens": Resource("accesstokens", "AccessToken", TOKENS_GROUP, model=AccessToken,
                       list_model=AccessTokenList, discovered=False),
    "imagepruneruns": Resource("imagepruneruns", "ImagePruneRun", TOKENS_GROUP,
                               namespaced=False, model=ImagePruneRun,
                               list_model=ImagePruneRunList, discovered=False),
    "users": Resource("users", "User", USER_GROUP, namespaced=False, discovered=False,
                      about_the_caller=True),
    "selfsubjectaccessreviews": Resource(
        "selfsubjectaccessreviews", "SelfSubjectAccessReview", AUTHORIZATION_GROUP,
        namespaced=False, model=SelfSubjectAccessReview, discovered=False,
        about_the_caller=True),
}


def access_name(group: str, plural: str) -> str | None:
    """The catalogue key (the access rules' name) of the resource `plural` of `group`,
    e.g. "imagestreams/triggers" for a subresource; None for a resource not served here."""
    for key, resource in CATALOGUE.items():
        if (resource.group, resource.plural) == (group, plural):
            return key
    return None
