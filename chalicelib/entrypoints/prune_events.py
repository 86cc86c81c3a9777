"""The optional pruning schedule's entry point: each EventBridge event starts one image
prune run, as the service, with the stack's settings (the Prune* parameters, which reach
this function as PRUNE_* variables). The run then goes on in bounded steps driven by the
table stream, as one started through the API does.

A scheduled run prunes for real (dryRun false): a schedule that only reports would change
nothing. The run's name comes from the event's time, so an event EventBridge delivers
again starts nothing twice.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import logs
from ..domain.errors import AlreadyExists
from ..services.actor import SERVICE
from ..wiring import services

if TYPE_CHECKING:
    from ..resources.prune import ImagePruneRunSpec

logger = logging.getLogger(__name__)
SCHEDULED_PREFIX = "scheduled-"


def scheduled_spec(environment: Mapping[str, str]) -> ImagePruneRunSpec:
    """The run's spec from the function's PRUNE_* variables (one left out: the API's
    default); the run's start refuses a bad value as the API does."""
    # here: app.py imports this module for every function, and only this one prunes
    from ..resources.prune import ImagePruneRunSpec

    fields: dict[str, Any] = {"dryRun": False,
                              "pruneRegistry": environment.get("PRUNE_REGISTRY") == "true"}
    if environment.get("PRUNE_KEEP_TAG_REVISIONS"):
        fields["keepTagRevisions"] = int(environment["PRUNE_KEEP_TAG_REVISIONS"])
    if environment.get("PRUNE_KEEP_YOUNGER_THAN"):
        fields["keepYoungerThan"] = environment["PRUNE_KEEP_YOUNGER_THAN"]
    namespaces = [name.strip() for name in (environment.get("PRUNE_NAMESPACES") or "").split(",")
                  if name.strip()]
    if namespaces:
        fields["namespaces"] = namespaces
    return ImagePruneRunSpec.model_validate(fields)


def run_name(event: Mapping[str, Any]) -> str:
    """`scheduled-20261205t020000z` from the event's time: one run per firing."""
    stamp = re.sub(r"[^0-9a-z]", "", str(event.get("time") or "").lower())
    if not stamp:
        raise ValueError("a scheduled event without a time")
    return SCHEDULED_PREFIX + stamp


def start_scheduled_prune(event: Mapping[str, Any], environment: Mapping[str, str],
                          request_id: str = "") -> str:
    """Start the run of this firing; its name (also when a redelivery finds it started)."""
    name = run_name(event)
    with logs.request_scope(request_id):
        try:
            services().pruning.start(SERVICE, scheduled_spec(environment), name=name)
        except AlreadyExists:
            logger.info("scheduled image prune %s: already started", name)
            return name
        logger.info("scheduled image prune %s: started", name)
    return name
