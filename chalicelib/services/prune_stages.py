"""The stages of an image prune run, each a bounded part of one step (services/pruning.py).

A step spends at most STEP_REQUESTS store and registry requests, then its run is saved
with the place each stage reached (`cursor`), so a step cut short is done again from there:
everything written is idempotent (keep-set items) or conditioned (a stream's commit on its
version). Deletes are planned in one step (the plan saved in the cursor) and done in the
next, counting each image deleted or found gone: a step cut short after some deletes
counts them when done again, and none twice. A stream's commit ends its step, so only a
step cut short between that commit and the run's save leaves its events uncounted.
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
    UnmigratedHistory,
    pruned_tag,
)
from ..domain.records import StreamRecord, TagRecord
from ..domain.tags import is_pinned
from ..registry.manifests import DOCKER_LIST, OCI_INDEX
from .ports import ChangeSet, HistoryPrune, PrunableRegistry, PruneRuns, StreamStore, stream_key

STEP_REQUESTS = 40  # a few dozen requests: about a second
# A page of a list across the cluster reads every shard of its index (dynamodb_cluster:
# up to 16 and the images' legacy key); a stream's load is its item and its tags' Query;
# the keep set is written 25 digests a request and read 100.
LIST_REQUESTS = 17
LOAD_REQUESTS = 2
KEEP_WRITES = 25
KEEP_READS = 100
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
    ended: bool = False  # a commit ends the step: what it removed is counted at once
    # Until some work is done a step goes on past its budget: each step gets further.
    progressed: bool = False
    scanned: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    _keep: set[str] = field(default_factory=set)

    @property
    def has_budget(self) -> bool:
        return self.spent < STEP_REQUESTS or not self.progressed

    def spend(self, requests: int = 1) -> None:
        self.spent += requests

    def count(self, counters: dict[str, int], key: str, amount: int = 1) -> None:
        counters[key] = counters.get(key, 0) + amount

    def keep(self, digests: set[str]) -> None:
        self._keep |= {digest for digest in digests if digest}

    def flush(self) -> None:
        if self._keep:
            self.runs.keep(self.run.name, self._keep)
            self.spend(-(-len(self._keep) // KEEP_WRITES))
            self._keep = set()

    def kept(self, digests: set[str]) -> set[str]:
        if not digests:
            return set()
        self.flush()
        self.spend(-(-len(digests) // KEEP_READS))
        return self.runs.kept(self.run.name, digests)

    def next_stage(self, stage: str) -> None:
        self.run = replace(self.run, stage=stage)
        self.cursor = {}


# -- Streams: the keep set, and each tag's history cut below its kept block

def streams_stage(step: Step) -> None:
    while step.has_budget:
        page = step.store.list_all_streams(STREAMS_PAGE, step.cursor.get("after"))
        step.spend(LIST_REQUESTS)
        for record in page.items:
            if not step.has_budget or not _stream(step, record):
                return
            step.cursor = {"after": stream_key(record.namespace, record.name)}
            step.count(step.scanned, "streams")
            step.progressed = True
            if step.ended:
                return
        if page.after is None:
            step.next_stage(IMAGES)
            return
        step.cursor = {"after": page.after}


def _stream(step: Step, record: StreamRecord) -> bool:
    """Walk one stream's tags; False when the step stopped inside it (the cursor says where)."""
    run, store = step.run, step.store
    snapshot = store.load_stream(record.namespace, record.name)
    step.spend(LOAD_REQUESTS)
    if snapshot is None:
        return True  # deleted since it was listed
    if snapshot.unmigrated_history:
        raise UnmigratedHistory(record.namespace, record.name)
    key = stream_key(record.namespace, record.name)
    partial = step.cursor.get("partial") or {}
    if (partial.get("stream"), partial.get("version")) != (key, snapshot.stream.version):
        partial = {}  # another stream's, or written meanwhile: its tags are read again
    cuts: dict[str, int] = dict(partial.get("cuts", {}))
    walking = partial.get("walk") or {}
    for name in sorted(set(snapshot.tags) - set(cuts)):
        tag = snapshot.tags[name]
        keep_all = is_pinned(tag.spec) or not run.spec.in_scope(record.namespace)
        block = KeptBlock(tag, keep_all, run.spec.keep_tag_revisions, run.threshold)
        if walking.get("tag") == name:
            block.index = walking["index"]
        else:
            block.walk(shown_events(tag))
        while not block.done:
            if not step.has_budget:
                step.keep(block.digests)
                step.cursor = {**step.cursor, "partial": {
                    "stream": key, "version": snapshot.stream.version, "cuts": cuts,
                    "walk": {"tag": name, "index": block.index}}}
                return False
            page = store.history_page(record.namespace, record.name, tag, HISTORY_PAGE,
                                      block.next_before)
            step.spend()
            if not page.events:
                break  # shorter than its sequence numbers say: nothing below to cut
            block.walk(page.events)
            step.progressed = True
        step.keep(block.digests)
        cuts[name] = block.cut or 0
    step.count(step.scanned, "tags", len(snapshot.tags))
    if run.spec.in_scope(record.namespace):
        return _cut(step, snapshot.stream, snapshot.tags, {
            name: cut for name, cut in cuts.items() if cut > snapshot.tags[name].pruned_to})
    return True


