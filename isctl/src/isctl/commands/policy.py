"""`isctl policy` and `isctl adm policy`: granting and taking back roles, as oc does it.

Bindings are made as oc makes them: adding a role that no binding of that role already
gives every named subject creates a new RoleBinding named after the role (`<role>`, else
`<role>-0`, `<role>-1`, ...) holding those subjects; removing takes the subjects out of
every binding of the role, deleting a binding left empty. Messages are oc's:
`clusterrole.rbac.authorization.k8s.io/system:image-puller added: "alice"`.

The service has no update for role bindings, so a binding that keeps other subjects is
rewritten without a gap: a stand-in with the remaining subjects is created first, then the
binding is deleted and created again under its own name, then the stand-in is deleted.
Nobody who keeps the role loses it for a moment.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Optional

import click

from ..errors import ApiError, CliError
from ..helptext import command, group
from ..http import Client
from ..resources import CLUSTER_ROLE_BINDINGS, RBAC_GROUP, ROLE_BINDINGS, Resource
from ..runtime import connection_options, echo, runtime

SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"


@dataclass(frozen=True)
class Scope:
    """Where a command's bindings live: a namespace's RoleBindings or the cluster's."""

    namespace: str | None

    @property
    def resource(self) -> Resource:
        return ROLE_BINDINGS if self.namespace else CLUSTER_ROLE_BINDINGS

    @property
    def binding_kind(self) -> str:
        return "RoleBinding" if self.namespace else "ClusterRoleBinding"

    def path(self, name: str = "") -> str:
        return self.resource.path(self.namespace or "", name)


def subjects_for(users: tuple[str, ...], groups: tuple[str, ...],
                 service_accounts: tuple[str, ...], namespace: str) -> list[dict]:
    """RBAC subjects as oc builds them: `system:serviceaccount:<ns>:<name>` users are
    ServiceAccounts, other users Users; `-z NAME` is a service account of `namespace`."""
    subjects: list[dict] = []
    for user in users:
        parts = user[len(SERVICE_ACCOUNT_PREFIX):].split(":") \
            if user.startswith(SERVICE_ACCOUNT_PREFIX) else []
        if len(parts) == 2 and all(parts):
            subjects.append({"kind": "ServiceAccount", "namespace": parts[0], "name": parts[1]})
        else:
            subjects.append({"apiGroup": RBAC_GROUP, "kind": "User", "name": user})
    subjects += [{"apiGroup": RBAC_GROUP, "kind": "Group", "name": name} for name in groups]
    subjects += [{"kind": "ServiceAccount", "namespace": namespace, "name": name}
                 for name in service_accounts]
    return subjects


def _key(subject: dict, binding_namespace: str | None) -> tuple[str, str, str]:
    """A subject's identity: a ServiceAccount without a namespace is of its binding's."""
    namespace = subject.get("namespace") or ""
    if subject.get("kind") == "ServiceAccount" and not namespace:
        namespace = binding_namespace or ""
    return str(subject.get("kind")), str(subject.get("name")), namespace


def _targets_text(targets: list[str]) -> str:
    """oc prints one target as "alice" and several as Go prints a list: ["alice" "bob"]."""
    quoted = [json.dumps(target) for target in targets]
    return quoted[0] if len(quoted) == 1 else f"[{' '.join(quoted)}]"


def _role_line(role: str, verb: str, targets: list[str]) -> str:
    return f"clusterrole.{RBAC_GROUP}/{role} {verb}: {_targets_text(targets)}"


class Bindings:
    """The role bindings of one scope, and the writes that change them."""

    def __init__(self, client: Client, scope: Scope):
        self.client, self.scope = client, scope
        self.items: list[dict] = client.list(scope.path())

    def names(self) -> set[str]:
        return {str((b.get("metadata") or {}).get("name")) for b in self.items}

    def named(self, name: str) -> dict | None:
        return next((b for b in self.items if (b.get("metadata") or {}).get("name") == name),
                    None)

    def of_role(self, role: str) -> list[dict]:
        return [b for b in self.items if (b.get("roleRef") or {}).get("name") == role
                and (b.get("roleRef") or {}).get("kind", "ClusterRole") == "ClusterRole"]

    def unique_name(self, base: str) -> str:
        """oc's getUniqueName: the base, else base-0, base-1, ... (the first free one)."""
        taken = self.names()
        if base not in taken:
            return base
        index = 0
        while f"{base}-{index}" in taken:
            index += 1
        return f"{base}-{index}"

    def subjects(self, binding: dict) -> list[dict]:
        return list(binding.get("subjects") or [])

    def body(self, name: str, role: str, subjects: list[dict],
             template: dict | None = None) -> dict:
        metadata: dict[str, Any] = {"name": name}
        for field in ("labels", "annotations"):
            value = ((template or {}).get("metadata") or {}).get(field)
            if value:
                metadata[field] = value
        return {"apiVersion": f"{RBAC_GROUP}/v1", "kind": self.scope.binding_kind,
                "metadata": metadata,
                "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role},
                "subjects": subjects}

    def create(self, body: dict) -> None:
        self.client.post(self.scope.path(), body)
        self.items.append(body)

    def delete(self, name: str) -> None:
        self.client.delete(self.scope.path(name))
        self.items = [b for b in self.items if (b.get("metadata") or {}).get("name") != name]

    def replace(self, binding: dict, subjects: list[dict]) -> None:
        """Give `binding` these subjects, without a moment where a kept subject has no
        binding (see the module's docstring)."""
        name = str(binding["metadata"]["name"])
        role = str(binding["roleRef"]["name"])
        standin = self.body(self.unique_name(f"{name}-update"), role, subjects, binding)
        self.create(standin)
        self.delete(name)
        self.create(self.body(name, role, subjects, binding))
        self.delete(standin["metadata"]["name"])


