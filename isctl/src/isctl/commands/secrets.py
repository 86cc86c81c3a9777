"""`isctl create secret docker-registry`: registry credentials for imports, with kubectl's
flags, written as kubectl writes them (a `kubernetes.io/dockerconfigjson` Secret).

The service keeps the values in AWS Secrets Manager and never answers with them: `get`
and `describe` show names and types only.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import click

from .. import printers
from ..errors import CliError
from ..helptext import group
from ..resources import SECRETS
from ..runtime import connection_options, echo, runtime

DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"
DATA_KEY = ".dockerconfigjson"
DEFAULT_SERVER = "https://index.docker.io/v1/"  # kubectl's default --docker-server


def docker_config(server: str, username: str, password: str, email: str | None) -> dict:
    """The .dockerconfigjson kubectl writes: one registry, its credentials and `auth`."""
    entry = {"username": username, "password": password}
    if email:
        entry["email"] = email
    entry["auth"] = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"auths": {server: entry}}


def _file_sources(sources: tuple[str, ...], cwd: Path) -> str:
    """The content of `--from-file=[.dockerconfigjson=]PATH` (the one key such a secret has)."""
    if len(sources) > 1:
        raise click.UsageError(f"a docker-registry secret holds one {DATA_KEY}: pass "
                               "--from-file once")
    key, equals, name = sources[0].partition("=")
    if not equals:
        key, name = DATA_KEY, sources[0]
    if key != DATA_KEY:
        raise click.UsageError(f'the key of a docker-registry secret is {DATA_KEY}, not "{key}"')
    path = Path(name).expanduser()
    path = path if path.is_absolute() else cwd / path
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"error reading {name}: {exc.strerror or exc}") from exc


@group("secret", examples="""
    # Create registry credentials that imports into this namespace use
    isctl create secret docker-registry quay-pull --docker-server=quay.io \\
        --docker-username=robot --docker-password="$QUAY_TOKEN"
    """)
def secret() -> None:
    """Create a secret: registry credentials (docker-registry) are the kind this service keeps."""


@secret.command("docker-registry", examples="""
    # If you do not already have a .dockercfg file, create a dockercfg secret directly
    isctl create secret docker-registry my-secret --docker-server=DOCKER_REGISTRY_SERVER \\
        --docker-username=DOCKER_USER --docker-password=DOCKER_PASSWORD \\
        --docker-email=DOCKER_EMAIL

    # Create a new secret named my-secret from ~/.docker/config.json
    isctl create secret docker-registry my-secret \\
        --from-file=.dockerconfigjson=$HOME/.docker/config.json
    """)
@click.argument("name", required=False)
@click.option("--docker-server", default=DEFAULT_SERVER, show_default=True,
              help="Server location for the container registry.")
@click.option("--docker-username", help="Username for container registry authentication.")
@click.option("--docker-password", help="Password for container registry authentication.")
@click.option("--docker-email", help="Email for the container registry.")
@click.option("--from-file", "file_sources", multiple=True, metavar="[.dockerconfigjson=]PATH",
              help="A docker config file (~/.docker/config.json) to keep as the secret.")
@click.option("-o", "--output", type=click.Choice(("name", "json", "yaml")),
              help="Print the created Secret (names and type; never its values).")
@connection_options
def docker_registry(name: str | None, docker_server: str, docker_username: str | None,
                    docker_password: str | None, docker_email: str | None,
                    file_sources: tuple[str, ...], output: str | None) -> int:
    """Create a secret for use with a container registry.

    Imports into the namespace use it for the registry it names (--docker-server, a host
    such as quay.io or 127.0.0.1:5000). The values go to the service once and are never
    shown again.
    """
    if not name:
        raise click.UsageError("exactly one NAME is required, got 0")
    rt = runtime()
    if file_sources:
        content = _file_sources(file_sources, rt.cwd)
    elif docker_username and docker_password and docker_server:
        content = json.dumps(docker_config(docker_server, docker_username, docker_password,
                                           docker_email))
    else:
        raise click.UsageError("either --from-file or the combination of --docker-username, "
                               "--docker-password and --docker-server is required")
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
            "type": DOCKER_CONFIG_JSON,
            "data": {DATA_KEY: base64.b64encode(content.encode()).decode()}}
    created = rt.client().post(SECRETS.path(rt.namespace), body)
    if output in ("json", "yaml"):
        echo(printers.dump(created, output))
    elif output == "name":
        echo(f"{SECRETS.qualified}/{name}")
    else:
        echo(f"{SECRETS.qualified}/{name} created")
    return 0
