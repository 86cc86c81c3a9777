"""Every command's `--help` has examples in oc's style, and `isctl completion bash|zsh`
prints shell code that completes isctl's commands (checked by running the completion the
way the shell runs it)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from isctl.cli import cli

from .conftest import Isctl


def commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += commands(command, path + (name,))
        else:
            found.append(path + (name,))
    return found


ALL = commands()


def test_the_commands_are_the_chapters_and_the_issues():
    leaves = {" ".join(path) for path in ALL if path}
    assert {"tag", "import-image", "describe", "get", "create", "create secret docker-registry",
            "create token", "create imagestream", "policy add-role-to-user",
            "policy add-role-to-group", "policy remove-role-from-user",
            "policy remove-role-from-group", "adm policy add-cluster-role-to-user",
            "adm policy add-cluster-role-to-group", "adm policy remove-cluster-role-from-user",
            "adm policy remove-cluster-role-from-group", "whoami", "completion"} <= leaves


@pytest.mark.parametrize("path", ALL, ids=lambda path: " ".join(path) or "isctl")
def test_every_command_has_examples(isctl: Isctl, path: tuple[str, ...]):
    out = isctl.ok(*path, "--help")
    assert out.startswith(f"Usage: {' '.join(('isctl',) + path)} ")
    examples = out.split("\nExamples:\n", 1)[1].split("\n\nOptions:\n", 1)[0]
    lines = examples.split("\n")
    comments = [line for line in lines if line.startswith("  # ")]
    runs = [line for line in lines if line.startswith("  isctl ") or line.startswith(
        "  source <(isctl") or line.startswith("  cat ")]
    assert comments and len(runs) >= len(comments), examples
    # each example runs the command it documents
    assert any(" ".join(path) in line for line in runs), examples


def test_tag_help_reads_like_ocs(isctl: Isctl):
    out = isctl.ok("tag", "-h")
    assert ("Examples:\n"
            "  # Tag the current image of the image stream tag 'python:3.5' as 'python:latest'\n"
            "  isctl tag python:3.5 python:latest\n") in out
    assert "  # Remove the specified spec tags from an image stream\n" \
           "  isctl tag -d python:3.5 python:2.7\n" in out


@pytest.mark.parametrize("shell, marker", [
    ("bash", "complete -o nosort -F _isctl_completion isctl"),
    ("zsh", "#compdef isctl"),
])
def test_completion_prints_the_shells_code(isctl: Isctl, shell: str, marker: str):
    out = isctl.ok("completion", shell)
    assert marker in out and "_ISCTL_COMPLETE" in out
    result = isctl("completion", "fish")
    assert result.code == 2 and result.err.startswith("error: Invalid value for '{bash|zsh}'")


def complete(words: str) -> list[str]:
    """What bash completion offers after `words` (the last one being completed)."""
    isctl = shutil.which("isctl", path=str(Path(sys.executable).parent))
    assert isctl, "the isctl console script is installed with the venv"
    env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1),
           "_ISCTL_COMPLETE": "bash_complete"}
    result = subprocess.run([isctl], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [line.split(",", 1)[1] for line in result.stdout.splitlines() if line]


def test_bash_completion_of_commands_types_and_flags():
    assert complete("isctl ta") == ["tag"]
    assert complete("isctl policy add-role-to-") == ["add-role-to-group", "add-role-to-user"]
    assert "secrets" in complete("isctl get s") and "rolebindings" in complete("isctl get r")
    assert complete("isctl get is ") == []  # a name: the shell cannot know those
    assert complete("isctl create secret docker-registry x --docker-p") == ["--docker-password"]