def add_role(client: Client, scope: Scope, role: str, subjects: list[dict], targets: list[str],
             binding_name: str | None) -> str:
    """oc's AddRole; returns its message."""
    bindings = Bindings(client, scope)
    wanted = [_key(s, scope.namespace) for s in subjects]
    if binding_name:
        existing = bindings.named(binding_name)
        if existing is not None:
            found_role = (existing.get("roleRef") or {}).get("name")
            if found_role != role:
                raise CliError(f"rolebinding {binding_name} found for role {found_role}, "
                               f"not {role}")
            current = bindings.subjects(existing)
            keys = {_key(s, scope.namespace) for s in current}
            added = [s for s, key in zip(subjects, wanted) if key not in keys]
            if added:
                bindings.replace(existing, current + _distinct(added, scope.namespace))
            return _role_line(role, "added", targets)
    else:
        for binding in bindings.of_role(role):
            keys = {_key(s, scope.namespace) for s in bindings.subjects(binding)}
            if all(key in keys for key in wanted):
                return _role_line(role, "added", targets)  # already bound: nothing to do
    name = binding_name or bindings.unique_name(role)
    try:
        bindings.create(bindings.body(name, role, _distinct(subjects, scope.namespace)))
    except ApiError as error:
        if error.reason != "AlreadyExists" or binding_name:
            raise
        # made by someone else between our list and create: look again, as oc does
        return add_role(client, scope, role, subjects, targets, binding_name)
    return _role_line(role, "added", targets)


def _distinct(subjects: list[dict], namespace: str | None) -> list[dict]:
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for subject in subjects:
        key = _key(subject, namespace)
        if key not in seen:
            seen.add(key)
            kept.append(subject)
    return kept


def remove_role(client: Client, scope: Scope, role: str, subjects: list[dict],
                targets: list[str], binding_name: str | None) -> str:
    """oc's RemoveRole; returns its message."""
    bindings = Bindings(client, scope)
    if binding_name:
        binding = bindings.named(binding_name)
        if binding is None:
            client.get(scope.path(binding_name))  # the server's NotFound, in its words
            raise CliError(f"rolebinding {binding_name} not found")
        found_role = (binding.get("roleRef") or {}).get("name")
        if found_role != role:
            raise CliError(f"rolebinding {binding_name} contains role {found_role}, instead "
                           f"of role {role}")
        chosen = [binding]
    else:
        chosen = bindings.of_role(role)
        if not chosen:
            raise CliError(f'unable to locate any {scope.binding_kind} for ClusterRole "{role}"')
    unwanted = {_key(s, scope.namespace) for s in subjects}
    found = 0
    for binding in chosen:
        current = bindings.subjects(binding)
        kept = [s for s in current if _key(s, scope.namespace) not in unwanted]
        if len(kept) == len(current):
            continue
        found += len(current) - len(kept)
        if kept:
            bindings.replace(binding, kept)
        else:
            bindings.delete(str(binding["metadata"]["name"]))
    if not found:
        raise CliError(f"unable to find target [{' '.join(targets)}]")
    return _role_line(role, "removed", targets)


# -- the commands


_binding_name = click.option("--rolebinding-name", help="Name of the rolebinding to modify "
                             "or create. If left empty, oc's default name is used (adding) or "
                             "every binding of the role is changed (removing).")
_service_accounts = click.option("-z", "--serviceaccount", "service_accounts", multiple=True,
                                 help="Service account in the current namespace to use as "
                                 "a user.")
Change = Callable[[Client, Scope, str, list, list, Optional[str]], str]


def _run(change: Change, cluster: bool, role: str, users: tuple[str, ...],
         groups: tuple[str, ...], service_accounts: tuple[str, ...],
         binding_name: str | None) -> int:
    rt = runtime()
    namespace = rt.namespace
    for name in service_accounts:
        if name.startswith("system:serviceaccount"):
            raise click.UsageError("--serviceaccount (-z) should only be used with short-form "
                                   "serviceaccount names (e.g. `default`)")
    subjects = subjects_for(users, groups, service_accounts, namespace)
    targets = list(users) + list(groups) + list(service_accounts)
    echo(change(rt.client(), Scope(None if cluster else namespace), role, subjects, targets,
                binding_name))
    return 0


def _user_arguments(users: tuple[str, ...], service_accounts: tuple[str, ...]) -> None:
    if not users and not service_accounts:
        raise click.UsageError("you must specify at least one user or service account")


