"""The table-stream consumer's metrics line and log lines, on real calls of its handler
(`publish_tag_changes(event, context)`, as the event source mapping calls it)."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.local import LambdaContext

import app as app_module
from local.stream_reader import lambda_records
from testbed.dynamodb import REGION
from testbed.emf import emf_documents, in_lambda, metrics_of
from tests.triggers.conftest import Cloud, moto_cloud
from tests.triggers.test_publisher import FlakySns, create_stream, push

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/1"


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    in_lambda(monkeypatch)
    with moto_cloud() as cloud:
        yield cloud


def moves(cloud: Cloud, *tags: tuple[str, str]) -> list[dict[str, Any]]:
    create_stream(cloud, "web")
    for tag, char in tags:
        push(cloud, "web", tag, char)
    return lambda_records(cloud.reader.read(limit=1000), ARN, REGION)


def invoke(records: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    context = LambdaContext("imagestreams-publish", 512)
    return app_module.publish_tag_changes({"Records": records}, context), \
        context.aws_request_id


def test_a_batch_writes_one_line_counting_its_tag_moves(
        cloud: Cloud, capsys: pytest.CaptureFixture[str]) -> None:
    records = moves(cloud, ("latest", "a"), ("latest", "b"), ("v1", "a"))
    capsys.readouterr()
    reply, request_id = invoke(records)
    assert reply == {"batchItemFailures": []}
    [document] = emf_documents(capsys.readouterr().out)
    assert metrics_of(document) == {"TagMoves": (3, "Count"), "PublishFailures": (0, "Count")}
    assert (document["function"], document["requestId"]) == ("publish_tag_changes", request_id)
    # Delivered again, the moves are out already: none is counted twice.
    invoke(records)
    [again] = emf_documents(capsys.readouterr().out)
    assert metrics_of(again)["TagMoves"] == (0, "Count")


def test_unpublished_moves_are_counted_and_each_logged_with_its_tag(
        cloud: Cloud, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    records = moves(cloud, ("a1", "a"), ("a2", "a"), ("a3", "a"))
    cloud.publisher.client = FlakySns(cloud.sns, passes=[1] + [0] * 9)  # one, then none
    capsys.readouterr()
    reply, request_id = invoke(records)
    assert reply["batchItemFailures"]
    [document] = emf_documents(capsys.readouterr().out)
    assert metrics_of(document) == {"TagMoves": (1, "Count"), "PublishFailures": (2, "Count")}
    lines = [r for r in caplog.records if r.getMessage().startswith("tag change ")]
    assert [(r.namespace, r.stream, r.tag) for r in lines] == [
        ("shop", "web", "a2"), ("shop", "web", "a3")]
    assert all(r.requestId == request_id and r.levelno == logging.WARNING for r in lines)
