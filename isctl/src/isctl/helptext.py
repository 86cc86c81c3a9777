"""Help as oc lays it out: usage, what the command does, examples kept as written, options.

Every isctl command is made with `command()` or `group()` from here, so each `--help` has
an Examples section (tests/cli/test_help.py walks them all).
"""
from __future__ import annotations

import textwrap
from typing import Any, Callable

import click


def _write_examples(formatter: click.HelpFormatter, examples: str) -> None:
    if not examples:
        return
    formatter.write_paragraph()
    formatter.write("Examples:\n")
    # Examples are commands to copy: never re-wrapped, only indented as oc indents them.
    for line in textwrap.dedent(examples).strip("\n").splitlines():
        formatter.write(f"  {line}".rstrip() + "\n")


class _ExamplesHelp:
    """oc's help layout: its Examples section between the description and the options."""

    examples: str

    def __init__(self, *args: Any, examples: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.examples = examples

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        command: Any = self  # the click.Command this is mixed into
        command.format_usage(ctx, formatter)
        command.format_help_text(ctx, formatter)
        _write_examples(formatter, self.examples)
        command.format_options(ctx, formatter)
        command.format_epilog(ctx, formatter)


class Command(_ExamplesHelp, click.Command):
    """A click command with oc's Examples section between its description and options."""


class Group(_ExamplesHelp, click.Group):
    """A group of commands, with examples of its own where it does something itself."""

    command_class = Command


Group.group_class = Group


def command(name: str, examples: str, **kwargs: Any) -> Callable[[Callable], Command]:
    """`@click.command` for an isctl command; `examples` as oc writes them."""
    return click.command(name, cls=Command, examples=examples, **kwargs)


def group(name: str, examples: str = "", **kwargs: Any) -> Callable[[Callable], Group]:
    return click.group(name, cls=Group, examples=examples, **kwargs)
