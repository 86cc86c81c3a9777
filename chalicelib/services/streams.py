"""ImageStream use cases: create, get, list, replace, patch, delete."""
from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..domain import tags as rules
from ..domain.changes import object_version
from ..domain.errors import AlreadyExists, ApiError, ConcurrentUpdate, FieldErrors, NotFound
from ..domain.imports import ImportContext, repository_errors
from ..domain.records import StreamRecord
from ..domain.validation import (
    MAX_NAME_LENGTH,
    names_valid,
    validate_image_stream,
    validate_namespace,
    validate_stream_name,
)
from ..logs import about
from ..resources.meta import now as utc_now
from ..resources.parse import parse_model
from ..resources.stream import ImageStream, ImageStreamList, TagReference
from . import views
from .actor import Actor
from .patching import MERGE_PATCH, apply_patch
from .ports import Importer, Repositories, StreamStore
from .stream_imports import import_repository
from .stream_write import STREAMS, StreamWrite, write_stream

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
# The lists a strategic merge patch merges by key, as OpenShift's types declare them.
STREAM_MERGE_KEYS = {"spec.tags": "name", "status.tags": "tag"}
REPOSITORY_FIELD = "spec.dockerImageRepository"


class StreamService:
    def __init__(self, store: StreamStore, registry: str = "", clock: Clock = utc_now,
                 importer: Importer | None = None,
                 repositories: Repositories | None = None):
        self.store = store
        self.registry = registry
        self.clock = clock
        self.importer = importer
        self.repositories = repositories  # the registry repository behind each new stream

    def _imports(self, namespace: str) -> ImportContext:
        return self.importer.context(namespace) if self.importer else ImportContext()

    def get(self, namespace: str, name: str) -> ImageStream:
        snapshot = self.store.load_stream(namespace, name) if names_valid(namespace, name) else None
        if snapshot is None:
            raise NotFound.of(STREAMS, name)
        return views.image_stream(snapshot, self.registry)

    def list(self, namespace: str, limit: int, after: str | None,
             selector: Callable[[dict[str, str]], bool]) -> tuple[ImageStreamList, str | None]:
        """A page of streams matching `selector`; returns the list and the key to continue after."""
        errors = FieldErrors()
        errors.extend(validate_namespace(namespace))
        errors.raise_if_any("namespaces", namespace)
        items: list[ImageStream] = []
        while len(items) < limit:
            page = self.store.list_streams(namespace, limit - len(items), after)
            for record in page.items:
                after = record.name
                if selector(record.labels):
                    items.append(views.image_stream(self.store.load_listed_stream(record),
                                                    self.registry))
            if page.after is None:
                return ImageStreamList(items=items), None
        return ImageStreamList(items=items), after

    def list_all(self, limit: int, after: str | None,
                 selector: Callable[[dict[str, str]], bool]
                 ) -> tuple[ImageStreamList, str | None]:
        """A page of the streams of every namespace matching `selector`, ordered by
        `<namespace>/<name>`; returns the list and the `<namespace>/<name>` to continue after."""
        items: list[ImageStream] = []
        while len(items) < limit:
            page = self.store.list_all_streams(limit - len(items), after)
            for record in page.items:
                if selector(record.labels):
                    items.append(views.image_stream(self.store.load_listed_stream(record),
                                                    self.registry))
            if page.after is None:
                return ImageStreamList(items=items), None
            after = page.after
        return ImageStreamList(items=items), after

    def create(self, actor: Actor, namespace: str, body: ImageStream) -> ImageStream:
        prefix = body.metadata.generate_name
        if body.metadata.name or not prefix:
            return self._create(actor, namespace, body)
        attempts_left = GENERATE_NAME_ATTEMPTS
        while True:
            named = body.model_copy(deep=True)
            named.metadata.name = generated_name(prefix)
            errors = FieldErrors()
            errors.extend(validate_stream_name(named.metadata.name, namespace,
                                               "metadata.generateName"))
            errors.raise_if_any(STREAMS, prefix)
            try:
                return self._create(actor, namespace, named)
            except AlreadyExists:
                attempts_left -= 1
                if not attempts_left:
                    raise

    def _create(self, actor: Actor, namespace: str, body: ImageStream) -> ImageStream:
        name = body.metadata.name or ""
        self._validate(namespace, body)
        if self.store.get_stream(namespace, name) is not None:
            raise AlreadyExists.of(STREAMS, name)
        now = self.clock()
        record = StreamRecord(
            namespace=namespace, name=name, uid=str(uuid.uuid4()), created=now,
            labels=dict(body.metadata.labels or {}),
            annotations=dict(body.metadata.annotations or {}),
            lookup_local=bool(body.spec.lookup_policy and body.spec.lookup_policy.local),
            docker_image_repository=body.spec.docker_image_repository or "",
        )

        if self.repositories is not None:
            # Before the stream: creating a repository is idempotent, so a failed commit
            # leaves at most an empty repository that the next create of the name reuses.
            self.repositories.ensure(namespace, name)

        imports = self._imports(namespace)
        if record.docker_image_repository:
            actor.check_import_source(record.docker_image_repository, namespace,
                                      self.registry, REPOSITORY_FIELD)
            self._schedule_repository(namespace, name, imports)

        def plan(write: StreamWrite) -> None:
            if write.expected_version is not None:
                raise AlreadyExists.of(STREAMS, name)  # created while this one was planned
            for ref in body.spec.tags or []:
                write.set_spec(ref, f"spec.tags[{ref.name}]")
            import_repository(write)

        write_stream(self.store, namespace, name, now, None, plan, actor=actor, create=record,
                     imports=imports, registry=self.registry)
        return self.get(namespace, name)

    def replace(self, actor: Actor, namespace: str, name: str, body: ImageStream
                ) -> ImageStream:
        self._check_path_name(name, body)
        self._validate(namespace, body)
        imports = self._imports(namespace)
        repository = body.spec.docker_image_repository or ""
        stored = self.store.get_stream(namespace, name) if repository else None
        if stored is not None and stored.docker_image_repository != repository:
            self._schedule_repository(namespace, name, imports)
        checked = [False]

        def plan(write: StreamWrite) -> None:
            stream = write.stream
            write.stream = replace(
                stream, labels=dict(body.metadata.labels or {}),
                annotations=dict(body.metadata.annotations or {}),
                lookup_local=bool(body.spec.lookup_policy and body.spec.lookup_policy.local),
                docker_image_repository=body.spec.docker_image_repository or "",
            )
            if (write.stream.lookup_local, write.stream.docker_image_repository) != (
                    stream.lookup_local, stream.docker_image_repository):
                write.spec_changed = True
            if write.stream.docker_image_repository != stream.docker_image_repository:
                actor.check_import_source(write.stream.docker_image_repository, namespace,
                                          self.registry, REPOSITORY_FIELD)
            wanted = {ref.name: ref for ref in body.spec.tags or []}
            snapshot = self.store.load_stream(namespace, name)
            current = [t.name for t in snapshot.tags.values() if t.spec] if snapshot else []
            for tag in current:
                if tag not in wanted:
                    write.drop_spec(tag)
            for ref in _sources_first(list(wanted.values()), namespace, name):
                write.set_spec(ref, f"spec.tags[{ref.name}]")
            # As OpenShift's controller: a repository set or changed is imported at once.
            checked[0] = (write.stream.docker_image_repository
                          != stream.docker_image_repository) and import_repository(write)

        write_stream(self.store, namespace, name, self.clock(), body.metadata.resource_version,
                     plan, actor=actor, imports=imports, registry=self.registry)
        if checked[0]:
            self._keep_repository_scheduled(namespace, name, imports)
        return self.get(namespace, name)

    def patch(self, actor: Actor, namespace: str, name: str, patch: Any,
              media_type: str = MERGE_PATCH) -> ImageStream:
        """A patch of any type kubectl sends (merge, strategic merge, JSON patch) over the
        stream's metadata and spec."""
        current = self.get(namespace, name).to_json()
        current.pop("status", None)
        current["metadata"].pop("resourceVersion", None)
        patched = apply_patch(current, patch, media_type, STREAM_MERGE_KEYS)
        body = parse_model(ImageStream, patched, STREAMS, name)
        return self.replace(actor, namespace, name, body)

    def delete(self, namespace: str, name: str, expected_version: str | None = None) -> None:
        stream = self.store.get_stream(namespace, name) if names_valid(namespace, name) else None
        if stream is None:
            raise NotFound.of(STREAMS, name)
        if expected_version is not None and object_version(expected_version) != str(stream.version):
            raise ConcurrentUpdate.of(STREAMS, name)
        self.store.delete_stream(namespace, name, stream.version)

    def _schedule_repository(self, namespace: str, name: str, imports: ImportContext) -> None:
        """Put the stream's repository in the import schedule, next due an interval from now,
        before the write that sets it: a request that stops after its commit leaves it
        scheduled all the same. A scheduled run drops the entry of a stream it read without a
        repository only while the entry's time is the one it read, so setting the time now
        keeps a run that read the stream before this write from dropping it."""
        self.store.reschedule_repository(namespace, name, None, self.clock() + imports.interval)

    def _keep_repository_scheduled(self, namespace: str, name: str,
                                   imports: ImportContext) -> None:
        """Again after a write that imported a repository: the change this request did not
        see when it first read the stream (another writer's, in between) was not scheduled
        before. The stream is written: failing now would only have the client retry what is
        done."""
        try:
            self._schedule_repository(namespace, name, imports)
        except ApiError as error:
            about(log, namespace, name).warning(
                "keeping the repository of %s/%s scheduled failed: %s", namespace, name,
                error.message)

    def _validate(self, namespace: str, body: ImageStream) -> None:
        errors = FieldErrors()
        if body.metadata.namespace and body.metadata.namespace != namespace:
            errors.add("metadata.namespace", f'Invalid value: "{body.metadata.namespace}": '
                       "the namespace of the object does not match the namespace on the request")
        errors.extend(validate_image_stream(body, namespace))
        if body.spec.docker_image_repository:
            errors.extend(repository_errors(body.spec.docker_image_repository,
                                            "spec.dockerImageRepository"))
        errors.raise_if_any(STREAMS, body.metadata.name or "")

    @staticmethod
    def _check_path_name(name: str, body: ImageStream) -> None:
        if body.metadata.name is None:
            body.metadata.name = name
        if body.metadata.name != name:
            errors = FieldErrors()
            errors.add("metadata.name", f'Invalid value: "{body.metadata.name}": '
                       "the name of the object does not match the name on the URL")
            errors.raise_if_any(STREAMS, name)


