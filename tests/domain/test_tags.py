"""Pure tag rules (domain/tags.py): sources, tracking, generations, loops, conditions."""
from datetime import UTC, datetime

import pytest

from chalicelib.domain import tags as rules
from chalicelib.resources.stream import TagEvent, TagReference

NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
HEX = "47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d"


def ref(name="latest", kind="ImageStreamTag", source="python:3.6", namespace=None, **extra):
    data = {"name": name, "from": {"kind": kind, "name": source}, **extra}
    if namespace is not None:
        data["from"]["namespace"] = namespace
    return TagReference.model_validate(data)


@pytest.mark.parametrize("spec, expected", [
    (ref(source="python:3.6"), "3.6"),
    (ref(source="python:3.6", namespace="test"), "3.6"),
    (ref(source="python:3.6", namespace="other"), None),
    (ref(source="ruby:3.6"), None),
    (ref(kind="ImageStreamImage", source=f"python@sha256:{HEX}"), None),
    (ref(kind="DockerImage", source="python:3.6"), None),
    (TagReference(name="latest"), None),
    (None, None),
])
def test_tracked_tag_only_for_same_stream_istags(spec, expected):
    assert rules.tracked_tag(spec, "test", "python") == expected


def test_source_stream_tag_and_image():
    assert rules.source_stream_tag(ref(source="ruby:2"), "test", "app") == ("test", "ruby", "2")
    assert rules.source_stream_tag(ref(source="ruby:2", namespace="o"), "test", "app") == ("o", "ruby",
                                                                                     "2")
    assert rules.source_stream_tag(ref(kind="DockerImage"), "test", "app") is None
    image = ref(kind="ImageStreamImage", source="ruby@4746")
    assert rules.source_stream_image(image, "test", "app") == ("test", "ruby", "4746")
    assert rules.source_stream_image(ref(), "test", "app") is None


def test_reference_only_and_needs_import():
    external = ref(kind="DockerImage", source="docker.io/python:3.6.0")
    referenced = ref(kind="DockerImage", source="docker.io/python:3.6.0", reference=True)
    assert (rules.needs_import(external), rules.is_reference_only(external)) == (True, False)
    assert (rules.needs_import(referenced), rules.is_reference_only(referenced)) == (False, True)
    assert not rules.needs_import(ref()) and not rules.is_reference_only(ref(reference=True))


def test_source_changed_ignores_generation():
    old = ref(generation=3)
    assert rules.source_changed(None, old)
    assert not rules.source_changed(old, ref(generation=7))
    assert rules.source_changed(old, ref(source="python:3.7"))
    assert rules.source_changed(old, ref(reference=True))
    assert rules.source_changed(old, ref(referencePolicy={"type": "Local"}))


def test_reference_event_records_the_pull_spec_without_image():
    spec = rules.with_generation(ref(kind="DockerImage", source="docker.io/python:3.6.0",
                                     reference=True), 4)
    assert rules.reference_event(spec, NOW) == TagEvent(
        created=NOW, docker_image_reference="docker.io/python:3.6.0", image="", generation=4)


def test_copied_event_takes_reference_and_image_with_new_generation():
    source = TagEvent(created=datetime(2017, 1, 1, tzinfo=UTC),
                      docker_image_reference="quay.io/a@sha256:" + HEX, image="sha256:" + HEX,
                      generation=1)
    assert rules.copied_event(source, 5, NOW) == TagEvent(
        created=NOW, docker_image_reference=source.docker_image_reference, image=source.image,
        generation=5)


def specs(**sources):
    table = {tag: ref(name=tag, source=f"python:{src}") for tag, src in sources.items()}
    return table.get


def test_cycle_error_for_a_loop_through_other_tags():
    # setting c from a, where a follows b and b follows c
    error = rules.cycle_error("c", "python", specs(a="b", b="c"), "test", "spec.tags[c].from",
                              "a")
    assert error.field == "spec.tags[c].from"
    assert error.message == 'Invalid value: "python:a": reference tag is circular'


def test_cycle_error_for_a_self_reference():
    error = rules.cycle_error("a", "python", specs(), "test", "tag.from", "a")
    assert error.message.endswith("reference tag is circular")


def test_no_cycle_for_a_chain():
    assert rules.cycle_error("d", "python", specs(a="b", b="c"), "test", "f", "a") is None


def test_cross_stream_sources_end_the_chain():
    lookup = {"a": ref(name="a", source="ruby:d")}.get
    assert rules.cycle_error("d", "python", lookup, "test", "f", "a") is None


def test_cycle_error_for_a_loop_not_through_the_tag():
    # a and b already follow each other (should never be stored, but must not hang)
    error = rules.cycle_error("x", "python", specs(a="b", b="a"), "test", "f", "a")
    assert error is not None and "circular" in error.message
