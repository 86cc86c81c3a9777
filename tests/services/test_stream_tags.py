"""The tag engine through StreamTagService: sources, tracking, loops, deletion, rollback."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import AlreadyExists, Conflict, Invalid, NotFound
from chalicelib.domain.imports import ImportContext, ImportOutcome
from chalicelib.resources.stream import ImageStreamTag
from chalicelib.services.actor import SERVICE

from .conftest import digest, pull

A, B, C, D = digest("a"), digest("b"), digest("c"), digest("d")


# -- generations

def test_spec_tag_generation_is_the_stream_generation_when_new_or_changed(env):
    env.create("python")
    env.tag("python:3.6", "docker.io/python:3.6.0", kind="DockerImage", reference=True)
    assert env.stream("python").metadata.generation == 2
    assert env.spec("python", "3.6").generation == 2
    assert env.events("python", "3.6")[0].generation == 2

    env.tag("python:3.7", "docker.io/python:3.7.0", kind="DockerImage", reference=True)
    assert env.stream("python").metadata.generation == 3
    assert env.spec("python", "3.6").generation == 2  # unchanged tag keeps its generation
    assert env.spec("python", "3.7").generation == 3

    # the same spec again changes nothing
    env.tag("python:3.6", "docker.io/python:3.6.0", kind="DockerImage", reference=True)
    assert env.stream("python").metadata.generation == 3
    assert env.spec("python", "3.6").generation == 2

    # a new source for 3.6
    env.tag("python:3.6", "docker.io/python:3.6.1", kind="DockerImage", reference=True)
    assert env.stream("python").metadata.generation == 4
    assert env.spec("python", "3.6").generation == 4
    # both events have no image, so by the history rules items[0] is updated in place
    assert [(e.docker_image_reference, e.generation) for e in env.events("python", "3.6")] == [
        ("docker.io/python:3.6.1", 4)]


def test_mapping_events_carry_the_stream_generation_and_do_not_raise_it(env):
    env.create("python")
    env.map("python", "latest", A)
    assert env.stream("python").metadata.generation == 1
    assert env.events("python", "latest")[0].generation == 1
    env.tag("python:3.6", "docker.io/python:3.6.0", kind="DockerImage", reference=True)
    env.tag("python:3.7", "docker.io/python:3.7.0", kind="DockerImage", reference=True)
    env.map("python", "latest", B)
    assert env.stream("python").metadata.generation == 3
    assert [e.generation for e in env.events("python", "latest")] == [3, 1]


def test_istag_delete_of_a_spec_tag_raises_the_generation(env):
    env.create("python", tags=[{"name": "3.6", "from": {"kind": "DockerImage",
                                                        "name": "python:3.6"}}])
    env.istags.delete(SERVICE, "test", "python:3.6")
    assert env.stream("python").metadata.generation == 2


# -- DockerImage sources

def test_reference_true_adds_an_event_at_once_with_empty_image(env):
    env.create("python")
    out = env.tag("python:3.6", "docker.io/python:3.6.0", kind="DockerImage", reference=True)
    assert env.history("python", "3.6") == [("docker.io/python:3.6.0", "")]
    assert out.tag.reference is True
    assert out.image.docker_image_reference == "docker.io/python:3.6.0"
    assert out.conditions is None


class FixedImporter:
    """Imports every source with the outcome `answer(source)` gives; no registry involved."""

    def __init__(self, answer):
        self.answer = answer
        self.fetched = []

    def context(self, namespace):
        def fetch(sources):
            self.fetched += sorted(s.reference for s in sources)
            return {source: self.answer(source) for source in sources}
        return ImportContext(fetch=fetch)


def test_docker_image_without_reference_is_imported(env):
    outcome = ImportOutcome(source_digest=f"sha256:{A}", image=f"sha256:{A}",
                            reference=f"docker.io/python@sha256:{A}")
    env.istags.importer = FixedImporter(lambda source: outcome)
    env.create("python")
    out = env.tag("python:3.6", "docker.io/python:3.6.0", kind="DockerImage")
    assert env.istags.importer.fetched == ["docker.io/python:3.6.0"]
    assert [(e.docker_image_reference, e.image, e.generation)
            for e in env.events("python", "3.6")] == [(outcome.reference, outcome.image, 2)]
    assert out.conditions is None
    assert env.spec("python", "3.6").from_.name == "docker.io/python:3.6.0"


def test_a_failed_import_sets_the_condition_and_keeps_the_image(env):
    env.istags.importer = FixedImporter(
        lambda source: ImportOutcome.failed("NotFound", "manifest python:3.6.0 not found"))
    env.create("python")
    env.map("python", "3.6", A)
    out = env.tag("python:3.6", "docker.io/python:3.6.0", kind="DockerImage")
    [status] = env.stream("python").status.tags
    assert status.items[0].image == f"sha256:{A}"
    [condition] = status.conditions
    assert (condition.type, condition.status, condition.reason, condition.generation) == (
        "ImportSuccess", "False", "NotFound", 2)
    assert condition.message == "manifest python:3.6.0 not found"
    assert out.conditions == [condition]


def test_without_an_importer_the_import_fails_as_not_configured(env):
    env.create("python")
    env.tag("python:3.6", "docker.io/python:3.6.0", kind="DockerImage")
    [status] = env.stream("python").status.tags
    assert status.items == []
    assert [c.reason for c in status.conditions] == ["ImportNotConfigured"]


def test_a_mapping_clears_the_import_condition(env):
    env.create("python")
    env.tag("python:3.6", "docker.io/python:3.6.0", kind="DockerImage")
    env.map("python", "3.6", A)
    [status] = env.stream("python").status.tags
    assert status.conditions is None
    assert env.history("python", "3.6") == [pull("python", A)]


# -- ImageStreamImage sources

def test_from_stream_image_copies_the_event_from_history(env):
    env.create("python")
    env.map("python", "3.5", A)
    env.map("python", "3.5", B)
    env.tag("python:old", f"python@sha256:{A}", kind="ImageStreamImage")
    assert env.history("python", "old") == [pull("python", A)]


def test_from_stream_image_accepts_a_unique_prefix(env):
    env.create("python")
    env.map("python", "x", "ab" + "0" * 62)
    env.map("python", "y", "cd" + "0" * 62)
    env.tag("python:old", "python@ab", kind="ImageStreamImage")
    assert env.history("python", "old") == [pull("python", "ab" + "0" * 62)]
    env.tag("python:old2", "python@sha256:cd", kind="ImageStreamImage")
    assert env.history("python", "old2") == [pull("python", "cd" + "0" * 62)]


def test_from_stream_image_ambiguous_prefix_is_conflict(env):
    env.create("python")
    env.map("python", "x", "ab" + "1" * 62)
    env.map("python", "y", "ab" + "2" * 62)
    before = env.stream("python").to_json()
    with pytest.raises(Conflict) as err:
        env.tag("python:old", "python@ab", kind="ImageStreamImage")
    assert "multiple images match the prefix" in err.value.message
    assert env.stream("python").to_json() == before


@pytest.mark.parametrize("kind, source", [
    ("ImageStreamImage", f"python@sha256:{B}"), ("ImageStreamImage", f"sha256:{B}"),
    ("ImageStreamImage", f"ruby@sha256:{A}"), ("ImageStreamTag", "ruby:2.7"),
])
def test_a_source_that_does_not_exist_is_invalid_naming_the_field(env, kind, source):
    """As openshift-apiserver: a NotFound cause on the source's name, and nothing written."""
    env.create("python")
    env.map("python", "x", A)
    before = env.stream("python").to_json()
    with pytest.raises(Invalid) as refused:
        env.tag("python:old", source, kind=kind)
    assert [(c.field, c.reason, c.message) for c in refused.value.causes] == [
        ("tag.from.name", "FieldValueNotFound", f'Not found: "{source}"')]
    assert env.stream("python").to_json() == before


