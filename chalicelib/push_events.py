"""Entry points for pushes to ECR: the EventBridge event and the reconcile schedule."""
from __future__ import annotations

import logging
from typing import Any

from .wiring import services

logger = logging.getLogger(__name__)


def handle_ecr_event(event: dict[str, Any]) -> str:
    """Apply one ECR push. A push that can never be read (a bad manifest) is logged and
    dropped; ECR or table trouble raises, so EventBridge delivers the event again."""
    from .registry import RegistryError  # here: app.py imports this module for every function
    try:
        outcome = services().ecr_pushes.handle_event(event)
    except RegistryError as exc:
        outcome = f"failed: {exc}"
    logger.info("ECR event %s: %s", event.get("id"), outcome)
    return outcome


def reconcile_ecr(context: Any) -> dict[str, int]:
    """A reconcile run within the Lambda's time (`context.get_remaining_time_in_millis`);
    what it had no time for, the next run does."""
    outcomes = services().ecr_pushes.reconcile(
        lambda: context.get_remaining_time_in_millis() / 1000)
    logger.info("ECR reconcile: %s", outcomes or "nothing missed")
    return outcomes