def _cut(step: Step, record: StreamRecord, tags: dict[str, TagRecord],
         cuts: dict[str, int]) -> bool:
    """Cut the tags' histories (only count, in a dry run). A commit ends the step; False
    when tags are left for another commit, or a commit lost a race: the stream is walked
    again in the next step (a tag cut already has nothing left to cut)."""
    if step.run.spec.dry_run:
        step.count(step.removed, "historyEvents",
                   sum(cut - tags[name].pruned_to for name, cut in cuts.items()))
        return True
    if not cuts:
        return True
    chunk = sorted(cuts)[:TAGS_PER_COMMIT]
    changes = ChangeSet(
        stream=record.bumped(), expected_version=record.version,
        put_tags=[pruned_tag(tags[name], cuts[name]) for name in chunk],
        prune_history=[HistoryPrune(name, tags[name].incarnation, cuts[name])
                       for name in chunk])
    step.spend()
    step.ended = True
    step.cursor = {key: value for key, value in step.cursor.items() if key != "partial"}
    try:
        step.store.commit(changes)
    except ConcurrentUpdate:
        return False
    step.count(step.removed, "historyEvents",
               sum(cuts[name] - tags[name].pruned_to for name in chunk))
    return len(cuts) == len(chunk)


# -- Images: index children kept with their index, then Image items out of use deleted

def images_stage(step: Step) -> None:
    while step.has_budget:
        if "doomed" in step.cursor:
            if not _delete_planned(step):
                return
            if step.cursor.pop("last"):
                _images_done(step)
                return
            continue
        phase = step.cursor.get("pass", "expand")
        page = step.store.list_images(IMAGES_PAGE, step.cursor.get("after"))
        step.spend(LIST_REQUESTS)
        step.progressed = True
        if phase == "expand":
            step.count(step.scanned, "images", len(page.items))
            indexes = {image.metadata.name or "": image for image in page.items
                       if image.docker_image_manifests}
            for digest in step.kept(set(indexes)):
                step.keep({child.digest for child in indexes[digest].docker_image_manifests or ()})
        else:
            going = _out_of_use(step, page.items)
            if step.run.spec.dry_run:
                step.count(step.removed, "images", len(going))
            elif going:  # the plan is saved with the run; the next step deletes
                step.cursor = {"pass": phase, "after": page.after, "doomed": going,
                               "last": page.after is None}
                return
        if page.after is not None:
            step.cursor = {"pass": phase, "after": page.after}
        elif phase == "expand" and step.run.spec.namespaces is None:
            step.cursor = {"pass": "delete"}
        else:
            _images_done(step)
            return


def _images_done(step: Step) -> None:
    if step.run.spec.namespaces is not None:
        step.run = step.run.noted("Image items are cluster-scoped: a run limited to "
                                  "namespaces deletes none")
    step.next_stage(REGISTRY if step.run.spec.prune_registry else DONE)


def _out_of_use(step: Step, images: list[Any]) -> list[str]:
    """The digests of the page's images out of use and created before the threshold."""
    kept = step.kept({image.metadata.name or "" for image in images})
    return [image.metadata.name for image in images
            if image.metadata.name and image.metadata.name not in kept
            and image.metadata.creation_timestamp is not None
            and image.metadata.creation_timestamp < step.run.threshold]


def _delete_planned(step: Step) -> bool:
    """Delete the planned images, counting each deleted or gone already; False when the
    budget ran out (the rest stay planned)."""
    doomed = list(step.cursor["doomed"])
    while doomed:
        if not step.has_budget:
            step.cursor = {**step.cursor, "doomed": doomed}
            return False
        step.spend()
        step.store.delete_image(doomed.pop(0))
        step.count(step.removed, "images")
        step.progressed = True
    del step.cursor["doomed"]
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
        step.spend(LIST_REQUESTS)
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
    set, then what is out of use and older than the threshold goes, a page planned in one
    step and deleted in the next (which reads the page again). False when the step ends
    inside it (the cursor holds the pass, its page token and any plan)."""
    place = step.cursor.get("repository") or {}
    if place.get("name") != repository:
        place = {"name": repository, "pass": "indexes", "token": None}
    while True:
        if not step.has_budget:
            step.cursor = {**step.cursor, "repository": place}
            return False
        doomed: dict[str, int] = step.cursor.pop("doomed", None) or {}
        if doomed:
            step.spend()
            gone = registry.delete(repository, sorted(doomed)) & set(doomed)
            step.count(step.removed, "registryImages", len(gone))
            step.count(step.removed, "registryBytes", sum(doomed[digest] for digest in gone))
        found, token = registry.images_page(repository, place["token"])
        step.spend()
        step.progressed = True
        if place["pass"] == "indexes":
            step.count(step.scanned, "registryImages", len(found))
            kept = step.kept({image.digest for image in found if image.media_type in INDEX_TYPES})
            if kept:
                step.spend()
                step.keep(registry.index_children(repository, sorted(kept)))
        else:
            going = _registry_out_of_use(step, found)
            if going and not step.run.spec.dry_run:
                step.cursor = {**step.cursor, "repository": place, "doomed": going}
                return False
            step.count(step.removed, "registryImages", len(going))
            step.count(step.removed, "registryBytes", sum(going.values()))
        if token is None:
            if place["pass"] == "delete":
                return True
            place = {**place, "pass": "delete", "token": None}
        else:
            place = {**place, "token": token}


def _registry_out_of_use(step: Step, found: list[Any]) -> dict[str, int]:
    """The page's images out of use and pushed before the threshold, with their sizes."""
    kept = step.kept({image.digest for image in found})
    return {image.digest: image.size for image in found
            if image.digest not in kept and image.pushed_at < step.run.threshold}
