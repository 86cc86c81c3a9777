"""`isctl create token` and `isctl whoami`: the service's access tokens, as kubectl and oc
word them.

Tokens are the service's AccessTokens (`imagestreams.dev/v1`): a service account's in its
namespace (`create token NAME`, as kubectl's), a user's at the cluster scope (`--user`,
isctl's own: the service has no OAuth server to hand users their tokens).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import quote

import click

from ..errors import CliError
from ..helptext import command
from ..runtime import connection_options, echo, runtime

TOKENS_VERSION = "imagestreams.dev/v1"
WHOAMI = "/apis/user.openshift.io/v1/users/~"
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
# A Kubernetes name: what a service account is called.
_SERVICE_ACCOUNT = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def parse_duration(text: str, option: str = "--duration") -> timedelta:
    """A Go duration as kubectl's --duration takes it: `10m`, `1h30m`, `3600s`, `0`;
    `option` is the flag it came from, named in the error."""
    if text in ("0", "+0", "-0"):
        return timedelta(0)
    sign, body = (-1, text[1:]) if text.startswith("-") else (1, text.lstrip("+"))
    seconds, position = 0.0, 0
    for match in _DURATION_PART.finditer(body):
        if match.start() != position:
            break
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not body or position != len(body):
        raise click.BadParameter(f'time: invalid duration "{text}"', param_hint=f"'{option}'")
    return timedelta(seconds=sign * seconds)


@command("token", examples="""
    # Request a token for the service account "builder" in the current namespace
    isctl create token builder

    # Request a token for a service account in another namespace
    isctl create token builder --namespace ci

    # Request a token that expires in 10 minutes
    isctl create token builder --duration 10m

    # Request a token for the user "alice" (cluster-admin only; isctl's own)
    isctl create token --user alice
    """)
@click.argument("service_account", required=False)
@click.option("--user", help="Make a token for this user instead of a service account.")
@click.option("--duration", default="0", help="Requested lifetime of the token (10m, 24h); "
              "0: the token does not expire.")
@connection_options
def create_token(service_account: str | None, user: str | None, duration: str) -> int:
    """Request a token for a service account (or, with --user, a user) and print it.

    The token is printed once: the service keeps only its SHA-256.
    """
    if bool(service_account) == bool(user):
        raise click.UsageError("exactly one of SERVICEACCOUNT or --user is required")
    lifetime = parse_duration(duration)
    if lifetime < timedelta(0):
        raise click.UsageError("--duration must be greater than or equal to 0")
    if lifetime % timedelta(seconds=1):
        raise click.UsageError("--duration cannot be expressed in units less than seconds")
    rt = runtime()
    spec: dict = {}
    if service_account:
        if not _SERVICE_ACCOUNT.fullmatch(service_account):
            raise CliError(f'"{service_account}" is not a valid service account name')
        spec["subject"] = f"system:serviceaccount:{rt.namespace}:{service_account}"
        path = f"/apis/{TOKENS_VERSION}/namespaces/{quote(rt.namespace, safe='')}/accesstokens"
    else:
        spec["subject"] = str(user)
        path = f"/apis/{TOKENS_VERSION}/accesstokens"
    if lifetime:
        spec["expirationTimestamp"] = _timestamp(rt.now() + lifetime)
    made = rt.client().post(path, {"apiVersion": TOKENS_VERSION, "kind": "AccessToken",
                                   "spec": spec})
    token = ((made or {}).get("status") or {}).get("token")
    if not token:
        raise CliError("the server made the token but did not return it")
    echo(token)
    return 0


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@command("whoami", examples="""
    # Display the currently authenticated user
    isctl whoami

    # Display the token in use (to log in with elsewhere), or the server
    isctl whoami -t
    isctl whoami --show-server
    """)
@click.option("-t", "--show-token", is_flag=True, help="Print the token the current session "
              "is using.")
@click.option("-c", "--show-context", is_flag=True, help="Print the current context's name.")
@click.option("--show-server", is_flag=True, help="Print the current server's address.")
@connection_options
def whoami(show_token: bool, show_context: bool, show_server: bool) -> int:
    """Show who the token in use belongs to (the service's users/~)."""
    rt = runtime()
    settings = rt.settings()
    if show_token:
        if not settings.token:
            raise CliError("no token is currently in use for this session")
        echo(settings.token)
    elif show_context:
        if settings.context is None or settings.context.server != settings.server:
            raise CliError("no context is in use: the server comes from a flag, ISCTL_SERVER "
                           "or the local stack")
        echo(settings.context.name)
    elif show_server:
        echo(settings.server)
    else:
        user = rt.client().get(WHOAMI)
        echo(str(((user or {}).get("metadata") or {}).get("name") or ""))
    return 0
