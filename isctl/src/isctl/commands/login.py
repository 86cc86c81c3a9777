"""`isctl login`, `isctl project` and `isctl config`: contexts in the config file."""
from __future__ import annotations

from pathlib import Path

import click

from ..config import (
    ConfigFile,
    Context,
    config_path,
    context_name,
    find_local_endpoint,
    read_local_endpoint,
)
from ..errors import ApiError, CliError
from ..helptext import command, group
from ..http import GROUP, Client, ns_path
from ..runtime import echo, runtime
from ..tabwriter import table


@command("login", examples="""
    # Log in to the local stack started by `make run` (its .local/endpoint.json)
    isctl login

    # Log in to a deployed service with a token, and work in the namespace "team"
    isctl login --server https://abc123.execute-api.us-east-1.amazonaws.com/api \\
        --token "$TOKEN" -n team

    # Log in under a context name of your own
    isctl login --server http://127.0.0.1:8000 --token "$TOKEN" --context local
    """)
@click.argument("server_arg", metavar="[SERVER]", required=False)
@click.option("-s", "--server", help="The service's API address.")
@click.option("--token", help="Bearer token; empty for a service without authentication.")
@click.option("--from-local", "from_local", is_flag=False, flag_value=".", default=None,
              metavar="[DIR]", help="Use the local stack's .local/endpoint.json (found from "
              "DIR or the current directory upwards).")
@click.option("-n", "--namespace", help="The namespace to use after login.")
@click.option("--context", "context_arg", help="Name of the context to write.")
@click.option("--config", "config_file", help="Path to the config file to write.")
def login(server_arg: str | None, server: str | None, token: str | None,
          from_local: str | None, namespace: str | None, context_arg: str | None,
          config_file: str | None) -> int:
    """Log in to a server and save it as the current context."""
    rt = runtime()
    config = ConfigFile.load(config_path(rt.env, config_file or rt.flags.config))
    # login's own flags, then oc's global ones given before the command, then ISCTL_*
    address = server or server_arg or rt.flags.server or rt.env.get("ISCTL_SERVER")
    secret = next((t for t in (token, rt.flags.token, rt.env.get("ISCTL_TOKEN"))
                   if t is not None), None)
    found, endpoint = None, None
    if from_local is not None or not address:
        start = rt.cwd / from_local if from_local else rt.cwd
        endpoint = find_local_endpoint(start.resolve())
        if endpoint is None and (from_local is not None or not config.current_context()):
            raise CliError("no server given: pass --server URL, or start the local stack "
                           "(make run) so that .local/endpoint.json exists")
        if endpoint is not None:
            found = read_local_endpoint(endpoint)
            address = str(found["api"])
            secret = secret if secret is not None else str(found.get("token") or "")
    previous = config.current_context()
    if not address and previous:
        address = previous.server
        secret = secret if secret is not None else previous.token
    assert address
    name = context_arg or context_name(address)
    existing = config.contexts.get(name)
    chosen = (namespace or rt.flags.namespace or (existing.namespace if existing else "")
              or "default")
    secret = secret or ""
    _check(Client(address, secret, rt.session), chosen)
    config.contexts[name] = Context(name, address, secret, chosen)
    config.current = name
    config.save()
    how = "using the token provided" if secret else "without a token"
    echo(f'Logged into "{address}" {how}.' + (
        f" (local stack: {_relative(endpoint, rt.cwd)})" if found else ""))
    echo()
    echo(f'Using namespace "{chosen}".')
    return 0


def _relative(path: Path | None, cwd: Path) -> str:
    if path is None:
        return ""
    try:
        return str(path.relative_to(cwd.resolve()))
    except ValueError:
        return str(path)


def _check(client: Client, namespace: str) -> None:
    """Reach the server, then make one authenticated call so a bad token fails here."""
    try:
        client.get(GROUP)
        client.get(ns_path(namespace, "imagestreams"), {"limit": "1"})
    except ApiError as error:
        if error.code == 401:
            raise CliError("The token provided is invalid or expired.") from error
        raise


@command("project", examples="""
    # Show the namespace in use
    isctl project

    # Switch to the namespace "team"
    isctl project team
    """)
@click.argument("namespace", required=False)
@click.option("--config", "config_file", help="Path to the config file.")
def project(namespace: str | None, config_file: str | None) -> int:
    """Show the current namespace, or switch the current context to another one."""
    rt = runtime()
    config = ConfigFile.load(config_path(rt.env, config_file or rt.flags.config))
    context = config.current_context()
    if context is None:
        raise CliError("no current context: run `isctl login` first")
    if namespace is None:
        echo(f'Using namespace "{context.namespace}" on server "{context.server}".')
        return 0
    context.namespace = namespace
    config.save()
    echo(f'Now using namespace "{namespace}" on server "{context.server}".')
    return 0


@group("config", examples="""
    # List the contexts isctl login has written
    isctl config get-contexts
    """)
def config_group() -> None:
    """Contexts of the config file."""


@config_group.command("get-contexts", examples="""
    # List every context, the current one marked with *
    isctl config get-contexts
    """)
@click.option("--config", "config_file", help="Path to the config file.")
def get_contexts(config_file: str | None) -> int:
    """List the contexts of the config file."""
    rt = runtime()
    config = ConfigFile.load(config_path(rt.env, config_file or rt.flags.config))
    rows = [["CURRENT", "NAME", "SERVER", "NAMESPACE"]]
    rows += [["*" if c.name == config.current else "", c.name, c.server, c.namespace]
             for c in config.contexts.values()]
    echo(table(rows))
    return 0


@config_group.command("use-context", examples="""
    # Use the context "127.0.0.1:8000" from now on
    isctl config use-context 127.0.0.1:8000
    """)
@click.argument("name")
@click.option("--config", "config_file", help="Path to the config file.")
def use_context(name: str, config_file: str | None) -> int:
    """Make a context the current one."""
    rt = runtime()
    config = ConfigFile.load(config_path(rt.env, config_file or rt.flags.config))
    if name not in config.contexts:
        raise CliError(f'no context exists with the name: "{name}"')
    config.current = name
    config.save()
    echo(f'Switched to context "{name}".')
    return 0


@config_group.command("current-context", examples="""
    # Print the current context's name
    isctl config current-context
    """)
@click.option("--config", "config_file", help="Path to the config file.")
def current_context(config_file: str | None) -> int:
    """Print the current context's name."""
    rt = runtime()
    config = ConfigFile.load(config_path(rt.env, config_file or rt.flags.config))
    if not config.current:
        raise CliError("current-context is not set")
    echo(config.current)
    return 0
