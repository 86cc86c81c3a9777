"""The `isctl` command: oc's global flags, the subcommands, and exit codes.

Exit codes: 0 success, 1 an error (the server's Status message, or a client-side check),
2 a usage error: an argument missing or one too many, an unknown flag, a flag's value, or
flags that cannot go together, printed as oc prints them. `main()` takes the HTTP session
and environment as parameters so tests run the real command line against the app in
process.
"""
from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Callable

import click
import requests

from . import __version__
from .commands.completion import completion
from .commands.describe import describe
from .commands.events import events
from .commands.get import get
from .commands.history import history, rollback
from .commands.import_image import import_image
from .commands.login import config_group, login, project
from .commands.objects import apply, create, delete
from .commands.policy import adm, policy
from .commands.prune import prune
from .commands.tag import tag
from .commands.tokens import whoami
from .errors import ApiError, CliError, error_message
from .helptext import group
from .runtime import Runtime, connection_options


@group("isctl", context_settings={"help_option_names": ["-h", "--help"]}, examples="""
    # Log in to the local stack (make run) and list its image streams
    isctl login
    isctl get is

    # Tag an image stream tag into another tag, as in the reference chapter
    isctl tag python:3.5 python:latest
    """)
@click.version_option(__version__, prog_name="isctl")
@connection_options
def cli() -> None:
    """isctl: OpenShift image streams from the command line, the way oc does them."""


for _command in (login, project, config_group, whoami, get, describe, tag, import_image,
                 create, apply, delete, history, rollback, events, policy, adm, completion):
    cli.add_command(_command)
adm.add_command(prune)


def _usage_error(error: click.exceptions.UsageError) -> None:
    """oc's words for a usage error: the message, then where the help is."""
    message = error.format_message()
    if isinstance(error, click.exceptions.NoSuchOption):
        message = f"unknown flag: {error.option_name}"  # cobra's words, as oc prints them
    click.echo(f"error: {message}", err=True)
    if error.ctx is not None:
        click.echo(f"See '{error.ctx.command_path} -h' for help and examples", err=True)


def main(argv: Sequence[str] | None = None, *, session: requests.Session | None = None,
         env: Mapping[str, str] | None = None, cwd: Path | None = None,
         stdin: IO[str] | None = None, clock: Callable[[], datetime] | None = None,
         sqs: Any | None = None, sleep: Callable[[float], None] | None = None) -> int:
    """Run one command line and return its exit code (never raises for command errors)."""
    rt = Runtime(session=session, stdin=stdin, sqs=sqs)
    if env is not None:
        rt.env = dict(env)
    if cwd is not None:
        rt.cwd = cwd
    if clock is not None:
        rt.clock = clock
    if sleep is not None:
        rt.sleep = sleep
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="isctl",
                          obj=rt, standalone_mode=False)
    except click.exceptions.UsageError as exc:
        _usage_error(exc)
        return 2
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        return 1
    except (ApiError, CliError) as exc:
        click.echo(error_message(exc), err=True)
        return getattr(exc, "code", 1) if isinstance(exc, CliError) else 1
    return result if isinstance(result, int) else 0


def run() -> None:
    """The console script."""
    sys.exit(main())
