"""ImageStreamTag, ImageStreamImage and ImageStreamMapping use cases."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from ..domain.errors import (
    AlreadyExists,
    BadRequest,
    ConcurrentUpdate,
    FieldErrors,
    Invalid,
    NotFound,
    TooLarge,
)
from ..domain.imports import ImportContext
from ..domain.records import StreamRecord, StreamSnapshot, TagRecord
from ..domain.reference import DIGEST_RE, parse_reference, split_stream_image, split_stream_tag
from ..domain.validation import (
    invalid,
    names_valid,
    required,
    validate_annotations,
    validate_image,
    validate_labels,
    validate_namespace,
    validate_stream_name,
    validate_tag_name,
    validate_tag_reference,
)
from ..resources.image import Image
from ..resources.meta import ObjectMeta
from ..resources.meta import now as utc_now
from ..resources.parse import parse_model
from ..resources.stream import (
    ImageStreamImage,
    ImageStreamMapping,
    ImageStreamTag,
    ImageStreamTagList,
    TagEvent,
    TagReference,
)
from . import views
from .actor import Actor
from .patching import apply_patch
from .ports import Importer, StreamStore, stream_key
from .stream_write import STREAMS, StreamWrite, find_stream_image, write_stream

ISTAGS = "imagestreamtags.image.openshift.io"
ISIMAGES = "imagestreamimages.image.openshift.io"
MAPPINGS = "imagestreammappings.image.openshift.io"
MAX_IMAGE_BYTES = 256 * 1024
StreamRef = tuple[str, str]  # (namespace, stream)


def split_istag(name: str) -> tuple[str, str]:
    parts = split_stream_tag(name)
    if parts is None:
        raise BadRequest(f'"{name}" must be of the form <stream_name>:<tag>',
                         kind="imagestreamtags", name=name)
    return parts


class StreamTagService:
    def __init__(self, store: StreamStore, registry: str = "",
                 clock: Callable = utc_now, importer: Importer | None = None):
        self.store = store
        self.registry = registry
        self.clock = clock
        self.importer = importer

    # -- ImageStreamTag

    def get(self, namespace: str, name: str) -> ImageStreamTag:
        """The tag and its image; NotFound while the tag points at no image, as in OpenShift."""
        return self._read(namespace, name, image_required=True)

    def _read(self, namespace: str, name: str, image_required: bool) -> ImageStreamTag:
        stream_name, tag_name = split_istag(name)
        stream, tag = (self.store.get_stream_tag(namespace, stream_name, tag_name)
                       if names_valid(namespace, stream_name, tag_name) else (None, None))
        if stream is None or tag is None or (image_required and not has_image(tag)):
            raise NotFound.of(ISTAGS, name)
        image = self.store.get_image(tag.head.image) if tag.head and tag.head.image else None
        return views.image_stream_tag(stream, tag, image, self.registry)

    def list_tags(self, namespace: str, limit: int, after: str | None
                  ) -> tuple[ImageStreamTagList, str | None]:
        """Tags with an image, ordered by stream then tag; `after` is the last `stream:tag` seen."""
        errors = FieldErrors()
        errors.extend(validate_namespace(namespace))
        errors.raise_if_any("namespaces", namespace)
        resume = split_stream_tag(after) if after else None

        def streams_after(count: int, stream: StreamRef | None) -> list[StreamRecord]:
            return self.store.list_streams(namespace, count, stream[1] if stream else None).items

        return self._tags_page(limit, (namespace, *resume) if resume else None, streams_after,
                               lambda item: item.metadata.name or "")

    def list_all(self, limit: int, after: str | None
                 ) -> tuple[ImageStreamTagList, str | None]:
        """Tags with an image in every namespace, ordered by `<namespace>/<stream>` then tag;
        `after` is the last `<namespace>/<stream>:<tag>` seen."""
        def streams_after(count: int, stream: StreamRef | None) -> list[StreamRecord]:
            return self.store.list_all_streams(
                count, stream_key(*stream) if stream else None).items

        return self._tags_page(limit, _cluster_istag(after) if after else None, streams_after,
                               lambda item: f"{item.metadata.namespace}/{item.metadata.name}")

    def _tags_page(self, limit: int, resume: tuple[str, str, str] | None,
                   streams_after: Callable[[int, StreamRef | None], list[StreamRecord]],
                   continue_after: Callable[[ImageStreamTag], str]
                   ) -> tuple[ImageStreamTagList, str | None]:
        """A page of the tags with an image of the streams `streams_after` lists, in its
        order, after the tag `resume` names as (namespace, stream, tag)."""
        items: list[ImageStreamTag] = []
        last_stream = resume[:2] if resume else None
        # The resumed stream is read by name; the listed ones from the records the list read.
        resumed = (self.store.load_stream(*last_stream)
                   if last_stream and names_valid(*last_stream) else None)
        snapshots: Iterable[StreamSnapshot] = [resumed] if resumed else []
        while True:
            for snapshot in snapshots:
                namespace, stream_name = snapshot.stream.namespace, snapshot.stream.name
                for tag in sorted(snapshot.tags.values(), key=lambda t: t.name):
                    if not has_image(tag) or (resume and (namespace, stream_name) == resume[:2]
                                              and tag.name <= resume[2]):
                        continue
                    if len(items) == limit:
                        return ImageStreamTagList(items=items), continue_after(items[-1])
                    image = self.store.get_image(tag.head.image) if tag.head else None
                    items.append(views.image_stream_tag(snapshot.stream, tag, image,
                                                        self.registry))
            listed = streams_after(max(limit, 1), last_stream)
            if not listed:
                return ImageStreamTagList(items=items), None
            last_stream = (listed[-1].namespace, listed[-1].name)
            # Each loaded when reached: the page may fill before the last.
            snapshots = (self.store.load_listed_stream(record) for record in listed)

    def put(self, actor: Actor, namespace: str, name: str, body: ImageStreamTag,
            create_only: bool) -> tuple[ImageStreamTag, bool]:
        """Set the spec tag; the tag as written, and whether the tag is new.

        A body without `tag` keeps the current spec tag, with the body's annotations; its
        labels, when sent, become the stream's.
        """
        stream_name, tag_name = split_istag(name)
        sent = self._validate_istag(namespace, name, stream_name, tag_name, body)
        now = self.clock()
        created = [False]

        def plan(write: StreamWrite) -> None:
            current = write.tag(tag_name)
            existing = current.spec if current else None
            if create_only and existing is not None:
                raise AlreadyExists.of(ISTAGS, name)
            created[0] = current is None
            ref = sent or existing or (TagReference(name=tag_name) if current else None)
            if ref is None:
                raise Invalid(ISTAGS, name, [required("tag", "tag is required")])
            if body.metadata.annotations is not None or sent is None:
                # An istag's annotations are its spec tag's (kubectl annotate sends only them).
                ref = ref.model_copy(update={"annotations": body.metadata.annotations or None})
            write.set_spec(ref, "tag", ISTAGS, name)
            if body.metadata.labels is not None:
                # An istag's labels are its stream's, as OpenShift shows them (kubectl label).
                write.stream = replace(write.stream, labels=dict(body.metadata.labels))

        new_stream = StreamRecord(namespace=namespace, name=stream_name, uid=str(uuid.uuid4()),
                                  created=now)
        imports = self.importer.context(namespace) if self.importer else ImportContext()
        write_stream(self.store, namespace, stream_name, now, body.metadata.resource_version,
                     plan, actor=actor, create=new_stream, imports=imports,
                     registry=self.registry)
        return self._read(namespace, name, image_required=False), created[0]

    def patch(self, actor: Actor, namespace: str, name: str, patch: Any, media_type: str
              ) -> ImageStreamTag:
        """A patch of any type kubectl sends over the tag, written as a PUT of the result:
        its `tag` and annotations (what `kubectl annotate istag` changes)."""
        current = self.get(namespace, name).to_json()
        current["metadata"].pop("resourceVersion", None)
        patched = apply_patch(current, patch, media_type, {})  # an istag has no keyed list
        return self.put(actor, namespace, name,
                        parse_model(ImageStreamTag, patched, ISTAGS, name), create_only=False)[0]

    def delete(self, actor: Actor, namespace: str, name: str,
               expected_version: str | None = None) -> None:
        stream_name, tag_name = split_istag(name)
        if not names_valid(namespace, stream_name, tag_name):
            raise NotFound.of(ISTAGS, name)

        def plan(write: StreamWrite) -> None:
            if not write.delete(tag_name):
                raise NotFound.of(ISTAGS, name)

        try:
            write_stream(self.store, namespace, stream_name, self.clock(), expected_version, plan,
                         actor=actor)
        except NotFound as exc:
            raise NotFound.of(ISTAGS, name) from exc

    def _validate_istag(self, namespace: str, name: str, stream: str, tag: str,
                        body: ImageStreamTag) -> TagReference | None:
        errors = FieldErrors()
        if body.metadata.name is not None and body.metadata.name != name:
            errors.add("metadata.name", f'Invalid value: "{body.metadata.name}": the name of '
                       "the object does not match the name on the URL")
        if body.metadata.namespace and body.metadata.namespace != namespace:
            errors.add("metadata.namespace", f'Invalid value: "{body.metadata.namespace}": the '
                       "namespace of the object does not match the namespace on the request")
        errors.extend(validate_namespace(namespace))
        errors.extend(validate_stream_name(stream, namespace))
        errors.extend(validate_tag_name(tag, "metadata.name"))
        errors.extend(validate_annotations(body.metadata.annotations, "metadata.annotations"))
        errors.extend(validate_labels(body.metadata.labels, "metadata.labels"))
        ref = body.tag
        if ref is not None:
            if not ref.name:
                ref = ref.model_copy(update={"name": tag})
            elif ref.name != tag:
                errors.items.append(invalid("tag.name", ref.name,
                                            "must match image stream tag name"))
            errors.extend(validate_tag_reference(ref, "tag"))
        errors.raise_if_any(ISTAGS, name)
        return ref

    # -- ImageStreamImage

    def get_image(self, namespace: str, name: str) -> ImageStreamImage:
        parts = split_stream_image(name)
        if parts is None:
            raise BadRequest(f'"{name}" must be of the form <stream_name>@<id>',
                             kind="imagestreamimages", name=name)
        stream_name, wanted = parts
        stream = (self.store.get_stream(namespace, stream_name)
                  if names_valid(namespace, stream_name) and len(wanted) <= 200 else None)
        if stream is None:
            raise NotFound.of(ISIMAGES, name)
        match = find_stream_image(self.store, namespace, stream_name, wanted)
        image = self.store.get_image(match.digest)
        return views.image_stream_image(stream, match.digest, match.docker_image_reference, image)

    # -- ImageStreamMapping

    def map(self, actor: Actor, namespace: str, body: ImageStreamMapping) -> tuple[str, str]:
        """Record the image (created if absent) and move the tag and its followers."""
        name = body.metadata.name or ""
        image = self._mapped_image(namespace, body)
        if self.store.get_stream(namespace, name) is None:
            raise NotFound.of(STREAMS, name)  # before recording the image: nothing half-done
        now = self.clock()
        self.store.put_image(image.model_copy(update={
            "metadata": ObjectMeta(name=image.metadata.name, creation_timestamp=now,
                                   labels=image.metadata.labels,
                                   annotations=image.metadata.annotations),
        }))

        first_head: list = []  # the tag's items[0] when first planned

        def plan(write: StreamWrite) -> None:
            current = write.tag(body.tag)
            head = current.head if current else None
            if first_head and first_head[0] is not None and head != first_head[0]:
                # Retried after a conflict, but someone moved this tag meanwhile: as in
                # OpenShift, only retry while the tag's head is unchanged.
                raise ConcurrentUpdate.of(STREAMS, name)
            first_head.append(head)
            event = TagEvent(created=now, docker_image_reference=image.docker_image_reference or "",
                             image=image.metadata.name or "", generation=write.stream.generation)
            write.move(body.tag, event)

        write_stream(self.store, namespace, name, now, None, plan, actor=actor)
        return name, body.tag

    def _mapped_image(self, namespace: str, body: ImageStreamMapping) -> Image:
        errors = FieldErrors()
        name = body.metadata.name or ""
        if body.metadata.namespace and body.metadata.namespace != namespace:
            errors.add("metadata.namespace", f'Invalid value: "{body.metadata.namespace}": the '
                       "namespace of the object does not match the namespace on the request")
        errors.extend(validate_namespace(namespace))
        errors.extend(validate_stream_name(name, namespace))
        errors.extend(validate_tag_name(body.tag, "tag"))
        image = body.image
        repository = views.repository_of(namespace, name, self.registry)
        if (repository and not image.docker_image_reference and names_valid(namespace, name)
                and DIGEST_RE.fullmatch(image.metadata.name or "")):
            # A push to the integrated registry: the image is pulled from this stream.
            image = image.model_copy(update={
                "docker_image_reference": f"{repository}@{image.metadata.name}"})
        if not image.metadata.name and image.docker_image_reference:
            # A registry may send only the pull spec; the image is named by its digest.
            digest = _digest_of(image.docker_image_reference)
            if digest:
                image = image.model_copy(update={"metadata": image.metadata.model_copy(
                    update={"name": digest})})
        errors.extend(validate_image(image))
        errors.raise_if_any(MAPPINGS, name)
        size = len(image.model_dump_json(by_alias=True, exclude_none=True).encode())
        if size > MAX_IMAGE_BYTES:
            raise TooLarge(f"image {image.metadata.name} metadata is {size} bytes; images are "
                           f"limited to {MAX_IMAGE_BYTES} bytes")
        return image


def _cluster_istag(after: str) -> tuple[str, str, str]:
    """`<namespace>/<stream>:<tag>` → (namespace, stream, tag); BadRequest otherwise."""
    namespace, _, name = after.partition("/")
    parts = split_stream_tag(name)
    if not namespace or parts is None:
        raise BadRequest("continue key is not valid")
    return (namespace, *parts)


def has_image(tag: TagRecord) -> bool:
    """Whether the tag points at an image: a reference-only tag has a pull spec and none."""
    return tag.head is not None and bool(tag.head.image)


def _digest_of(reference: str) -> str | None:
    try:
        digest = parse_reference(reference).digest
    except ValueError:
        return None
    return digest if digest and DIGEST_RE.fullmatch(digest) else None