def test_from_stream_image_of_another_stream(env):
    env.create("ruby")
    env.map("ruby", "2.7", A)
    env.create("python")
    env.tag("python:r", f"ruby@sha256:{A}", kind="ImageStreamImage")
    assert env.history("python", "r") == [pull("ruby", A)]


def test_rollback_to_an_older_image_keeps_every_event(env):
    env.create("python")
    env.map("python", "latest", A)
    env.map("python", "latest", B)
    env.map("python", "latest", C)
    env.tag("python:latest", f"python@sha256:{A}", kind="ImageStreamImage")
    assert env.history("python", "latest") == [pull("python", x) for x in (A, C, B, A)]
    out = env.istags.get("test", "python:latest")
    assert out.image.metadata.name == f"sha256:{A}"


# -- ImageStreamTag sources

def test_from_stream_tag_copies_the_head(env):
    env.create("python")
    env.map("python", "3.5", A)
    env.map("python", "3.5", B)
    env.tag("python:latest", "python:3.5")
    assert env.history("python", "latest") == [pull("python", B)]
    assert env.events("python", "latest")[0].generation == env.spec("python",
                                                                    "latest").generation


def test_from_stream_tag_without_image_does_nothing_until_the_source_moves(env):
    env.create("python")
    env.tag("python:latest", "python:3.5")
    assert env.spec("python", "latest") is not None
    assert env.history("python", "latest") == []
    assert env.stream("python").status.tags is None
    env.map("python", "3.5", A)
    assert env.history("python", "latest") == [pull("python", A)]


