"""Validation rules and messages, as OpenShift words them; every error names its field."""
import pytest

from chalicelib.domain.validation import (
    TAG_FORMAT_MESSAGE,
    validate_annotations,
    validate_image,
    validate_image_stream,
    validate_labels,
    validate_namespace,
    validate_stream_name,
    validate_tag_name,
    validate_tag_reference,
)
from chalicelib.resources.image import Image
from chalicelib.resources.stream import ImageStream, TagReference

HEX64 = "47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d"
SCHEDULE_MESSAGE = ("only tags pointing to Docker repositories may be scheduled for background "
                    "import")


def messages(errors):
    return [(e.field, e.message) for e in errors]


def ref(data):
    return TagReference.model_validate(data)


# -- stream names

@pytest.mark.parametrize("name", ["python", "origin-ruby-sample", "a", "a.b_c-d", "1x",
                                  "a" * 63])
def test_valid_stream_names(name):
    assert validate_stream_name(name, "test") == []


@pytest.mark.parametrize("name", ["Python", "-a", "a-", "a_", ".a", "a..b", "a__b", "a--b",
                                  "a b", "a:b", "a@b"])
def test_stream_name_pattern(name):
    assert messages(validate_stream_name(name, "test")) == [
        ("metadata.name", f'Invalid value: "{name}": must match "[a-z0-9]+(?:[._-][a-z0-9]+)*"'),
    ]


@pytest.mark.parametrize("name", [".", "..", "a/b", "a%b"])
def test_stream_name_is_a_path_segment(name):
    [error] = validate_stream_name(name, "test")
    assert error.field == "metadata.name"
    assert "may not contain '/' or '%' and may not be '.' or '..'" in error.message


def test_stream_name_required():
    assert messages(validate_stream_name("", "test")) == [
        ("metadata.name", "Required value: name or generateName is required")]


def test_stream_name_at_most_63_characters():
    name = "a" * 64
    assert messages(validate_stream_name(name, "test")) == [
        ("metadata.name", f'Invalid value: "{name}": must be no more than 63 characters')]


def test_namespace_slash_name_at_most_255_characters():
    name = "a" * 60
    assert validate_stream_name(name, "n" * 194) == []  # 194 + 1 + 60 = 255
    assert messages(validate_stream_name(name, "n" * 195)) == [
        ("metadata.name",
         f"Invalid value: \"{name}\": 'namespace/name' cannot be longer than 255 characters")]


def test_stream_name_errors_use_the_given_field():
    [error] = validate_stream_name("Bad", "test", field="spec.name")
    assert error.field == "spec.name"


# -- namespaces

@pytest.mark.parametrize("namespace", ["test", "a", "my-project-1", "1abc", "n" * 63])
def test_valid_namespaces(namespace):
    assert validate_namespace(namespace) == []


@pytest.mark.parametrize("namespace", ["Test", "-a", "a-", "a.b", "a_b", "a b"])
def test_namespace_is_a_dns1123_label(namespace):
    [error] = validate_namespace(namespace)
    assert error.field == "metadata.namespace"
    assert error.message.startswith(f'Invalid value: "{namespace}": a lowercase RFC 1123 label '
                                    "must consist of lower case alphanumeric characters or '-'")


def test_namespace_at_most_63_characters():
    assert messages(validate_namespace("n" * 64)) == [
        ("metadata.namespace", f'Invalid value: "{"n" * 64}": must be no more than 63 characters')]


def test_namespace_required():
    assert messages(validate_namespace("")) == [("metadata.namespace", "Required value")]


# -- tag names

@pytest.mark.parametrize("tag", ["latest", "3.6", "v1.2-rc_3", "_x", "A" * 128])
def test_valid_tag_names(tag):
    assert validate_tag_name(tag, "tag") == []


@pytest.mark.parametrize("tag", ["-x", ".x", "a:b", "a/b", "a@b", "a b", "caf\u00e9", "a" * 129])
def test_invalid_tag_names(tag):
    assert messages(validate_tag_name(tag, "spec.tags[x].name")) == [
        ("spec.tags[x].name", f'Invalid value: "{tag}": invalid tag "{tag}" format, '
                              f"{TAG_FORMAT_MESSAGE}")]


def test_tag_format_message_text():
    assert TAG_FORMAT_MESSAGE == (
        "tags must start with an alphanumeric character followed by alphanumeric, '.' or '-' "
        "characters, and have a maximum of 128 characters")


def test_tag_name_required():
    assert messages(validate_tag_name("", "tag")) == [("tag", "Required value")]


# -- spec tags

