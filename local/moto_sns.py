"""moto's SNS delivering to each subscription on its own, as SNS does.

moto 5.2 delivers a message to a topic's subscriptions in one loop with no guard: once one
endpoint fails (an SQS queue that was deleted, a Lambda function that is gone, an HTTPS
endpoint that refuses), every subscription after it loses the message too, and the failure
escapes. Publish then answers an error for a message SNS would have accepted, and
PublishBatch, which swallows any error but InvalidParameter, answers the entry in neither
Successful nor Failed. The loop also reads only the first page (100) of the topic's
subscriptions. Here:

- each subscription gets each message whatever happens to the others; a failed delivery is
  logged and lost for that endpoint only (SNS retries it by its delivery policy, then drops
  it or sends it to the subscription's dead-letter queue);
- every subscription of the topic is delivered to, not the first hundred;
- a PublishBatch entry that fails for any other reason is answered in Failed (an internal
  error, to retry), never left out of both lists.

`install()` applies this for the rest of the process (the emulator, local/aws_server.py),
`patched()` inside a block (tests).
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.moto_api._internal import mock_random
from moto.sns import models as sns_models
from moto.sns.exceptions import (
    BatchEntryIdsNotDistinct,
    SNSException,
    SNSInvalidParameter,
    TooManyEntriesInBatchRequest,
)

log = logging.getLogger("moto-sns")

def _publish(self: sns_models.Topic, message: str, subject: str | None = None,
             message_attributes: dict[str, Any] | None = None,
             group_id: str | None = None, deduplication_id: str | None = None,
             message_structure: str | None = None) -> str:
    """Topic.publish with one delivery per subscription, each on its own."""
    message_id = str(mock_random.uuid4())
    for subscription in self.sns_backend._get_topic_subscriptions(self):
        try:
            subscription.publish(message, message_id, subject=subject,
                                 message_attributes=message_attributes, group_id=group_id,
                                 deduplication_id=deduplication_id,
                                 message_structure=message_structure)
        except Exception as error:  # the endpoint's failure, not the publisher's
            log.warning("message %s not delivered to %s (%s): %s: %s", message_id,
                        subscription.endpoint, subscription.protocol,
                        type(error).__name__, error)
    self.sent_notifications.append((message_id, message, subject, message_attributes,
                                    group_id))
    return message_id


def _publish_batch(self: sns_models.SNSBackend, topic_arn: str,
                   publish_batch_request_entries: list[dict[str, Any]]
                   ) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """SNSBackend.publish_batch with every entry answered in Successful or Failed: moto's
    own drops an entry whose publish failed with anything but InvalidParameter."""
    entries = publish_batch_request_entries
    topic = self.get_topic(topic_arn)
    if len(entries) > 10:
        raise TooManyEntriesInBatchRequest
    ids = [entry["Id"] for entry in entries]
    if len(set(ids)) != len(ids):
        raise BatchEntryIdsNotDistinct
    if topic.fifo_topic and not all("MessageGroupId" in entry for entry in entries):
        raise SNSInvalidParameter(
            "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
    successful: list[dict[str, str]] = []
    failed: list[dict[str, Any]] = []
    for entry in entries:
        try:
            message_id = self.publish(
                message=entry["Message"], arn=topic_arn, subject=entry.get("Subject"),
                message_attributes=entry.get("MessageAttributes", {}),
                group_id=entry.get("MessageGroupId"),
                deduplication_id=entry.get("MessageDeduplicationId"),
                message_structure=entry.get("MessageStructure"))
        except SNSException as error:  # the entry's own fault: the sender's
            failed.append({"Id": entry["Id"], "Code": error.code, "Message": error.message,
                           "SenderFault": True})
        except Exception as error:  # anything else is SNS's to retry
            failed.append({"Id": entry["Id"], "Code": "InternalError",
                           "Message": f"{type(error).__name__}: {error}",
                           "SenderFault": False})
        else:
            successful.append({"MessageId": message_id, "Id": entry["Id"]})
    return successful, failed


def install() -> None:
    """Apply both changes for the rest of the process."""
    sns_models.Topic.publish = _publish  # type: ignore[method-assign]
    sns_models.SNSBackend.publish_batch = _publish_batch  # type: ignore[method-assign]


@contextmanager
def patched() -> Iterator[None]:
    """Apply both changes inside the block only."""
    saved = sns_models.Topic.publish, sns_models.SNSBackend.publish_batch
    install()
    try:
        yield
    finally:
        sns_models.Topic.publish = saved[0]  # type: ignore[method-assign]
        sns_models.SNSBackend.publish_batch = saved[1]  # type: ignore[method-assign]
