"""SNS subscriptions with filter policies, for triggers."""
from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import BadRequest, Conflict


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
            message = exc.response["Error"].get("Message", "")
            if "already exists" in message:
                raise Conflict(f"the endpoint is already subscribed to the topic: {message}") from exc
            raise BadRequest(f"SNS refused the subscription: {message}") from exc
        # An https endpoint must confirm before SNS delivers to it; queues and functions need not.
        return reply["SubscriptionArn"], protocol == "https"

    def unsubscribe(self, subscription_arn: str) -> None:
        try:
            self.client.unsubscribe(SubscriptionArn=subscription_arn)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("NotFound", "InvalidParameter"):
                raise
