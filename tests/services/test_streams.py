"""StreamService: create, get, replace, patch, delete over the in-memory store."""
import pytest

from chalicelib.domain.errors import AlreadyExists, Conflict, Invalid, NotFound
from chalicelib.resources.stream import ImageStream
from chalicelib.services.actor import SERVICE

from .conftest import START, digest, pull

PY36 = {"name": "3.6", "from": {"kind": "DockerImage", "name": "docker.io/python:3.6.0"},
        "reference": True}
PY37 = {"name": "3.7", "from": {"kind": "DockerImage", "name": "docker.io/python:3.7.0"},
        "reference": True}


def body(data):
    return ImageStream.model_validate(data)


def test_create_sets_server_fields(env):
    out = env.create("python", labels={"app": "py"}, annotations={"a.io/b": "c"})
    meta = out.metadata
    assert (meta.name, meta.namespace, meta.labels, meta.annotations) == (
        "python", "test", {"app": "py"}, {"a.io/b": "c"})
    assert meta.uid and meta.resource_version
    assert meta.generation == 1
    assert meta.creation_timestamp == START
    assert out.status is not None and out.status.tags is None
    assert env.stream("python").to_json() == out.to_json()


def test_create_ignores_client_server_fields(env):
    out = env.streams.create(SERVICE, "test", body({
        "metadata": {"name": "python", "uid": "mine", "resourceVersion": "999",
                     "generation": 7, "creationTimestamp": "2001-01-01T00:00:00Z"},
        "status": {"dockerImageRepository": "x", "tags": [{"tag": "latest", "items": [
            {"created": "2001-01-01T00:00:00Z", "dockerImageReference": "x", "image": "y"}]}]},
    }))
    assert out.metadata.uid != "mine"
    assert out.metadata.resource_version != "999"
    assert out.metadata.generation == 1
    assert out.metadata.creation_timestamp == START
    assert out.status.tags is None


def test_create_twice_is_already_exists(env):
    env.create("python")
    with pytest.raises(AlreadyExists) as err:
        env.create("python")
    assert err.value.message == 'imagestreams.image.openshift.io "python" already exists'
    # the same name in another namespace is another stream
    assert env.create("python", namespace="other").metadata.namespace == "other"


def test_create_invalid_names_each_field(env):
    with pytest.raises(Invalid) as err:
        env.create("Python", namespace="test", labels={"-x": "y"}, tags=[
            {"name": "latest", "from": {"kind": "Nope", "name": "x"}}])
    assert [c.field for c in err.value.causes] == ["metadata.name", "metadata.labels",
                                                   "spec.tags[latest].from.kind"]
    with pytest.raises(NotFound):
        env.stream("Python")


def test_create_namespace_must_match(env):
    with pytest.raises(Invalid) as err:
        env.streams.create(SERVICE, "test", body({"metadata": {"name": "python",
                                                      "namespace": "other"}}))
    assert [c.field for c in err.value.causes] == ["metadata.namespace"]


def test_create_with_spec_tags_gives_them_generation_1(env):
    out = env.create("python", tags=[PY36])
    assert out.metadata.generation == 1
    [spec] = out.spec.tags
    assert spec.generation == 1
    assert out.status.tags[0].items[0].generation == 1


def test_get_missing_is_not_found(env):
    with pytest.raises(NotFound) as err:
        env.stream("python")
    assert err.value.message == 'imagestreams.image.openshift.io "python" not found'


def test_generation_rises_on_spec_changes_only(env):
    env.create("python", tags=[PY36])
    current = env.stream("python")

    # metadata only: no new generation
    current.metadata.labels = {"app": "py"}
    out = env.streams.replace(SERVICE, "test", "python", current)
    assert out.metadata.generation == 1
    assert out.metadata.labels == {"app": "py"}

    # the same spec tag again: no new generation
    out = env.streams.replace(SERVICE, "test", "python", out)
    assert out.metadata.generation == 1

    # a new spec tag: generation 2, the new tag gets it, the old one keeps its own
    out.spec.tags.append(body({"spec": {"tags": [PY37]}}).spec.tags[0])
    out = env.streams.replace(SERVICE, "test", "python", out)
    assert out.metadata.generation == 2
    assert {t.name: t.generation for t in out.spec.tags} == {"3.6": 1, "3.7": 2}

    # lookup policy is spec too
    out.spec.lookup_policy.local = True
    out = env.streams.replace(SERVICE, "test", "python", out)
    assert out.metadata.generation == 3
    assert out.spec.lookup_policy.local is True
    assert {t.name: t.generation for t in out.spec.tags} == {"3.6": 1, "3.7": 2}


