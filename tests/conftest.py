"""Fixtures shared by every test package.

`store` runs a test once per StreamStore implementation: the in-memory reference and the
DynamoDB adapter on moto. `dynamodb` is the moto table itself, for DynamoDB-only tests.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import core as hypothesis_core
from hypothesis.internal.conjecture import engine as hypothesis_engine
from hypothesis.vendor import pretty as hypothesis_pretty

from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.services.ports import StreamStore
from testbed.dynamodb import DynamoTable, mocked_table

HYPOTHESIS_BUFFER_SIZE = 8 * 1024  # Hypothesis's own (hypothesis/internal/conjecture/engine.py)
# schemathesis (tests/reliability) patches Hypothesis for every test once its pytest plugin
# loads: falsifying examples print every argument blank, and every test may draw four times
# as much data. Put Hypothesis back; the API fuzzing test asks for the larger buffer itself.
hypothesis_core.RepresentationPrinter = hypothesis_pretty.RepresentationPrinter
hypothesis_engine.BUFFER_SIZE = HYPOTHESIS_BUFFER_SIZE


@pytest.fixture
def dynamodb() -> Iterator[DynamoTable]:
    with mocked_table() as table:
        yield table


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> StreamStore:
    if request.param == "memory":
        return MemoryStore()
    return request.getfixturevalue("dynamodb").store()

