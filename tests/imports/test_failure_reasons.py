"""Several tags failing against one registry host in one request: each tag's condition names
what its own request met, never the API deadline's Timeout (which a request that returned
in a tenth of a second used to give them)."""
from __future__ import annotations

import time

import pytest

from chalicelib.resources.imports import ImageStreamImport
from chalicelib.services.actor import SERVICE
from testbed.registry import RegistryServer, free_port

from .conftest import NS, Images, Stack

INSECURE = {"insecure": True}


def sources(images: Images, basic: RegistryServer, closed: int) -> dict[str, str]:
    """Tag → source: a missing repository (404), one that needs credentials (401), and three
    on a port nothing listens on (connection refused), enough for the pool to give up on it."""
    return {"missing": f"{images.plain.host}/reasons/missing:1",
            "private": f"{basic.host}/imports/private:1.0",
            **{f"down{n}": f"127.0.0.1:{closed}/reasons/app{n}:1" for n in range(3)}}


EXPECTED = {"missing": "NotFound", "private": "Unauthorized", "down0": "ConnectionFailed",
            "down1": "ConnectionFailed", "down2": "ConnectionFailed"}


def stream_put(stack: Stack, wanted: dict[str, str]) -> None:
    stack.create("app", *[{"name": tag, "from": {"kind": "DockerImage", "name": source},
                           "importPolicy": INSECURE} for tag, source in wanted.items()])


def image_stream_import(stack: Stack, wanted: dict[str, str]) -> None:
    body = ImageStreamImport.model_validate({
        "metadata": {"name": "app"}, "spec": {"import": True, "images": [
            {"from": {"kind": "DockerImage", "name": source}, "to": {"name": tag},
             "importPolicy": INSECURE} for tag, source in wanted.items()]}})
    result = stack.imports.create(SERVICE, NS, body)
    reasons = {image.tag: image.status.reason for image in result.status.images or []}
    assert reasons == EXPECTED


@pytest.mark.parametrize("send", [stream_put, image_stream_import])
def test_each_tag_gets_the_reason_its_own_request_met(stack: Stack, images: Images,
                                                      basic_registry: RegistryServer,
                                                      private: object, send) -> None:
    wanted = sources(images, basic_registry, free_port())
    started = time.monotonic()
    send(stack, wanted)
    elapsed = time.monotonic() - started
    for tag in wanted:
        [condition] = stack.status("app", tag).conditions
        assert (tag, condition.reason) == (tag, EXPECTED[tag]), condition.message
        assert "did not finish" not in condition.message
    # a refused connection is retried once after a second's back-off, then given up
    assert elapsed < stack.settings.api_seconds / 2


def test_tags_a_failing_host_kept_from_being_tried_say_so() -> None:
    """One request at a time to the host: after three refused connections in a row the
    pool leaves it alone, and the tags it never asked get the host's failure, not Timeout."""
    from chalicelib.adapters.memory_store import MemoryStore
    stack = Stack(MemoryStore(), host_concurrency=1)
    closed = free_port()
    stream_put(stack, {f"t{n}": f"127.0.0.1:{closed}/reasons/app{n}:1" for n in range(5)})
    messages = [stack.status("app", f"t{n}").conditions[0] for n in range(5)]
    assert {c.reason for c in messages} == {"ConnectionFailed"}
    tried = [c for c in messages if "not attempted" not in c.message]
    held = [c for c in messages if "not attempted: the registry failed 3 times in a row"
            in c.message]
    assert (len(tried), len(held)) == (2, 3)  # the first retried once, the second gave up