def test_a_chain_of_followers_moves_with_its_root(env):
    env.create("python")
    env.tag("python:b", "python:latest")
    env.tag("python:c", "python:b")
    env.tag("python:a", "python:c")
    for image in (A, B, C):
        env.map("python", "latest", image)
        for tag in ("latest", "b", "c", "a"):
            assert env.history("python", tag)[0] == pull("python", image), (tag, image)
    for tag in ("latest", "b", "c", "a"):
        assert env.history("python", tag) == [pull("python", x) for x in (C, B, A)]


def test_followers_created_in_one_stream_body_move_with_the_root(env):
    env.create("python", tags=[
        {"name": "a", "from": {"kind": "ImageStreamTag", "name": "python:c"}},
        {"name": "b", "from": {"kind": "ImageStreamTag", "name": "python:latest"}},
        {"name": "c", "from": {"kind": "ImageStreamTag", "name": "python:b"}},
    ])
    env.map("python", "latest", A)
    for tag in ("latest", "b", "c", "a"):
        assert env.history("python", tag) == [pull("python", A)], tag


def test_a_follower_moved_by_a_spec_change_of_its_source(env):
    env.create("python")
    env.tag("python:latest", "python:3.6")
    env.tag("python:3.6", "docker.io/python:3.6.0", kind="DockerImage", reference=True)
    assert env.history("python", "latest") == [("docker.io/python:3.6.0", "")]


def test_a_loop_is_refused_and_nothing_is_written(env):
    env.create("python")
    env.tag("python:b", "python:a")
    env.tag("python:c", "python:b")
    before = env.stream("python").to_json()
    with pytest.raises(Invalid) as err:
        env.tag("python:a", "python:c")
    [cause] = err.value.causes
    assert cause.field.endswith(".from")
    assert cause.message.endswith("reference tag is circular")
    assert env.stream("python").to_json() == before


def test_a_loop_in_a_stream_body_is_refused(env):
    with pytest.raises(Invalid) as err:
        env.create("python", tags=[
            {"name": "a", "from": {"kind": "ImageStreamTag", "name": "python:b"}},
            {"name": "b", "from": {"kind": "ImageStreamTag", "name": "python:a"}},
        ])
    assert "reference tag is circular" in err.value.message
    with pytest.raises(NotFound):
        env.stream("python")


def test_a_self_reference_is_refused(env):
    env.create("python")
    env.map("python", "latest", A)
    before = env.stream("python").to_json()
    with pytest.raises(Invalid) as err:
        env.tag("python:latest", "python:latest")
    assert "reference tag is circular" in err.value.message
    assert env.stream("python").to_json() == before


def test_a_source_in_another_stream_is_copied_once_and_not_tracked(env):
    env.create("ruby")
    env.map("ruby", "latest", A)
    env.create("python")
    env.tag("python:r", "ruby:latest")
    assert env.history("python", "r") == [pull("ruby", A)]
    env.map("ruby", "latest", B)
    assert env.history("python", "r") == [pull("ruby", A)]
    assert env.history("ruby", "latest") == [pull("ruby", B), pull("ruby", A)]


def test_a_source_in_another_namespace_is_copied_once_and_not_tracked(env):
    env.create("python", namespace="other")
    env.map("python", "latest", A, namespace="other")
    env.create("python")
    env.tag("python:latest", "python:latest", source_namespace="other")
    assert env.history("python", "latest") == [pull("python", A, namespace="other")]
    env.map("python", "latest", B, namespace="other")
    assert env.history("python", "latest") == [pull("python", A, namespace="other")]


