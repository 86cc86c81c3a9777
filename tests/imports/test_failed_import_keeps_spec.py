"""A failed ImageStreamImport keeps the import it was asked for: the spec tag is set as sent
(where the stream has none), the condition says why, the image stays, and a later import or
the schedule retries it. A repository's tags that fail set no spec tag, as in OpenShift."""
from __future__ import annotations

import json
import uuid

from chalicelib.resources.imports import ImageStreamImport
from chalicelib.resources.stream import ImageStreamMapping
from chalicelib.services.actor import SERVICE
from testbed.oci_layout import OciLayout
from tests.registry.scripted import Canned, ScriptedServer

from .conftest import NS, Images, Stack, push_fresh


def isi(*images: dict, repository: dict | None = None) -> ImageStreamImport:
    return ImageStreamImport.model_validate({"metadata": {"name": "app"}, "spec": {
        "import": True, "images": list(images), **({"repository": repository}
                                                   if repository else {})}})


def image(reference: str, to: str, **spec: object) -> dict:
    return {"from": {"kind": "DockerImage", "name": reference}, "to": {"name": to}, **spec}


def spec_tag(stack: Stack, tag: str) -> dict | None:
    for ref in stack.streams.get(NS, "app").spec.tags or []:
        if ref.name == tag:
            return ref.to_json()
    return None


def test_a_failed_image_sets_its_spec_tag_and_the_schedule_retries_it(
        stack: Stack, images: Images, layout: OciLayout) -> None:
    repository = f"kept/{uuid.uuid4().hex[:8]}"  # nothing pushed there yet
    source = f"{images.plain.host}/{repository}:1"
    policy = {"insecure": True, "scheduled": True}
    result = stack.imports.create(SERVICE, NS, isi(image(source, "1", importPolicy=policy,
                                                referencePolicy={"type": "Local"})))
    [failed] = result.status.images
    assert (failed.status.status, failed.status.reason) == ("Failure", "NotFound")
    assert spec_tag(stack, "1") == {
        "name": "1", "from": {"kind": "DockerImage", "name": source}, "generation": 1,
        "importPolicy": {**policy, "importMode": "Legacy"}, "referencePolicy": {"type": "Local"}}
    [condition] = stack.status("app", "1").conditions
    assert (condition.type, condition.status, condition.reason) == (
        "ImportSuccess", "False", "NotFound")
    assert condition.message == failed.status.message and source in condition.message
    assert not stack.status("app", "1").items
    pushed = push_fresh(images.plain, layout, f"{repository}:1")
    stack.cycle()
    assert stack.head("app", "1")[1] == pushed.digest and stack.conditions("app", "1") == []


def test_a_failed_image_keeps_the_image_a_tag_had(stack: Stack, images: Images) -> None:
    digest = images.single.digest
    stack.create("app")
    stack.tags.map(SERVICE, NS, ImageStreamMapping.model_validate({
        "metadata": {"name": "app"}, "tag": "1", "image": {
            "metadata": {"name": digest},
            "dockerImageReference": f"{images.plain.host}/imports/oci@{digest}"}}))
    missing = f"{images.plain.host}/kept/absent:1"
    stack.imports.create(SERVICE, NS, isi(image(missing, "1", importPolicy={"insecure": True})))
    assert spec_tag(stack, "1")["from"] == {"kind": "DockerImage", "name": missing}
    assert stack.head("app", "1")[1] == digest
    assert stack.conditions("app", "1") == [("False", "NotFound")]
    # importing it again retries the kept spec tag, and fails the same way: nothing rewritten
    version = stack.streams.get(NS, "app").metadata.resource_version
    stack.imports.create(SERVICE, NS, isi(image(missing, "1", importPolicy={"insecure": True})))
    assert stack.streams.get(NS, "app").metadata.resource_version == version


def test_a_failed_repository_tag_sets_no_spec_tag(stack: Stack) -> None:
    tags = json.dumps({"name": "demo/app", "tags": ["1"]}).encode()
    with ScriptedServer({"GET /v2/demo/app/tags/list": Canned(200, body=tags)}) as server:
        result = stack.imports.create(SERVICE, NS, isi(repository={
            "from": {"kind": "DockerImage", "name": f"{server.host}/demo/app"},
            "importPolicy": {"insecure": True}}))
    [failed] = result.status.repository.images
    assert (failed.tag, failed.status.reason) == ("1", "NotFound")
    assert spec_tag(stack, "1") is None
    assert stack.conditions("app", "1") == [("False", "NotFound")]
