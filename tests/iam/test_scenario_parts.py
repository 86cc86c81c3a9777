"""The pieces the scenarios stand on: Lambda's event filter and the route a path reaches."""
from __future__ import annotations

import pytest

from .scenarios import event_matches, route_of

TAGS_AND_STREAMS = {"dynamodb": {"Keys": {"PK": {"S": [{"prefix": "IS#"}]},
                                          "SK": {"S": [{"prefix": "T#"}, "#"]}}}}


def record(pk: str, sk: str) -> dict:
    return {"eventName": "MODIFY", "dynamodb": {"Keys": {"PK": {"S": pk}, "SK": {"S": sk}}}}


@pytest.mark.parametrize("pk,sk,delivered", [
    ("IS#shop/web", "T#latest", True), ("IS#shop/web", "#", True),
    ("IS#shop/web", "H#latest#1", False), ("PUBLISHED#1", "#", False),
    ("CHANGES#shop", "T#x", False), ("IS#shop/web", "#x", False),
])
def test_the_filter_delivers_what_its_pattern_matches(pk: str, sk: str, delivered: bool) -> None:
    assert event_matches(TAGS_AND_STREAMS, record(pk, sk)) is delivered


def test_exists_and_missing_fields() -> None:
    assert event_matches({"dynamodb": {"NewImage": [{"exists": False}]}}, record("a", "b"))
    assert not event_matches({"dynamodb": {"NewImage": [{"exists": True}]}}, record("a", "b"))
    assert not event_matches({"other": ["x"]}, record("a", "b"))
    with pytest.raises(AssertionError):
        event_matches({"eventName": [{"anything-but": "REMOVE"}]}, record("a", "b"))


def test_a_path_reaches_the_most_literal_route() -> None:
    assert route_of("/apis/image.openshift.io/v1/namespaces/a/imagestreams/b?x=1") == (
        "/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreams/{name}")
    assert route_of("/apis/image.openshift.io/v1/images") == "/apis/image.openshift.io/v1/images"
    assert route_of("/apis/user.openshift.io/v1/users/~") == "/apis/user.openshift.io/v1/users/~"
