"""The stages of an image prune run, each a bounded part of one step (services/pruning.py).

A step spends at most STEP_REQUESTS store and registry requests, then its run is saved
with the place each stage reached (`cursor`), so a step cut short is done again from there:
everything written is idempotent (keep-set items), conditioned (a stream's commit on its
version) or gone when read again (a deleted image is not listed twice), so nothing counts
twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..domain.errors import ConcurrentUpdate
from ..domain.history import shown_events
from ..domain.pruning import (
    DONE,
    IMAGES,
    REGISTRY,
    KeptBlock,
    PruneRun,
    pruned_tag,
)
from ..domain.records import StreamRecord, TagRecord
from ..domain.tags import is_pinned
from ..registry.manifests import DOCKER_LIST, OCI_INDEX
from .ports import ChangeSet, HistoryPrune, PrunableRegistry, PruneRuns, StreamStore, stream_key

STEP_REQUESTS = 40  # a few dozen requests: about a second
STREAMS_PAGE = 20
HISTORY_PAGE = 100
IMAGES_PAGE = 50
# A commit writes the stream, and per tag its item and its cleanup mark: within 100 writes.
TAGS_PER_COMMIT = 40
INDEX_TYPES = (DOCKER_LIST, OCI_INDEX)


@dataclass
class Step:
    """One step's work on a run: its budget, what it found, and where it got to."""

    run: PruneRun
    store: StreamStore
    runs: PruneRuns
    cursor: dict[str, Any]
    spent: int = 0
    scanned: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    _keep: set[str] = field(default_factory=set)

    @property
    def has_budget(self) -> bool:
        return self.spent < STEP_REQUESTS

    def spend(self, requests: int = 1) -> None:
        self.spent += requests

    def count(self, counters: dict[str, int], key: str, amount: int = 1) -> None:
        counters[key] = counters.get(key, 0) + amount

    def keep(self, digests: set[str]) -> None:
        self._keep |= {digest for digest in digests if digest}

    def flush(self) -> None:
        if self._keep:
            self.runs.keep(self.run.name, self._keep)
            self.spend()
            self._keep = set()

    def kept(self, digests: set[str]) -> set[str]:
        if not digests:
            return set()
        self.flush()
        self.spend()
        return self.runs.kept(self.run.name, digests)

    def next_stage(self, stage: str) -> None:
        self.run = replace(self.run, stage=stage)
        self.cursor = {}


# -- Streams: the keep set, and each tag's history cut below its kept block

def streams_stage(step: Step) -> None:
    while step.has_budget:
        page = step.store.list_all_streams(STREAMS_PAGE, step.cursor.get("after"))
        step.spend()
        for record in page.items:
            if not step.has_budget or not _stream(step, record):
                return
            step.cursor = {"after": stream_key(record.namespace, record.name)}
            step.count(step.scanned, "streams")
        if page.after is None:
            step.next_stage(IMAGES)
            return
        step.cursor = {"after": page.after}


def _stream(step: Step, record: StreamRecord) -> bool:
    """Walk one stream's tags; False when the step stopped inside it (the cursor says where)."""
    run, store = step.run, step.store
    snapshot = store.load_stream(record.namespace, record.name)
    step.spend()
    if snapshot is None:
        return True  # deleted since it was listed
    partial = step.cursor.get("partial") or {}
    if partial.get("version") != snapshot.stream.version:
        partial = {}  # written meanwhile: its tags are read again
    cuts: dict[str, int] = dict(partial.get("cuts", {}))
    walking = partial.get("walk") or {}
    for name in sorted(set(snapshot.tags) - set(cuts)):
        tag = snapshot.tags[name]
        block = KeptBlock(tag, is_pinned(tag.spec), run.spec.keep_tag_revisions, run.threshold)
        if walking.get("tag") == name:
            block.index = walking["index"]
        else:
            block.walk(shown_events(tag))
        while not block.done:
            if not step.has_budget:
                step.keep(block.digests)
                step.cursor = {**step.cursor, "partial": {
                    "version": snapshot.stream.version, "cuts": cuts,
                    "walk": {"tag": name, "index": block.index}}}
                return False
            page = store.history_page(record.namespace, record.name, tag, HISTORY_PAGE,
                                      block.next_before)
            step.spend()
            if not page.events:
                break  # shorter than its sequence numbers say: nothing below to cut
            block.walk(page.events)
        step.keep(block.digests)
        cuts[name] = block.cut or 0
    step.count(step.scanned, "tags", len(snapshot.tags))
    if run.spec.in_scope(record.namespace):
        return _cut(step, snapshot.stream, snapshot.tags, {
            name: cut for name, cut in cuts.items() if cut > snapshot.tags[name].pruned_to})
    return True


