"""Image references as oc reads them (library-go's DockerImageReference over the
distribution grammar), and image stream tag and image names."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Optional

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]*)"
_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?$")
DIGEST = re.compile(rf"^{_DIGEST}$")
NAME_MAX = 255


class ReferenceError(ValueError):
    pass


@dataclass(frozen=True)
class ImageReference:
    registry: str = ""
    namespace: str = ""
    name: str = ""
    tag: str = ""
    id: str = ""

    def name_string(self) -> str:
        """name:tag, name@digest or name; the tag wins when both are set (as in library-go)."""
        if not self.name:
            return ""
        if self.tag:
            return f"{self.name}:{self.tag}"
        if self.id:
            return f"{self.name}{'@' if DIGEST.match(self.id) else ':'}{self.id}"
        return self.name

    def exact(self) -> str:
        """Only the fields that are set, without defaults (oc's DockerImageReferenceExact)."""
        name = self.name_string()
        if not name:
            return ""
        prefix = f"{self.registry}/" if self.registry else ""
        if self.namespace:
            prefix += f"{self.namespace}/"
        return prefix + name

    def with_(self, **changes: str) -> "ImageReference":
        return replace(self, **changes)


def parse_reference(spec: str) -> ImageReference:
    """Split a pull spec: registry when the first part has '.' or ':' or is localhost,
    then namespace (the next part) and name (the rest)."""
    match = _REFERENCE.match(spec)
    if not match:
        if not spec:
            raise ReferenceError("repository name must have at least one component")
        if _REFERENCE.match(spec.lower()):
            raise ReferenceError("repository name must be lowercase")
        raise ReferenceError("invalid reference format")
    name, tag, digest = match.group(1), match.group(2) or "", match.group(3) or ""
    if len(name) > NAME_MAX:
        raise ReferenceError(f"repository name must not be more than {NAME_MAX} characters")
    registry = ""
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, name = first, rest
    namespace = ""
    if "/" in name:
        namespace, name = name.split("/", 1)
    return ImageReference(registry, namespace, name, tag, digest)


def split_stream_tag(name: str) -> Optional[tuple[str, str]]:
    """`stream:tag` → (stream, tag); None unless there is exactly one ':' with both sides set."""
    if "@" in name or name.count(":") != 1:
        return None
    stream, tag = name.split(":")
    return (stream, tag) if stream and tag else None


def split_tag_source(name: str, own_stream: str) -> Optional[tuple[str, str]]:
    """A spec tag's ImageStreamTag `from.name` → (stream, tag): `stream:tag`, or a bare `tag`
    of the stream holding the spec tag (openshift-apiserver's parseFromReference, which
    OpenShift's sample streams rely on). None when it is neither."""
    if name and ":" not in name and "@" not in name:
        return own_stream, name
    return split_stream_tag(name)


def split_namespaced(name: str, default_namespace: str) -> tuple[str, str]:
    """`ns/name` → (ns, name); a bare name is in the default namespace (oc's parseStreamName)."""
    if "/" not in name:
        return default_namespace, name
    parts = name.split("/")
    if len(parts) != 2:
        raise ReferenceError(f'invalid image stream "{name}"')
    if not parts[0]:
        raise ReferenceError(f'invalid namespace "" for image stream "{name}"')
    if not parts[1]:
        raise ReferenceError(f'invalid name "" for image stream "{name}"')
    return parts[0], parts[1]
