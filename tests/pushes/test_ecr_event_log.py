"""The ECR push handler's log lines: what happened to the push, with the Lambda context's
request id and the namespace, stream and tag it writes, at INFO (which reaches CloudWatch
at the stack's default LogLevel)."""
from __future__ import annotations

import logging

import pytest
from chalice.local import LambdaContext

import app as app_module
from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore


def test_an_ecr_push_logs_its_outcome_and_the_tag_it_moved(
        registry, caplog: pytest.LogCaptureFixture) -> None:
    manifest, media_type = registry.image()
    digest = registry.push("shop/web", "latest", manifest, media_type)
    services = wiring.Services(MemoryStore())
    services.__dict__["ecr_pushes"] = registry.pushes  # the moto ECR of the fixture
    wiring.use(services)
    caplog.set_level(logging.INFO, logger="chalicelib")
    context = LambdaContext("imagestreams-ecr", 512)
    try:
        outcome = app_module.record_ecr_push(registry.event("shop/web", "latest", digest),
                                             context)
    finally:
        wiring.use(None)
    assert outcome == "moved"
    pushed, handled = [r for r in caplog.records if r.name in (
        "chalicelib.services.pushes", "chalicelib.entrypoints.push_events")]
    for line in (pushed, handled):
        assert (line.namespace, line.stream, line.tag) == ("shop", "web", "latest")
        assert line.requestId == context.aws_request_id and line.levelno == logging.INFO
    assert (pushed.outcome, pushed.digest) == ("moved", digest)
    assert handled.getMessage().endswith(": moved") and handled.repository == "shop/web"
