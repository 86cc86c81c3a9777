"""The registry client's one error tree; no requests/urllib3 exception leaves the package.
Its names say they are the registry's answers, apart from the API's own errors
(domain/errors.py) of the same HTTP meaning.

Messages name hosts, repositories and status codes only: never credentials, tokens,
header values or query strings (a redirect to blob storage carries a signed URL).
`reason` is a short CamelCase word an import can record on a tag condition.
"""
from __future__ import annotations


class RegistryError(Exception):
    reason = "InternalError"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RegistryUnauthorized(RegistryError):
    """401/403 after authenticating, refused credentials, or credentials needed and absent."""

    reason = "Unauthorized"


class RegistryNotFound(RegistryError):
    reason = "NotFound"


class RegistryRateLimited(RegistryError):
    """429; `retry_after` in seconds from now, None when the registry did not say."""

    reason = "TooManyRequests"

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(RegistryError):
    """A 5xx answer: the caller should back off and retry later."""

    reason = "ServerError"

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class UnexpectedResponse(RegistryError):
    """An answer that is neither success nor a known failure, or a body that does not parse."""

    reason = "InvalidResponse"


class UnsafeAddress(RegistryError):
    """An address the safety rules refuse (checked before any connection is made)."""

    reason = "UnsafeAddress"


class InsecureScheme(RegistryError):
    """Plain HTTP without `insecure`, including a redirect or token realm downgrading to it."""

    reason = "InsecureConnection"


class UnsupportedManifest(RegistryError):
    reason = "UnsupportedManifest"


class NoMatchingPlatform(RegistryError):
    reason = "NoMatchingPlatform"


class DigestMismatch(RegistryError):
    reason = "DigestMismatch"


class ResponseTooLarge(RegistryError):
    reason = "ResponseTooLarge"


class Timeout(RegistryError):
    reason = "Timeout"


class ConnectionFailed(RegistryError):
    """Name resolution, connection, TLS or protocol failure."""

    reason = "ConnectionFailed"


class UnknownHost(RegistryError):
    """A registry name the resolver says does not exist. Unlike ConnectionFailed, trying
    again within the run changes nothing, so it is not retried."""

    reason = "ConnectionFailed"