def test_valid_spec_tags():
    for data in [
        {"name": "latest"},
        {"name": "3.6", "from": {"kind": "DockerImage", "name": "docker.io/python:3.6.0"},
         "importPolicy": {"scheduled": True, "insecure": True}},
        {"name": "latest", "from": {"kind": "ImageStreamTag", "name": "python:3.6"}},
        {"name": "latest", "from": {"kind": "ImageStreamTag", "name": "python:3.6",
                                    "namespace": "other"}},
        {"name": "old", "from": {"kind": "ImageStreamImage", "name": f"python@sha256:{HEX64}"}},
        {"name": "old", "from": {"kind": "ImageStreamImage", "name": "python@4746"}},
        {"name": "l", "from": {"kind": "DockerImage", "name": "quay.io/a/b"},
         "referencePolicy": {"type": "Local"}, "importPolicy": {"importMode": "PreserveOriginal"}},
    ]:
        assert validate_tag_reference(ref(data), "spec.tags[x]") == [], data


@pytest.mark.parametrize("kind", ["Image", "dockerimage", "ImageStream", ""])
def test_from_kind_values(kind):
    data = {"name": "latest", "from": {"kind": kind, "name": "python:3.6"}}
    assert messages(validate_tag_reference(ref(data), "spec.tags[latest]")) == [
        ("spec.tags[latest].from.kind",
         f'Unsupported value: "{kind}": supported values: "DockerImage", "ImageStreamImage", '
         '"ImageStreamTag"')]


@pytest.mark.parametrize("name", ["python:", ":latest", "a:b:c", f"python@sha256:{HEX64}"])
def test_image_stream_tag_source_name_forms(name):
    data = {"name": "latest", "from": {"kind": "ImageStreamTag", "name": name}}
    assert messages(validate_tag_reference(ref(data), "spec.tags[latest]")) == [
        ("spec.tags[latest].from.name",
         f'Invalid value: "{name}": must be of the form <tag> or <stream_name>:<tag>')]


@pytest.mark.parametrize("kind, name", [("ImageStreamTag", "3.6"), ("ImageStreamTag", "python"),
                                        ("ImageStreamImage", f"sha256:{HEX64}"),
                                        ("ImageStreamImage", "4746")])
def test_one_part_sources_name_the_stream_itself(kind, name):
    """The server's parseFromReference: `<tag>` and `<id>` are of the spec tag's own stream."""
    data = {"name": "latest", "from": {"kind": kind, "name": name}}
    assert validate_tag_reference(ref(data), "spec.tags[latest]") == []


def test_a_one_part_image_stream_tag_source_is_a_tag_name():
    data = {"name": "latest", "from": {"kind": "ImageStreamTag", "name": "-bad"}}
    [error] = validate_tag_reference(ref(data), "spec.tags[latest]")
    assert (error.field, 'invalid tag "-bad" format' in error.message) == (
        "spec.tags[latest].from.name", True)


def test_image_stream_tag_source_tag_part_is_a_tag_name():
    data = {"name": "latest", "from": {"kind": "ImageStreamTag", "name": "python:-bad"}}
    [error] = validate_tag_reference(ref(data), "spec.tags[latest]")
    assert error.field == "spec.tags[latest].from.name"
    assert 'invalid tag "-bad" format' in error.message


@pytest.mark.parametrize("name", ["@abc", "python@", "a@b@c"])
def test_image_stream_image_source_name_forms(name):
    data = {"name": "latest", "from": {"kind": "ImageStreamImage", "name": name}}
    assert messages(validate_tag_reference(ref(data), "spec.tags[latest]")) == [
        ("spec.tags[latest].from.name",
         f'Invalid value: "{name}": must be of the form <id> or <stream_name>@<id>')]


def test_docker_image_source_uses_the_reference_grammar():
    data = {"name": "latest", "from": {"kind": "DockerImage", "name": "Docker.io/Python"}}
    assert messages(validate_tag_reference(ref(data), "spec.tags[latest]")) == [
        ("spec.tags[latest].from.name",
         'Invalid value: "Docker.io/Python": repository name must be lowercase')]


def test_from_name_required():
    data = {"name": "latest", "from": {"kind": "DockerImage"}}
    assert messages(validate_tag_reference(ref(data), "spec.tags[latest]")) == [
        ("spec.tags[latest].from.name", "Required value")]


def test_from_namespace_must_be_a_namespace():
    data = {"name": "latest", "from": {"kind": "ImageStreamTag", "name": "a:b",
                                       "namespace": "Bad_NS"}}
    [error] = validate_tag_reference(ref(data), "spec.tags[latest]")
    assert error.field == "spec.tags[latest].from.namespace"


@pytest.mark.parametrize("source", [
    {"kind": "ImageStreamTag", "name": "python:3.6"},
    {"kind": "ImageStreamImage", "name": f"python@sha256:{HEX64}"},
    None,
])
def test_only_docker_image_tags_may_be_scheduled(source):
    data = {"name": "latest", "importPolicy": {"scheduled": True}}
    if source:
        data["from"] = source
    assert messages(validate_tag_reference(ref(data), "spec.tags[latest]")) == [
        ("spec.tags[latest].importPolicy.scheduled", f"Invalid value: true: {SCHEDULE_MESSAGE}")]