def _cut(step: Step, record: StreamRecord, tags: dict[str, TagRecord],
         cuts: dict[str, int]) -> bool:
    """Cut the tags' histories (only count, in a dry run); False when a commit lost a race
    (the stream is walked again in the next step)."""
    if step.run.spec.dry_run:
        step.count(step.removed, "historyEvents",
                   sum(cut - tags[name].pruned_to for name, cut in cuts.items()))
        return True
    names = sorted(cuts)
    for start in range(0, len(names), TAGS_PER_COMMIT):
        chunk = names[start:start + TAGS_PER_COMMIT]
        new = record.bumped()
        changes = ChangeSet(
            stream=new, expected_version=record.version,
            put_tags=[pruned_tag(tags[name], cuts[name]) for name in chunk],
            prune_history=[HistoryPrune(name, tags[name].incarnation, cuts[name])
                           for name in chunk])
        step.spend()
        try:
            step.store.commit(changes)
        except ConcurrentUpdate:
            step.cursor = {key: value for key, value in step.cursor.items() if key != "partial"}
            return False
        step.count(step.removed, "historyEvents",
                   sum(cuts[name] - tags[name].pruned_to for name in chunk))
        record = new
    return True


# -- Images: index children kept with their index, then Image items out of use deleted

def images_stage(step: Step) -> None:
    run = step.run
    while step.has_budget:
        phase = step.cursor.get("pass", "expand")
        page = step.store.list_images(IMAGES_PAGE, step.cursor.get("after"))
        step.spend()
        if phase == "expand":
            step.count(step.scanned, "images", len(page.items))
            indexes = {image.metadata.name or "": image for image in page.items
                       if image.docker_image_manifests}
            for digest in step.kept(set(indexes)):
                step.keep({child.digest for child in indexes[digest].docker_image_manifests or ()})
        elif not _delete_images(step, page.items):
            return
        if page.after is not None:
            step.cursor = {"pass": phase, "after": page.after}
        elif phase == "expand" and run.spec.namespaces is None:
            step.cursor = {"pass": "delete"}
        else:
            if run.spec.namespaces is not None:
                step.run = run.noted("Image items are cluster-scoped: a run limited to "
                                     "namespaces deletes none")
            step.next_stage(REGISTRY if run.spec.prune_registry else DONE)
            return


def _delete_images(step: Step, images: list[Any]) -> bool:
    """Delete (count, in a dry run) the page's images out of use and older than the
    threshold; False when the budget ran out (the cursor is the last one done)."""
    kept = step.kept({image.metadata.name or "" for image in images})
    for image in images:
        digest = image.metadata.name or ""
        created = image.metadata.creation_timestamp
        if digest not in kept and created is not None and created < step.run.threshold:
            if not step.has_budget:
                return False
            if step.run.spec.dry_run:
                step.count(step.removed, "images")
            else:
                step.spend()
                step.count(step.removed, "images", int(step.store.delete_image(digest)))
        step.cursor = {"pass": "delete", "after": digest}
    return True


# -- Registry: each in-scope stream's ECR repository, images out of use deleted

def registry_stage(step: Step, registry: PrunableRegistry | None, prefix: str) -> None:
    if registry is None:
        step.run = step.run.noted("no ECR registry is configured: the registry stage "
                                  "removed nothing")
        step.next_stage(DONE)
        return
    while step.has_budget:
        page = step.store.list_all_streams(STREAMS_PAGE, step.cursor.get("after"))
        step.spend()
        for record in page.items:
            if step.run.spec.in_scope(record.namespace):
                repository = f"{prefix}{record.namespace}/{record.name}"
                if not _repository(step, registry, repository):
                    return
            step.cursor = {"after": stream_key(record.namespace, record.name)}
        if page.after is None:
            step.next_stage(DONE)
            return
        step.cursor = {"after": page.after}


def _repository(step: Step, registry: PrunableRegistry, repository: str) -> bool:
    """Two passes over the repository: the manifests its kept indexes list join the keep
    set, then what is out of use and older than the threshold goes. False when the budget
    ran out (the cursor holds the pass and its page token)."""
    place = step.cursor.get("repository") or {}
    if place.get("name") != repository:
        place = {"name": repository, "pass": "indexes", "token": None}
    while True:
        if not step.has_budget:
            step.cursor = {**step.cursor, "repository": place}
            return False
        found, token = registry.images_page(repository, place["token"])
        step.spend()
        if place["pass"] == "indexes":
            step.count(step.scanned, "registryImages", len(found))
            kept = step.kept({image.digest for image in found if image.media_type in INDEX_TYPES})
            if kept:
                step.spend()
                step.keep(registry.index_children(repository, sorted(kept)))
        elif _delete_registry_images(step, registry, repository, found):
            token = place["token"]  # read the page again: what was deleted left it
        if token is None:
            if place["pass"] == "delete":
                return True
            place = {**place, "pass": "delete", "token": None}
        else:
            place = {**place, "token": token}


def _delete_registry_images(step: Step, registry: PrunableRegistry, repository: str,
                            found: list[Any]) -> bool:
    """Delete (count, in a dry run) the page's images out of use; True if any went."""
    kept = step.kept({image.digest for image in found})
    going = {image.digest: image.size for image in found
             if image.digest not in kept and image.pushed_at < step.run.threshold}
    if not going:
        return False
    if step.run.spec.dry_run:
        step.count(step.removed, "registryImages", len(going))
        step.count(step.removed, "registryBytes", sum(going.values()))
        return False
    step.spend()
    deleted = registry.delete(repository, sorted(going))
    step.count(step.removed, "registryImages", len(deleted))
    step.count(step.removed, "registryBytes", sum(going[digest] for digest in deleted))
    return bool(deleted)
