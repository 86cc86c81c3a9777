"""The distribution reference grammar and the stream name splitters."""
import pytest

from chalicelib.domain.reference import (
    DockerImageReference,
    InvalidReference,
    parse_reference,
    split_stream_image,
    split_stream_tag,
)
from chalicelib.domain.validation import validate_digest

HEX64 = "47463d94eb5c049b2d23b03a9530bf944f8f967a0fe79147dd6b9135bf7dd13d"


@pytest.mark.parametrize("text, registry, repository, tag, digest", [
    ("python", "", "python", "", ""),
    ("python:3.6", "", "python", "3.6", ""),
    ("centos/python-35-centos7", "", "centos/python-35-centos7", "", ""),
    ("docker.io/python:3.6.0", "docker.io", "python", "3.6.0", ""),
    ("localhost/foo", "localhost", "foo", "", ""),
    ("localhost:5000/foo:bar", "localhost:5000", "foo", "bar", ""),
    ("myhost:5000/a/b", "myhost:5000", "a/b", "", ""),
    ("Registry.Example.COM/team/app", "Registry.Example.COM", "team/app", "", ""),
    ("[::1]:5000/foo", "[::1]:5000", "foo", "", ""),
    ("172.30.56.218:5000/test/origin-ruby-sample@sha256:" + HEX64,
     "172.30.56.218:5000", "test/origin-ruby-sample", "", "sha256:" + HEX64),
    ("python:3.6@sha256:" + HEX64, "", "python", "3.6", "sha256:" + HEX64),
    ("foo__bar", "", "foo__bar", "", ""),
    ("foo--bar.baz_q", "", "foo--bar.baz_q", "", ""),
    ("foo:LATEST_1.x-y", "", "foo", "LATEST_1.x-y", ""),
    ("foo:5000", "", "foo", "5000", ""),
])
def test_valid_references(text, registry, repository, tag, digest):
    ref = parse_reference(text)
    assert ref == DockerImageReference(registry, repository, tag, digest)
    assert ref.exact == text


@pytest.mark.parametrize("text", ["foo/bar", "library/python", "a/b/c"])
def test_first_component_without_dot_colon_or_localhost_is_not_a_registry(text):
    assert parse_reference(text).registry == ""
    assert parse_reference(text).repository == text


@pytest.mark.parametrize("text, reason", [
    ("", "repository name must have at least one component"),
    ("Foo", "repository name must be lowercase"),
    ("Foo/bar", "repository name must be lowercase"),
    ("reg.io/Foo", "repository name must be lowercase"),
    ("foo@sha256:" + "a" * 31, "invalid checksum digest format"),
    ("foo@sha256:" + "g" * 64, "invalid checksum digest format"),
    ("foo@" + HEX64, "invalid checksum digest format"),
    ("foo:" + "a" * 129, "invalid reference format"),
    ("foo:-x", "invalid reference format"),
    ("foo:.x", "invalid reference format"),
    ("foo//bar", "invalid reference format"),
    ("foo/", "invalid reference format"),
    ("/foo", "invalid reference format"),
    ("foo___bar", "invalid reference format"),
    ("-foo", "invalid reference format"),
    ("x:y/z", "invalid reference format"),
    ("example.com:/x", "invalid reference format"),
    ("foo bar", "invalid reference format"),
    ("a" * 256, "repository name must not be more than 255 characters"),
    ("reg.io/" + "a" * 249, "repository name must not be more than 255 characters"),
])
def test_invalid_references(text, reason):
    with pytest.raises(InvalidReference) as err:
        parse_reference(text)
    assert str(err.value) == reason


def test_digest_needs_at_least_32_hex_characters():
    assert parse_reference("foo@sha256:" + "a" * 32).digest == "sha256:" + "a" * 32
    with pytest.raises(InvalidReference):
        parse_reference("foo@sha256:" + "a" * 31)


def test_digest_is_at_most_255_characters():
    # Found while fuzzing: images are keyed by digest, and DynamoDB refuses a key over 1024
    # bytes, so GET /images/sha256:<3,000 hex digits> and such a mapping were a 500.
    longest = "sha512:" + "a" * 248
    assert parse_reference("foo@" + longest).digest == longest
    assert validate_digest(longest, "image.metadata.name") == []
    for digest in ("sha512:" + "a" * 249, "a" * 300 + ":" + "b" * 64):
        with pytest.raises(InvalidReference):
            parse_reference("foo@" + digest)
        assert validate_digest(digest, "image.metadata.name")[0].field == "image.metadata.name"


def test_tag_is_at_most_128_characters():
    assert parse_reference("foo:" + "a" * 128).tag == "a" * 128
    with pytest.raises(InvalidReference):
        parse_reference("foo:" + "a" * 129)


def test_tag_characters_are_ascii_only():
    with pytest.raises(InvalidReference):
        parse_reference("foo:caf\u00e9")


def test_repository_is_at_most_255_characters_including_the_registry():
    assert parse_reference("a" * 255).repository == "a" * 255
    assert parse_reference("reg.io/" + "a" * 248).name == "reg.io/" + "a" * 248
    with pytest.raises(InvalidReference):
        parse_reference("a" * 256)


@pytest.mark.parametrize("text, expected", [
    ("python:3.6", "docker.io/library/python:3.6"),
    ("python", "docker.io/library/python"),
    ("docker.io/python:3.6.0", "docker.io/library/python:3.6.0"),
    ("centos/python-35-centos7", "docker.io/centos/python-35-centos7"),
    ("docker.io/library/python", "docker.io/library/python"),
    ("quay.io/app", "quay.io/app"),
    ("localhost:5000/app:1", "localhost:5000/app:1"),
    ("python@sha256:" + HEX64, "docker.io/library/python@sha256:" + HEX64),
])
def test_docker_client_defaults(text, expected):
    assert parse_reference(text).docker_client_defaults().exact == expected


def test_with_digest_drops_the_tag():
    ref = parse_reference("quay.io/app:1").with_digest("sha256:" + HEX64)
    assert ref.exact == "quay.io/app@sha256:" + HEX64


@pytest.mark.parametrize("name, expected", [
    ("python:latest", ("python", "latest")),
    ("python:3.6.0", ("python", "3.6.0")),
    ("python", None),
    ("python:", None),
    (":latest", None),
    (":", None),
    ("a:b:c", None),
    ("python@sha256:" + HEX64, None),
    ("python:latest@sha256:" + HEX64, None),
    ("", None),
])
def test_split_stream_tag(name, expected):
    assert split_stream_tag(name) == expected


@pytest.mark.parametrize("name, expected", [
    ("python@sha256:" + HEX64, ("python", "sha256:" + HEX64)),
    ("python@4746", ("python", "4746")),
    ("python", None),
    ("python@", None),
    ("@sha256:" + HEX64, None),
    ("a@b@c", None),
    ("", None),
])
def test_split_stream_image(name, expected):
    assert split_stream_image(name) == expected
