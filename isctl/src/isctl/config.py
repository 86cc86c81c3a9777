"""Where isctl connects: flags, then ISCTL_* variables, then the config file, then a running
local stack's .local/endpoint.json.

The config file (XDG_CONFIG_HOME/isctl/config.yaml) is kubeconfig-like: named contexts,
each a server, a token and a current namespace, and the current context's name.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .errors import CliError

DEFAULT_NAMESPACE = "default"
LOCAL_ENDPOINT = Path(".local") / "endpoint.json"


def config_path(env: Mapping[str, str], flag: str | None = None) -> Path:
    if flag:
        return Path(flag).expanduser()
    if env.get("ISCTL_CONFIG"):
        return Path(env["ISCTL_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or "~").expanduser() / ".config")
    return Path(base) / "isctl" / "config.yaml"


@dataclass
class Context:
    name: str
    server: str
    token: str = ""
    namespace: str = DEFAULT_NAMESPACE


@dataclass
class ConfigFile:
    path: Path
    current: str = ""
    contexts: dict[str, Context] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ConfigFile:
        if not path.exists():
            return cls(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise CliError(f"the config file {path} is not valid YAML: {exc}") from exc
        contexts = {}
        for entry in data.get("contexts") or []:
            body = entry.get("context") or {}
            name = str(entry.get("name") or "")
            contexts[name] = Context(name, str(body.get("server") or ""),
                                     str(body.get("token") or ""),
                                     str(body.get("namespace") or DEFAULT_NAMESPACE))
        return cls(path, str(data.get("current-context") or ""), contexts)

    def save(self) -> None:
        data = {"apiVersion": "v1", "kind": "Config", "current-context": self.current,
                "contexts": [{"name": c.name, "context": {"server": c.server, "token": c.token,
                                                          "namespace": c.namespace}}
                             for c in self.contexts.values()]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # it holds tokens: readable by its owner only, from the moment it exists
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            yaml.safe_dump(data, handle, default_flow_style=False, sort_keys=False)

    def current_context(self) -> Context | None:
        return self.contexts.get(self.current)


def context_name(server: str) -> str:
    """A context is named after its server's host and port, as oc names clusters."""
    parts = urlsplit(server)
    return (parts.netloc or server).lower()


def find_local_endpoint(start: Path) -> Path | None:
    """The nearest .local/endpoint.json from `start` upwards (a `make run` stack writes it)."""
    for directory in (start, *start.parents):
        candidate = directory / LOCAL_ENDPOINT
        if candidate.is_file():
            return candidate
    return None


def read_local_endpoint(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read the local stack's endpoint file {path}: {exc}") from exc
    if not isinstance(data, dict) or not data.get("api"):
        raise CliError(f"the local stack's endpoint file {path} has no \"api\" address")
    return data


@dataclass
class Flags:
    """Connection flags as given on the command line (None: not given)."""

    server: str | None = None
    token: str | None = None
    namespace: str | None = None
    context: str | None = None
    config: str | None = None


@dataclass
class Settings:
    server: str
    token: str
    namespace: str
    namespace_explicit: bool  # given by -n or ISCTL_NAMESPACE, not taken from a context
    context: Context | None
    config: ConfigFile


def resolve(flags: Flags, env: Mapping[str, str], cwd: Path) -> Settings:
    config = ConfigFile.load(config_path(env, flags.config))
    context = config.contexts.get(flags.context) if flags.context else config.current_context()
    if flags.context and context is None:
        raise CliError(f'context "{flags.context}" does not exist in {config.path}')
    server = flags.server or env.get("ISCTL_SERVER") or (context.server if context else "")
    token = ""
    if context and server == context.server:
        token = context.token  # a context's token goes only to its own server
    local = None
    if not server:
        endpoint = find_local_endpoint(cwd)
        if endpoint is None:
            raise CliError("no server configured: run `isctl login --server URL`, set "
                           "ISCTL_SERVER, or start the local stack (make run)")
        local = read_local_endpoint(endpoint)
        server, token = str(local["api"]), str(local.get("token") or "")
    if flags.token is not None:
        token = flags.token
    elif env.get("ISCTL_TOKEN") is not None:
        token = env["ISCTL_TOKEN"]
    explicit = flags.namespace or env.get("ISCTL_NAMESPACE")
    namespace = explicit or (context.namespace if context else "") or DEFAULT_NAMESPACE
    return Settings(server, token, namespace, bool(explicit), context, config)
