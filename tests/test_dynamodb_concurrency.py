"""Concurrent mappings of one tag through the DynamoDB store: nothing lost, nothing twice.

moto does not make a request atomic under threads (see atomic_requests): without the lock
this test fails inside moto itself, with "dictionary changed size during iteration" and
with successful writes later undone by another request's rollback. The lock serialises
single requests only, so each thread's read-plan-commit cycle still races the others and
only the store's conditional commit keeps the tag's history whole.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.resources.stream import ImageStream, ImageStreamMapping
from chalicelib.services.actor import SERVICE
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService
from testbed.dynamodb import atomic_requests, mocked_table

from .contract.builders import NS
from .contract.builders import history as read_history

THREADS, MOVES = 8, 5
ATTEMPTS = 200  # per mapping; a lost race is a ConcurrentUpdate the caller retries


def mapping(digest: str) -> ImageStreamMapping:
    return ImageStreamMapping.model_validate({
        "metadata": {"name": "app"}, "tag": "latest",
        "image": {"dockerImageReference": f"registry.test/{NS}/app@{digest}"}})


def test_concurrent_mappings_of_one_tag_lose_nothing() -> None:
    with mocked_table(stream=False) as table, atomic_requests():
        store = table.store()
        StreamService(store).create(SERVICE, NS, ImageStream.model_validate({"metadata": {"name": "app"}}))
        service = StreamTagService(store)
        start = threading.Barrier(THREADS)

        def mover(thread: int) -> list[str]:
            """Map MOVES images one after the other; the ones that went in, in order."""
            start.wait()
            mapped = []
            for move in range(MOVES):
                digest = "sha256:" + f"{thread:02x}{move:02x}".ljust(64, "0")
                for _ in range(ATTEMPTS):
                    try:
                        service.map(SERVICE, NS, mapping(digest))
                    except ConcurrentUpdate:
                        continue
                    mapped.append(digest)
                    break
            return mapped

        with ThreadPoolExecutor(THREADS) as pool:
            per_thread = list(pool.map(mover, range(THREADS)))

        mapped = [digest for digests in per_thread for digest in digests]
        tag = store.get_tag(NS, "app", "latest")
        assert tag is not None
        history = read_history(store, tag, page=500)
        images = [event.image for event in history]
        assert len(mapped) == THREADS * MOVES
        assert sorted(images) == sorted(mapped)  # each mapped image exactly once
        assert tag.head == history[0] and tag.head_seq == len(history)
        for digests in per_thread:  # a thread's later mapping is the newer event
            assert sorted(digests, key=images.index, reverse=True) == digests
        generations = [event.generation for event in history]
        assert generations == sorted(generations, reverse=True)
        stream = store.get_stream(NS, "app")
        assert stream is not None and stream.version == 1 + len(mapped)
        index = store.find_images(NS, "app", "sha256:", THREADS * MOVES + 1)
        assert sorted((ref.digest, ref.count) for ref in index) == [(d, 1) for d in sorted(mapped)]