def test_repointing_a_follower_stops_it_following_the_old_source(env):
    env.create("python")
    env.map("python", "3.5", A)
    env.map("python", "3.6", B)
    env.tag("python:latest", "python:3.5")
    env.tag("python:latest", "python:3.6")
    assert env.history("python", "latest") == [pull("python", B), pull("python", A)]
    env.map("python", "3.5", C)
    assert env.history("python", "latest")[0] == pull("python", B)
    env.map("python", "3.6", D)
    assert env.history("python", "latest")[0] == pull("python", D)


def test_a_follower_set_to_an_external_image_stops_following(env):
    env.create("python")
    env.tag("python:latest", "python:3.5")
    env.map("python", "3.5", A)
    env.tag("python:latest", "docker.io/python:3.9", kind="DockerImage", reference=True)
    env.map("python", "3.5", B)
    assert env.history("python", "latest") == [("docker.io/python:3.9", ""), pull("python", A)]



def test_a_follower_mapped_directly_keeps_that_image_until_its_source_moves(env):
    env.create("python")
    env.tag("python:latest", "python:3.6")
    env.map("python", "3.6", A)
    env.map("python", "latest", B)
    assert env.history("python", "latest")[0] == pull("python", B)
    env.map("python", "3.6", A)  # 3.6 unchanged: nothing to follow
    assert env.history("python", "latest")[0] == pull("python", B)
    env.map("python", "3.6", C)
    assert env.history("python", "latest")[0] == pull("python", C)


# -- ImageStreamTag create, get, delete

def test_istag_create_of_an_existing_spec_tag_is_already_exists(env):
    env.create("python")
    env.tag("python:3.6", "docker.io/python:3.6.0", kind="DockerImage", reference=True)
    with pytest.raises(AlreadyExists) as err:
        env.tag("python:3.6", "docker.io/python:3.6.1", kind="DockerImage", reference=True,
                create_only=True)
    assert err.value.message == ('imagestreamtags.image.openshift.io "python:3.6" already '
                                 "exists")
    assert env.spec("python", "3.6").from_.name == "docker.io/python:3.6.0"


def test_istag_create_over_a_tag_only_set_by_mappings(env):
    env.create("python")
    env.map("python", "latest", A)
    env.tag("python:latest", "docker.io/python:3.9", kind="DockerImage", reference=True,
            create_only=True)
    assert env.history("python", "latest") == [("docker.io/python:3.9", ""),
                                               pull("python", A)]


def test_istag_put_creates_a_missing_stream(env):
    out = env.tag("python:3.6", "docker.io/python:3.6.0", kind="DockerImage", reference=True)
    stream = env.stream("python")
    assert stream.metadata.generation == 1
    assert stream.metadata.uid and stream.metadata.creation_timestamp
    assert env.spec("python", "3.6").generation == 1
    assert out.metadata.name == "python:3.6"


def test_istag_stale_resource_version_is_conflict_and_writes_nothing(env):
    env.create("python")
    version = env.stream("python").metadata.resource_version
    env.map("python", "latest", A)
    before = env.stream("python").to_json()
    with pytest.raises(Conflict):
        env.tag("python:3.6", "docker.io/python:3.6.0", kind="DockerImage", reference=True,
                resource_version=version)
    assert env.stream("python").to_json() == before


def test_istag_name_must_be_stream_colon_tag(env):
    env.create("python")
    body = ImageStreamTag.model_validate({"tag": {"from": {"kind": "DockerImage",
                                                           "name": "python"}}})
    for name in ("python", "python:", ":x", "python:a:b", f"python@sha256:{A}"):
        with pytest.raises(Exception) as err:
            env.istags.put(SERVICE, "test", name, body, False)
        assert "must be of the form <stream_name>:<tag>" in err.value.message
        with pytest.raises(Exception):
            env.istags.get("test", name)


