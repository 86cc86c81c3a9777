"""The distribution reference grammar (docker/distribution `reference`), as OpenShift parses it.

isctl has its own copy (isctl/src/isctl/references.py): it installs without this package,
and the Lambda package without isctl. tests/test_reference_corpus.py runs one corpus of
references, distribution's own test cases among them, through both parsers and fails on
any difference. Where both differ from distribution's parser it is on purpose, and each
such case is in the corpus with its reason:

- a digest is checked against the grammar only (an algorithm, then 32 or more hex digits),
  not against go-digest's registered algorithms and their lengths: OpenShift's examples
  use shortened digests. It is at most MAX_DIGEST_LENGTH characters long;
- the 255-character bound covers the whole name, registry included, as OpenShift counts
  it (distribution now counts the path alone);
- a first component with capitals and no '.', ':' or 'localhost' is refused as not
  lowercase, where distribution takes it for a registry host and OpenShift for a namespace;
- a first component that names a registry by that rule must be a valid host
  (`foo_bar.com/app` is refused, where distribution reads `foo_bar.com` as a path component);
- a malformed digest is "invalid checksum digest format" here; distribution and isctl (as
  oc) say "invalid reference format".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|{_IPV6})"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
TAG = r"[\w][\w.-]{0,127}"
# At most MAX_DIGEST_LENGTH characters (sha512's are 135): DynamoDB keys images by digest
# and refuses a key over 1024 bytes. The grammar itself sets no bound.
MAX_DIGEST_LENGTH = 255
DIGEST = (rf"(?=.{{0,{MAX_DIGEST_LENGTH}}}\Z)"
          r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")

_PATH_RE = re.compile(rf"{PATH_COMPONENT}(?:/{PATH_COMPONENT})*")
_DOMAIN_RE = re.compile(_DOMAIN)
TAG_RE = re.compile(TAG, re.ASCII)  # \w as in Go: [0-9A-Za-z_] only
DIGEST_RE = re.compile(DIGEST)
# Stream names use the stricter legacy component grammar: one separator, no "__" or "--".
STREAM_NAME_RE = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
MAX_REPOSITORY_LENGTH = 255


class InvalidReference(ValueError):
    """A string that is not a valid image reference; the message says why."""


@dataclass(frozen=True)
class DockerImageReference:
    registry: str  # "" when the reference names no registry (Docker Hub implied)
    repository: str  # path after the registry, e.g. "library/python" or "centos/python-35"
    tag: str = ""
    digest: str = ""

    @property
    def exact(self) -> str:
        """The reference as written canonically: registry/repo[:tag][@digest]."""
        text = f"{self.registry}/{self.repository}" if self.registry else self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def docker_client_defaults(self) -> DockerImageReference:
        """`python:3.6` means `docker.io/library/python:3.6`, as the docker client reads it."""
        registry = self.registry or DOCKER_HUB
        repository = self.repository
        if registry == DOCKER_HUB and "/" not in repository:
            repository = f"library/{repository}"
        return DockerImageReference(registry, repository, self.tag, self.digest)

    def with_digest(self, digest: str) -> DockerImageReference:
        return DockerImageReference(self.registry, self.repository, "", digest)


def _looks_like_registry(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost"


def parse_reference(text: str) -> DockerImageReference:
    """Parse `[registry/]repository[:tag][@digest]`, raising InvalidReference with the reason."""
    if not text:
        raise InvalidReference("repository name must have at least one component")
    remainder, digest = text, ""
    if "@" in remainder:
        remainder, digest = remainder.split("@", 1)
        if not DIGEST_RE.fullmatch(digest):
            raise InvalidReference("invalid checksum digest format")
    tag = ""
    last_slash = remainder.rfind("/")
    colon = remainder.rfind(":")
    if colon > last_slash:
        remainder, tag = remainder[:colon], remainder[colon + 1 :]
        if not TAG_RE.fullmatch(tag):
            raise InvalidReference("invalid reference format")
    registry, path = "", remainder
    first, sep, rest = remainder.partition("/")
    if sep and _looks_like_registry(first):
        if not _DOMAIN_RE.fullmatch(first):
            raise InvalidReference("invalid reference format")
        registry, path = first, rest
    if not _PATH_RE.fullmatch(path):
        if path.lower() != path and _PATH_RE.fullmatch(path.lower()):
            raise InvalidReference("repository name must be lowercase")
        raise InvalidReference("invalid reference format")
    if len(registry) + len(path) + (1 if registry else 0) > MAX_REPOSITORY_LENGTH:
        raise InvalidReference(f"repository name must not be more than {MAX_REPOSITORY_LENGTH} "
                             "characters")
    return DockerImageReference(registry, path, tag, digest)


def split_stream_tag(name: str) -> tuple[str, str] | None:
    """`stream:tag` → (stream, tag); None unless exactly one `:` with both sides set and no `@`."""
    if "@" in name or name.count(":") != 1:
        return None
    stream, tag = name.split(":")
    return (stream, tag) if stream and tag else None


def split_stream_image(name: str) -> tuple[str, str] | None:
    """`stream@digest` → (stream, digest-or-prefix); None unless exactly one `@`."""
    if name.count("@") != 1:
        return None
    stream, image = name.split("@")
    return (stream, image) if stream and image else None


# A spec tag's `from.name` may leave the stream out: `<tag>` and `<id>` name the stream
# holding the spec tag (openshift-apiserver's parseFromReference). "" stands for it here.
def split_tag_source(name: str) -> tuple[str, str] | None:
    """An ImageStreamTag source: `stream:tag` → (stream, tag), `tag` → ("", tag)."""
    if name and "@" not in name and ":" not in name:
        return "", name
    return split_stream_tag(name)


def split_image_source(name: str) -> tuple[str, str] | None:
    """An ImageStreamImage source: `stream@id` → (stream, id), `id` → ("", id)."""
    if name and "@" not in name:
        return "", name
    return split_stream_image(name)
