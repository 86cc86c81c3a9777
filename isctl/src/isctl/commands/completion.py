"""`isctl completion bash|zsh`: the shell code that completes isctl's commands and flags.

The script calls isctl back with `_ISCTL_COMPLETE` set (click's shell completion), so what
it completes is always the installed isctl's own commands.
"""
from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from ..helptext import command
from ..runtime import echo

SHELLS = ("bash", "zsh")
COMPLETE_VARIABLE = "_ISCTL_COMPLETE"


@command("completion", examples="""
    # Load completion into the current bash shell
    source <(isctl completion bash)

    # Load it in every new bash shell
    isctl completion bash > ~/.local/share/bash-completion/completions/isctl

    # Load completion into the current zsh shell
    source <(isctl completion zsh)
    """)
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> int:
    """Print the shell code that completes isctl's commands, flags and resource types."""
    root = click.get_current_context().find_root().command
    completer = get_completion_class(shell)
    assert completer is not None  # both SHELLS are click's own
    echo(completer(root, {}, "isctl", COMPLETE_VARIABLE).source())
    return 0
