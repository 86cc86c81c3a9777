"""spec.dockerImageRepository: the stream imports that repository's tags into its status, as
OpenShift's controller does, when it is created or updated with one and on the schedule,
and marks the stream with the time of each check."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import Invalid
from chalicelib.domain.imports import REPOSITORY_CHECK
from chalicelib.resources.stream import ImageStream
from chalicelib.services.actor import SERVICE
from chalicelib.services.ports import DueRepository
from testbed.oci_layout import OciLayout
from tests.api.conftest import Api, ns_path
from tests.registry.scripted import Canned, ScriptedServer, image_routes

from .conftest import NS, START, Images, Stack, push_fresh

INSECURE = {"openshift.io/image.insecureRepository": "true"}


def repository(images: Images, layout: OciLayout, *tags: str) -> tuple[str, dict[str, str]]:
    """A new repository on the plain registry with `tags` pushed: its name and tag digests."""
    name = f"repo/{uuid.uuid4().hex[:8]}"
    digests = {tag: push_fresh(images.plain, layout, f"{name}:{tag}").digest for tag in tags}
    return f"{images.plain.host}/{name}", digests


def create(stack: Stack, name: str, source: str, *tags: dict, **metadata: Any) -> ImageStream:
    return stack.streams.create(SERVICE, NS, ImageStream.model_validate({
        "metadata": {"name": name, "annotations": INSECURE, **metadata},
        "spec": {"dockerImageRepository": source, "tags": list(tags)}}))


def heads(stream: ImageStream) -> dict[str, str]:
    return {t.tag: t.items[0].image for t in stream.status.tags or [] if t.items}


def checked(stream: ImageStream) -> str:
    return (stream.metadata.annotations or {}).get(REPOSITORY_CHECK, "")


def test_a_new_stream_imports_its_repository_into_status(stack: Stack, images: Images,
                                                        layout: OciLayout) -> None:
    source, digests = repository(images, layout, "1.0", "latest")
    stream = create(stack, "app", source)
    assert heads(stream) == digests
    assert stream.spec.tags is None  # status tags only, as in OpenShift
    assert checked(stream) == "2024-03-01T12:00:00Z"
    [latest] = [t for t in stream.status.tags if t.tag == "latest"]
    assert latest.items[0].docker_image_reference == f"{source}@{digests['latest']}"
    assert stack.conditions("app", "latest") == []


def test_at_most_the_tag_limit_in_a_repository_imports_order(images: Images,
                                                             layout: OciLayout) -> None:
    from chalicelib.adapters.memory_store import MemoryStore
    stack = Stack(MemoryStore(), max_repository_tags=2)
    source, digests = repository(images, layout, "1.0", "2.0", "beta", "latest")
    stream = create(stack, "app", source)
    assert heads(stream) == {"latest": digests["latest"], "2.0": digests["2.0"]}


def test_a_spec_tag_of_the_same_name_imports_its_own_source(stack: Stack, images: Images,
                                                            layout: OciLayout) -> None:
    source, digests = repository(images, layout, "1.0", "latest")
    other = f"{images.plain.host}/imports/oci:1.0"
    stream = create(stack, "app", source, {"name": "latest", "from": {
        "kind": "DockerImage", "name": other}, "importPolicy": {"insecure": True}})
    assert heads(stream) == {"1.0": digests["1.0"], "latest": images.single.digest}
    assert [t.name for t in stream.spec.tags] == ["latest"]


@pytest.mark.parametrize("value", ["quay.io/team/app:1.0", "quay.io/team/app@sha256:" + "a" * 64])
def test_a_tag_or_digest_is_refused_on_every_write(stack: Stack, value: str,
                                                   connections: list[str]) -> None:
    def refused(call) -> list[tuple[str, str]]:
        with pytest.raises(Invalid) as caught:
            call()
        return [(c.field, c.message) for c in caught.value.causes]

    expected = [("spec.dockerImageRepository", f'Invalid value: "{value}": you must specify '
                 "an image repository, not a tag or ID")]
    body = {"metadata": {"name": "app"}, "spec": {"dockerImageRepository": value}}
    assert refused(lambda: stack.streams.create(SERVICE, NS, ImageStream.model_validate(body))) == expected
    stack.create("app")
    assert refused(lambda: stack.streams.replace(SERVICE, NS, "app", ImageStream.model_validate(
        body))) == expected
    assert refused(lambda: stack.streams.patch(SERVICE, NS, "app", {"spec": {
        "dockerImageRepository": value}})) == expected
    assert stack.streams.get(NS, "app").spec.docker_image_repository is None
    assert connections == []


def test_setting_or_changing_the_repository_imports_it_and_nothing_else_does(
        stack: Stack, images: Images, layout: OciLayout) -> None:
    first, first_digests = repository(images, layout, "1")
    second, second_digests = repository(images, layout, "2")
    stack.create("app", annotations=INSECURE)
    assert checked(stack.streams.patch(SERVICE, NS, "app", {"spec": {"dockerImageRepository": first}})) \
        == "2024-03-01T12:00:00Z"
    assert heads(stack.streams.get(NS, "app")) == first_digests
    stack.clock.advance(minutes=1)
    requests = stack.requests
    labelled = stack.streams.patch(SERVICE, NS, "app", {"metadata": {"labels": {"a": "b"}}})
    assert stack.requests == requests and checked(labelled) == "2024-03-01T12:00:00Z"
    body = labelled.to_json()
    body["spec"]["dockerImageRepository"] = second
    stream = stack.streams.replace(SERVICE, NS, "app", ImageStream.model_validate(body))
    # the first repository's tags stay in status, as OpenShift leaves them
    assert heads(stream) == {**first_digests, **second_digests}
    assert checked(stream) == "2024-03-01T12:01:00Z"


def test_the_schedule_imports_the_repository_again(stack: Stack, images: Images,
                                                   layout: OciLayout) -> None:
    source, digests = repository(images, layout, "1", "2")
    create(stack, "app", source)
    moved = push_fresh(images.plain, layout, f"{source.split('/', 1)[1]}:2")
    added = push_fresh(images.plain, layout, f"{source.split('/', 1)[1]}:3")
    assert stack.cycle(minutes=13).repositories == 0  # not due before its interval
    report = stack.cycle(minutes=2)
    assert (report.due, report.repositories, report.deferred) == (1, 1, 0)
    stream = stack.streams.get(NS, "app")
    assert heads(stream) == {"1": digests["1"], "2": moved.digest, "3": added.digest}
    assert [e.image for e in stack.status("app", "2").items] == [moved.digest, digests["2"]]
    assert checked(stream) == "2024-03-01T12:15:00Z"
    # checked again an interval later: the tags are unchanged, the check is recorded
    report = stack.cycle()
    assert report.repositories == 1 and heads(stack.streams.get(NS, "app")) == heads(stream)
    assert checked(stack.streams.get(NS, "app")) == "2024-03-01T12:30:00Z"


def test_a_repository_that_cannot_be_listed_is_marked_checked_and_retried(
        stack: Stack, images: Images, layout: OciLayout) -> None:
    name = f"repo/{uuid.uuid4().hex[:8]}"
    source = f"{images.plain.host}/{name}"
    stream = create(stack, "app", source)  # nothing pushed there: the registry says 404
    assert checked(stream) == "2024-03-01T12:00:00Z" and stream.status.tags is None
    digest = push_fresh(images.plain, layout, f"{name}:1").digest
    assert stack.cycle().repositories == 1
    stream = stack.streams.get(NS, "app")
    assert heads(stream) == {"1": digest} and checked(stream) == "2024-03-01T12:15:00Z"


def test_a_failed_tag_keeps_its_image_and_a_later_check_clears_the_condition(
        stack: Stack, images: Images, layout: OciLayout) -> None:
    routes = image_routes(layout, images.single)
    routes["GET /v2/demo/app/tags/list"] = Canned(200, body=json.dumps(
        {"name": "demo/app", "tags": ["1.0"]}).encode())
    honest = routes["HEAD /v2/demo/app/manifests/1.0"]
    with ScriptedServer(routes) as server:
        create(stack, "app", f"{server.host}/demo/app")
        routes["HEAD /v2/demo/app/manifests/1.0"] = Canned(404, body=b'{"errors":[]}')
        assert stack.cycle().repositories == 1
        assert stack.conditions("app", "1.0") == [("False", "NotFound")]
        assert heads(stack.streams.get(NS, "app")) == {"1.0": images.single.digest}
        routes["HEAD /v2/demo/app/manifests/1.0"] = honest
        assert stack.cycle().repositories == 1
    assert stack.conditions("app", "1.0") == []
    assert [e.image for e in stack.status("app", "1.0").items] == [images.single.digest]


def test_a_run_out_of_time_leaves_the_repository_due(stack: Stack, images: Images,
                                                     layout: OciLayout) -> None:
    source, digests = repository(images, layout, "1")
    create(stack, "app", source)
    push_fresh(images.plain, layout, f"{source.split('/', 1)[1]}:1")
    stack.clock.advance(minutes=15)
    report = stack.scheduler.run(lambda: 3.0)  # too little time to start a request
    assert (report.due, report.deferred, report.requests) == (1, 1, 0)
    assert heads(stack.streams.get(NS, "app")) == digests
    assert stack.cycle(minutes=1).repositories == 1  # still due: the next run does it


def test_the_schedule_drops_a_stream_no_longer_importing_a_repository(
        stack: Stack, images: Images, layout: OciLayout) -> None:
    source, digests = repository(images, layout, "1")
    create(stack, "app", source)
    create(stack, "gone", source)
    stack.streams.patch(SERVICE, NS, "app", {"spec": {"dockerImageRepository": None}})
    stack.streams.delete(NS, "gone")
    # the deleted stream's entry is dropped as it is read; the other is read, then dropped
    assert stack.cycle().due == 1
    assert stack.cycle().due == 0
    due = START + timedelta(minutes=15)
    assert not stack.store.reschedule_repository(NS, "gone", due, None)  # gone
    assert heads(stack.streams.get(NS, "app")) == digests  # its status tags stay


def test_the_store_keeps_a_repository_entry_beside_the_tags(stack: Stack) -> None:
    store, at = stack.store, START + timedelta(minutes=5)
    later = at + timedelta(minutes=1)
    stack.create("app")
    assert store.reschedule_repository(NS, "app", None, at)  # set, whatever it was
    assert store.reschedule_repository(NS, "app", None, later)
    assert not store.reschedule_repository(NS, "app", at, None)  # a stale read
    assert store.due_entries(at, 10) == []
    [due] = store.due_entries(later, 10)
    assert due == DueRepository(store.get_stream(NS, "app"), later)
    assert store.reschedule_repository(NS, "app", later, None)
    assert store.due_entries(later + timedelta(hours=1), 10) == []


def test_over_http(api: Api, images: Images, layout: OciLayout) -> None:
    source, digests = repository(images, layout, "1")
    created = api.post(ns_path("imagestreams"), {
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": "app", "annotations": INSECURE},
        "spec": {"dockerImageRepository": source}})
    assert created.status_code == 201, created.data
    assert created.data["spec"] == {"lookupPolicy": {"local": False},
                                    "dockerImageRepository": source}
    assert REPOSITORY_CHECK in created.data["metadata"]["annotations"]
    [status] = created.data["status"]["tags"]
    assert (status["tag"], status["items"][0]["image"]) == ("1", digests["1"])
    refused = api.patch(ns_path("imagestreams", "app"),
                        {"spec": {"dockerImageRepository": f"{source}:1"}})
    assert (refused.status_code, refused.data["reason"]) == (422, "Invalid")
    [cause] = refused.data["details"]["causes"]
    assert cause["field"] == "spec.dockerImageRepository"
    assert cause["message"].endswith("you must specify an image repository, not a tag or ID")
