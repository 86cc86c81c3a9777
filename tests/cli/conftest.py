"""isctl's main() against the real app in process, over a fresh in-memory store per test."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.services.imports import ImportSettings
from isctl.cli import main
from testbed.auth import ADMIN, grant
from testbed.network_guard import stay_on_this_machine

from .chalice_transport import session_for

SERVER = "http://isctl.test"
REGISTRY = "registry.example.test:5000"
V1 = "/apis/image.openshift.io/v1"


@dataclass
class Result:
    code: int
    out: str
    err: str


START = datetime(2026, 1, 10, 12, 0, 0, tzinfo=UTC)


class Clock:
    """One clock for the server and isctl, so "5 minutes ago" can be checked exactly."""

    def __init__(self, start: datetime = START):
        self.current = start

    def now(self) -> datetime:
        return self.current

    def later(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


def frozen_datetime(clock: Clock) -> type:
    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return clock.current if tz else clock.current.replace(tzinfo=None)
    return FrozenDatetime


@dataclass
class Isctl:
    """Runs `isctl ARGS` in process; `later(seconds)` moves the shared clock forward."""

    session: Any
    adapter: Any
    env: dict
    cwd: Path
    capsys: Any
    clock: Clock = field(default_factory=Clock)
    tokens: dict = field(default_factory=dict)  # valid cluster-admin tokens by purpose

    def now(self) -> datetime:
        return self.clock.now()

    def later(self, seconds: float) -> None:
        self.clock.later(seconds)

    def __call__(self, *args: str, stdin: str | None = None, **kw: Any) -> Result:
        self.capsys.readouterr()
        code = main(list(args), session=self.session, env=self.env, cwd=self.cwd,
                    stdin=io.StringIO(stdin) if stdin is not None else None, clock=self.now,
                    **kw)
        out, err = self.capsys.readouterr()
        return Result(code, out, err)

    def ok(self, *args: str, **kw: Any) -> str:
        result = self(*args, **kw)
        assert result.code == 0, (args, result)
        return result.out

    # direct API calls, for setting up what isctl cannot do (mappings from a registry)
    def api(self, method: str, path: str, body: Any = None) -> Any:
        reply = self.adapter.client.http.request(
            method, V1 + path, body=json.dumps(body).encode() if body is not None else b"",
            headers={"content-type": "application/json",
                     "authorization": f"Bearer {self.tokens['admin']}"})
        assert reply.status_code < 300, reply.body
        return json.loads(reply.body) if reply.body else None


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests never leave this machine: a tag from docker.io makes the app try to import
    it, and that must fail here at once."""
    stay_on_this_machine(monkeypatch)


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The server's time (chalicelib's meta.now) and isctl's, both under the test's control."""
    from chalicelib.resources import meta
    shared = Clock()
    monkeypatch.setattr(meta, "datetime", frozen_datetime(shared))
    return shared


@pytest.fixture
def import_settings() -> ImportSettings | None:
    """The app's ImportSettings; None: the environment's. Modules that import from a registry
    on loopback override this (imports refuse private addresses unless allowed)."""
    return None


@pytest.fixture
def isctl(memory_store, tmp_path, capsys, clock, import_settings):
    services = wiring.Services(memory_store, REGISTRY, import_settings=import_settings)
    wiring.use(services)
    with Client(app) as client:
        session, adapter = session_for(client, SERVER)
        env = {"ISCTL_SERVER": SERVER, "HOME": str(tmp_path),
               "XDG_CONFIG_HOME": str(tmp_path / "config")}
        tokens = {purpose: grant(services, f"{ADMIN}-{purpose}", "cluster-admin")
                  for purpose in ("admin", "env", "flag", "local")}
        env["ISCTL_TOKEN"] = tokens["admin"]
        yield Isctl(session, adapter, env, tmp_path, capsys, clock, tokens)
    wiring.use(None)


def mapping(stream: str, tag: str, digest: str, reference: str, namespace: str = "default",
            **image: Any) -> dict:
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
            "metadata": {"name": stream, "namespace": namespace}, "tag": tag,
            "image": {"metadata": {"name": digest}, "dockerImageReference": reference, **image}}


def digest(char: str) -> str:
    return "sha256:" + char * 64
