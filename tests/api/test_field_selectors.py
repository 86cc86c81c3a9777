"""Field selectors parse, match and fail as kube-apiserver's do."""
from __future__ import annotations

import pytest

from chalicelib.api.field_selectors import parse_field_selector
from chalicelib.domain.errors import BadRequest

PYTHON = {"kind": "ImageStream", "metadata": {"name": "python", "namespace": "default"},
          "spec": {}, "status": {"dockerImageRepository": "registry.test/default/python"}}
RUBY = {"kind": "ImageStream", "metadata": {"name": "ruby", "namespace": "default"}}
ODD = {"kind": "ImageStream", "metadata": {"name": "a,b=c\\d", "namespace": "ci"}}
STREAMS = [PYTHON, RUBY, ODD]
IMAGE = {"kind": "Image", "metadata": {"name": "sha256:49c1"}}


def selected(text: str, kind: str = "ImageStream", objects: list[dict] = STREAMS) -> list[str]:
    matches = parse_field_selector(text, kind)
    return [obj["metadata"]["name"] for obj in objects if matches(obj)]


def refusal(text: str, kind: str = "ImageStream") -> str:
    with pytest.raises(BadRequest) as raised:
        parse_field_selector(text, kind)
    assert raised.value.code == 400
    return raised.value.message


def test_an_empty_selector_selects_everything():
    assert selected("") == ["python", "ruby", "a,b=c\\d"]
    assert selected(",,") == ["python", "ruby", "a,b=c\\d"]


def test_equality_in_all_three_spellings():
    assert selected("metadata.name=python") == ["python"]
    assert selected("metadata.name==python") == ["python"]
    assert selected("metadata.name!=python") == ["ruby", "a,b=c\\d"]


def test_terms_are_anded():
    assert selected("metadata.namespace=default,metadata.name!=python") == ["ruby"]
    assert selected("metadata.namespace=default,metadata.name=nothing") == []


def test_escaped_commas_equals_and_backslashes_are_part_of_the_value():
    assert selected("metadata.name=a\\,b\\=c\\\\d") == ["a,b=c\\d"]
    assert selected("metadata.name=a\\,b\\=c\\\\d,metadata.namespace=ci") == ["a,b=c\\d"]


def test_an_empty_value_selects_objects_without_the_field():
    assert selected("metadata.namespace=", "Image", [IMAGE]) == ["sha256:49c1"]
    assert selected("metadata.namespace!=", "Image", [IMAGE]) == []


def test_image_streams_select_by_their_repositories_too():
    assert selected("status.dockerImageRepository=registry.test/default/python") == ["python"]
    assert selected("spec.dockerImageRepository=") == ["python", "ruby", "a,b=c\\d"]


def test_secrets_select_by_type():
    secrets = [{"metadata": {"name": "quay"}, "type": "kubernetes.io/dockerconfigjson"},
               {"metadata": {"name": "old"}, "type": "kubernetes.io/dockercfg"}]
    assert selected("type=kubernetes.io/dockercfg", "Secret", secrets) == ["old"]


def test_an_unknown_field_is_refused_in_the_words_of_the_kinds_server():
    assert refusal("spec.tags=x") == (
        '"spec.tags" is not a known field selector: only "metadata.name", "metadata.namespace"')
    assert refusal("metadata.labels=x", "RoleBinding") == (
        '"metadata.labels" is not a known field selector: only "metadata.name", '
        '"metadata.namespace"')
    assert refusal("spec.dockerImageRepository=x", "Image") == (
        '"spec.dockerImageRepository" is not a known field selector: only "metadata.name", '
        '"metadata.namespace"')
    assert refusal("data=x", "Secret") == "field label not supported: data"
    assert refusal("spec.subject=alice", "AccessToken") == (
        "field label not supported: spec.subject")


def test_the_field_is_not_trimmed():
    assert refusal("metadata.name =python") == (
        '"metadata.name " is not a known field selector: only "metadata.name", '
        '"metadata.namespace"')


def test_a_term_without_an_operator_is_malformed():
    assert refusal("metadata.name") == (
        "invalid selector: 'metadata.name'; can't understand 'metadata.name'")
    assert refusal("metadata.name=python,ruby") == (
        "invalid selector: 'metadata.name=python,ruby'; can't understand 'ruby'")


def test_bad_escapes_in_a_value():
    assert refusal("metadata.name=a\\b") == "invalid field selector: invalid escape sequence: \\b"
    assert refusal("metadata.name=a\\") == "invalid field selector: invalid escape sequence: \\"
    # Go prints the rune's code point: 61 is "="
    assert refusal("metadata.name=a=b") == (
        "invalid field selector: unescaped character in value: 61")


def test_terms_are_read_in_sorted_order_and_malformed_ones_reported_first():
    assert refusal("zzz=1,aaa=1") == (
        '"aaa" is not a known field selector: only "metadata.name", "metadata.namespace"')
    assert refusal("aaa=1,zzz") == "invalid selector: 'aaa=1,zzz'; can't understand 'zzz'"
