"""Field selectors (the `fieldSelector` list parameter), read as kube-apiserver reads them.

The text is parsed by the rules of k8s.io/apimachinery's fields package (`=`, `==`, `!=`,
terms joined by unescaped commas, `\\,` `\\=` `\\\\` escaping values), then each field is checked
against what the kind's own API server accepts, with that server's words for a field it
does not know.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..domain.errors import BadRequest

FieldSelector = Callable[[dict[str, Any]], bool]
METADATA_FIELDS = ("metadata.name", "metadata.namespace")
# Checked in this order, so that `==` is not read as `=` followed by a value starting with `=`.
_OPERATORS = ("!=", "==", "=")
_ESCAPABLE = "\\,="


def _not_a_known_field(field: str) -> str:
    # runtime.DefaultMetaV1FieldSelectorConversion: a kind with no conversion of its own,
    # which is every aggregated image.openshift.io kind and RBAC's bindings.
    return f'"{field}" is not a known field selector: only "metadata.name", "metadata.namespace"'


def _field_label_not_supported(field: str) -> str:
    # The kinds with their own conversion: core kinds such as Secret, and custom resources
    # (apiextensions-apiserver's crConverter).
    return f"field label not supported: {field}"


@dataclass(frozen=True)
class SelectableFields:
    """The fields a kind's lists can be selected by, and how its server refuses another."""

    fields: tuple[str, ...]
    refusal: Callable[[str], str]


DEFAULT_FIELDS = SelectableFields(METADATA_FIELDS, _not_a_known_field)
FIELDS_BY_KIND: dict[str, SelectableFields] = {
    # openshift-apiserver's imageStreamFieldSelectorKeyConversionFunc
    "ImageStream": SelectableFields(
        METADATA_FIELDS + ("spec.dockerImageRepository", "status.dockerImageRepository"),
        _not_a_known_field),
    # Kubernetes' AddFieldLabelConversionsForSecret
    "Secret": SelectableFields(METADATA_FIELDS + ("type",), _field_label_not_supported),
    # imagestreams.dev kinds would be custom resources on a cluster
    "AccessToken": SelectableFields(METADATA_FIELDS, _field_label_not_supported),
    "ImageStreamTrigger": SelectableFields(METADATA_FIELDS, _field_label_not_supported),
}


@dataclass(frozen=True)
class _Term:
    field: str
    value: str
    equal: bool

    def matches(self, obj: dict[str, Any]) -> bool:
        return (_field_value(obj, self.field) == self.value) == self.equal


def parse_field_selector(text: str, kind: str) -> FieldSelector:
    """A predicate over objects of `kind` for the `fieldSelector` text; "" selects everything.

    Raises BadRequest with Kubernetes' message for a malformed selector or a field `kind`
    cannot be selected by.
    """
    # Kubernetes sorts the terms before reading them, so of several faults the first in that
    # order is reported, and any malformed term before any unknown field.
    terms = [_parse_term(text, part) for part in sorted(_split_terms(text)) if part]
    selectable = FIELDS_BY_KIND.get(kind, DEFAULT_FIELDS)
    for term in terms:
        if term.field not in selectable.fields:
            raise BadRequest(selectable.refusal(term.field))
    return lambda obj: all(term.matches(obj) for term in terms)


def _split_terms(text: str) -> list[str]:
    """Split on commas a backslash does not escape, keeping the escapes for _unescape."""
    terms, start, escaped = [], 0, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            terms.append(text[start:index])
            start = index + 1
    terms.append(text[start:])
    return terms


def _parse_term(text: str, part: str) -> _Term:
    # The field cannot be escaped: the first operator anywhere in the term splits it.
    for index in range(len(part)):
        for operator in _OPERATORS:
            if part.startswith(operator, index):
                value = _unescape(part[index + len(operator):])
                return _Term(part[:index], value, operator != "!=")
    raise BadRequest(f"invalid selector: '{text}'; can't understand '{part}'")


def _unescape(value: str) -> str:
    unescaped, escaped = [], False
    for char in value:
        if escaped:
            if char not in _ESCAPABLE:
                raise BadRequest(f"invalid field selector: invalid escape sequence: \\{char}")
            unescaped.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",=":
            # Go formats the rune with %v: its code point, not the character
            raise BadRequest(f"invalid field selector: unescaped character in value: {ord(char)}")
        else:
            unescaped.append(char)
    if escaped:
        raise BadRequest("invalid field selector: invalid escape sequence: \\")
    return "".join(unescaped)


def _field_value(obj: dict[str, Any], field: str) -> str:
    """The value at a dotted path; a missing or empty one is "", as in a Kubernetes fields.Set."""
    value: Any | None = obj
    for key in field.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""
