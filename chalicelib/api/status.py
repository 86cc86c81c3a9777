"""Errors and deletions as Kubernetes Status bodies."""
from __future__ import annotations

from ..domain.errors import ApiError, Invalid
from ..resources.meta import API_GROUP, Status, StatusCause, StatusDetails


def error_status(error: ApiError) -> Status:
    details = None
    if error.kind or error.name or isinstance(error, Invalid):
        causes = None
        if isinstance(error, Invalid):
            causes = [StatusCause(reason=c.reason, message=c.message, field=c.field)
                      for c in error.causes]
        details = StatusDetails(name=error.name, group=API_GROUP if error.kind else None,
                                kind=error.kind, causes=causes)
    return Status(message=error.message, reason=error.reason, code=error.code, details=details)


def success_status(kind: str, name: str, uid: str | None = None, code: int = 200,
                   group: str = API_GROUP) -> dict:
    details = {"name": name, "group": group, "kind": kind}
    if uid:
        details["uid"] = uid
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": details, "code": code}