def test_istag_body_must_name_a_tag(env):
    env.create("python")
    body = ImageStreamTag.model_validate({"metadata": {"name": "python:x"}})
    with pytest.raises(Invalid) as err:
        env.istags.put(SERVICE, "test", "python:x", body, False)
    assert [c.field for c in err.value.causes] == ["tag"]
    body = ImageStreamTag.model_validate({"metadata": {"name": "python:y"},
                                          "tag": {"from": {"kind": "Bad", "name": "y"}}})
    with pytest.raises(Invalid) as err:
        env.istags.put(SERVICE, "test", "python:x", body, False)
    assert [c.field for c in err.value.causes] == ["metadata.name", "tag.from.kind"]


def test_istag_get(env):
    env.create("python")
    with pytest.raises(NotFound):
        env.istags.get("test", "python:latest")
    env.map("python", "latest", A)
    out = env.istags.get("test", "python:latest")
    assert out.metadata.name == "python:latest"
    assert out.image.metadata.name == f"sha256:{A}"
    assert out.image.docker_image_reference == pull("python", A)[0]
    assert out.tag is None
    with pytest.raises(NotFound):
        env.istags.get("test", "ruby:latest")


def test_tag_deletion_removes_spec_and_status_but_images_stay(env):
    env.create("python")
    env.tag("python:3.5", "docker.io/python:3.5", kind="DockerImage", reference=True)
    env.map("python", "3.5", A)
    env.istags.delete(SERVICE, "test", "python:3.5")
    stream = env.stream("python")
    assert stream.spec.tags is None and stream.status.tags is None
    with pytest.raises(NotFound):
        env.istags.get("test", "python:3.5")
    assert env.images.get(f"sha256:{A}").metadata.name == f"sha256:{A}"
    with pytest.raises(NotFound):
        env.istags.delete(SERVICE, "test", "python:3.5")
    # the deleted history does not come back when the tag is set again
    env.map("python", "3.5", B)
    assert env.history("python", "3.5") == [pull("python", B)]


def test_deleting_a_source_keeps_its_followers_history(env):
    env.create("python")
    env.tag("python:latest", "python:3.5")
    env.map("python", "3.5", A)
    env.map("python", "3.5", B)
    env.istags.delete(SERVICE, "test", "python:3.5")
    assert env.history("python", "latest") == [pull("python", B), pull("python", A)]
    assert env.spec("python", "latest").from_.name == "python:3.5"
    # a new 3.5 is followed again, since latest still says so
    env.map("python", "3.5", C)
    assert env.history("python", "latest")[0] == pull("python", C)


def test_a_deleted_tag_image_is_no_longer_a_stream_image(env):
    env.create("python")
    env.map("python", "x", A)
    env.istags.delete(SERVICE, "test", "python:x")
    with pytest.raises(NotFound):
        env.istags.get_image("test", f"python@sha256:{A}")
    assert env.images.get(f"sha256:{A}")


def test_stream_image_get(env):
    env.create("python")
    env.map("python", "x", "ab" + "1" * 62)
    env.map("python", "y", "ab" + "2" * 62)
    out = env.istags.get_image("test", "python@ab1")
    assert out.metadata.name == f"python@sha256:ab{'1' * 62}"
    assert out.image.metadata.name == f"sha256:ab{'1' * 62}"
    with pytest.raises(Conflict) as err:
        env.istags.get_image("test", "python@ab")
    assert "multiple images match the prefix" in err.value.message
    with pytest.raises(NotFound):
        env.istags.get_image("test", "python@ff")


def test_a_self_reference_on_a_missing_stream_creates_nothing(env):
    with pytest.raises(Invalid):
        env.tag("python:latest", "python:latest")
    with pytest.raises(NotFound):
        env.stream("python")


def test_a_follower_dropped_from_the_spec_stops_following(env):
    env.create("python")
    env.tag("python:latest", "python:3.5")
    env.map("python", "3.5", A)
    current = env.stream("python")
    current.spec.tags = []
    env.streams.replace(SERVICE, "test", "python", current)
    env.map("python", "3.5", B)
    assert env.history("python", "latest") == [pull("python", A)]


def test_a_deleted_follower_is_not_recreated_by_its_source(env):
    env.create("python")
    env.tag("python:latest", "python:3.5")
    env.map("python", "3.5", A)
    env.istags.delete(SERVICE, "test", "python:latest")
    env.map("python", "3.5", B)
    assert env.history("python", "latest") == []
    assert env.spec("python", "latest") is None


