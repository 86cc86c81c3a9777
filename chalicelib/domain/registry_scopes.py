"""The scopes of a Docker registry token request, and the actions this service grants.

A client asks the token endpoint for `scope=repository:<name>:<action>[,<action>]`, once
per repository (a push that mounts a blob from another repository asks for both). The
name may itself hold a colon (a registry host with a port), so the type ends at the first
colon and the actions start after the last one.
"""
from __future__ import annotations

from dataclasses import dataclass

REPOSITORY = "repository"
PULL, PUSH = "pull", "push"
GRANTABLE = (PULL, PUSH)  # `delete`, `*` and the catalog are never granted


@dataclass(frozen=True)
class Scope:
    type: str  # "repository", or another resource type (never granted here)
    name: str
    actions: tuple[str, ...]


def parse_scope(text: str) -> Scope:
    """`repository:team/app:pull,push` as a Scope; ValueError when it is not of the form
    `type:name:actions` with a type, a name and at least one action."""
    kind, _, rest = text.partition(":")
    name, _, actions = rest.rpartition(":")
    wanted = tuple(dict.fromkeys(action for action in actions.split(",") if action))
    if not kind or not name or not wanted:
        raise ValueError("a scope is type:name:action[,action]")
    return Scope(kind, name, wanted)
