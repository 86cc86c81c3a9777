"""DynamoDB's failures as the service's errors, for every adapter on the table."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import ApiError, ServiceUnavailable

BUSY = {"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
        "InternalServerError", "ServiceUnavailable",  # and as reasons of a cancelled transaction:
        "ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"}
CHECK_FAILED = "ConditionalCheckFailedException"

P = ParamSpec("P")
R = TypeVar("R")


def translated(method: Callable[P, R]) -> Callable[P, R]:
    """Callers see the service's errors, never botocore's: an outage (no connection, no
    reply) or a busy table is a 503 to retry, anything else DynamoDB refuses a 500."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except ClientError as exc:
            code = error_code(exc)
            if ({code} | set(cancellation_reasons(exc))) & BUSY:
                raise busy() from exc
            raise ApiError(f"the image stream store refused a request: {code}") from exc
        except BotoCoreError as exc:
            raise ServiceUnavailable("the image stream store is unreachable; retry shortly"
                                     ) from exc

    return wrapper


def conditionally(write: Callable[[], object]) -> bool:
    """Make a conditional write: True if it was made, False if its condition failed."""
    try:
        write()
    except ClientError as exc:
        if error_code(exc) == CHECK_FAILED:
            return False
        raise
    return True


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def cancellation_reasons(exc: ClientError) -> list[str]:
    """The code of each action of a cancelled transaction, in order ("None" if it was fine)."""
    return [str(r.get("Code")) for r in exc.response.get("CancellationReasons") or []]


def busy() -> ServiceUnavailable:
    return ServiceUnavailable("the image stream store is busy; retry shortly")
