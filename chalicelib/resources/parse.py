"""Parsing request bodies into resource models, with pydantic's complaints as field errors."""
from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..domain.errors import FieldError, Invalid

M = TypeVar("M", bound=BaseModel)


def field_errors(exc: ValidationError) -> list[FieldError]:
    causes = []
    for error in exc.errors():
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        kind = "FieldValueRequired" if error["type"] == "missing" else "FieldValueInvalid"
        message = "Required value" if kind == "FieldValueRequired" else (
            f"Invalid value: {error['msg']}")
        causes.append(FieldError(path or "<body>", message, kind))
    return causes


def parse_model(model: type[M], data: Any, resource: str, name: str) -> M:
    """Validate `data` as `model`; Invalid naming each bad field otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(resource, name, field_errors(exc)) from exc
