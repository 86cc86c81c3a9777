"""The two YAML documents of the reference chapter, through the resource types and services."""
import copy

import yaml

from chalicelib.resources.image import Image
from chalicelib.resources.stream import ImageStream, ImageStreamMapping
from chalicelib.services.actor import SERVICE
from testbed.yaml_loader import load_fixture, load_yaml

from .conftest import START, digest, pull

MAPPED = "sha256:47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d"
MAPPED_REF = f"172.30.56.218:5000/test/origin-ruby-sample@{MAPPED}"
LAYERS = [
    ("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef", 0),
    ("sha256:ee1dd2cb6df21971f4af6de0f1d7782b81fb63156801cfde2bb47b4247c23c29", 196634330),
    ("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef", 0),
    ("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef", 0),
    ("sha256:ca062656bff07f18bff46be00f40cfbb069687ec124ac0aa038fd676cfaea092", 177723024),
    ("sha256:63d529c59c92843c395befd065de516ee9ed4995549f8218eac6ff088bfa6b6e", 55679776),
    ("sha256:92114219a04977b5563d7dff71ec4caa3a37a15b266ce42ee8f43dba9798c966", 11939149),
]


# -- the YAML loader

def test_loader_keeps_timestamps_and_dates_as_strings():
    assert load_yaml("a: 2017-09-29T13:33:49Z\nb: 2015-12-23\nc: '1.0'\nd: 1\n") == {
        "a": "2017-09-29T13:33:49Z", "b": "2015-12-23", "c": "1.0", "d": 1}
    # plain safe_load would have turned them into datetime/date objects
    assert not isinstance(yaml.safe_load("a: 2015-12-23")["a"], str)


def test_fixture_values_stay_as_written():
    stream = load_fixture("imagestream.yaml")
    assert stream["metadata"]["creationTimestamp"] == "2017-09-29T13:33:49Z"
    assert stream["metadata"]["resourceVersion"] == "633"
    assert stream["status"]["tags"][0]["items"][0]["created"] == "2017-09-02T10:15:09Z"
    meta = load_fixture("imagestreammapping.yaml")["image"]["dockerImageMetadata"]
    assert meta["Config"]["Labels"]["build-date"] == "2015-12-23"
    assert meta["Config"]["User"] == "1001"
    assert meta["Created"] == "2016-01-29T13:40:00Z"
    assert (meta["apiVersion"], meta["kind"]) == ("1.0", "DockerImage")


# -- ImageStream (section 6.2)

def test_imagestream_fixture_round_trips_except_selflink():
    data = load_fixture("imagestream.yaml")
    assert data["metadata"]["selflink"] == (
        "/oapi/v1/namespaces/test/imagestreams/origin-ruby-sample")
    dumped = ImageStream.model_validate(data).to_json()
    assert "selflink" not in dumped["metadata"] and "selfLink" not in dumped["metadata"]
    expected = copy.deepcopy(data)
    del expected["metadata"]["selflink"]
    assert dumped == expected


def test_imagestream_fixture_shape():
    stream = ImageStream.model_validate(load_fixture("imagestream.yaml"))
    assert stream.metadata.name == "origin-ruby-sample"
    assert stream.metadata.namespace == "test"
    assert stream.metadata.generation == 1
    assert stream.spec.tags is None
    [latest] = stream.status.tags
    assert latest.tag == "latest"
    assert [e.generation for e in latest.items] == [2, 1]
    assert latest.items[0].image == (
        "sha256:909de62d1f609a717ec433cc25ca5cf00941545c83a01fb31527771e1fab3fc5")


def test_imagestream_fixture_created_through_the_service(env):
    data = load_fixture("imagestream.yaml")
    out = env.streams.create(SERVICE, "test", ImageStream.model_validate(data))
    meta = out.metadata
    assert (meta.name, meta.namespace) == ("origin-ruby-sample", "test")
    assert meta.labels == data["metadata"]["labels"]
    assert meta.annotations == data["metadata"]["annotations"]
    # server-owned fields are the server's
    assert meta.uid and meta.uid != data["metadata"]["uid"]
    assert meta.resource_version and meta.resource_version != "633"
    assert meta.generation == 1
    assert meta.creation_timestamp == START
    assert out.status is not None and out.status.tags is None
    assert env.stream("origin-ruby-sample").to_json() == out.to_json()


