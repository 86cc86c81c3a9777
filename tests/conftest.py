"""Fixtures shared by every test package.

`store` runs a test once per StreamStore implementation: the in-memory reference and the
DynamoDB adapter on moto. `dynamodb` is the moto table itself, for DynamoDB-only tests.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.services.ports import StreamStore
from tests.support.dynamodb import DynamoTable, mocked_table


@pytest.fixture
def dynamodb() -> Iterator[DynamoTable]:
    with mocked_table() as table:
        yield table


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> StreamStore:
    if request.param == "memory":
        return MemoryStore()
    return request.getfixturevalue("dynamodb").store()
