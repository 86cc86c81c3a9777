"""A fresh process acting as a deployed API function, for what only a new interpreter
shows (cold starts): the environment the function has, and a table holding what a GET of
one tag reads. The benchmark (bench/cold_start.py) and the test of what a cold start
loads (tests/test_cold_start_modules.py) both start theirs from here."""
from __future__ import annotations

import json
import os
from pathlib import Path

from chalicelib.adapters.dynamodb_access import DynamoBindingStore, DynamoTokenStore
from chalicelib.adapters.dynamodb_store import DynamoStore
from chalicelib.resources.rbac import RoleBinding
from chalicelib.resources.stream import ImageStream, ImageStreamMapping
from chalicelib.services.actor import SERVICE
from chalicelib.wiring import Services

from .dynamodb import REGION, create_table, new_client

SERVICE_TEMPLATE = Path(__file__).resolve().parents[1] / "infra" / "service.json"
DIGEST = "sha256:" + "b" * 64


def fixed_function_environment() -> dict[str, str]:
    """The environment variables infra/service.json gives every function whatever the
    stack's parameters: its Globals' values that are strings, not references."""
    template = json.loads(SERVICE_TEMPLATE.read_text())
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    return {name: value for name, value in variables.items() if isinstance(value, str)}


def function_environment(endpoint: str, table: str, registry: str) -> dict[str, str]:
    """What a deployed function has: the table, the registry, the region, credentials, the
    template's fixed settings; AWS at `endpoint`; no AWS config files, so boto3 reads what
    Lambda's would (nothing) whatever this machine holds."""
    return {**fixed_function_environment(),
            "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8",
            "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "function", "AWS_SECRET_ACCESS_KEY": "function",
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "TABLE_NAME": table, "INTEGRATED_REGISTRY": registry}


def seed_viewed_tag(endpoint: str, table: str, registry: str, namespace: str, stream: str,
                    tag: str, viewer: str) -> Services:
    """A new table at `endpoint` with `namespace/stream:tag` and `viewer` bound to the view
    role in `namespace`; the services over it, for anything else to add."""
    client = new_client(endpoint)
    create_table(client, table)
    services = Services(DynamoStore(client, table), registry,
                        token_store=DynamoTokenStore(client, table),
                        binding_store=DynamoBindingStore(client, table))
    services.streams.create(SERVICE, namespace,
                            ImageStream.model_validate({"metadata": {"name": stream}}))
    services.tags.map(SERVICE, namespace, ImageStreamMapping.model_validate({
        "metadata": {"name": stream}, "tag": tag,
        "image": {"metadata": {"name": DIGEST},
                  "dockerImageReference": f"{registry}/{namespace}/{stream}@{DIGEST}"}}))
    services.access.create_binding(namespace, RoleBinding.model_validate({
        "metadata": {"name": f"{viewer}-view"}, "roleRef": {"kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "User", "name": viewer}]}))
    return services
