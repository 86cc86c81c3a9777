"""The first admin `make deploy` makes: a token on the stack's first deploy only."""
from __future__ import annotations

import pytest

from chalicelib.adapters.memory_access import MemoryBindingStore, MemoryTokenStore
from chalicelib.first_admin import bootstrap_admin, bootstrap_admin_once, main
from chalicelib.services.access import AccessService


@pytest.fixture
def access() -> AccessService:
    return AccessService(MemoryTokenStore(), MemoryBindingStore())


def test_once_makes_a_cluster_admin_token_the_first_time_only(access: AccessService) -> None:
    token = bootstrap_admin_once(access)
    assert token is not None and access.authenticate(token) == "admin"
    assert access.may("admin", None, "imagestreams", "list")
    assert bootstrap_admin_once(access) is None
    assert len(access.list_tokens(None)) == 1


def test_once_makes_none_after_the_first_admin_was_made_without_it(
        access: AccessService) -> None:
    bootstrap_admin(access)
    assert bootstrap_admin_once(access) is None


def test_without_once_every_run_makes_another_token(access: AccessService) -> None:
    first, second = bootstrap_admin(access), bootstrap_admin(access)
    assert first != second
    assert {access.authenticate(first), access.authenticate(second)} == {"admin"}


def test_the_command_prints_the_token_then_says_the_admin_exists(
        access: AccessService, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("chalicelib.first_admin.table_access", lambda client, table: access)
    monkeypatch.setattr("boto3.client", lambda service: None)
    assert main(["--table", "t", "--once"]) == 0
    first = capsys.readouterr()
    assert access.authenticate(first.out.strip()) == "admin"
    assert "shown this once" in first.err
    assert main(["--table", "t", "--once"]) == 0
    second = capsys.readouterr()
    assert second.out == ""
    assert "made by an earlier deploy" in second.err
