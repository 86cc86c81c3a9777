"""ImageStreamMapping: the image is recorded once, the tag and its followers move."""
import pytest

from chalicelib.domain.errors import Conflict, Invalid, NotFound, TooLarge, TooManyRequests
from chalicelib.resources.stream import ImageStreamMapping
from chalicelib.services.actor import SERVICE

from .conftest import REGISTRY, START, digest, pull

A, B = digest("a"), digest("b")


def mapping(data):
    return ImageStreamMapping.model_validate(data)


def test_mapping_records_the_image_named_by_its_digest(env):
    env.create("python")
    assert env.map("python", "latest", A) == ("python", "latest")
    image = env.images.get(f"sha256:{A}")
    assert image.docker_image_reference == pull("python", A)[0]
    assert image.docker_image_metadata.architecture == "amd64"
    assert image.metadata.creation_timestamp > START
    assert env.history("python", "latest") == [pull("python", A)]


def test_mapping_creates_a_status_only_tag(env):
    env.create("python")
    env.map("python", "latest", A)
    stream = env.stream("python")
    assert stream.spec.tags is None
    [status] = stream.status.tags
    assert status.tag == "latest"
    [event] = status.items
    assert event.created > START and event.generation == 1


def test_an_existing_image_is_kept_as_first_recorded(env):
    env.create("python")
    env.create("ruby")
    env.map("python", "latest", A)
    first = env.images.get(f"sha256:{A}")
    env.istags.map(SERVICE, "test", mapping({
        "metadata": {"name": "ruby"}, "tag": "x",
        "image": {"dockerImageReference": f"quay.io/other@sha256:{A}",
                  "dockerImageMetadata": {"Architecture": "arm64"}}}))
    assert env.images.get(f"sha256:{A}") == first
    # the tag still records the reference that was mapped
    assert env.history("ruby", "x") == [(f"quay.io/other@sha256:{A}", f"sha256:{A}")]


def test_mapping_the_same_image_again_adds_no_event(env):
    env.create("python")
    env.map("python", "latest", A)
    before = env.events("python", "latest")
    env.map("python", "latest", A)
    assert env.events("python", "latest") == before


def test_mapping_pushes_newer_images_on_top(env):
    env.create("python")
    env.map("python", "latest", A)
    env.map("python", "latest", B)
    env.map("python", "latest", A)
    assert env.history("python", "latest") == [pull("python", x) for x in (A, B, A)]
    created = [e.created for e in env.events("python", "latest")]
    assert created == sorted(created, reverse=True) and len(set(created)) == 3


def test_mapping_to_a_missing_stream_is_not_found_and_records_nothing(env):
    with pytest.raises(NotFound):
        env.map("python", "latest", A)
    with pytest.raises(NotFound):
        env.images.get(f"sha256:{A}")


def test_mapping_with_an_explicit_image_name(env):
    env.create("python")
    env.istags.map(SERVICE, "test", mapping({
        "metadata": {"name": "python"}, "tag": "latest",
        "image": {"metadata": {"name": f"sha256:{B}"},
                  "dockerImageReference": f"{REGISTRY}/test/python:latest"}}))
    assert env.history("python", "latest") == [(f"{REGISTRY}/test/python:latest", f"sha256:{B}")]


@pytest.mark.parametrize("data, fields", [
    ({"metadata": {"name": "python"}, "tag": "bad tag",
      "image": {"dockerImageReference": f"quay.io/a@sha256:{A}"}}, ["tag"]),
    ({"metadata": {"name": "python", "namespace": "other"}, "tag": "latest",
      "image": {"dockerImageReference": f"quay.io/a@sha256:{A}"}}, ["metadata.namespace"]),
    ({"metadata": {"name": "python"}, "tag": "latest",
      "image": {"dockerImageReference": "quay.io/a:latest"}}, ["image.metadata.name"]),
    ({"metadata": {"name": "python"}, "tag": "latest",
      "image": {"metadata": {"name": "sha256:1234"},
                "dockerImageReference": "quay.io/a:latest"}}, ["image.metadata.name"]),
    ({"metadata": {"name": "python"}, "tag": "latest",
      "image": {"metadata": {"name": f"sha256:{A}"}}}, ["image.dockerImageReference"]),
    ({"metadata": {"name": "Python"}, "tag": "latest",
      "image": {"dockerImageReference": f"quay.io/a@sha256:{A}"}}, ["metadata.name"]),
])
def test_invalid_mappings_name_the_field_and_record_nothing(env, data, fields):
    env.create("python")
    with pytest.raises(Invalid) as err:
        env.istags.map(SERVICE, "test", mapping(data))
    assert [c.field for c in err.value.causes] == fields
    assert env.stream("python").status.tags is None
    with pytest.raises(NotFound):
        env.images.get(f"sha256:{A}")


