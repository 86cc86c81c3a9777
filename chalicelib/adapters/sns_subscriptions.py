"""SNS subscriptions with filter policies, for triggers."""
from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import ApiError, BadRequest, Conflict, ServiceUnavailable

# SNS's own failures: the request may succeed if sent again.
BUSY = {"Throttled", "ThrottlingException", "InternalError", "InternalFailure",
        "ServiceUnavailable", "KMSThrottling"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _busy() -> ServiceUnavailable:
    return ServiceUnavailable("the notification service is busy; retry shortly")


def _unreachable() -> ServiceUnavailable:
    return ServiceUnavailable("the notification service is unreachable; retry shortly")


class SnsSubscriptions:
    def __init__(self, client: Any, topic_arn: str):
        self.client = client
        self.topic_arn = topic_arn

    def subscribe(self, protocol: str, endpoint: str, policy: dict) -> tuple[str, bool]:
        attributes = {"FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageAttributes"}
        if protocol == "sqs":
            attributes["RawMessageDelivery"] = "true"  # consumers read the event JSON directly
        try:
            reply = self.client.subscribe(TopicArn=self.topic_arn, Protocol=protocol,
                                          Endpoint=endpoint, Attributes=attributes,
                                          ReturnSubscriptionArn=True)
        except ClientError as exc:
            if _code(exc) in BUSY:
                raise _busy() from exc
            message = exc.response["Error"].get("Message", "")
            if "already exists" in message:
                raise Conflict("the endpoint is already subscribed to the topic: "
                               f"{message}") from exc
            raise BadRequest(f"SNS refused the subscription: {message}") from exc
        except BotoCoreError as exc:
            raise _unreachable() from exc
        # An https endpoint must confirm before SNS delivers to it; queues and functions need not.
        return reply["SubscriptionArn"], protocol == "https"

    def unsubscribe(self, subscription_arn: str) -> None:
        try:
            self.client.unsubscribe(SubscriptionArn=subscription_arn)
        except ClientError as exc:
            code = _code(exc)
            if code in ("NotFound", "InvalidParameter"):
                return  # gone already
            if code in BUSY:
                raise _busy() from exc
            raise ApiError(f"SNS refused to remove a subscription: {code}") from exc
        except BotoCoreError as exc:
            raise _unreachable() from exc
