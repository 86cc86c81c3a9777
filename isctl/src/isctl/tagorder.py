"""Tag order and aliases as oc shows them: latest, then versions descending, then the rest."""
from __future__ import annotations

import re
from functools import cmp_to_key
from typing import Any

from .references import split_tag_source

_NUM = r"(?:0|[1-9]\d*)"
_IDENT = r"[0-9A-Za-z-]+"
_SEMVER = re.compile(rf"^({_NUM})\.({_NUM})\.({_NUM})(?:-({_IDENT}(?:\.{_IDENT})*))?"
                     rf"(?:\+{_IDENT}(?:\.{_IDENT})*)?$")
_MINOR = re.compile(r"^\d+\.\d+$")
_MINOR_WITH_PATCH = re.compile(r"^(\d+\.\d+)-\w+$")

LATEST, MINOR, FULL, OTHER = range(4)


def _semver(text: str) -> tuple | None:
    match = _SEMVER.match(text)
    if not match:
        return None
    pre = match.group(4)
    pre_key: tuple = ()
    if pre:
        # numeric identifiers sort below alphanumeric ones, as semver says
        pre_key = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    # a release sorts above any of its pre-releases
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)),
            0 if pre else 1, pre_key)


def _priority(tag: str) -> tuple[int, tuple | None, str]:
    if tag == "latest":
        return LATEST, None, ""
    prefix, short = ("v", tag[1:]) if tag.startswith("v") else ("", tag)
    version = _semver(short)
    if version:
        return FULL, version, prefix
    if _MINOR.match(short):
        version = _semver(short + ".0")
        if version:
            return MINOR, version, prefix
    match = _MINOR_WITH_PATCH.match(short)
    if match:
        version = _semver(short.replace(match.group(1), match.group(1) + ".0", 1))
        if version:
            return MINOR, version, prefix
    return OTHER, None, prefix


def prioritize(tags: list[str]) -> list[str]:
    """library-go's PrioritizeTags, as a sorted copy."""
    return sorted(tags, key=cmp_to_key(_compare))


def _compare(a: str, b: str) -> int:
    (pa, va, prefix_a), (pb, vb, prefix_b) = _priority(a), _priority(b)
    if pa != pb:
        return -1 if pa < pb else 1
    if pa == OTHER:
        return (a > b) - (a < b)
    if pa == LATEST:
        return 0
    assert va is not None and vb is not None  # a MINOR or FULL tag has its version
    if va != vb:  # the newer version first
        return -1 if va > vb else 1
    return (prefix_a > prefix_b) - (prefix_a < prefix_b)


def spec_tag(stream: dict[str, Any], name: str) -> dict[str, Any] | None:
    for tag in (stream.get("spec") or {}).get("tags") or []:
        if tag.get("name") == name:
            return tag
    return None


def status_tag(stream: dict[str, Any], name: str) -> dict[str, Any] | None:
    for tag in (stream.get("status") or {}).get("tags") or []:
        if tag.get("tag") == name:
            return tag
    return None


class TagReferenceError(Exception):
    pass


def tag_of_source(stream: dict[str, Any], source: dict[str, Any]) -> str:
    """The tag of `stream` that an ImageStreamTag source names, as `tag` or `stream:tag`.

    Raises TagReferenceError with "cross-stream" (another stream or namespace) or "invalid".
    """
    metadata = stream.get("metadata") or {}
    own_stream = metadata.get("name") or ""
    if source.get("namespace") and source["namespace"] != metadata.get("namespace"):
        raise TagReferenceError("cross-stream")
    parts = split_tag_source(source.get("name") or "", own_stream)
    if parts is None:
        raise TagReferenceError("invalid")
    if parts[0] != own_stream:
        raise TagReferenceError("cross-stream")
    return parts[1]


def follow(stream: dict[str, Any], tag: str) -> tuple[str, dict | None, bool]:
    """Follow same-stream ImageStreamTag sources to the tag that has a real source.

    Returns (final tag, its spec tag, whether any reference was followed); raises
    TagReferenceError with "circular", "not-found", "cross-stream" or "invalid".
    """
    seen: set[str] = set()
    multiple = False
    while True:
        if tag in seen:
            raise TagReferenceError("circular")
        seen.add(tag)
        ref = spec_tag(stream, tag)
        if ref is None:
            raise TagReferenceError("not-found")
        source = ref.get("from") or {}
        if source.get("kind") != "ImageStreamTag":
            return tag, ref, multiple
        tag = tag_of_source(stream, source)
        multiple = True