# Kubernetes' generateName: the prefix cut to leave room for a random suffix of five
# characters that spell no words (k8s.io/apiserver names.SimpleNameGenerator). A taken name
# is tried again with a new suffix, as Kubernetes does since 1.30.
GENERATED_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
GENERATED_SUFFIX_LENGTH = 5
GENERATE_NAME_ATTEMPTS = 8


def generated_name(prefix: str) -> str:
    suffix = "".join(secrets.choice(GENERATED_SUFFIX_ALPHABET)
                     for _ in range(GENERATED_SUFFIX_LENGTH))
    return prefix[:MAX_NAME_LENGTH - GENERATED_SUFFIX_LENGTH] + suffix


def _sources_first(refs: list[TagReference], namespace: str, name: str) -> list[TagReference]:
    """The body's spec tags with each same-stream source before the tags that follow it.

    Set in this order, loop checks and copies see the body's new sources, not a mix of old
    and new ones (a body re-pointing a→b into b→a was refused as circular).
    """
    by_name = {ref.name: ref for ref in refs}

    def depth(ref: TagReference) -> int:
        seen = {ref.name}
        source = rules.tracked_tag(ref, namespace, name)
        steps = 0
        while source in by_name and source not in seen:
            seen.add(source)
            steps += 1
            source = rules.tracked_tag(by_name[source], namespace, name)
        return steps

    return sorted(refs, key=depth)
