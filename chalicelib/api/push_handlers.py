"""The registry's notification webhook: its shared secret instead of a user's token."""
from __future__ import annotations

from ..services.actor import SERVICE
from ..wiring import Services
from .bodies import read_json
from .route import Call, Reply


def receive_registry_events(services: Services, call: Call) -> Reply:
    # Imported here, not with the route table: it loads the registry client and requests.
    from ..services.registry_webhook import ENVELOPE_TYPE, check_secret
    check_secret(call.headers.get("authorization") or call.headers.get("Authorization") or "",
                 lambda: services.webhook_secret)
    envelope = read_json(call.body, call.headers, accepted=(ENVELOPE_TYPE, "application/json"))
    # The registry authorized the push; the shared secret says the notice is the registry's.
    outcomes = services.registry_notifications.handle(SERVICE, envelope)
    return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                 "code": 200, "message": ", ".join(f"{n} {what}" for what, n in
                                                   sorted(outcomes.items())) or "no events"}
