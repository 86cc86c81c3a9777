"""How a spec tag turns into tag events: sources, tracking, loops, conditions."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..resources.stream import TagEvent, TagReference
from .errors import FieldError
from .reference import split_image_source, split_tag_source
from .validation import invalid

IMPORT_SUCCESS = "ImportSuccess"
MAX_TRACKING_DEPTH = 50
# Our extension, as a spec tag annotation so OpenShift documents and clients carry it
# unchanged: a pinned tag moves only when a user changes its own spec (README, Pins).
PINNED = "imagestreams.dev/pinned"


def source_namespace(ref: TagReference, namespace: str) -> str:
    return (ref.from_.namespace if ref.from_ and ref.from_.namespace else namespace)


def tracked_tag(ref: TagReference | None, namespace: str, stream: str) -> str | None:
    """The same-stream tag this spec tag follows, or None: only same-stream istags are tracked."""
    source = source_stream_tag(ref, namespace, stream) if ref is not None else None
    if source is None or source[:2] != (namespace, stream):
        return None
    return source[2]


def source_stream_tag(ref: TagReference, namespace: str, stream: str
                      ) -> tuple[str, str, str] | None:
    """(namespace, stream, tag) of an ImageStreamTag source of a spec tag of `stream`."""
    if ref.from_ is None or ref.from_.kind != "ImageStreamTag":
        return None
    parts = split_tag_source(ref.from_.name)
    if parts is None:
        return None
    return source_namespace(ref, namespace), parts[0] or stream, parts[1]


def source_stream_image(ref: TagReference, namespace: str, stream: str
                        ) -> tuple[str, str, str] | None:
    """(namespace, stream, digest or digest prefix) of an ImageStreamImage source."""
    if ref.from_ is None or ref.from_.kind != "ImageStreamImage":
        return None
    parts = split_image_source(ref.from_.name)
    if parts is None:
        return None
    return source_namespace(ref, namespace), parts[0] or stream, parts[1]


def is_reference_only(ref: TagReference) -> bool:
    return bool(ref.from_ and ref.from_.kind == "DockerImage" and ref.reference)


def needs_import(ref: TagReference) -> bool:
    return bool(ref.from_ and ref.from_.kind == "DockerImage" and not ref.reference)


def source_changed(old: TagReference | None, new: TagReference) -> bool:
    """A new or re-pointed spec tag gets the stream's next generation, and so does one sent
    with generation 0: `oc tag` and `oc import-image` send it to have the tag done again."""
    return old is None or new.generation == 0 or not old.source_equal(new)


def is_pinned(ref: TagReference | None) -> bool:
    return bool(ref is not None and ref.annotations and ref.annotations.get(PINNED) == "true")


def only_pin_changed(old: TagReference | None, new: TagReference) -> bool:
    """Whether `new` pins or unpins `old` and changes nothing else: the tag stays where it is
    rather than being resolved or imported again as a changed source would be."""
    if old is None or new.generation == 0 or is_pinned(old) == is_pinned(new):
        return False
    return _without_pin(old).source_equal(_without_pin(new))


def _without_pin(ref: TagReference) -> TagReference:
    annotations = {k: v for k, v in (ref.annotations or {}).items() if k != PINNED}
    return ref.model_copy(update={"annotations": annotations or None})


def with_generation(ref: TagReference, generation: int | None) -> TagReference:
    return ref.model_copy(update={"generation": generation})


def reference_event(ref: TagReference, now: datetime) -> TagEvent:
    """`reference: true` records the pull spec at once, with no image."""
    assert ref.from_ is not None
    return TagEvent(created=now, docker_image_reference=ref.from_.name, image="",
                    generation=ref.generation or 0)


def copied_event(source: TagEvent, generation: int, now: datetime) -> TagEvent:
    return TagEvent(created=now, docker_image_reference=source.docker_image_reference,
                    image=source.image, generation=generation)


def cycle_error(tag: str, stream: str, spec_of: Callable[[str], TagReference | None],
                namespace: str, field: str, first_source: str) -> FieldError | None:
    """Follow same-stream sources from `first_source`; an error if the chain returns to `tag`."""
    current: str | None = first_source
    seen: set[str] = set()
    depth = 0
    while current is not None:
        if current == tag or current in seen:
            return invalid(field, f"{stream}:{first_source}", "reference tag is circular")
        depth += 1
        if depth > MAX_TRACKING_DEPTH:
            return invalid(field, f"{stream}:{first_source}",
                           f"tracking chains are limited to {MAX_TRACKING_DEPTH} tags")
        seen.add(current)
        current = tracked_tag(spec_of(current), namespace, stream)
    return None