def test_import_mode_and_reference_policy_values():
    data = {"name": "latest", "from": {"kind": "DockerImage", "name": "python"},
            "importPolicy": {"importMode": "Whatever"}, "referencePolicy": {"type": "Remote"}}
    assert messages(validate_tag_reference(ref(data), "tag")) == [
        ("tag.importPolicy.importMode",
         'Unsupported value: "Whatever": supported values: "Legacy", "PreserveOriginal"'),
        ("tag.referencePolicy.type",
         'Unsupported value: "Remote": supported values: "Source", "Local"'),
    ]


def test_spec_tag_name_is_checked_under_its_field():
    data = {"name": "bad tag", "from": {"kind": "DockerImage", "name": "python"}}
    [error] = validate_tag_reference(ref(data), "spec.tags[bad tag]")
    assert error.field == "spec.tags[bad tag].name"


# -- whole streams

def stream(data):
    return ImageStream.model_validate(data)


def test_a_repeated_spec_tag_name_keeps_its_last_entry():
    """OpenShift reads spec.tags into a map by name, so the last entry of a name wins."""
    body = stream({"metadata": {"name": "python"}, "spec": {"tags": [
        {"name": "latest", "from": {"kind": "DockerImage", "name": "python:3"}},
        {"name": "3", "from": {"kind": "DockerImage", "name": "python:3"}},
        {"name": "latest", "from": {"kind": "DockerImage", "name": "python:2"}},
    ]}})
    assert [(t.name, t.from_.name) for t in body.spec.tags] == [
        ("3", "python:3"), ("latest", "python:2")]
    assert validate_image_stream(body, "test") == []


def test_stream_errors_name_each_field():
    body = stream({"metadata": {"name": "Python"}, "spec": {
        "dockerImageRepository": "Bad/Repo",
        "tags": [
            {"name": "latest", "from": {"kind": "Other", "name": "x"}},
            {"name": "old", "from": {"kind": "ImageStreamImage", "name": "python@"}},
        ]}})
    fields = [e.field for e in validate_image_stream(body, "Test")]
    assert fields == ["metadata.namespace", "metadata.name", "spec.dockerImageRepository",
                      "spec.tags[latest].from.kind", "spec.tags[old].from.name"]


def test_fixture_like_metadata_is_valid():
    body = stream({"metadata": {
        "name": "origin-ruby-sample",
        "labels": {"app": "ruby-sample-build", "template": "application-template-stibuild"},
        "annotations": {"openshift.io/generated-by": "OpenShiftNewApp"}}})
    assert validate_image_stream(body, "test") == []


# -- labels and annotations

@pytest.mark.parametrize("key", ["app", "example.com/app", "a.b-c_d", "A1", "x" * 63,
                                 "sub.example.com/" + "x" * 63])
def test_valid_label_keys(key):
    assert validate_labels({key: "v"}, "metadata.labels") == []


@pytest.mark.parametrize("key", ["", "-app", "app-", "a b", "x" * 64, "Example.com/app",
                                 "a/b/c", "/app", "example.com/", "ex_ample.com/app"])
def test_invalid_label_keys(key):
    [error] = validate_labels({key: "v"}, "metadata.labels")
    assert error.field == "metadata.labels"
    assert error.message.startswith(f'Invalid value: "{key}": name part must consist of')


@pytest.mark.parametrize("value", ["", "v", "v1.2-3_x", "x" * 63])
def test_valid_label_values(value):
    assert validate_labels({"app": value}, "metadata.labels") == []


@pytest.mark.parametrize("value", ["-v", "v-", "a b", "x" * 64, "a/b"])
def test_invalid_label_values(value):
    [error] = validate_labels({"app": value}, "metadata.labels")
    assert error.field == "metadata.labels[app]"
    assert error.message.startswith(f'Invalid value: "{value}": a valid label must be')


def test_annotation_values_are_free_text_but_keys_are_checked():
    assert validate_annotations({"description": "any text: / @ !", "a.io/b": ""},
                                "metadata.annotations") == []
    [error] = validate_annotations({"bad key": "x"}, "metadata.annotations")
    assert error.field == "metadata.annotations"


def test_annotations_total_size_limit():
    [error] = validate_annotations({"a": "x" * (256 * 1024)}, "metadata.annotations")
    assert (error.field, error.reason) == ("metadata.annotations", "FieldValueTooLong")
    assert validate_annotations({"a": "x" * (256 * 1024 - 1)}, "metadata.annotations") == []


def test_spec_tag_annotations_are_checked_under_the_tag():
    data = {"name": "latest", "annotations": {"-bad": "x"}}
    [error] = validate_tag_reference(ref(data), "spec.tags[latest]")
    assert error.field == "spec.tags[latest].annotations"


# -- images

def test_image_name_must_be_a_digest_and_reference_is_required():
    image = Image.model_validate({"metadata": {"name": "sha256:1234"}})
    assert [e.field for e in validate_image(image)] == ["image.metadata.name",
                                                        "image.dockerImageReference"]
    good = Image.model_validate({"metadata": {"name": f"sha256:{HEX64}"},
                                 "dockerImageReference": f"quay.io/a@sha256:{HEX64}"})
    assert validate_image(good) == []
