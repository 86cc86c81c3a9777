"""Reading the EMF lines a handler writes to stdout (chalicelib/metrics.py), and checking
each against the embedded metric format CloudWatch accepts."""
from __future__ import annotations

import json
from typing import Any

import pytest

UNITS = {"Seconds", "Microseconds", "Milliseconds", "Bytes", "Count", "Percent", "None"}


def in_lambda(monkeypatch: pytest.MonkeyPatch, stack: str = "obs-test") -> None:
    """What Lambda and the template set: the metric lines then go to stdout."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "imagestreams-test")
    monkeypatch.setenv("STACK_NAME", stack)


def emf_documents(captured: str) -> list[dict[str, Any]]:
    """Every EMF document among the lines, each checked for its shape."""
    documents = []
    for line in captured.splitlines():
        if not line.startswith("{"):
            continue
        document = json.loads(line)
        if "_aws" in document:
            check_shape(document)
            documents.append(document)
    return documents


def check_shape(document: dict[str, Any]) -> None:
    """The EMF specification's rules: a millisecond timestamp, directives naming a
    namespace, dimension sets of keys the document holds, and metrics with a unit whose
    values are numbers at the document's root."""
    metadata = document["_aws"]
    assert isinstance(metadata["Timestamp"], int) and metadata["Timestamp"] > 1_600_000_000_000
    for directive in metadata["CloudWatchMetrics"]:
        assert directive["Namespace"] == "ImageStreams"
        assert directive["Dimensions"] == [["Stack"]]
        assert isinstance(document["Stack"], str) and document["Stack"]
        assert directive["Metrics"], "a directive with no metric"
        for metric in directive["Metrics"]:
            assert metric["Unit"] in UNITS, metric
            value = document[metric["Name"]]
            assert isinstance(value, (int, float)) and not isinstance(value, bool), metric


def metrics_of(document: dict[str, Any]) -> dict[str, tuple[float, str]]:
    """Each metric of a document: (value, unit)."""
    return {metric["Name"]: (document[metric["Name"]], metric["Unit"])
            for directive in document["_aws"]["CloudWatchMetrics"]
            for metric in directive["Metrics"]}
