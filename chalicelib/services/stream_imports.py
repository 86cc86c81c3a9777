"""ImageStreamImport: `oc import-image`. Import images or a repository's tags into a stream,
or, with `spec.import: false`, answer what would be imported without writing anything.

Also the import of a stream's spec.dockerImageRepository (`import_repository`), which
OpenShift's controller does with an ImageStreamImport of the repository. The registry client
is loaded only when a NamespaceImporter is built: stream writes use this module without one.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from ..domain.errors import FieldError, FieldErrors
from ..domain.imports import (
    REPOSITORY_CHECK,
    ImportOutcome,
    ImportSource,
    RepositorySource,
    pull_spec,
    repository_errors,
    repository_source,
    source_of,
)
from ..domain.records import StreamRecord
from ..domain.validation import (
    not_supported,
    required,
    validate_namespace,
    validate_stream_name,
    validate_tag_name,
    validate_tag_reference,
)
from ..logs import about
from ..resources.imports import (
    ImageImportSpec,
    ImageImportStatus,
    ImageStreamImport,
    ImageStreamImportStatus,
    ImportResult,
    RepositoryImportSpec,
    RepositoryImportStatus,
)
from ..resources.meta import format_time
from ..resources.meta import now as utc_now
from ..resources.stream import TagEvent, TagReference
from . import views
from .actor import Actor
from .ports import StreamStore
from .stream_write import StreamWrite, write_stream

if TYPE_CHECKING:
    from .imports import NamespaceImporter

log = logging.getLogger(__name__)

ISIMPORTS = "imagestreamimports.image.openshift.io"
CODES = {"NotFound": 404, "Unauthorized": 401, "TooManyRequests": 429, "UnsafeAddress": 403,
         "InsecureConnection": 403, "InvalidReference": 422, "Timeout": 504,
         "ConnectionFailed": 502, "ServerError": 502}


@dataclass(frozen=True)
class _Wanted:
    """One image to import; `ref` is the spec tag it sets (None: imported, not tagged)."""

    source: ImportSource
    ref: TagReference | None
    listed: bool = False  # one of a repository's tags: a failure sets no spec tag


def _result(outcome: ImportOutcome, wanted: _Wanted | None) -> ImageImportStatus:
    """One image's status; a stored image shows the pull spec of this import's source."""
    tag = wanted.ref.name if wanted and wanted.ref else None
    if not outcome.succeeded:
        return ImageImportStatus(tag=tag, status=ImportResult(
            status="Failure", reason=outcome.reason, message=outcome.message,
            code=CODES.get(outcome.reason, 500)))
    reference = wanted.source.reference if wanted else ""
    images = [image.model_copy(update={"docker_image_reference": pull_spec(
        reference, image.metadata.name or "")}) for image in outcome.images]
    return ImageImportStatus(status=ImportResult(), tag=tag, image=images[0] if images else None,
                             manifests=images[1:] or None)


class StreamImportService:
    def __init__(self, store: StreamStore, importer: NamespaceImporter, registry: str = "",
                 clock: Callable[[], datetime] = utc_now):
        self.store = store
        self.importer = importer
        self.registry = registry
        self.clock = clock

    def create(self, actor: Actor, namespace: str, body: ImageStreamImport
               ) -> ImageStreamImport:
        name = body.metadata.name or ""
        self._validate(namespace, name, body)
        self._check_sources(actor, namespace, body)
        stream = self.store.get_stream(namespace, name)
        annotations = stream.annotations if stream else {}
        images = [_wanted(spec.from_.name, spec.to.name if spec.to else None, spec,
                          annotations) for spec in body.spec.images or []]
        spec = body.spec.repository
        repository = _repository_source(spec, annotations) if spec else None
        listings, outcomes = self.importer.imports(
            namespace, {w.source for w in images}, [repository] if repository else [],
            persist=body.spec.import_)
        status = ImageStreamImportStatus(
            images=[_result(outcomes[w.source], w) for w in images] or None)
        listed: list[_Wanted] = []
        if spec is not None and repository is not None:
            listing = listings[repository]
            listed = [_Wanted(repository.tag(tag), _spec_tag(tag, f"{spec.from_.name}:{tag}",
                                                             spec), listed=True)
                      for tag in listing.tags]
            status.repository = RepositoryImportStatus(
                status=(_result(listing.failure, None).status if listing.failure
                        else ImportResult()),
                images=[_result(outcomes[w.source], w) for w in listed] or None,
                additional_tags=list(listing.additional) or None)
        if body.spec.import_:
            self._write(actor, namespace, name, images + listed, outcomes)
            snapshot = self.store.load_stream(namespace, name)
            if snapshot is not None:
                status.import_ = views.image_stream(snapshot, self.registry)
        return body.model_copy(update={"status": status})

    def _write(self, actor: Actor, namespace: str, name: str, wanted: list[_Wanted],
               outcomes: dict[ImportSource, ImportOutcome]) -> None:
        """Tag what imported, setting the spec tag as sent (as `oc import-image` does). A
        failure sets the tag's condition and keeps its image; an image's failure also sets
        the spec tag where there is none (openshift-apiserver's ensureSpecTag), so the
        import is kept for a later `oc import-image` or the schedule to retry, and never
        replaces a spec tag the stream has."""
        def plan(write: StreamWrite) -> None:
            for item in wanted:
                if item.ref is None:
                    continue
                outcome = outcomes[item.source]
                existing = write.tag(item.ref.name)
                if not outcome.succeeded and (item.listed or (existing is not None
                                              and existing.spec is not None)):
                    write.record_failure(item.ref.name, outcome, write.next_generation)
                    continue
                ref = item.ref
                if existing is not None and existing.spec is not None and not ref.annotations:
                    # As OpenShift's import sets a spec tag's source and policies only: the
                    # tag's annotations, a pin among them, stay.
                    ref = ref.model_copy(update={"annotations": existing.spec.annotations})
                # The outcome is in the write's context: set_spec applies it, failure or not.
                write.set_spec(ref, "spec.images", ISIMPORTS, name)
                current = write.tag(item.ref.name)
                if current is not None and current.spec is not None:
                    write.apply_import(item.ref.name, current.spec, outcome)

        now = self.clock()
        imports = self.importer.context(namespace)
        imports.outcomes.update(outcomes)
        record = StreamRecord(namespace=namespace, name=name, uid=str(uuid.uuid4()), created=now)
        write_stream(self.store, namespace, name, now, None, plan, actor=actor, create=record,
                     imports=imports, registry=self.registry)

    def _check_sources(self, actor: Actor, namespace: str, body: ImageStreamImport) -> None:
        """An image or repository of another namespace's stream in the integrated registry
        needs the pull right there, as its ImageStreamTag would, before anything is
        fetched: a dry run would show it as well as an import."""
        for index, spec in enumerate(body.spec.images or []):
            actor.check_import_source(spec.from_.name, namespace, self.registry,
                                      f"spec.images[{index}].from")
        if body.spec.repository is not None:
            actor.check_import_source(body.spec.repository.from_.name, namespace,
                                      self.registry, "spec.repository.from")

    def _validate(self, namespace: str, name: str, body: ImageStreamImport) -> None:
        errors = FieldErrors()
        errors.extend(validate_namespace(namespace))
        errors.extend(validate_stream_name(name, namespace))
        if body.metadata.namespace and body.metadata.namespace != namespace:
            errors.add("metadata.namespace", f'Invalid value: "{body.metadata.namespace}": the '
                       "namespace of the object does not match the namespace on the request")
        images, repository = body.spec.images or [], body.spec.repository
        if not images and repository is None:
            errors.items.append(required("spec", "you must specify at least one image or a "
                                         "repository import"))
        limit = self.importer.settings.max_repository_tags
        if len(images) > limit:
            errors.add("spec.images", f"Too many: {len(images)}: must have at most {limit} "
                       "items", "FieldValueTooMany")
        seen: set[str] = set()
        for index, spec in enumerate(images):
            field = f"spec.images[{index}]"
            if spec.to is not None:
                errors.extend(validate_tag_name(spec.to.name, f"{field}.to.name"))
                if spec.to.name in seen:
                    errors.add(f"{field}.to.name", f'Duplicate value: "{spec.to.name}"',
                               "FieldValueDuplicate")
                seen.add(spec.to.name)
            errors.extend(_source_errors(spec.from_.kind, spec.from_.name, field, spec))
        if repository is not None:
            field = "spec.repository"
            errors.extend(_source_errors(repository.from_.kind, repository.from_.name, field,
                                         repository))
            if repository.from_.kind == "DockerImage":
                errors.extend(repository_errors(repository.from_.name, f"{field}.from.name"))
        errors.raise_if_any(ISIMPORTS, name)


Spec = ImageImportSpec | RepositoryImportSpec


def _repository_source(spec: RepositoryImportSpec,
                       annotations: dict[str, str]) -> RepositorySource:
    """The repository's tags are imported as its spec imports an image: the same source."""
    return RepositorySource(**asdict(_wanted(spec.from_.name, None, spec, annotations).source))


def _spec_tag(tag: str, reference: str, spec: Spec) -> TagReference:
    return TagReference.model_validate({
        "name": tag, "from": {"kind": "DockerImage", "name": reference},
        "importPolicy": spec.import_policy.to_json(),
        "referencePolicy": spec.reference_policy.to_json()})


def _wanted(reference: str, tag: str | None, spec: Spec,
            annotations: dict[str, str]) -> _Wanted:
    ref = _spec_tag(tag or "import", reference, spec)
    source = source_of(ref, annotations)
    assert source is not None
    return _Wanted(source, ref if tag else None)


def _source_errors(kind: str, name: str, field: str, spec: Spec) -> list[FieldError]:
    if kind != "DockerImage":
        return [not_supported(f"{field}.from.kind", kind, ("DockerImage",))]
    return validate_tag_reference(_spec_tag("import", name, spec), field)


def import_repository(write: StreamWrite) -> bool:
    """Plan the import of the stream's spec.dockerImageRepository, as OpenShift's controller
    does it: at most IMPORT_MAX_TAGS of its tags, in the order of a repository import, each
    into a status tag (a spec tag of the same name imports its own source instead), and the
    time of the check in the stream's annotation, whether the repository could be listed or
    not. Until the write's context has the listing and the tags' outcomes, this only asks
    for them, and False says the write will be planned again."""
    repository = repository_source(write.stream.docker_image_repository,
                                   write.stream.annotations)
    if repository is None:
        return False
    listing = write.imports.listings.get(repository)
    if listing is None:
        write.imports.missing.add(repository)
        return False
    sources = {tag: repository.tag(tag) for tag in listing.tags}
    missing = {source for source in sources.values() if source not in write.imports.outcomes}
    if missing:
        write.imports.missing.update(missing)
        return False
    if listing.failure is not None:
        about(log, write.namespace, write.name).warning(
            "importing %s into %s/%s: %s: %s", repository.reference, write.namespace,
            write.name, listing.failure.reason, listing.failure.message)
    generation = write.next_generation if write.spec_changed else write.stream.generation
    for tag, source in sources.items():
        current = write.tag(tag)
        if current is not None and current.spec is not None:
            continue
        outcome = write.imports.outcomes[source]
        if outcome.succeeded:
            write.move(tag, TagEvent(created=write.now, docker_image_reference=outcome.reference,
                                     image=outcome.image, generation=generation))
        # Sets a failure's condition; a success clears one an earlier check left.
        write.record_failure(tag, outcome, generation)
    write.stream = replace(write.stream, annotations={**write.stream.annotations,
                                                      REPOSITORY_CHECK: format_time(write.now)})
    return True