def test_istag_current_resource_version_is_accepted(env):
    env.create("python")
    version = env.stream("python").metadata.resource_version
    env.tag("python:3.6", "docker.io/python:3.6.0", kind="DockerImage", reference=True,
            resource_version=version)
    assert env.history("python", "3.6") == [("docker.io/python:3.6.0", "")]


def test_istag_delete_with_stale_resource_version_is_conflict(env):
    env.create("python")
    env.map("python", "latest", A)
    version = env.stream("python").metadata.resource_version
    env.map("python", "latest", B)
    with pytest.raises(Conflict):
        env.istags.delete(SERVICE, "test", "python:latest", expected_version=version)
    assert env.history("python", "latest") == [pull("python", B), pull("python", A)]


def test_reference_policy_local_pulls_through_the_integrated_registry(env):
    from chalicelib.services.stream_tags import StreamTagService
    from chalicelib.services.streams import StreamService
    env.streams = StreamService(env.store, registry="reg.local:5000", clock=env.clock)
    env.istags = StreamTagService(env.store, registry="reg.local:5000", clock=env.clock)
    env.create("ruby")
    env.map("ruby", "latest", A, repository="quay.io/x/ruby")
    env.create("python")
    env.tag("python:local", "ruby:latest", referencePolicy={"type": "Local"})
    env.tag("python:source", "ruby:latest")
    status = env.stream("python").status
    assert status.docker_image_repository == "reg.local:5000/test/python"
    # the status keeps the source's pull spec; the istag shows the pull spec to use
    assert env.history("python", "local") == [(f"quay.io/x/ruby@sha256:{A}", f"sha256:{A}")]
    assert (env.istags.get("test", "python:local").image.docker_image_reference
            == f"reg.local:5000/test/python@sha256:{A}")
    assert (env.istags.get("test", "python:source").image.docker_image_reference
            == f"quay.io/x/ruby@sha256:{A}")


def test_istag_list_pages_over_streams_and_tags(env):
    for stream in ("a", "b", "c"):
        env.create(stream)
        for tag in ("1", "2"):
            env.map(stream, tag, A)
    env.create("d")
    env.create("e")
    env.map("e", "x", B)
    env.tag("e:pending", "x.io/y", kind="DockerImage")  # no image: not listed
    expected = ["a:1", "a:2", "b:1", "b:2", "c:1", "c:2", "e:x"]
    for limit in (1, 2, 3, 100):
        names, after, pages = [], None, 0
        while True:
            page, after = env.istags.list_tags("test", limit, after)
            pages += 1
            assert len(page.items) <= limit
            names += [item.metadata.name for item in page.items]
            if after is None:
                break
        assert names == expected, limit


# -- property: trees of followers in one stream move with each mapping

TAGS = [f"t{i}" for i in range(6)]


@st.composite
def follower_trees(draw):
    parents = {TAGS[0]: None}
    for index, tag in enumerate(TAGS[1:], start=1):
        parents[tag] = draw(st.sampled_from([None] + TAGS[:index]))
    order = draw(st.permutations(TAGS))
    roots = [tag for tag in TAGS if parents[tag] is None]
    mappings = draw(st.lists(st.tuples(st.sampled_from(roots), st.sampled_from("abc")),
                             min_size=1, max_size=8))
    return parents, order, mappings


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(follower_trees())
def test_followers_always_show_their_source_head(case):
    """Mapping images to the roots of same-stream follower trees moves every follower below."""
    from .conftest import Env
    parents, order, mappings = case
    env = Env()
    env.create("s")
    for tag in order:
        if parents[tag] is not None:
            env.tag(f"s:{tag}", f"s:{parents[tag]}")

    def downstream(tag, of):
        while tag is not None:
            if tag == of:
                return True
            tag = parents[tag]
        return False

    for target, char in mappings:
        before = {tag: env.history("s", tag) for tag in TAGS}
        env.map("s", target, digest(char))
        if before[target][:1] == [pull("s", digest(char))]:
            # already the root's head: nothing changes, followers included (as OpenShift)
            assert {tag: env.history("s", tag) for tag in TAGS} == before
            continue
        for tag in TAGS:
            if downstream(tag, target):
                assert env.history("s", tag)[0] == pull("s", digest(char)), (tag, target)
            else:
                assert env.history("s", tag) == before[tag], (tag, target)