def test_resource_version_rises_on_every_write(env):
    versions = [int(env.create("python").metadata.resource_version)]
    env.map("python", "latest", digest("a"))
    versions.append(int(env.stream("python").metadata.resource_version))
    current = env.stream("python")
    current.metadata.labels = {"x": "y"}
    versions.append(int(env.streams.replace(SERVICE, "test", "python", current).metadata.resource_version))
    assert versions == sorted(set(versions))


def test_replace_with_stale_resource_version_is_conflict_and_writes_nothing(env):
    env.create("python")
    stale = env.stream("python")
    env.map("python", "latest", digest("a"))
    before = env.stream("python").to_json()
    stale.metadata.labels = {"changed": "yes"}
    stale.spec.tags = body({"spec": {"tags": [PY36]}}).spec.tags
    with pytest.raises(Conflict) as err:
        env.streams.replace(SERVICE, "test", "python", stale)
    assert "the object has been modified" in err.value.message
    assert env.stream("python").to_json() == before


def test_replace_without_resource_version_applies(env):
    env.create("python")
    out = env.streams.replace(SERVICE, "test", "python", body({"metadata": {"name": "python",
                                                                   "labels": {"a": "b"}}}))
    assert out.metadata.labels == {"a": "b"}


def test_replace_name_must_match_the_path(env):
    env.create("python")
    with pytest.raises(Invalid) as err:
        env.streams.replace(SERVICE, "test", "python", body({"metadata": {"name": "ruby"}}))
    assert [c.field for c in err.value.causes] == ["metadata.name"]


def test_replace_missing_stream_is_not_found(env):
    with pytest.raises(NotFound):
        env.streams.replace(SERVICE, "test", "python", body({"metadata": {"name": "python"}}))


def test_replace_removing_a_spec_tag_keeps_its_status_history(env):
    env.create("python", tags=[PY36, PY37])
    current = env.stream("python")
    current.spec.tags = [t for t in current.spec.tags if t.name != "3.6"]
    out = env.streams.replace(SERVICE, "test", "python", current)
    assert [t.name for t in out.spec.tags] == ["3.7"]
    assert out.metadata.generation == 2
    assert env.history("python", "3.6") == [("docker.io/python:3.6.0", "")]


def test_replace_removing_a_spec_tag_without_history_removes_it(env):
    env.create("python", tags=[{"name": "x", "from": {"kind": "ImageStreamTag",
                                                      "name": "python:none"}}])
    current = env.stream("python")
    assert [t.name for t in current.spec.tags] == ["x"] and current.status.tags is None
    current.spec.tags = []
    out = env.streams.replace(SERVICE, "test", "python", current)
    assert out.spec.tags is None and out.status.tags is None


def test_patch_adds_and_removes_labels(env):
    env.create("python", labels={"keep": "1", "drop": "2"})
    out = env.streams.patch(SERVICE, "test", "python", {"metadata": {"labels": {"drop": None,
                                                                       "new": "3"}}})
    assert out.metadata.labels == {"keep": "1", "new": "3"}
    out = env.streams.patch(SERVICE, "test", "python", {"metadata": {"labels": None}})
    assert out.metadata.labels is None
    assert out.metadata.generation == 1


def test_patch_replaces_spec_tags(env):
    env.create("python", tags=[PY36])
    env.map("python", "3.6", digest("a"))
    out = env.streams.patch(SERVICE, "test", "python", {"spec": {"tags": [PY37]}})
    assert [t.name for t in out.spec.tags] == ["3.7"]
    assert out.metadata.generation == 2
    assert env.history("python", "3.7") == [("docker.io/python:3.7.0", "")]
    # the dropped spec tag's history stays
    assert env.history("python", "3.6")[0] == pull("python", digest("a"))


