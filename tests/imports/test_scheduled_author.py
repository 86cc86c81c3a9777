"""A scheduled import of another namespace's stream in the integrated registry acts for
whoever set its source: it imports while they may pull from that namespace, and stops with
a Forbidden condition (fetching nothing) once they may not, or when who set it is not
recorded. Here the registry of `images` plays the integrated registry, so its repository
`imports/oci` is namespace `imports`'s stream `oci`."""
from __future__ import annotations

import pytest

from chalicelib.adapters.memory_access import MemoryBindingStore, MemoryTokenStore
from chalicelib.domain.errors import Forbidden
from chalicelib.resources.rbac import RoleBinding
from chalicelib.resources.stream import ImageStream, ImageStreamTag
from chalicelib.services.access import AccessService
from chalicelib.services.actor import SERVICE, Actor
from chalicelib.services.scheduler import Scheduler
from chalicelib.services.stream_tags import StreamTagService
from chalicelib.services.streams import StreamService

from .conftest import NS, Images, Stack

SOURCE_NAMESPACE = "imports"


class Authored:
    """The stack's services with `images`' registry as the integrated one, and rights."""

    def __init__(self, stack: Stack, registry: str):
        self.stack = stack
        self.access = AccessService(MemoryTokenStore(), MemoryBindingStore())
        self.streams = StreamService(stack.store, registry, clock=stack.clock,
                                     importer=stack.importer)
        self.tags = StreamTagService(stack.store, registry, clock=stack.clock,
                                     importer=stack.importer)
        stack.scheduler = Scheduler(stack.store, stack.registries, stack.secrets,
                                    clock=stack.clock, registry=registry,
                                    may_pull=self.access.may_pull_from)

    def grant_pull(self, subject: str) -> None:
        self.access.create_binding(SOURCE_NAMESPACE, RoleBinding.model_validate({
            "metadata": {"name": f"pull-{subject}"},
            "roleRef": {"kind": "ClusterRole", "name": "system:image-puller"},
            "subjects": [{"kind": "User", "name": subject}]}))

    def revoke_pull(self, subject: str) -> None:
        self.access.delete_binding(SOURCE_NAMESPACE, f"pull-{subject}")

    def actor(self, subject: str) -> Actor:
        """Who a request of `subject` acts for, as the API makes it."""
        return Actor(subject, lambda namespace: self.access.may_pull_from(subject, namespace))

    def tag(self, actor: Actor, name: str, reference: str, **spec: object) -> ImageStreamTag:
        body = ImageStreamTag.model_validate({"tag": {
            "from": {"kind": "DockerImage", "name": reference},
            "importPolicy": {"insecure": True, "scheduled": True}, **spec}})
        return self.tags.put(actor, NS, name, body, create_only=False)[0]


@pytest.fixture
def authored(stack: Stack, images: Images) -> Authored:
    return Authored(stack, images.plain.host)


def test_the_import_stops_when_its_author_loses_the_right_and_resumes(
        authored: Authored, images: Images) -> None:
    stack, source = authored.stack, f"{images.plain.host}/imports/oci:1.0"
    authored.grant_pull("alice")
    authored.tag(authored.actor("alice"), "app:1", source)
    assert stack.store.get_tag(NS, "app", "1").author == "alice"
    assert stack.head("app", "1")[1] == images.single.digest
    assert stack.cycle().unchanged == 1 and stack.conditions("app", "1") == []

    authored.revoke_pull("alice")
    report = stack.cycle()
    assert (report.requests, report.written) == (0, 1)
    assert stack.conditions("app", "1") == [("False", "Forbidden")]
    message = stack.status("app", "1").conditions[0].message
    assert '"alice", who set this source, may not pull images from namespace "imports"' in message
    assert stack.head("app", "1")[1] == images.single.digest  # the image stays
    assert stack.store.get_tag(NS, "app", "1").due is not None  # checked again next time
    assert stack.cycle().written == 0  # the same refusal rewrites nothing

    authored.grant_pull("alice")
    report = stack.cycle()
    assert report.requests >= 1 and stack.conditions("app", "1") == []


def test_a_source_whose_author_is_not_recorded_is_not_imported(
        authored: Authored, images: Images) -> None:
    """A tag set before authors were recorded (or by the service itself) reads another
    namespace only once someone who may sets it again."""
    stack, source = authored.stack, f"{images.plain.host}/imports/oci:1.0"
    authored.tag(SERVICE, "legacy:1", source)
    assert stack.store.get_tag(NS, "legacy", "1").author == ""
    report = stack.cycle()
    assert report.requests == 0
    assert stack.conditions("legacy", "1") == [("False", "Forbidden")]
    assert "who set this source is not recorded" in \
        stack.status("legacy", "1").conditions[0].message
    authored.grant_pull("bob")
    # generation 0: set again, as `oc tag` sends it
    authored.tag(authored.actor("bob"), "legacy:1", source, generation=0)
    assert stack.store.get_tag(NS, "legacy", "1").author == "bob"
    stack.cycle()
    assert stack.conditions("legacy", "1") == []


def test_own_namespace_and_other_registries_are_scheduled_as_before(
        authored: Authored, images: Images) -> None:
    """A namespace's own stream in the integrated registry needs no author."""
    stack = authored.stack
    stack.streams.create(SERVICE, SOURCE_NAMESPACE, ImageStream.model_validate({
        "metadata": {"name": "own"}, "spec": {"tags": [{
            "name": "1", "from": {"kind": "DockerImage",
                                  "name": f"{images.plain.host}/imports/oci:1.0"},
            "importPolicy": {"insecure": True, "scheduled": True}}]}}))
    report = stack.cycle()
    assert report.unchanged == 1 and stack.conditions("own", "1", SOURCE_NAMESPACE) == []


def test_a_streams_repository_is_refused_once_its_author_loses_the_right(
        authored: Authored, images: Images) -> None:
    stack, repository = authored.stack, f"{images.plain.host}/imports/oci"
    authored.grant_pull("carol")
    authored.streams.create(authored.actor("carol"), NS, ImageStream.model_validate({
        "metadata": {"name": "mirror",
                     "annotations": {"openshift.io/image.insecureRepository": "true"}},
        "spec": {"dockerImageRepository": repository}}))
    assert stack.store.get_stream(NS, "mirror").repository_author == "carol"
    assert stack.head("mirror", "1.0")[1] == images.single.digest
    authored.revoke_pull("carol")
    report = stack.cycle()
    assert report.requests == 0 and report.repositories == 1
    assert stack.head("mirror", "1.0")[1] == images.single.digest
    with pytest.raises(Forbidden) as refused:
        authored.streams.patch(authored.actor("dave"), NS, "mirror", {"spec": {
            "dockerImageRepository": f"{images.plain.host}/imports/docker"}})
    assert "spec.dockerImageRepository: Forbidden" in str(refused.value)