def test_oversized_image_metadata_is_refused(env):
    env.create("python")
    body = mapping({"metadata": {"name": "python"}, "tag": "latest",
                    "image": {"dockerImageReference": f"quay.io/a@sha256:{A}",
                              "dockerImageMetadata": {"Config": {
                                  "Env": ["X=" + "x" * 300_000]}}}})
    with pytest.raises(TooLarge):
        env.istags.map(SERVICE, "test", body)
    assert env.stream("python").status.tags is None


def test_mapping_moves_followers_with_the_mapping_generation(env):
    env.create("python")
    env.tag("python:latest", "python:3.6")
    env.map("python", "3.6", A)
    assert env.history("python", "latest") == [pull("python", A)]
    assert env.events("python", "3.6")[0].generation == env.stream("python").metadata.generation


class RacingStore:
    """Wraps a store: the first commit is preceded by `race()`, another writer's change."""

    def __init__(self, inner, race):
        self.inner, self.race, self.raced = inner, race, False

    def commit(self, changes):
        if not self.raced:
            self.raced = True
            self.race()
        return self.inner.commit(changes)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def racing_env(env, race):
    from chalicelib.services.stream_tags import StreamTagService
    return StreamTagService(RacingStore(env.store, race), clock=env.clock)


def body_for(stream, tag, hex_digest):
    return mapping({"metadata": {"name": stream}, "tag": tag, "image": {
        "dockerImageReference": f"{pull(stream, hex_digest)[0]}"}})


def test_a_mapping_is_retried_after_a_concurrent_write_to_another_tag(env):
    env.create("python")
    env.map("python", "latest", A)
    service = racing_env(env, lambda: env.map("python", "other", B))
    service.map(SERVICE, "test", body_for("python", "latest", digest("c")))
    assert env.history("python", "latest") == [pull("python", digest("c")), pull("python", A)]
    assert env.history("python", "other") == [pull("python", B)]


def test_a_mapping_is_retried_when_the_tag_had_no_image(env):
    env.create("python")
    service = racing_env(env, lambda: env.map("python", "latest", B))
    service.map(SERVICE, "test", body_for("python", "latest", A))
    assert env.history("python", "latest") == [pull("python", A), pull("python", B)]


def test_a_mapping_is_not_retried_over_a_concurrent_move_of_its_tag(env):
    env.create("python")
    env.map("python", "latest", A)
    service = racing_env(env, lambda: env.map("python", "latest", B))
    with pytest.raises(Conflict) as err:
        service.map(SERVICE, "test", body_for("python", "latest", digest("c")))
    assert "the object has been modified" in err.value.message
    assert env.history("python", "latest") == [pull("python", B), pull("python", A)]


class BusyStore(RacingStore):
    """Each of the first `races` commits is preceded by `race()`: a stream others keep writing."""

    def __init__(self, inner, race, races):
        super().__init__(inner, race)
        self.races = races

    def commit(self, changes):
        if self.races:
            self.races -= 1
            self.race()
        return self.inner.commit(changes)


def test_a_write_without_a_version_outlasts_many_lost_races(env, monkeypatch):
    from chalicelib.services import stream_write
    from chalicelib.services.stream_tags import StreamTagService
    monkeypatch.setattr(stream_write, "LONGEST_PAUSE_SECONDS", 0.0)  # no waiting in a test
    env.create("python")
    others = iter(f"{n:064x}" for n in range(1, 100))
    store = BusyStore(env.store, lambda: env.map("python", "other", next(others)), races=20)
    StreamTagService(store, clock=env.clock).map(SERVICE, "test", body_for("python", "latest", A))
    assert store.races == 0
    assert env.history("python", "latest") == [pull("python", A)]
    assert len(env.history("python", "other")) == 20


def test_a_write_without_a_version_gives_up_after_its_retry_time(env, monkeypatch):
    from chalicelib.services import stream_write
    from chalicelib.services.stream_tags import StreamTagService
    monkeypatch.setattr(stream_write, "RETRY_SECONDS", 0.0)
    env.create("python")
    store = BusyStore(env.store, lambda: env.map("python", "other", B), races=1)
    with pytest.raises(TooManyRequests):
        StreamTagService(store, clock=env.clock).map(SERVICE, "test", body_for("python", "latest", A))
    assert env.stream("python").status.tags[0].tag == "other"
    assert len(env.stream("python").status.tags) == 1
