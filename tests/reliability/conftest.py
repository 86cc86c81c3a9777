"""What the reliability tests share: a moto cloud whose topic delivers to one queue, and
the fuzzing tallies (tests/reliability/cases.py) in pytest's closing summary."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.triggers.conftest import Cloud, moto_cloud

from .cases import COUNTS

QUEUE = "all-moves"  # subscribed to every message of the topic, raw


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    with moto_cloud() as cloud:
        cloud.sns.subscribe(TopicArn=cloud.topic_arn, Protocol="sqs",
                            Endpoint=cloud.queue(QUEUE),
                            Attributes={"RawMessageDelivery": "true"})
        yield cloud


def pytest_terminal_summary(terminalreporter) -> None:
    counts = [count for count in COUNTS.values() if count.total]
    if not counts:
        return
    terminalreporter.write_sep("-", "fuzzing cases run")
    for count in counts:
        terminalreporter.write_line(count.line())