def test_patch_invalid_is_invalid(env):
    env.create("python")
    with pytest.raises(Invalid) as err:
        env.streams.patch(SERVICE, "test", "python", {"spec": {"tags": [
            {"name": "x", "from": {"kind": "Bad", "name": "y"}}]}})
    assert [c.field for c in err.value.causes] == ["spec.tags[x].from.kind"]
    assert env.stream("python").spec.tags is None


def test_patch_missing_stream_is_not_found(env):
    with pytest.raises(NotFound):
        env.streams.patch(SERVICE, "test", "python", {"metadata": {"labels": {"a": "b"}}})


def test_delete_stream(env):
    env.create("python")
    env.map("python", "latest", digest("a"))
    version = env.stream("python").metadata.resource_version
    with pytest.raises(Conflict):
        env.streams.delete("test", "python", expected_version=str(int(version) - 1))
    env.stream("python")
    env.streams.delete("test", "python", expected_version=version)
    with pytest.raises(NotFound):
        env.stream("python")
    with pytest.raises(NotFound):
        env.streams.delete("test", "python")
    # images are cluster-scoped and stay
    assert env.images.get(f"sha256:{digest('a')}").metadata.name == f"sha256:{digest('a')}"


def test_list_by_namespace_and_selector(env):
    for name in ("c", "a", "b"):
        env.create(name, labels={"tier": "web" if name != "b" else "db"})
    env.create("z", namespace="other")
    items, after = env.streams.list("test", 10, None, lambda labels: True)
    assert [s.metadata.name for s in items.items] == ["a", "b", "c"] and after is None
    items, _ = env.streams.list("test", 10, None, lambda labels: labels.get("tier") == "web")
    assert [s.metadata.name for s in items.items] == ["a", "c"]
    first, after = env.streams.list("test", 2, None, lambda labels: True)
    rest, end = env.streams.list("test", 2, after, lambda labels: True)
    assert [s.metadata.name for s in first.items + rest.items] == ["a", "b", "c"]
    assert end is None


def istag_ref(name, source):
    return {"name": name, "from": {"kind": "ImageStreamTag", "name": f"python:{source}"}}


def external(name, source):
    return {"name": name, "from": {"kind": "DockerImage", "name": source}, "reference": True}


@pytest.mark.parametrize("order", [1, -1])
def test_replace_may_reverse_a_tracking_direction_in_any_tag_order(env, order):
    env.create("python", tags=[istag_ref("a", "b"), external("b", "x.io/b")])
    assert env.history("python", "a") == [("x.io/b", "")]
    tags = [istag_ref("b", "a"), external("a", "x.io/a")][::order]
    out = env.streams.replace(SERVICE, "test", "python", body({"metadata": {"name": "python"},
                                                      "spec": {"tags": tags}}))
    assert {t.name: t.from_.name for t in out.spec.tags} == {"a": "x.io/a", "b": "python:a"}
    assert env.history("python", "a") == [("x.io/a", "")]
    # b copied a's new head only (same empty image: updated in place)
    assert env.history("python", "b") == [("x.io/a", "")]
    # and now follows a
    env.map("python", "a", digest("a"))
    assert env.history("python", "b")[0] == pull("python", digest("a"))


def test_replace_with_a_loop_is_refused_and_writes_nothing(env):
    env.create("python", tags=[istag_ref("a", "b"), external("b", "x.io/b")])
    before = env.stream("python").to_json()
    with pytest.raises(Invalid) as err:
        env.streams.replace(SERVICE, "test", "python", body({"metadata": {"name": "python"}, "spec": {
            "tags": [istag_ref("a", "b"), istag_ref("b", "c"), istag_ref("c", "a")]}}))
    assert "reference tag is circular" in err.value.message
    assert env.stream("python").to_json() == before


@pytest.mark.parametrize("target, patch, expected", [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
])
def test_merge_patch_follows_rfc7386(target, patch, expected):
    from chalicelib.services.merge_patch import merge_patch
    assert merge_patch(target, patch) == expected


def test_patch_resource_version_in_the_patch_is_honoured(env):
    env.create("python")
    stale = env.stream("python").metadata.resource_version
    env.map("python", "latest", digest("a"))
    with pytest.raises(Conflict):
        env.streams.patch(SERVICE, "test", "python", {"metadata": {"resourceVersion": stale,
                                                          "labels": {"a": "b"}}})
    assert env.stream("python").metadata.labels is None
