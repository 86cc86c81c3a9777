"""Pinned tags (README, Pins): automation holds a newer image off them, a user moves them."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.domain.history import NEWER_IMAGE_WAITING
from chalicelib.domain.tags import PINNED
from chalicelib.resources.stream import ImageStreamTag
from chalicelib.services.actor import SERVICE
from chalicelib.services.images import ImageService
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService
from testbed.dynamodb import mocked_table
from testbed.tag_messages import TagMessages

from .conftest import Env, digest, pull

A, B, C, D = digest("a"), digest("b"), digest("c"), digest("d")
PIN = {PINNED: "true"}


class DynamoEnv(Env):
    """Env over a moto table whose stream is read for the messages subscribers get."""

    def __init__(self, table):
        super().__init__()
        self.store = table.store()
        self.streams = StreamService(self.store, clock=self.clock)
        self.istags = StreamTagService(self.store, clock=self.clock)
        self.images = ImageService(self.store)
        self.messages = TagMessages(table)


@pytest.fixture
def denv() -> Iterator[DynamoEnv]:
    with mocked_table() as table:
        yield DynamoEnv(table)


def annotate(env, name, annotations):
    """kubectl annotate istag: a PUT without `tag`, setting the spec tag's annotations."""
    body = ImageStreamTag.model_validate({"metadata": {"name": name,
                                                       "annotations": annotations}})
    return env.istags.put(SERVICE, "test", name, body, create_only=False)[0]


def waiting(env, stream, tag):
    """(status, reason, message) of the tag's NewerImageWaiting conditions."""
    for status in env.stream(stream).status.tags or []:
        if status.tag == tag:
            return [(c.status, c.reason, c.message) for c in status.conditions or []
                    if c.type == NEWER_IMAGE_WAITING]
    return []


def held_message(image, held, tag="latest"):
    """What a Held message says: the tag's own image unchanged, and the one waiting."""
    return {"type": "Held", "tag": tag, "image": f"sha256:{image}",
            "dockerImageReference": pull("python", image)[0],
            "previous": {"image": f"sha256:{image}",
                         "dockerImageReference": pull("python", image)[0]},
            "held": {"image": f"sha256:{held}",
                     "dockerImageReference": pull("python", held)[0]}}


def brief(message):
    return {key: message[key] for key in ("type", "tag", "image", "dockerImageReference",
                                          "previous", "held") if key in message}


def test_a_pinned_follower_holds_its_moving_source(denv):
    denv.create("python")
    denv.map("python", "3.5", A)
    denv.tag("python:latest", "3.5", annotations=PIN)
    denv.messages.new()
    denv.map("python", "3.5", B)
    assert denv.history("python", "3.5") == [pull("python", B), pull("python", A)]
    assert denv.history("python", "latest") == [pull("python", A)]  # unmoved
    assert denv.images.get(f"sha256:{B}").metadata.name == f"sha256:{B}"  # recorded
    [(status, reason, message)] = waiting(denv, "python", "latest")
    assert (status, reason) == ("True", "Pinned") and f"sha256:{B}" in message
    updated, held = denv.messages.new()
    assert (updated["type"], updated["tag"], updated["image"]) == ("Updated", "3.5",
                                                                  f"sha256:{B}")
    assert brief(held) == held_message(A, B)


def test_unpinning_moves_the_tag_to_the_image_that_waited(denv):
    denv.create("python")
    denv.map("python", "3.5", A)
    denv.tag("python:latest", "3.5", annotations=PIN)
    denv.tag("python:stable", "latest")
    denv.map("python", "3.5", B)
    denv.map("python", "3.5", C)  # the newest waits, not the first
    [(_, _, message)] = waiting(denv, "python", "latest")
    assert f"sha256:{C}" in message and f"sha256:{B}" not in message
    generation = denv.spec("python", "latest").generation
    denv.messages.new()
    annotate(denv, "python:latest", {})
    assert denv.history("python", "latest")[:2] == [pull("python", C), pull("python", A)]
    assert denv.history("python", "stable")[0] == pull("python", C)  # followers move too
    assert waiting(denv, "python", "latest") == []
    assert denv.spec("python", "latest").generation == generation
    assert [(m["type"], m["tag"], m["image"]) for m in denv.messages.new()] == [
        ("Updated", "latest", f"sha256:{C}"), ("Updated", "stable", f"sha256:{C}")]


