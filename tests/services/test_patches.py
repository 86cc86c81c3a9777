"""apply_patch: JSON merge, strategic merge and JSON patch on OpenShift's python image stream.

Each expected document is the fixture changed by hand as the patch type's rules say.
"""
import copy
import json
from pathlib import Path

import pytest

from chalicelib.domain.errors import BadRequest, TooLarge, UnsupportedMediaType
from chalicelib.services.patching import (
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_MERGE_PATCH,
    PatchNotApplicable,
    apply_patch,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "openshift" / "library" / "python-centos7.json"
STREAM_MERGE_KEYS = {"spec.tags": "name", "status.tags": "tag"}
PY36 = {"name": "3.6", "from": {"kind": "DockerImage", "name": "centos/python-36-centos7:latest"}}


@pytest.fixture
def stream():
    return json.loads(FIXTURE.read_text())


@pytest.fixture
def expected(stream):
    return copy.deepcopy(stream)


def tag(document, name):
    return next(ref for ref in document["spec"]["tags"] if ref["name"] == name)


def without(document, *names):
    return [ref for ref in document["spec"]["tags"] if ref["name"] not in names]


def strategic(document, patch, merge_keys=STREAM_MERGE_KEYS):
    return apply_patch(document, patch, STRATEGIC_MERGE_PATCH, merge_keys)


def json_patch(document, *operations):
    return apply_patch(document, list(operations), JSON_PATCH, {})


# -- JSON merge patch (RFC 7386)

def test_merge_patch_merges_maps_deletes_nulls_and_replaces_lists(stream, expected):
    patch = {"metadata": {"labels": {"app": "python"},
                          "annotations": {"openshift.io/display-name": None}},
             "spec": {"tags": [PY36]}}
    expected["metadata"] = {"name": "python", "labels": {"app": "python"}, "annotations": {}}
    expected["spec"]["tags"] = [PY36]
    assert apply_patch(stream, patch, MERGE_PATCH, STREAM_MERGE_KEYS) == expected


def test_merge_patch_must_be_an_object(stream):
    with pytest.raises(BadRequest, match="^a merge patch must be a JSON object$"):
        apply_patch(stream, [PY36], MERGE_PATCH, STREAM_MERGE_KEYS)


# -- strategic merge patch

def test_strategic_patch_changes_one_spec_tag_by_name(stream, expected):
    patch = {"spec": {"tags": [{"name": "3.4",
                                "from": {"name": "centos/python-34-centos7:2024"}}]}}
    tag(expected, "3.4")["from"] = {"kind": "DockerImage", "name": "centos/python-34-centos7:2024"}
    assert strategic(stream, patch) == expected


def test_strategic_patch_appends_a_new_spec_tag(stream, expected):
    expected["spec"]["tags"].append(PY36)
    assert strategic(stream, {"spec": {"tags": [PY36]}}) == expected


def test_strategic_patch_deletes_a_spec_tag_with_the_delete_directive(stream, expected):
    expected["spec"]["tags"] = without(expected, "3.3")
    assert strategic(stream, {"spec": {"tags": [{"$patch": "delete", "name": "3.3"}]}}) == expected


def test_strategic_patch_as_kubectl_apply_sends_it(stream, expected):
    # kubectl apply after latest moved to 3.6, 3.6 was added and 2.7 dropped.
    applied = json.dumps({"kind": "ImageStream", "metadata": {"name": "python"}})
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": applied}},
        "spec": {
            "$setElementOrder/tags": [{"name": "latest"}, {"name": "3.3"}, {"name": "3.4"},
                                      {"name": "3.5"}, {"name": "3.6"}],
            "tags": [{"from": {"name": "3.6"}, "name": "latest"}, PY36,
                     {"$patch": "delete", "name": "2.7"}],
        },
    }
    expected["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = \
        applied
    tag(expected, "latest")["from"] = {"kind": "ImageStreamTag", "name": "3.6"}
    expected["spec"]["tags"] = without(expected, "2.7") + [PY36]
    assert strategic(stream, patch) == expected


def test_strategic_patch_accepts_an_element_order_without_applying_it(stream, expected):
    # The service answers spec.tags sorted by name, whatever order they are written in.
    order = [{"name": name} for name in ("3.5", "3.4", "3.3", "2.7", "latest")]
    assert strategic(stream, {"spec": {"$setElementOrder/tags": order}}) == expected


def test_strategic_patch_null_removes_an_annotation(stream, expected):
    patch = {"metadata": {"annotations": {"openshift.io/display-name": None}},
             "spec": {"tags": [{"name": "latest", "annotations": {"sampleRepo": None}}]}}
    expected["metadata"]["annotations"] = {}
    del tag(expected, "latest")["annotations"]["sampleRepo"]
    assert strategic(stream, patch) == expected


def test_strategic_patch_replace_directive_replaces_a_map(stream, expected):
    patch = {"spec": {"tags": [{"name": "latest", "annotations": {
        "$patch": "replace", "openshift.io/display-name": "Python"}}]}}
    tag(expected, "latest")["annotations"] = {"openshift.io/display-name": "Python"}
    assert strategic(stream, patch) == expected


def test_strategic_patch_replace_directive_replaces_a_list(stream, expected):
    expected["spec"]["tags"] = [PY36]
    assert strategic(stream, {"spec": {"tags": [{"$patch": "replace"}, PY36]}}) == expected


def test_strategic_patch_delete_directive_empties_a_map(stream, expected):
    expected["metadata"]["annotations"] = {}
    assert strategic(stream, {"metadata": {"annotations": {"$patch": "delete"}}}) == expected


def test_strategic_patch_replaces_a_list_without_a_merge_key(stream, expected):
    expected["spec"]["tags"] = [PY36]
    assert strategic(stream, {"spec": {"tags": [PY36]}}, merge_keys={}) == expected


def test_strategic_patch_deletes_values_from_a_primitive_list(stream, expected):
    stream["metadata"]["finalizers"] = ["a.io/one", "a.io/two", "a.io/three"]
    expected["metadata"]["finalizers"] = ["a.io/one", "a.io/three"]
    patch = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/two"]}}
    assert strategic(stream, patch) == expected


def test_strategic_patch_ignores_retain_keys(stream, expected):
    assert strategic(stream, {"spec": {"$retainKeys": ["tags"]}}) == expected


def test_strategic_patch_merges_status_tags_by_tag(stream, expected):
    event = {"created": "2024-03-01T12:00:00Z", "dockerImageReference": "a", "image": "sha256:a",
             "generation": 1}
    stream["status"] = {"tags": [{"tag": "latest", "items": [event]},
                                 {"tag": "3.5", "items": [event]}]}
    newer = dict(event, image="sha256:b")
    expected["status"] = {"tags": [{"tag": "latest", "items": [newer]},
                                   {"tag": "3.5", "items": [event]}]}
    assert strategic(stream, {"status": {"tags": [{"tag": "latest", "items": [newer]}]}}) \
        == expected


def test_strategic_patch_leaves_the_document_as_it_was(stream, expected):
    strategic(stream, {"metadata": {"annotations": {"openshift.io/display-name": None}},
                       "spec": {"tags": [{"name": "latest", "annotations": {"$patch": "delete"}},
                                         {"$patch": "delete", "name": "3.3"}]}})
    assert stream == expected


@pytest.mark.parametrize("patch, message", [
    ([PY36], "a strategic merge patch must be a JSON object"),
    ({"spec": {"tags": [{"from": {"name": "3.6"}}]}},
     'strategic merge patch at spec.tags: element 0 has no merge key "name"'),
    ({"spec": {"tags": [PY36, {"$patch": "delete"}]}},
     'strategic merge patch at spec.tags: element 1 has no merge key "name"'),
    ({"spec": {"tags": ["latest"]}},
     "strategic merge patch at spec.tags: element 0 is not a JSON object"),
    ({"spec": {"tags": [{"$patch": "merge", "name": "latest"}]}},
     'strategic merge patch at spec.tags: element 0: "$patch" must be "delete" or "replace", '
     'not "merge"'),
    ({"metadata": {"$patch": "merge"}},
     'strategic merge patch at metadata: "$patch" must be "delete" or "replace", not "merge"'),
    ({"$patch": None},
     'strategic merge patch at the root: "$patch" must be "delete" or "replace", not null'),
    ({"spec": {"$setElementOrder": [{"name": "latest"}]}},
     'strategic merge patch at spec: unknown directive "$setElementOrder"'),
    ({"spec": {"$setElementOrder/tags": "latest"}},
     'strategic merge patch at spec: "$setElementOrder/tags" must be a list'),
    ({"metadata": {"$deleteFromPrimitiveList/finalizers": "a.io/two"}},
     'strategic merge patch at metadata: "$deleteFromPrimitiveList/finalizers" must be a list'),
    ({"spec": {"$retainKeys": "tags"}},
     'strategic merge patch at spec: "$retainKeys" must be a list'),
])
def test_malformed_strategic_patch_is_a_bad_request(stream, patch, message):
    with pytest.raises(BadRequest) as raised:
        strategic(stream, patch)
    assert raised.value.message == message
    assert raised.value.code == 400


# -- JSON patch (RFC 6902)

def test_json_patch_add_inserts_appends_and_sets_a_member(stream, expected):
    result = json_patch(
        stream,
        {"op": "add", "path": "/spec/tags/1", "value": PY36},
        {"op": "add", "path": "/spec/tags/-", "value": {"name": "3.7"}},
        {"op": "add", "path": "/metadata/annotations/openshift.io~1provider-display-name",
         "value": "Red Hat"},
        {"op": "add", "path": "/metadata/labels", "value": None},
    )
    expected["spec"]["tags"][1:1] = [PY36]
    expected["spec"]["tags"].append({"name": "3.7"})
    expected["metadata"]["annotations"]["openshift.io/provider-display-name"] = "Red Hat"
    expected["metadata"]["labels"] = None
    assert result == expected


def test_json_patch_remove(stream, expected):
    result = json_patch(
        stream,
        {"op": "remove", "path": "/spec/tags/1"},
        {"op": "remove", "path": "/metadata/annotations/openshift.io~1display-name"},
    )
    expected["spec"]["tags"] = without(expected, "3.3")
    expected["metadata"]["annotations"] = {}
    assert result == expected


def test_json_patch_replace(stream, expected):
    result = json_patch(stream,
                        {"op": "replace", "path": "/spec/tags/4/from/name", "value": "python:3.5"},
                        {"op": "replace", "path": "/metadata/name", "value": "py"})
    tag(expected, "3.5")["from"]["name"] = "python:3.5"
    expected["metadata"]["name"] = "py"
    assert result == expected


def test_json_patch_move(stream, expected):
    result = json_patch(
        stream,
        {"op": "move", "from": "/spec/tags/0", "path": "/spec/tags/-"},
        {"op": "move", "from": "/metadata/annotations/openshift.io~1display-name",
         "path": "/metadata/annotations/openshift.io~1provider-display-name"},
    )
    expected["spec"]["tags"] = without(expected, "latest") + [tag(expected, "latest")]
    expected["metadata"]["annotations"] = {"openshift.io/provider-display-name": "Python"}
    assert result == expected


def test_json_patch_copy(stream, expected):
    result = json_patch(stream,
                        {"op": "copy", "from": "/spec/tags/4", "path": "/spec/tags/-"},
                        {"op": "replace", "path": "/spec/tags/5/name", "value": "3.5-copy"})
    expected["spec"]["tags"].append(dict(copy.deepcopy(tag(expected, "3.5")), name="3.5-copy"))
    assert result == expected


def test_json_patch_test_guards_the_operations_after_it(stream, expected):
    result = json_patch(stream,
                        {"op": "test", "path": "/spec/tags/0/name", "value": "latest"},
                        {"op": "test", "path": "/spec/tags/0/from",
                         "value": {"name": "3.5", "kind": "ImageStreamTag"}},
                        {"op": "remove", "path": "/spec/tags/0"})
    expected["spec"]["tags"] = without(expected, "latest")
    assert result == expected


def test_json_patch_unescapes_tilde_before_slash(stream, expected):
    # "~01" is "~" then "1": "~1" is unescaped first, so it never becomes "/".
    result = json_patch(stream,
                        {"op": "add", "path": "/metadata/annotations/a~01b", "value": "x"},
                        {"op": "add", "path": "/metadata/annotations/c~0d~1e", "value": "y"},
                        {"op": "test", "path": "/metadata/annotations/a~01b", "value": "x"})
    expected["metadata"]["annotations"].update({"a~1b": "x", "c~d/e": "y"})
    assert result == expected


def test_json_patch_leaves_the_document_as_it_was(stream, expected):
    json_patch(stream, {"op": "remove", "path": "/spec/tags/0"},
               {"op": "add", "path": "/metadata/annotations/a", "value": "b"})
    with pytest.raises(PatchNotApplicable):
        json_patch(stream, {"op": "remove", "path": "/spec/tags/0/annotations"},
                   {"op": "remove", "path": "/spec/missing"})
    assert stream == expected


@pytest.mark.parametrize("operations, message", [
    ([{"op": "replace", "path": "/spec/tags/5", "value": PY36}],
     "json patch operation 0 (replace /spec/tags/5): /spec/tags/5 not found"),
    ([{"op": "test", "path": "/spec/tags/0/name", "value": "latest"},
      {"op": "remove", "path": "/metadata/labels/app"}],
     "json patch operation 1 (remove /metadata/labels/app): /metadata/labels not found"),
    ([{"op": "add", "path": "/spec/tags/6", "value": PY36}],
     "json patch operation 0 (add /spec/tags/6): /spec/tags/6: index 6 is past the end of the "
     "array (5 elements)"),
    ([{"op": "add", "path": "/spec/tags/01", "value": PY36}],
     'json patch operation 0 (add /spec/tags/01): /spec/tags/01 not found: "01" is not an array '
     'index'),
    ([{"op": "remove", "path": "/spec/tags/-"}],
     'json patch operation 0 (remove /spec/tags/-): /spec/tags/- not found: "-" names the place '
     'after the last element'),
    ([{"op": "add", "path": "/metadata/name/first", "value": "p"}],
     "json patch operation 0 (add /metadata/name/first): /metadata/name is neither an object "
     "nor an array"),
    ([{"op": "test", "path": "/spec/tags/0/name", "value": "3.5"}],
     "json patch operation 0 (test /spec/tags/0/name): test failed: the value at "
     "/spec/tags/0/name is not the value given"),
    ([{"op": "add", "path": "/spec/lookupPolicy", "value": {"local": True}},
      {"op": "test", "path": "/spec/lookupPolicy", "value": {"local": 1}}],
     "json patch operation 1 (test /spec/lookupPolicy): test failed: the value at "
     "/spec/lookupPolicy is not the value given"),
    ([{"op": "test", "path": "/spec/tags/0/from", "value": {"kind": "ImageStreamTag"}}],
     "json patch operation 0 (test /spec/tags/0/from): test failed: the value at "
     "/spec/tags/0/from is not the value given"),
    ([{"op": "move", "from": "/spec", "path": "/spec/tags/0"}],
     "json patch operation 0 (move /spec to /spec/tags/0): /spec cannot be moved into its own "
     "child /spec/tags/0"),
    ([{"op": "copy", "from": "/spec/tags/9", "path": "/spec/tags/-"}],
     "json patch operation 0 (copy /spec/tags/9 to /spec/tags/-): /spec/tags/9 not found"),
    ([{"op": "remove", "path": ""}],
     'json patch operation 0 (remove ""): the whole document cannot be removed'),
    ([{"op": "replace", "path": "", "value": [PY36]}],
     "the patched document is not a JSON object"),
])
def test_json_patch_that_does_not_apply_is_unprocessable(stream, operations, message):
    with pytest.raises(PatchNotApplicable) as raised:
        json_patch(stream, *operations)
    assert raised.value.message == message
    assert (raised.value.code, raised.value.reason) == (422, "Invalid")


@pytest.mark.parametrize("patch, message", [
    ({"op": "add", "path": "/spec/tags/-", "value": PY36},
     "a JSON patch must be a list of operations"),
    (["add"], "json patch operation 0: an operation must be a JSON object"),
    ([{"op": "upsert", "path": "/spec"}],
     'json patch operation 0: "op" must be one of add, remove, replace, move, copy, test'),
    ([{"path": "/spec"}],
     'json patch operation 0: "op" must be one of add, remove, replace, move, copy, test'),
    ([{"op": "add", "value": PY36}], 'json patch operation 0 (add): "path" must be a JSON '
                                     'pointer string'),
    ([{"op": "add", "path": "/spec/tags/-"}],
     'json patch operation 0 (add /spec/tags/-): the operation has no "value"'),
    ([{"op": "move", "path": "/spec/tags/-"}],
     'json patch operation 0 (move to /spec/tags/-): "from" must be a JSON pointer string'),
    ([{"op": "remove", "path": "spec"}],
     'json patch operation 0 (remove spec): "spec" is not a JSON pointer: it must be empty or '
     'start with "/"'),
    ([{"op": "remove", "path": "/metadata/annotations/a~2b"}],
     'json patch operation 0 (remove /metadata/annotations/a~2b): "/metadata/annotations/a~2b" '
     'is not a JSON pointer: "~" must be followed by 0 or 1'),
    # Every operation is read before any is applied: the first one would fail to apply.
    ([{"op": "remove", "path": "/spec/missing"}, {"op": "copy", "from": "/a~", "path": "/b"}],
     'json patch operation 1 (copy /a~ to /b): "/a~" is not a JSON pointer: "~" must be '
     'followed by 0 or 1'),
])
def test_malformed_json_patch_is_a_bad_request(stream, patch, message):
    with pytest.raises(BadRequest) as raised:
        apply_patch(stream, patch, JSON_PATCH, {})
    assert raised.value.message == message
    assert raised.value.code == 400


def test_json_patch_of_more_than_ten_thousand_operations_is_too_large(stream):
    operations = [{"op": "test", "path": "/metadata/name", "value": "python"}] * 10001
    with pytest.raises(TooLarge) as raised:
        json_patch(stream, *operations)
    assert raised.value.message == \
        "The allowed maximum operations in a JSON patch is 10000, got 10001"


def test_json_patch_of_ten_thousand_operations_applies(stream, expected):
    operations = [{"op": "test", "path": "/metadata/name", "value": "python"}] * 10000
    assert json_patch(stream, *operations) == expected


def test_other_media_types_are_unsupported(stream):
    with pytest.raises(UnsupportedMediaType) as raised:
        apply_patch(stream, {}, "application/json", STREAM_MERGE_KEYS)
    assert raised.value.message == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/strategic-merge-patch+json")
