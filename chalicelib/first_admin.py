"""The first cluster-admin: a ClusterRoleBinding and a token, made with table credentials.

    python -m chalicelib.first_admin --table <table name> [--subject admin] [--once]

prints the new token once; keep it, only its hash is stored. Running it again binds
nothing new and prints another token for the same subject; with `--once` (what `make
deploy` runs after every deploy) it makes a token only when it made the binding, so the
first deploy of a stack prints its first admin's token and later ones print none.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any

from .domain.errors import AlreadyExists
from .resources.rbac import AccessToken, RoleBinding
from .services.access import AccessService

BINDING = "bootstrap-cluster-admin"


def bootstrap_admin(access: AccessService, subject: str = "admin") -> str:
    """Make `subject` a cluster-admin (once) and return a new token of theirs."""
    try:
        access.create_binding(None, _admin_binding(subject))
    except AlreadyExists:
        pass
    return _new_token(access, subject)


def bootstrap_admin_once(access: AccessService, subject: str = "admin") -> str | None:
    """A token of `subject` if this call made them cluster-admin; None if an earlier one did.

    The binding's creation is conditional in the store, so of two deploys racing, one alone
    makes a token.
    """
    try:
        access.create_binding(None, _admin_binding(subject))
    except AlreadyExists:
        return None
    return _new_token(access, subject)


def _admin_binding(subject: str) -> RoleBinding:
    return RoleBinding.model_validate({
        "metadata": {"name": f"{BINDING}-{subject}"},
        "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "User", "name": subject}]})


def _new_token(access: AccessService, subject: str) -> str:
    token = access.create_token(AccessToken.model_validate({"spec": {"subject": subject}}),
                                None).status
    assert token is not None and token.token
    return token.token


def table_access(client: Any, table: str) -> AccessService:
    from .adapters.dynamodb_access import DynamoBindingStore, DynamoTokenStore
    return AccessService(DynamoTokenStore(client, table), DynamoBindingStore(client, table))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.first_admin",
                                     description="Create the first cluster-admin token.")
    parser.add_argument("--table", required=True, help="the service's DynamoDB table")
    parser.add_argument("--subject", default="admin", help="the admin user's name")
    parser.add_argument("--once", action="store_true",
                        help="make a token only if the subject is not bound yet")
    args = parser.parse_args(argv)
    import boto3
    access = table_access(boto3.client("dynamodb"), args.table)
    if not args.once:
        print(bootstrap_admin(access, args.subject))
        return 0
    token = bootstrap_admin_once(access, args.subject)
    if token is None:
        print(f"The first admin ({args.subject!r}) was made by an earlier deploy; for another "
              f"token of theirs: python -m chalicelib.first_admin --table {args.table}",
              file=sys.stderr)
        return 0
    print(f"The first admin ({args.subject!r}, cluster-admin). Their token, shown this once "
          f"(only its hash is stored):", file=sys.stderr)
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
