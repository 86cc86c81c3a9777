"""The local stream pump: the Lambda event source mapping's contract, without AWS."""
from __future__ import annotations

import json
from pathlib import Path

from local.pump import StreamPump, load_position, save_position

STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/1"


class Reader:
    """StreamReader's interface over a fixed list of batches."""

    def __init__(self, *batches: list[dict]):
        self.batches = list(batches)
        self.position: dict[str, str] = {}

    def read(self, limit: int = 100) -> list[dict]:
        batch = self.batches.pop(0) if self.batches else []
        if batch:
            self.position["shard-1"] = batch[-1]["dynamodb"]["SequenceNumber"]
        return batch


def record(sequence: str) -> dict:
    return {"eventID": sequence, "eventName": "INSERT",
            "dynamodb": {"SequenceNumber": sequence, "Keys": {}}}


def pump(tmp_path: Path, reader: Reader, handler, sent: list) -> StreamPump:
    return StreamPump(handler, None, reader, STREAM, "us-east-1", tmp_path / "position.json",
                      sent.append, attempts=2, backoff=0)


def test_batches_reach_the_handler_as_a_lambda_event_in_order(tmp_path):
    events: list[dict] = []
    reader = Reader([record("1"), record("2")], [record("3")])
    delivery = pump(tmp_path, reader, lambda event, context: events.append(event), [])
    assert delivery.pump_once() == 2 and delivery.pump_once() == 1 and delivery.pump_once() == 0
    assert [[r["dynamodb"]["SequenceNumber"] for r in e["Records"]] for e in events] == [
        ["1", "2"], ["3"]]
    assert events[0]["Records"][0]["eventSourceARN"] == STREAM
    assert load_position(tmp_path / "position.json", STREAM) == {"shard-1": "3"}


def test_a_batch_that_keeps_failing_goes_to_the_dead_letter_queue_and_the_pump_moves_on(
        tmp_path):
    calls: list[int] = []

    def failing(event, context):
        calls.append(len(event["Records"]))
        raise RuntimeError("SNS is down")

    sent: list[str] = []
    delivery = pump(tmp_path, Reader([record("7"), record("8")]), failing, sent)
    assert delivery.pump_once() == 2
    assert calls == [2, 2]
    info = json.loads(sent[0])["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        "7", "8", 2)
    assert load_position(tmp_path / "position.json", STREAM) == {"shard-1": "8"}


def test_a_partial_batch_response_redelivers_from_the_record_it_names(tmp_path):
    delivered: list[list[str]] = []

    def partial(event, context):
        sequences = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        delivered.append(sequences)
        failed = [] if len(delivered) > 1 else [{"itemIdentifier": "8"}]
        return {"batchItemFailures": failed}

    sent: list[str] = []
    delivery = pump(tmp_path, Reader([record("7"), record("8"), record("9")]), partial, sent)
    assert delivery.pump_once() == 3
    assert delivered == [["7", "8", "9"], ["8", "9"]]
    assert sent == []


def test_records_a_partial_batch_response_keeps_naming_go_to_the_dead_letter_queue(tmp_path):
    delivered: list[list[str]] = []

    def stuck(event, context):
        delivered.append([r["dynamodb"]["SequenceNumber"] for r in event["Records"]])
        return {"batchItemFailures": [{"itemIdentifier": "9"}]}

    sent: list[str] = []
    delivery = pump(tmp_path, Reader([record("7"), record("8"), record("9")]), stuck, sent)
    assert delivery.pump_once() == 3
    assert delivered == [["7", "8", "9"], ["9"]]
    info = json.loads(sent[0])["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        "9", "9", 1)


def test_a_partial_batch_response_naming_no_record_redelivers_the_whole_batch(tmp_path):
    delivered: list[int] = []

    def unknown(event, context):
        delivered.append(len(event["Records"]))
        return {"batchItemFailures": [{"itemIdentifier": "42"}] if len(delivered) == 1 else []}

    delivery = pump(tmp_path, Reader([record("7"), record("8")]), unknown, [])
    assert delivery.pump_once() == 2
    assert delivered == [2, 2]


def test_a_position_in_another_stream_is_not_resumed(tmp_path):
    save_position(tmp_path / "position.json", STREAM, {"shard-1": "9"})
    assert load_position(tmp_path / "position.json", STREAM + "x") == {}
    assert load_position(tmp_path / "missing.json", STREAM) == {}
