"""Push notifications of a distribution registry (its notifications endpoint) as mappings."""
from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

from ..domain.errors import BadRequest, ServiceUnavailable, Unauthorized
from ..domain.pushes import stream_of_repository
from ..registry import RegistryClient, RegistryError
from ..registry.manifests import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from .actor import Actor
from .pushes import Push, PushService

logger = logging.getLogger(__name__)
MANIFEST_TYPES = (DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX)
ENVELOPE_TYPE = "application/vnd.docker.distribution.events.v1+json"


def check_secret(header: str, secret: Callable[[], str]) -> None:
    """The registry must send `Authorization: Bearer <secret>`; anything else is refused.

    `secret` is asked for only when a bearer token was sent, so requests without one never
    make the secret be read (it is read from Secrets Manager once per container); an empty
    secret refuses everything."""
    scheme, _, sent = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not sent.strip():
        raise Unauthorized("the registry notification carries no valid shared secret")
    expected = secret()
    if not expected or not hmac.compare_digest(sent.strip().encode(), expected.encode()):
        raise Unauthorized("the registry notification carries no valid shared secret")


class RegistryNotifications:
    def __init__(self, client: Callable[[], RegistryClient], registry: str,
                 pushes: PushService, insecure: bool = False):
        self.client = client  # built on first push: most notifications are ignored
        self.registry = registry  # host:port the registry serves; never taken from the payload
        self.pushes = pushes
        self.insecure = insecure

    def handle(self, actor: Actor, envelope: Any) -> dict[str, int]:
        """Map every tagged manifest push; count what happened to each event."""
        events = envelope.get("events") if isinstance(envelope, dict) else None
        if not isinstance(events, list):
            raise BadRequest("a registry notification envelope is an object with an events array")
        outcomes: dict[str, int] = {}
        for event in events:
            outcome = self._handle_event(actor, event if isinstance(event, dict) else {})
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcomes.get("failed"):
            # The registry sends the envelope again; what was applied is not applied twice.
            raise ServiceUnavailable(f"{outcomes['failed']} pushes could not be read back from "
                                     "the registry; send the notification again")
        return outcomes

    def _handle_event(self, actor: Actor, event: dict[str, Any]) -> str:
        target = event.get("target")
        if not isinstance(target, dict):
            return "ignored"  # as a registry never sends it: not an event of a push
        tag, repository, digest = (target.get(key) for key in ("tag", "repository", "digest"))
        if event.get("action") != "push" or target.get("mediaType") not in MANIFEST_TYPES:
            return "ignored"
        if not (isinstance(tag, str) and isinstance(repository, str) and isinstance(digest, str)):
            return "ignored"
        if not tag:
            return "ignored"  # a push by digest (or a platform image of a list) moves no tag
        stream = stream_of_repository(repository)
        if stream is None:
            logger.info("registry repository %s maps to no image stream; push ignored", repository)
            return "ignored"
        reference = f"{self.registry}/{repository}"
        client = self.client()

        def still_tagged() -> bool:  # notifications may arrive late or out of order
            return client.resolve(f"{reference}:{tag}", insecure=self.insecure) == digest

        try:
            fetched = client.fetch_image(f"{reference}@{digest}", preserve_original=True,
                                         insecure=self.insecure)
            return self.pushes.apply(actor, Push(*stream, tag, fetched.image, fetched.children),
                                     still_tagged)
        except RegistryError as exc:
            logger.warning("push of %s@%s could not be read back: %s", reference, digest, exc)
            return "failed"