def test_pinning_keeps_the_tag_where_it_is(env):
    env.create("python")
    env.map("python", "3.5", A)
    env.tag("python:latest", "3.5")
    env.map("python", "3.5", B)
    generation = env.spec("python", "latest").generation
    annotate(env, "python:latest", PIN)
    assert env.spec("python", "latest").annotations == PIN
    assert env.spec("python", "latest").generation == generation  # no re-resolve
    assert env.history("python", "latest") == [pull("python", B), pull("python", A)]
    env.map("python", "3.5", C)
    assert env.history("python", "latest")[0] == pull("python", B)
    assert env.stream("python").spec.tags[-1].annotations == PIN  # kept in the manifest


def test_a_mapping_holds_off_a_rolled_back_pinned_tag(denv):
    denv.create("python")
    denv.map("python", "latest", A)
    denv.map("python", "latest", B)
    denv.tag("python:latest", f"python@sha256:{A}", kind="ImageStreamImage", annotations=PIN)
    assert denv.history("python", "latest")[0] == pull("python", A)
    denv.messages.new()
    denv.map("python", "latest", C)  # a push, or a user's ImageStreamMapping
    assert denv.history("python", "latest") == [pull("python", A), pull("python", B),
                                                pull("python", A)]
    assert denv.images.get(f"sha256:{C}").docker_image_reference == pull("python", C)[0]
    assert [brief(m) for m in denv.messages.new()] == [held_message(A, C)]
    denv.map("python", "latest", C)  # the same push again: nothing new to say
    assert denv.messages.new() == []
    denv.map("python", "latest", D)
    [(_, _, message)] = waiting(denv, "python", "latest")
    assert f"sha256:{D}" in message
    assert [brief(m) for m in denv.messages.new()] == [held_message(A, D)]


def test_a_users_change_of_the_spec_moves_a_pinned_tag_and_nothing_waits_then(env):
    env.create("python")
    env.map("python", "latest", A)
    env.map("python", "latest", B)
    env.tag("python:latest", f"python@sha256:{A}", kind="ImageStreamImage", annotations=PIN)
    env.map("python", "latest", C)
    env.tag("python:latest", f"python@sha256:{B}", kind="ImageStreamImage", annotations=PIN)
    assert env.history("python", "latest")[0] == pull("python", B)
    assert waiting(env, "python", "latest") == []
    annotate(env, "python:latest", {})  # nothing waited: unpinning leaves it on B
    assert env.history("python", "latest")[0] == pull("python", B)


def test_a_source_back_at_the_pinned_head_leaves_nothing_waiting(denv):
    denv.create("python")
    denv.map("python", "3.5", A)
    denv.tag("python:latest", "3.5", annotations=PIN)
    denv.map("python", "3.5", B)
    denv.map("python", "3.5", A)
    assert waiting(denv, "python", "latest") == []
    assert denv.store.get_tag("test", "python", "latest").held is None
    annotate(denv, "python:latest", {})
    assert denv.history("python", "latest") == [pull("python", A)]


def test_a_pinned_tag_stops_its_followers_too(env):
    env.create("python")
    env.map("python", "3.5", A)
    env.tag("python:latest", "3.5", annotations=PIN)
    env.tag("python:stable", "latest")
    env.map("python", "3.5", B)
    assert env.history("python", "stable") == [pull("python", A)]


def test_a_pinned_follower_is_held_even_when_a_user_moves_its_source(env):
    """Only a change of the pinned tag's own spec is its user's choice."""
    env.create("python")
    env.map("python", "3.5", A)
    env.map("python", "3.6", B)
    env.tag("python:latest", "3.5", annotations=PIN)
    env.tag("python:3.5", "python:3.6")
    assert env.history("python", "3.5")[0] == pull("python", B)
    assert env.history("python", "latest") == [pull("python", A)]
    assert waiting(env, "python", "latest")
