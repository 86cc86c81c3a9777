"""The recorded calls of every function, made once for the tests of this package."""
from __future__ import annotations

import pytest

from .scenarios import Recording, record_every_function


@pytest.fixture(scope="session")
def recording() -> Recording:
    return record_every_function()
