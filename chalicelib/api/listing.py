"""List conventions: limit, continue tokens and label selectors."""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable

from ..domain.errors import BadRequest

MAX_PAGE = 500  # a page must fit a Lambda response; clients follow metadata.continue
# A page ends on a name: printable ASCII, `stream:tag` at most 192 characters. The store
# builds keys from it, and DynamoDB refuses a sort key over 1024 bytes with a 500.
MAX_CONTINUE_LENGTH = 512
_SELECTOR_PART = re.compile(
    r"\s*(?P<neg>!)?(?P<key>[A-Za-z0-9][-A-Za-z0-9_./]*)\s*"
    r"(?:(?P<op>==|!=|=|\s+in\s+|\s+notin\s+)\s*(?P<value>\([^)]*\)|[-A-Za-z0-9_.]*))?\s*$"
)

_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
Selector = Callable[[dict[str, str]], bool]


def page_limit(params: dict) -> int:
    """`limit` as Go's strconv.ParseInt reads it (ASCII digits, an optional sign); 0 or none
    is the server's page size."""
    raw = params.get("limit")
    if raw in (None, ""):
        return MAX_PAGE
    if not _INTEGER.fullmatch(raw) or int(raw) < 0:
        raise BadRequest(f'limit: invalid value "{raw}": must be a positive integer')
    return min(int(raw), MAX_PAGE) or MAX_PAGE


def encode_continue(after: str | None) -> str | None:
    if after is None:
        return None
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()


def decode_continue(params: dict) -> str | None:
    token = params.get("continue")
    if not token:
        return None
    try:
        after = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest("continue key is not valid: it must be the metadata.continue value "
                         "of a previous list response") from exc
    if (not isinstance(after, str) or len(after) > MAX_CONTINUE_LENGTH
            or not (after.isascii() and after.isprintable())):
        raise BadRequest("continue key is not valid")
    return after


def _split_terms(text: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return terms


def label_selector(params: dict) -> Selector:
    """Kubernetes label selector: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`."""
    text = params.get("labelSelector") or ""
    checks: list[Selector] = []
    for term in _split_terms(text) if text.strip() else []:
        match = _SELECTOR_PART.match(term)
        if not match or (match["neg"] and match["op"]):
            raise BadRequest(f'labelSelector: unable to parse requirement: "{term.strip()}"')
        key, op, value = match["key"], (match["op"] or "").strip(), match["value"]
        if op in ("in", "notin"):
            if not value or not value.startswith("("):
                raise BadRequest(f'labelSelector: "{term.strip()}": expected a set in parentheses')
            values = {v.strip() for v in value[1:-1].split(",")}
            checks.append(_set_check(key, values, op == "in"))
        elif op:
            checks.append(_equality_check(key, value or "", op == "!="))
        else:
            checks.append(_exists_check(key, not match["neg"]))
    return lambda labels: all(check(labels) for check in checks)


def _set_check(key: str, values: set[str], inside: bool) -> Selector:
    # `notin` also matches objects without the key, as Kubernetes does.
    return lambda labels: (labels.get(key) in values) == inside


def _equality_check(key: str, value: str, negate: bool) -> Selector:
    return lambda labels: (labels.get(key) == value) != negate


def _exists_check(key: str, present: bool) -> Selector:
    return lambda labels: (key in labels) == present
