"""Errors isctl reports, and how kubectl words them."""
from __future__ import annotations

import re
from typing import Any

# Status details name resources ("imagestreamtags"); kubectl's Invalid message names the Kind.
KINDS = {
    "imagestreams": "ImageStream", "imagestreamtags": "ImageStreamTag",
    "imagestreamimages": "ImageStreamImage", "imagestreammappings": "ImageStreamMapping",
    "imagestreamimports": "ImageStreamImport", "images": "Image",
    "imagestreams/triggers": "ImageStreamTrigger", "imagepruneruns": "ImagePruneRun",
}


class CliError(Exception):
    """A client-side failure, printed as `error: <message>` with exit code 1."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.message = message
        self.code = code


class ApiError(Exception):
    """A failed API call carrying the server's Kubernetes Status."""

    def __init__(self, status: dict[str, Any], http_status: int):
        super().__init__(status.get("message") or f"HTTP {http_status}")
        self.status = status
        self.http_status = http_status

    @property
    def reason(self) -> str:
        return str(self.status.get("reason") or "")

    @property
    def code(self) -> int:
        return int(self.status.get("code") or self.http_status)

    @property
    def message(self) -> str:
        return str(self.status.get("message") or "")

    def is_not_found(self) -> bool:
        return self.code == 404

    @classmethod
    def from_response(cls, http_status: int, body: Any, text: str) -> ApiError:
        if isinstance(body, dict) and body.get("kind") == "Status":
            return cls(body, http_status)
        return cls(synthetic_status(http_status, body, text), http_status)


def synthetic_status(http_status: int, body: Any, text: str) -> dict[str, Any]:
    """A Status for answers that are not one (a gateway's own body), worded as client-go does."""
    reasons = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
               405: "MethodNotAllowed", 409: "Conflict", 413: "RequestEntityTooLarge",
               415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests"}
    reason = reasons.get(http_status, "InternalError" if http_status >= 500 else "Unknown")
    detail = body.get("message") if isinstance(body, dict) and body.get("message") else text
    if http_status == 404:
        message = "the server could not find the requested resource"
    elif http_status == 401:
        message = "Unauthorized"
    elif http_status >= 500:
        message = (f'an error on the server ("{(detail or "").strip()[:200]}") has prevented '
                   "the request from succeeding")
    else:
        message = (detail or "").strip() or f"the server responded with HTTP {http_status}"
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
            "reason": reason, "code": http_status}


def error_message(error: Exception) -> str:
    """The text kubectl's CheckErr prints for an error, without the trailing newline."""
    if isinstance(error, ApiError):
        return _status_message(error)
    text = str(getattr(error, "message", None) or error)
    return text if text.startswith("error: ") else f"error: {text}"


def _status_message(error: ApiError) -> str:
    status = error.status
    details: dict | None = status.get("details")
    if error.reason == "Invalid" and details:
        kind = KINDS.get(details.get("kind") or "", details.get("kind") or "")
        head = "The request is invalid"
        if kind or details.get("name"):
            head = f'The {kind} "{details.get("name") or ""}" is invalid'
        causes = _distinct_causes(details.get("causes") or [])
        if not causes:
            return head
        if len(causes) == 1:
            return f"{head}: {causes[0]}"
        return "\n".join([f"{head}: "] + [f"* {cause}" for cause in causes])
    if error.reason == "Unauthorized":
        return f"error: You must be logged in to the server ({error.message or 'Unauthorized'})"
    if error.reason:
        return f"Error from server ({error.reason}): {error.message}"
    return f"Error from server: {error.message}"


def _distinct_causes(causes: list[dict]) -> list[str]:
    """Each cause as `field: message`. An ImageStreamTag's name carries its tag, and the
    server checks the tag as `metadata.name` and again as `tag.name`: one mistake, printed
    once (the `tag.name` cause that repeats `metadata.name`'s message is left out)."""
    names = {str(c.get("message")) for c in causes if c.get("field") == "metadata.name"}
    lines = []
    for cause in causes:
        message = str(cause.get("message") or "")
        if cause.get("field") == "tag.name" and message in names:
            continue
        lines.append(f"{cause.get('field')}: {message}" if cause.get("field") else message)
    return lines


# What OpenSSL says when the other end answers a TLS hello in plain HTTP.
_PLAIN_HTTP = re.compile(r"WRONG_VERSION_NUMBER|RECORD_LAYER_FAILURE|record layer failure|"
                         r"packet length too long", re.IGNORECASE)
_TLS_FAILURE = re.compile(r"TLS with (?P<host>\S+) failed: (?P<detail>.*)", re.DOTALL)


def insecure_hint(message: str) -> str | None:
    """A hint to pass --insecure when an import failed because the registry speaks plain
    HTTP (the server reports `TLS with HOST failed: ... WRONG_VERSION_NUMBER ...`)."""
    match = _TLS_FAILURE.search(message or "")
    if not match or not _PLAIN_HTTP.search(match["detail"]):
        return None
    return (f"hint: {match['host']} seems to serve plain HTTP, not HTTPS: pass --insecure to "
            "import from it over HTTP")
