"""What every refusal of the API must look like: a Kubernetes Status that says why."""
from __future__ import annotations

from typing import Any


def assert_failure_status(code: int, body: Any) -> None:
    """A 4xx is a Failure Status carrying that code, a reason and a message; a 422 (Invalid)
    names the field of each cause."""
    assert isinstance(body, dict), body
    assert body.get("kind") == "Status" and body.get("apiVersion") == "v1", body
    assert body.get("status") == "Failure" and body.get("code") == code, body
    assert isinstance(body.get("reason"), str) and body["reason"], body
    assert isinstance(body.get("message"), str) and body["message"], body
    if code == 422:
        assert body["reason"] == "Invalid", body
        causes = (body.get("details") or {}).get("causes")
        assert causes, body
        for cause in causes:
            assert isinstance(cause.get("field"), str) and cause["field"], body
            assert cause.get("reason") and cause.get("message"), body


def cause_fields(body: dict) -> set[str]:
    return {cause["field"] for cause in (body.get("details") or {}).get("causes") or []}
