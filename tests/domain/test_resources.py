"""Resource types: JSON names, defaults, times, unknown fields."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.resources.image import Image
from chalicelib.resources.meta import format_time
from chalicelib.resources.stream import ImageStream, ImageStreamTag, TagReference


@pytest.mark.parametrize("text, expected", [
    ("2017-09-29T13:33:49Z", "2017-09-29T13:33:49Z"),
    ("2016-01-29T13:40:00.123456789Z", "2016-01-29T13:40:00Z"),
    ("2016-01-29T13:40:00+02:00", "2016-01-29T11:40:00Z"),
    ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),  # Go's zero time, as some images carry
    ("0999-12-31T23:59:59Z", "0999-12-31T23:59:59Z"),
])
def test_times_are_rfc3339_utc_seconds(text, expected):
    image = Image.model_validate({"dockerImageMetadata": {"Created": text}})
    assert image.to_json()["dockerImageMetadata"]["Created"] == expected


def test_format_time_of_naive_and_aware_datetimes():
    assert format_time(datetime(2024, 1, 2, 3, 4, 5, 999)) == "2024-01-02T03:04:05Z"
    east = timezone(timedelta(hours=5))
    assert format_time(datetime(2024, 1, 2, 3, 4, 5, tzinfo=east)) == "2024-01-01T22:04:05Z"


def test_spec_tag_defaults_and_json_names():
    ref = TagReference.model_validate({"name": "latest", "from": {"kind": "DockerImage",
                                                                  "name": "python"}})
    assert ref.to_json() == {
        "name": "latest", "from": {"kind": "DockerImage", "name": "python"},
        "importPolicy": {"importMode": "Legacy"}, "referencePolicy": {"type": "Source"}}


def test_unknown_fields_are_dropped_but_docker_metadata_keeps_them():
    stream = ImageStream.model_validate({"metadata": {"name": "x", "selfLink": "/x",
                                                      "managedFields": []}, "bogus": 1})
    assert stream.to_json()["metadata"] == {"name": "x"}
    assert "bogus" not in stream.to_json()
    image = Image.model_validate({"dockerImageMetadata": {"Parent": "p", "Config": {
        "Hostname": "h", "Env": ["A=1"]}}})
    assert image.to_json()["dockerImageMetadata"] == {"Parent": "p", "Config": {
        "Hostname": "h", "Env": ["A=1"]}}


def test_stream_defaults():
    stream = ImageStream.model_validate({"metadata": {"name": "x"}})
    assert stream.to_json() == {"kind": "ImageStream", "apiVersion": "image.openshift.io/v1",
                                "metadata": {"name": "x"}, "spec": {}}


def test_istag_json_shape():
    tag = ImageStreamTag.model_validate({"metadata": {"name": "s:t"}, "tag": {
        "name": "t", "from": {"kind": "ImageStreamTag", "name": "s:u"}},
        "lookupPolicy": {"local": True}})
    data = tag.to_json()
    assert data["tag"]["from"] == {"kind": "ImageStreamTag", "name": "s:u"}
    assert data["lookupPolicy"] == {"local": True}
    assert data["generation"] == 0 and data["image"]["kind"] == "Image"


def test_parse_model_names_each_bad_field():
    from chalicelib.domain.errors import Invalid
    from chalicelib.resources.parse import parse_model
    from chalicelib.resources.stream import ImageStreamMapping
    with pytest.raises(Invalid) as err:
        parse_model(ImageStream, {"spec": {"tags": [{"name": 1, "from": {"name": "x"}}]}},
                    "imagestreams.image.openshift.io", "x")
    assert [(c.field, c.reason) for c in err.value.causes] == [
        ("spec.tags[0].name", "FieldValueInvalid"), ("spec.tags[0].from.kind",
                                                     "FieldValueRequired")]
    assert err.value.message.startswith(
        'ImageStream.image.openshift.io "x" is invalid: spec.tags[0].name: ')
    assert err.value.kind == "ImageStream"
    with pytest.raises(Invalid) as err:
        parse_model(ImageStreamMapping, {"image": {}}, "imagestreammappings.image.openshift.io",
                    "x")
    assert [(c.field, c.message) for c in err.value.causes] == [("tag", "Required value")]
    with pytest.raises(Invalid) as err:
        parse_model(ImageStream, [1], "imagestreams.image.openshift.io", "x")
    assert [c.field for c in err.value.causes] == ["<body>"]
