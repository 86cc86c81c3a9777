"""Entry points for pushes to ECR: the EventBridge event and the reconcile schedule."""
from __future__ import annotations

import logging
from typing import Any

from .. import logs
from ..services.actor import SERVICE
from ..wiring import services

logger = logging.getLogger(__name__)


def handle_ecr_event(event: dict[str, Any], request_id: str = "") -> str:
    """Apply one ECR push. A push that can never be read (a bad manifest) is logged and
    dropped; ECR or table trouble raises, so EventBridge delivers the event again.
    `request_id` is the Lambda context's, for the log lines."""
    from ..domain.pushes import stream_of_repository
    from ..registry import RegistryError  # here: app.py imports this module for every function
    with logs.request_scope(request_id):
        pushes = services().ecr_pushes
        detail = event.get("detail") or {}
        target = stream_of_repository(str(detail.get("repository-name") or ""), pushes.prefix)
        namespace, stream = target or ("", "")
        log = logs.about(logger, namespace, stream, str(detail.get("image-tag") or ""))
        try:
            outcome = pushes.handle_event(SERVICE, event)
        except RegistryError as exc:
            outcome = f"failed: {exc}"
        log.info("ECR event %s: %s", event.get("id"), outcome,
                 extra={"repository": detail.get("repository-name"),
                        "digest": detail.get("image-digest")})
    return outcome


def reconcile_ecr(context: Any) -> dict[str, int]:
    """A reconcile run within the Lambda's time (`context.get_remaining_time_in_millis`);
    what it had no time for, the next run does."""
    outcomes = services().ecr_pushes.reconcile(
        SERVICE, lambda: context.get_remaining_time_in_millis() / 1000)
    logger.info("ECR reconcile: %s", outcomes or "nothing missed")
    return outcomes
