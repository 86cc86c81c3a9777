"""Registry answers mapped to the error tree: one mapping for manifests, blobs and tokens."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from .errors import (
    RegistryNotFound,
    RegistryRateLimited,
    RegistryUnauthorized,
    ServerError,
    UnexpectedResponse,
)
from .transport import Reply


def raise_for_status(reply: Reply, what: str) -> None:
    """Map a failed answer to the error tree; `what` names the thing asked for."""
    status = reply.status
    if 200 <= status < 300:
        return
    host = urlsplit(reply.url).hostname
    codes = _error_codes(reply.body)
    said = f" ({', '.join(codes)})" if codes else ""
    if status in (401, 403):
        raise RegistryUnauthorized(f"{host} denied access to {what}: HTTP {status}{said}")
    if status == 404:
        raise RegistryNotFound(f"{what} not found on {host}{said}")
    if status == 429:
        retry_after = parse_retry_after(reply.headers.get("Retry-After", ""))
        later = f"; retry after {retry_after:.0f}s" if retry_after is not None else ""
        raise RegistryRateLimited(f"{host} is rate limiting requests for {what}{later}",
                                  retry_after)
    if status >= 500:
        raise ServerError(f"{host} failed with HTTP {status} for {what}{said}", status)
    raise UnexpectedResponse(f"{host} answered HTTP {status} for {what}{said}")


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None if absent or bad."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _error_codes(body: bytes) -> list[str]:
    """The `code` words of a registry error body; messages are left out (they echo input)."""
    try:
        errors = json.loads(body).get("errors", [])
        codes = [e.get("code", "") for e in errors if isinstance(e, dict)]
    except (ValueError, AttributeError, TypeError):
        return []
    return [c for c in codes if isinstance(c, str) and re.fullmatch(r"[A-Z_]{1,40}", c)][:3]