def _group_arguments(groups: tuple[str, ...]) -> None:
    if not groups:
        raise click.UsageError("you must specify at least two arguments: <role> <group> "
                               "[group]...")


def _user_command(name: str, change: Change, cluster: bool, summary: str,
                  examples: str) -> click.Command:
    @command(name, examples=examples, help=summary)
    @click.argument("role")
    @click.argument("users", nargs=-1)
    @_service_accounts
    @_binding_name
    @connection_options
    def run(role: str, users: tuple[str, ...], service_accounts: tuple[str, ...],
            rolebinding_name: str | None) -> int:
        _user_arguments(users, service_accounts)
        return _run(change, cluster, role, users, (), service_accounts, rolebinding_name)
    return run


def _group_command(name: str, change: Change, cluster: bool, summary: str,
                   examples: str) -> click.Command:
    @command(name, examples=examples, help=summary)
    @click.argument("role")
    @click.argument("groups", nargs=-1)
    @_binding_name
    @connection_options
    def run(role: str, groups: tuple[str, ...], rolebinding_name: str | None) -> int:
        _group_arguments(groups)
        return _run(change, cluster, role, (), groups, (), rolebinding_name)
    return run


def namespace_commands(prefix: str) -> list[click.Command]:
    """The namespace role commands, with examples as run under `prefix` (`isctl policy`
    or `isctl adm policy`: oc has them under both)."""
    return [
        _user_command("add-role-to-user", add_role, False,
                      "Add a role to users or service accounts for the current namespace.", f"""
            # Let the user alice pull the current namespace's images
            {prefix} add-role-to-user system:image-puller alice

            # Add the 'edit' role to alice and bob in the namespace "team"
            {prefix} add-role-to-user edit alice bob -n team

            # Add the 'view' role to the service account "builder" of the current namespace
            {prefix} add-role-to-user view -z builder
            """),
        _group_command("add-role-to-group", add_role, False,
                       "Add a role to groups for the current namespace.", f"""
            # Let every service account of the namespace "ci" pull images from "team"
            {prefix} add-role-to-group system:image-puller system:serviceaccounts:ci -n team

            # Let everyone with a token view the current namespace's streams
            {prefix} add-role-to-group view system:authenticated
            """),
        _user_command("remove-role-from-user", remove_role, False,
                      "Remove a role from users or service accounts for the current namespace.",
                      f"""
            # Take system:image-puller back from alice
            {prefix} remove-role-from-user system:image-puller alice

            # Remove the 'edit' role from the service account "builder"
            {prefix} remove-role-from-user edit -z builder
            """),
        _group_command("remove-role-from-group", remove_role, False,
                       "Remove a role from groups for the current namespace.", f"""
            # Stop the service accounts of "ci" pulling images from "team"
            {prefix} remove-role-from-group system:image-puller system:serviceaccounts:ci -n team
            """),
    ]


CLUSTER_COMMANDS = [
    _user_command("add-cluster-role-to-user", add_role, True,
                  "Add a role to users for all namespaces in the cluster.", """
        # Make alice a cluster administrator
        isctl adm policy add-cluster-role-to-user cluster-admin alice

        # Let the user auditor read everything but secrets and tokens
        isctl adm policy add-cluster-role-to-user cluster-reader auditor
        """),
    _group_command("add-cluster-role-to-group", add_role, True,
                   "Add a role to groups for all namespaces in the cluster.", """
        # Let every service account pull images from every namespace
        isctl adm policy add-cluster-role-to-group system:image-puller system:serviceaccounts
        """),
    _user_command("remove-cluster-role-from-user", remove_role, True,
                  "Remove a role from users for all namespaces in the cluster.", """
        # Take cluster-reader back from auditor
        isctl adm policy remove-cluster-role-from-user cluster-reader auditor
        """),
    _group_command("remove-cluster-role-from-group", remove_role, True,
                   "Remove a role from groups for all namespaces in the cluster.", """
        # Stop every service account pulling images from every namespace
        isctl adm policy remove-cluster-role-from-group system:image-puller system:serviceaccounts
        """),
]


@group("policy", examples="""
    # Let alice pull the images of the namespace "team"
    isctl policy add-role-to-user system:image-puller alice -n team
    """)
def policy() -> None:
    """Manage who may do what in a namespace: add and remove roles of users and groups."""


@group("adm", examples="""
    # Make alice a cluster administrator
    isctl adm policy add-cluster-role-to-user cluster-admin alice
    """)
def adm() -> None:
    """Administrative commands: cluster-wide policy, pruning images."""


@adm.group("policy", examples="""
    # Let the user auditor read every namespace
    isctl adm policy add-cluster-role-to-user cluster-reader auditor
    """)
def adm_policy() -> None:
    """Manage policy across the cluster: cluster roles, and namespace roles as `policy` does."""


for _command in namespace_commands("isctl policy"):
    policy.add_command(_command)
for _command in namespace_commands("isctl adm policy") + CLUSTER_COMMANDS:
    adm_policy.add_command(_command)
