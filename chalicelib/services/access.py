"""Authentication by token, authorization by role bindings, and the APIs managing both."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime

from ..domain.errors import FieldError, FieldErrors, Forbidden, NotFound, Unauthorized
from ..domain.rbac import (
    NAMESPACE_ROLES,
    ROLES,
    Binding,
    allowed,
    group_error,
    groups_of,
    may_pull_from,
    may_push_to,
    service_account_namespace,
    subject_error,
)
from ..domain.stored_objects import TokenRecord
from ..domain.validation import invalid, not_supported, required, validate_namespace
from ..resources.meta import ObjectMeta
from ..resources.meta import now as utc_now
from ..resources.rbac import AccessToken, AccessTokenSpec, AccessTokenStatus, RoleBinding, Subject
from .ports import BindingStore, TokenStore

TOKEN_PREFIX = "isk_"
# Kubernetes' longest object name; DynamoDB refuses a sort key (the binding's name) over
# 1024 bytes, and 253 characters are at most 1012.
MAX_BINDING_NAME = 253
ROLEBINDINGS = "rolebindings.rbac.authorization.k8s.io"
CLUSTERROLEBINDINGS = "clusterrolebindings.rbac.authorization.k8s.io"
TOKENS = "accesstokens.imagestreams.dev"
ANONYMOUS = "system:anonymous"
SUBJECT_KINDS = ("User", "ServiceAccount", "Group")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccessService:
    def __init__(self, tokens: TokenStore, bindings: BindingStore,
                 clock: Callable[[], datetime] = utc_now):
        self.tokens = tokens
        self.bindings = bindings
        self.clock = clock

    # -- authentication

    def authenticate(self, token: str | None) -> str:
        """The subject a bearer token stands for; Unauthorized for anything else."""
        if not token or not token.startswith(TOKEN_PREFIX):
            raise Unauthorized("a valid bearer token is required")
        digest = token_digest(token)
        record = self.tokens.get_token(digest[:16])
        if record is None or not hmac.compare_digest(record.digest, digest):
            raise Unauthorized("the bearer token is not valid")
        if record.expires is not None and record.expires <= self.clock():
            raise Unauthorized("the bearer token has expired")
        return record.subject

    # -- authorization

    def bindings_of(self, subject: str, namespace: str | None) -> list[Binding]:
        """The roles bound to `subject` or to a group it is in, cluster-wide and in
        `namespace`."""
        # Only a token's subject is in groups such as system:authenticated; checked here
        # too, so that no caller can ever grant a group's roles to the anonymous user.
        groups = groups_of(subject) if subject != ANONYMOUS else ()
        found = []
        # A namespace no namespace can be has no bindings: the store is not asked (its key
        # would be one DynamoDB refuses).
        scopes = [None] + ([namespace] if namespace and not validate_namespace(namespace)
                           else [])
        for scope in scopes:
            for binding in self.bindings.list_bindings(scope):
                if any(_stands_for(s, scope, subject, groups) for s in binding.subjects):
                    found.append(Binding(subject, binding.role_ref.name, scope))
        return found

    def authorize(self, subject: str, namespace: str | None, resource: str,
                  verb: str) -> None:
        """Forbidden (saying nothing of whether the object exists) unless the subject may."""
        if not self.may(subject, namespace, resource, verb):
            where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
            raise Forbidden(f'User "{subject}" cannot {verb} resource "{resource}"{where}')

    def may(self, subject: str, namespace: str | None, resource: str, verb: str) -> bool:
        """Whether the subject may `verb` `resource` (in `namespace`): the one decision
        requests and access reviews (`kubectl auth can-i`) share."""
        return allowed(self.bindings_of(subject, namespace), namespace, resource, verb)

    def may_pull_from(self, subject: str, namespace: str) -> bool:
        """Whether the subject may pull the namespace's images (system:image-puller)."""
        return may_pull_from(self.bindings_of(subject, namespace), namespace)

    def may_push_to(self, subject: str, namespace: str) -> bool:
        """Whether the subject may push to the namespace's streams (system:image-pusher)."""
        return may_push_to(self.bindings_of(subject, namespace), namespace)

    # -- tokens

    def create_token(self, body: AccessToken, namespace: str | None) -> AccessToken:
        errors = FieldErrors()
        problem = subject_error(body.spec.subject)
        if problem:
            errors.items.append(invalid("spec.subject", body.spec.subject, problem))
        elif namespace is not None and service_account_namespace(body.spec.subject) != namespace:
            errors.items.append(invalid("spec.subject", body.spec.subject,
                                        f"must be a service account of namespace {namespace}"))
        errors.raise_if_any(TOKENS, body.metadata.name or "")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        digest = token_digest(token)
        record = TokenRecord(digest[:16], digest, body.spec.subject, self.clock(),
                             body.spec.expiration_timestamp)
        self.tokens.put_token(record)
        view = _token_view(record)
        view.status = AccessTokenStatus(token=token)
        return view

    def list_tokens(self, namespace: str | None) -> list[AccessToken]:
        _check_namespace(namespace)
        return [_token_view(r) for r in self.tokens.list_tokens(namespace)]

    def revoke_token(self, token_id: str, namespace: str | None) -> None:
        record = self.tokens.get_token(token_id) if len(token_id) == 16 else None
        if record is None or record.scope != namespace:
            raise NotFound.of(TOKENS, token_id)
        self.tokens.delete_token(token_id)

    # -- role bindings

    def create_binding(self, namespace: str | None, body: RoleBinding) -> RoleBinding:
        resource = ROLEBINDINGS if namespace else CLUSTERROLEBINDINGS
        errors = FieldErrors()
        name = body.metadata.name or ""
        errors.extend(validate_binding_name(name))
        if namespace is not None:
            errors.extend(validate_namespace(namespace))
        roles = NAMESPACE_ROLES if namespace else ROLES
        if body.role_ref.name not in roles:
            errors.items.append(not_supported("roleRef.name", body.role_ref.name, roles))
        if not body.subjects:
            errors.items.append(required("subjects"))
        for index, subject in enumerate(body.subjects):
            errors.extend(validate_subject(subject, namespace, f"subjects[{index}]"))
        errors.raise_if_any(resource, name)
        stored = body.model_copy(update={
            "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
            "metadata": ObjectMeta(
            name=name, namespace=namespace, creation_timestamp=self.clock(),
            uid=secrets.token_hex(16), labels=body.metadata.labels)})
        self.bindings.create_binding(namespace, stored)
        return stored

    def list_bindings(self, namespace: str | None) -> list[RoleBinding]:
        _check_namespace(namespace)
        return self.bindings.list_bindings(namespace)

    def get_binding(self, namespace: str | None, name: str) -> RoleBinding:
        binding = (self.bindings.get_binding(namespace, name)
                   if _binding_may_exist(namespace, name) else None)
        if binding is None:
            raise NotFound.of(ROLEBINDINGS if namespace else CLUSTERROLEBINDINGS, name)
        return binding

    def delete_binding(self, namespace: str | None, name: str) -> None:
        if not (_binding_may_exist(namespace, name)
                and self.bindings.delete_binding(namespace, name)):
            raise NotFound.of(ROLEBINDINGS if namespace else CLUSTERROLEBINDINGS, name)


