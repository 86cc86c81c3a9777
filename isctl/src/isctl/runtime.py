"""What every command shares: the connection, the clock and the streams, all injectable."""
from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Callable

import click
import requests

from .config import Flags, Settings, resolve
from .http import Client


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Runtime:
    session: requests.Session | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    stdin: IO[str] | None = None
    clock: Callable[[], datetime] = _now
    sleep: Callable[[float], None] = time.sleep  # waits between polls; tests drive work here
    sqs: Any | None = None  # an SQS client for `events`; built from the environment if None
    flags: Flags = field(default_factory=Flags)
    _settings: Settings | None = None
    _client: Client | None = None

    def override(self, **values: str | None) -> None:
        for name, value in values.items():
            if value is not None:
                setattr(self.flags, name, value)
                self._settings, self._client = None, None

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = resolve(self.flags, self.env, self.cwd)
        return self._settings

    def client(self) -> Client:
        if self._client is None:
            settings = self.settings()
            self._client = Client(settings.server, settings.token, self.session)
        return self._client

    @property
    def namespace(self) -> str:
        return self.settings().namespace

    def input(self) -> IO[str]:
        return self.stdin if self.stdin is not None else sys.stdin

    def now(self) -> datetime:
        return self.clock()


def runtime() -> Runtime:
    found = click.get_current_context().find_object(Runtime)
    assert found is not None  # main() passes one as the context's obj
    return found


_OPTIONS = [
    click.option("-n", "--namespace", help="The namespace to work in."),
    click.option("--server", help="The address of the service's API."),
    click.option("--token", help="Bearer token for authentication to the API server."),
    click.option("--context", help="The name of the config file context to use."),
    click.option("--config", "config_file", help="Path to the config file to use."),
]


def connection_options(command: Callable) -> Callable:
    """oc's global flags, accepted before or after the subcommand like oc's persistent flags."""
    @functools.wraps(command)
    def wrapper(*args: Any, namespace: str | None, server: str | None,
                token: str | None, context: str | None, config_file: str | None,
                **kwargs: Any) -> Any:
        runtime().override(namespace=namespace, server=server, token=token, context=context,
                           config=config_file)
        return command(*args, **kwargs)
    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def echo(text: str = "", err: bool = False) -> None:
    click.echo(text, err=err)
