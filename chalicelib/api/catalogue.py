"""Every resource the API serves, described once: kind, group, scope, short names, models.

The route table (api/routes.py) names a resource by its key here and says which verbs each
path serves; discovery, /openapi/v3 and the access rules read both, so a resource's facts
are never written twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

from ..resources.meta import (
    API_GROUP,
    AUTHORIZATION_GROUP,
    IMAGESTREAMS_GROUP,
    RBAC_GROUP,
    USER_GROUP,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

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
    # Its object and list models as "<module of chalicelib.resources>.<class>", imported
    # when asked for: only the OpenAPI document needs them, and importing every resource's
    # models would be paid by each cold start.
    model_name: str = ""
    list_model_name: str = ""
    discovered: bool = True  # listed in its group's APIResourceList
    # Any authenticated subject may use it: it only tells callers about themselves.
    about_the_caller: bool = False

    @property
    def model(self) -> type[BaseModel] | None:
        return _resource_model(self.model_name) if self.model_name else None

    @property
    def list_model(self) -> type[BaseModel] | None:
        return _resource_model(self.list_model_name) if self.list_model_name else None

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
                             model_name="stream.ImageStream",
                             list_model_name="stream.ImageStreamList"),
    "imagestreams/triggers": Resource("imagestreams/triggers", "ImageStreamTrigger", API_GROUP,
                                      model_name="triggers.ImageStreamTrigger",
                                      list_model_name="triggers.ImageStreamTriggerList"),
    "imagestreamtags": Resource("imagestreamtags", "ImageStreamTag", API_GROUP,
                                short_names=("istag",), model_name="stream.ImageStreamTag",
                                list_model_name="stream.ImageStreamTagList"),
    # A page of TagEvents with a list's metadata, no object of its own: no model to
    # describe as a kind (resources/history.py).
    "imagestreamtags/history": Resource("imagestreamtags/history", "ImageStreamTagHistory",
                                        API_GROUP),
    "imagestreamimages": Resource("imagestreamimages", "ImageStreamImage", API_GROUP,
                                  short_names=("isimage",),
                                  model_name="stream.ImageStreamImage"),
    "imagestreammappings": Resource("imagestreammappings", "ImageStreamMapping", API_GROUP,
                                    model_name="stream.ImageStreamMapping"),
    "imagestreamimports": Resource("imagestreamimports", "ImageStreamImport", API_GROUP,
                                   model_name="imports.ImageStreamImport"),
    "images": Resource("images", "Image", API_GROUP, namespaced=False,
                       model_name="image.Image", list_model_name="image.ImageList"),
    "secrets": Resource("secrets", "Secret", "", model_name="secrets.Secret",
                        list_model_name="secrets.SecretList"),
    "rolebindings": Resource("rolebindings", "RoleBinding", RBAC_GROUP,
                             model_name="rbac.RoleBinding",
                             list_model_name="rbac.RoleBindingList", discovered=False),
    "clusterrolebindings": Resource("clusterrolebindings", "ClusterRoleBinding", RBAC_GROUP,
                                    namespaced=False, model_name="rbac.RoleBinding",
                                    list_model_name="rbac.RoleBindingList", discovered=False),
    "tokens": Resource("accesstokens", "AccessToken", IMAGESTREAMS_GROUP,
                       model_name="rbac.AccessToken", list_model_name="rbac.AccessTokenList",
                       discovered=False),
    "imagepruneruns": Resource("imagepruneruns", "ImagePruneRun", IMAGESTREAMS_GROUP,
                               namespaced=False, model_name="prune.ImagePruneRun",
                               list_model_name="prune.ImagePruneRunList", discovered=False),
    "users": Resource("users", "User", USER_GROUP, namespaced=False, discovered=False,
                      about_the_caller=True),
    "selfsubjectaccessreviews": Resource(
        "selfsubjectaccessreviews", "SelfSubjectAccessReview", AUTHORIZATION_GROUP,
        namespaced=False, model_name="access_review.SelfSubjectAccessReview",
        discovered=False, about_the_caller=True),
}


def access_name(group: str, plural: str) -> str | None:
    """The catalogue key (the access rules' name) of the resource `plural` of `group`,
    e.g. "imagestreams/triggers" for a subresource; None for a resource not served here."""
    for key, resource in CATALOGUE.items():
        if (resource.group, resource.plural) == (group, plural):
            return key
    return None


@cache
def _resource_model(name: str) -> type[BaseModel]:
    module, _, model = name.rpartition(".")
    found: type[BaseModel] = getattr(import_module(f"..resources.{module}", __package__), model)
    return found