def validate_binding_name(name: str) -> list[FieldError]:
    """A role binding's name is a path segment, as in Kubernetes, of bounded length."""
    if not name:
        return [required("metadata.name")]
    if name in (".", "..") or "/" in name or "%" in name:
        return [invalid("metadata.name", name,
                        "may not contain '/' or '%' and may not be '.' or '..'")]
    if len(name) > MAX_BINDING_NAME:
        return [invalid("metadata.name", name,
                        f"must be no more than {MAX_BINDING_NAME} characters")]
    return []


def validate_subject(subject: Subject, namespace: str | None, field: str) -> list[FieldError]:
    """A binding's subject: a User, a ServiceAccount (of the binding's namespace unless it
    names one) or a Group, with a name of its kind."""
    if subject.kind not in SUBJECT_KINDS:
        return [not_supported(f"{field}.kind", subject.kind, SUBJECT_KINDS)]
    if not subject.name:
        return [required(f"{field}.name")]
    if subject.kind == "ServiceAccount":
        if subject.namespace:
            namespace_errors = validate_namespace(subject.namespace, f"{field}.namespace")
            if namespace_errors:
                return namespace_errors
        elif namespace is None:
            return [required(f"{field}.namespace",
                             "a ClusterRoleBinding's service account names its namespace")]
    problem = (group_error(subject.name) if subject.kind == "Group"
               else subject_error(_names(subject, namespace)))
    return [invalid(f"{field}.name", subject.name, problem)] if problem else []


def _binding_may_exist(namespace: str | None, name: str) -> bool:
    """Reads of names no binding can have are NotFound without asking the store."""
    return not (validate_binding_name(name)
                or (namespace is not None and validate_namespace(namespace)))


def _check_namespace(namespace: str | None) -> None:
    if namespace is not None:
        errors = FieldErrors()
        errors.extend(validate_namespace(namespace))
        errors.raise_if_any("namespaces", namespace)


def _stands_for(subject: Subject, namespace: str | None, user: str,
                groups: tuple[str, ...]) -> bool:
    """Whether a binding's subject is `user` or one of its `groups`."""
    if subject.kind == "Group":
        return subject.name in groups
    return _names(subject, namespace) == user


def _names(subject: Subject, namespace: str | None) -> str:
    """A User or ServiceAccount subject as the subject string a token carries."""
    if subject.kind == "ServiceAccount":
        return f"system:serviceaccount:{subject.namespace or namespace}:{subject.name}"
    return subject.name


def _token_view(record: TokenRecord) -> AccessToken:
    return AccessToken(
        metadata=ObjectMeta(name=record.id, namespace=record.scope,
                            creation_timestamp=record.created),
        spec=AccessTokenSpec(subject=record.subject, expiration_timestamp=record.expires))
