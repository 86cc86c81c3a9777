"""The one error tree of the service. Each maps to a Kubernetes Status in api/status.py."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    reason: str = "FieldValueInvalid"


class ApiError(Exception):
    """A failure the caller should see, with its Kubernetes reason and HTTP code."""

    reason = "InternalError"
    code = 500

    def __init__(self, message: str, *, kind: str | None = None, name: str | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.name = name


class BadRequest(ApiError):
    reason, code = "BadRequest", 400


class Unauthorized(ApiError):
    reason, code = "Unauthorized", 401


class Forbidden(ApiError):
    reason, code = "Forbidden", 403


class NotFound(ApiError):
    reason, code = "NotFound", 404

    @classmethod
    def of(cls, resource: str, name: str) -> NotFound:
        kind = resource.split(".")[0]
        return cls(f'{resource} "{name}" not found', kind=kind, name=name)


class MethodNotAllowed(ApiError):
    reason, code = "MethodNotAllowed", 405


class AlreadyExists(ApiError):
    reason, code = "AlreadyExists", 409

    @classmethod
    def of(cls, resource: str, name: str) -> AlreadyExists:
        return cls(f'{resource} "{name}" already exists', kind=resource.split(".")[0], name=name)


class Conflict(ApiError):
    reason, code = "Conflict", 409


class Expired(ApiError):
    """A watch from a position older than what is still kept: the caller lists again."""

    reason, code = "Expired", 410


class TooLarge(ApiError):
    reason, code = "RequestEntityTooLarge", 413


class UnsupportedMediaType(ApiError):
    reason, code = "UnsupportedMediaType", 415


class TooManyRequests(ApiError):
    reason, code = "TooManyRequests", 429


class ServiceUnavailable(ApiError):
    reason, code = "ServiceUnavailable", 503


class Invalid(ApiError):
    """422 with one cause per bad field, worded like Kubernetes field errors."""

    reason, code = "Invalid", 422

    def __init__(self, resource: str, name: str, causes: list[FieldError]):
        self.causes = causes
        detail = ", ".join(f"{c.field}: {c.message}" for c in causes)
        plural, _, group = resource.partition(".")
        kind = KINDS.get(plural, plural)  # Kubernetes names the Kind here, not the resource
        qualified = f"{kind}.{group}" if group else kind
        super().__init__(f'{qualified} "{name}" is invalid: {detail}', kind=kind, name=name)


KINDS = {
    "imagestreams": "ImageStream", "imagestreamtags": "ImageStreamTag",
    "imagestreamimages": "ImageStreamImage", "imagestreammappings": "ImageStreamMapping",
    "imagestreamimports": "ImageStreamImport", "imagestreams/triggers": "ImageStreamTrigger",
    "images": "Image", "rolebindings": "RoleBinding", "clusterrolebindings": "ClusterRoleBinding",
    "accesstokens": "AccessToken", "secrets": "Secret", "namespaces": "Namespace",
    "selfsubjectaccessreviews": "SelfSubjectAccessReview", "imagepruneruns": "ImagePruneRun",
}


@dataclass
class FieldErrors:
    """Collects field errors; raise_if_any turns them into one Invalid."""

    items: list[FieldError] = field(default_factory=list)

    def add(self, field_path: str, message: str, reason: str = "FieldValueInvalid") -> None:
        self.items.append(FieldError(field_path, message, reason))

    def extend(self, errors: list[FieldError]) -> None:
        self.items.extend(errors)

    def raise_if_any(self, resource: str, name: str) -> None:
        if self.items:
            raise Invalid(resource, name, list(self.items))


class ConcurrentUpdate(Conflict):
    """The stream changed between read and write; retried unless the caller sent a version."""

    @classmethod
    def of(cls, resource: str, name: str) -> ConcurrentUpdate:
        return cls(f'Operation cannot be fulfilled on {resource} "{name}": the object has been '
                   "modified; please apply your changes to the latest version and try again",
                   kind=resource.split(".")[0], name=name)
