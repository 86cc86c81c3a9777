"""Image references as oc reads them (library-go's DockerImageReference over the
distribution grammar), and image stream tag and image names.

The server parses references with its own copy of this grammar (chalicelib/domain/
reference.py: isctl installs without the server's code, and the server's package without
isctl's). tests/test_reference_corpus.py runs one corpus, distribution's test cases among
it, through both and fails on any difference, so change the two together.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

_ALNUM = r"[a-z0-9]+"
# One or more dashes: with `[-]*` the empty separator made the component pattern nested
# repetition, which backtracks for hours on a long name with a stray character at its end.
_SEPARATOR = r"(?:[._]|__|[-]+)"
_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6 = r"\[[a-fA-F0-9:]+\]"  # distribution's: no zone, no dotted IPv4 tail
_HOST = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|{_IPV6})"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_PATH = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_REGISTRY = re.compile(rf"{_HOST}(?::[0-9]+)?")
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)  # \w as in Go: [0-9A-Za-z_] only
DIGEST = re.compile(_DIGEST)  # use with fullmatch
# The server refuses a longer digest (it keys images by digest, and DynamoDB keys are at
# most 1024 bytes), so isctl does too rather than send a request that cannot succeed.
DIGEST_MAX = 255
NAME_MAX = 255


class InvalidReference(ValueError):
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
            return f"{self.name}{'@' if DIGEST.fullmatch(self.id) else ':'}{self.id}"
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

    def with_(self, **changes: str) -> ImageReference:
        return replace(self, **changes)


def parse_reference(spec: str) -> ImageReference:
    """Split a pull spec, `[registry/]name[:tag][@digest]`: the registry is the first part
    when it has '.' or ':' or is localhost (and must then be a valid host), the namespace
    the next part, the name the rest. Raises InvalidReference with oc's words."""
    if not spec:
        raise InvalidReference("repository name must have at least one component")
    remainder, _, digest = spec.partition("@")
    if "@" in spec and (len(digest) > DIGEST_MAX or not DIGEST.fullmatch(digest)):
        raise InvalidReference("invalid reference format")
    tag = ""
    if remainder.rfind(":") > remainder.rfind("/"):
        remainder, _, tag = remainder.rpartition(":")
        if not _TAG.fullmatch(tag):
            raise InvalidReference("invalid reference format")
    registry, path = "", remainder
    first, slash, rest = remainder.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        if not _REGISTRY.fullmatch(first):
            raise InvalidReference("invalid reference format")
        registry, path = first, rest
    if not _PATH.fullmatch(path):
        if path.lower() != path and _PATH.fullmatch(path.lower()):
            raise InvalidReference("repository name must be lowercase")
        raise InvalidReference("invalid reference format")
    if len(remainder) > NAME_MAX:
        raise InvalidReference(f"repository name must not be more than {NAME_MAX} characters")
    namespace, name = path.split("/", 1) if "/" in path else ("", path)
    return ImageReference(registry, namespace, name, tag, digest)


def split_stream_tag(name: str) -> tuple[str, str] | None:
    """`stream:tag` → (stream, tag); None unless there is exactly one ':' with both sides set."""
    if "@" in name or name.count(":") != 1:
        return None
    stream, tag = name.split(":")
    return (stream, tag) if stream and tag else None


def split_tag_source(name: str, own_stream: str) -> tuple[str, str] | None:
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
        raise InvalidReference(f'invalid image stream "{name}"')
    if not parts[0]:
        raise InvalidReference(f'invalid namespace "" for image stream "{name}"')
    if not parts[1]:
        raise InvalidReference(f'invalid name "" for image stream "{name}"')
    return parts[0], parts[1]
