"""Publishing tag-change messages to SNS, ten to a PublishBatch call."""
from __future__ import annotations

import json
import logging
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..resources.events import ImageStreamTagEvent
from ..services.notifications import PublishFailed

logger = logging.getLogger(__name__)
BATCH = 10  # SNS PublishBatch takes at most ten entries
ATTEMPTS = 3


class SnsPublisher:
    def __init__(self, client: Any, topic_arn: str, fifo: bool = False, backoff: float = 0.2):
        self.client = client
        self.topic_arn = topic_arn
        self.fifo = fifo
        self.backoff = backoff
        self.calls = 0  # PublishBatch calls made, for the benchmark

    def publish(self, messages: list[ImageStreamTagEvent]) -> None:
        """Publish in order, ten to a call; a call whose entries still fail after retries
        ends the run (SNS is in trouble): PublishFailed names every message that was sent."""
        sent: list[str] = []
        for start in range(0, len(messages), BATCH):
            batch = messages[start:start + BATCH]
            failed = self._publish_batch(batch)
            sent += [m.event_id for i, m in enumerate(batch) if str(i) not in failed]
            if failed:
                raise PublishFailed(
                    f"{len(messages) - len(sent)} of {len(messages)} tag-change messages were "
                    "not published to SNS after retries", sent)

    def _entry(self, index: int, message: ImageStreamTagEvent) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Id": str(index),
            "Message": json.dumps(message.to_json(), separators=(",", ":")),
            "MessageAttributes": {name: {"DataType": "String", "StringValue": value}
                                  for name, value in message.attributes().items()},
        }
        if self.fifo:
            # Per-tag order for FIFO subscribers; SNS drops a repeated eventId within 5 minutes.
            entry["MessageGroupId"] = f"{message.namespace}/{message.image_stream}:{message.tag}"
            entry["MessageDeduplicationId"] = message.event_id
        return entry

    def _publish_batch(self, batch: list[ImageStreamTagEvent]) -> set[str]:
        """One PublishBatch call and retries of its failed entries; the Ids still failing."""
        pending = {str(i): self._entry(i, m) for i, m in enumerate(batch)}
        for attempt in range(ATTEMPTS):
            try:
                self.calls += 1
                reply = self.client.publish_batch(TopicArn=self.topic_arn,
                                                  PublishBatchRequestEntries=list(pending.values()))
            except (BotoCoreError, ClientError) as exc:
                logger.warning("PublishBatch failed (attempt %d): %s", attempt + 1, exc)
                failed_ids = set(pending)
            else:
                failed_ids = {f["Id"] for f in reply.get("Failed", [])}
                for failure in reply.get("Failed", []):
                    logger.warning("message %s not published: %s %s", failure["Id"],
                                   failure.get("Code"), failure.get("Message"))
                # Only an entry SNS names as Successful was published: one in neither list
                # (an emulator's dropped entry, a truncated reply) is retried as failed.
                answered = failed_ids | {s["Id"] for s in reply.get("Successful", [])}
                unanswered = set(pending) - answered
                if unanswered:
                    logger.warning("PublishBatch answered neither success nor failure for "
                                   "messages %s; they count as not published",
                                   ", ".join(sorted(unanswered, key=int)))
                failed_ids |= unanswered
            pending = {i: e for i, e in pending.items() if i in failed_ids}
            if not pending:
                break
            if attempt + 1 < ATTEMPTS:
                time.sleep(self.backoff * (2 ** attempt))
        return set(pending)
