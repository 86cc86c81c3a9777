"""Settings every deployed function has whatever the stack's parameters: the literal
environment variables of infra/service.json's Globals, so that a process started here
to act as a function (benchmarks, tests) gets them from the template, not from a copy."""
from __future__ import annotations

import json
from pathlib import Path

SERVICE_TEMPLATE = Path(__file__).resolve().parents[1] / "infra" / "service.json"


def fixed_function_environment() -> dict[str, str]:
    """The Globals' environment variables whose value is a string, not a reference."""
    template = json.loads(SERVICE_TEMPLATE.read_text())
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    return {name: value for name, value in variables.items() if isinstance(value, str)}
