"""A read's answer as its request asks for it: list items by `fieldSelector`, and the whole
answer as a Table when the Accept header asks for one (kubectl's `get`).

Both apply to every get and list of the route table, so no handler repeats them. Filtering
a page after it was read may leave it shorter than `limit`, which Kubernetes allows: its
`continue` still leads on.
"""
from __future__ import annotations

from typing import Any

from ..resources.meta import now as utc_now
from .catalogue import CATALOGUE
from .field_selectors import parse_field_selector
from .route import Call, Route
from .tables import table_version, to_table


def shaped(route: Route, call: Call, body: Any) -> Any:
    """`body`, a successful answer of `route` to `call`, as the call asks for it."""
    resource = CATALOGUE.get(route.resource)
    if resource is None or route.verb not in ("get", "list"):
        return body
    if route.verb == "list":
        matches = parse_field_selector(call.query.get("fieldSelector", ""), resource.kind)
        body = {**body, "items": [item for item in body["items"] if matches(item)]}
    version = table_version(call.headers.get("accept", ""))
    if version is None:
        return body
    return to_table(body, version=version, include_object=call.query.get("includeObject", ""),
                    now=utc_now())
