"""The access decision every routed call passes through."""
from __future__ import annotations

from .handlers import Call
from .routes import Route


def authorize(route: Route, call: Call) -> None:
    """Allow or raise Unauthorized/Forbidden for `route.verb` on `route.resource`.

    Open routes (verb None) need nothing. Authentication and namespace roles are not part
    of the service yet: until they are, every authenticated-route call is allowed, and this
    function is where the decision will be made for all of them.
    """
    if route.verb is None:
        return
