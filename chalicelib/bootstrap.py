"""The first cluster-admin: a ClusterRoleBinding and a token, made with table credentials.

    python -m chalicelib.bootstrap --table <table name> [--subject admin]

prints the new token once; keep it, only its hash is stored. Running it again binds
nothing new and prints another token for the same subject.
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Optional

from .domain.errors import AlreadyExists
from .resources.rbac import AccessToken, RoleBinding
from .services.access import AccessService

BINDING = "bootstrap-cluster-admin"


def bootstrap_admin(access: AccessService, subject: str = "admin") -> str:
    """Make `subject` a cluster-admin (once) and return a new token of theirs."""
    try:
        access.create_binding(None, RoleBinding.model_validate({
            "metadata": {"name": f"{BINDING}-{subject}"},
            "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "User", "name": subject}]}))
    except AlreadyExists:
        pass
    token = access.create_token(AccessToken.model_validate({"spec": {"subject": subject}}),
                                None).status
    assert token is not None and token.token
    return token.token


def table_access(client: Any, table: str) -> AccessService:
    from .adapters.dynamodb_access import DynamoBindingStore, DynamoTokenStore
    return AccessService(DynamoTokenStore(client, table), DynamoBindingStore(client, table))


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.bootstrap",
                                     description="Create the first cluster-admin token.")
    parser.add_argument("--table", required=True, help="the service's DynamoDB table")
    parser.add_argument("--subject", default="admin", help="the admin user's name")
    args = parser.parse_args(argv)
    import boto3
    print(bootstrap_admin(table_access(boto3.client("dynamodb"), args.table), args.subject))
    return 0


if __name__ == "__main__":
    sys.exit(main())