# -- ImageStreamMapping (section 6.6)

def test_mapping_fixture_validates():
    data = load_fixture("imagestreammapping.yaml")
    body = ImageStreamMapping.model_validate(data)
    assert (body.metadata.name, body.metadata.namespace, body.tag) == (
        "origin-ruby-sample", "test", "latest")
    assert body.image.metadata.name is None
    assert body.image.docker_image_reference == MAPPED_REF
    assert [(layer.name, layer.size) for layer in body.image.docker_image_layers] == LAYERS
    assert body.image.to_json()["dockerImageMetadata"] == data["image"]["dockerImageMetadata"]


def map_fixture(env):
    body = ImageStreamMapping.model_validate(load_fixture("imagestreammapping.yaml"))
    return env.istags.map(SERVICE, "test", body)


def test_mapping_fixture_through_the_service(env):
    env.streams.create(SERVICE, "test", ImageStream.model_validate(load_fixture("imagestream.yaml")))
    assert map_fixture(env) == ("origin-ruby-sample", "latest")
    [event] = env.events("origin-ruby-sample", "latest")
    assert (event.docker_image_reference, event.image, event.generation) == (
        MAPPED_REF, MAPPED, 1)
    assert env.images.get(MAPPED).metadata.name == MAPPED


def test_mapping_fixture_event_is_items0_over_earlier_images(env):
    env.create("origin-ruby-sample")
    env.map("origin-ruby-sample", "latest", digest("1"))
    map_fixture(env)
    assert env.history("origin-ruby-sample", "latest") == [
        (MAPPED_REF, MAPPED), pull("origin-ruby-sample", digest("1"))]
    istag = env.istags.get("test", "origin-ruby-sample:latest")
    assert istag.image.metadata.name == MAPPED
    assert istag.image.docker_image_metadata.config.working_dir == "/opt/app-root/src"


def test_mapped_image_keeps_the_docker_metadata(env):
    env.create("origin-ruby-sample")
    map_fixture(env)
    sent = load_fixture("imagestreammapping.yaml")["image"]
    image = env.images.get(MAPPED)
    assert isinstance(image, Image)
    stored = image.to_json()
    assert stored["dockerImageMetadata"] == sent["dockerImageMetadata"]
    meta = stored["dockerImageMetadata"]
    assert meta["Config"]["Env"][0] == "RACK_ENV=production"
    assert len(meta["Config"]["Env"]) == 13
    assert meta["Config"]["Labels"]["io.openshift.build.commit.message"] == (
        "Merge pull request #51 from php-coder/fix_url_and_sti")
    assert meta["Config"]["ExposedPorts"] == {"8080/tcp": {}}
    assert meta["ContainerConfig"]["Hostname"] == "ruby-sample-build-1-build"
    assert meta["ContainerConfig"]["Cmd"][-1] == "tar -C /tmp -xf - && /usr/libexec/s2i/assemble"
    assert meta["Container"] == "86e9a4a3c760271671ab913616c51c9f3cea846ca524bf07c04a6f6c9e103a76"
    assert meta["Parent"] == "57b08d979c86f4500dc8cad639c9518744c8dd39447c055a3517dc9c18d6fccd"
    assert meta["Id"] == "9d7fd5e2d15495802028c569d544329f4286dcd1c9c085ff5699218dbaa69b43"
    assert meta["Size"] == 441976279
    assert [(layer["name"], layer["size"]) for layer in stored["dockerImageLayers"]] == LAYERS
    assert stored["dockerImageMetadataVersion"] == "1.0"
    assert stored["dockerImageReference"] == MAPPED_REF
    assert stored["metadata"]["name"] == MAPPED


def test_mapping_fixture_twice_is_one_event(env):
    env.create("origin-ruby-sample")
    map_fixture(env)
    map_fixture(env)
    assert env.history("origin-ruby-sample", "latest") == [(MAPPED_REF, MAPPED)]
