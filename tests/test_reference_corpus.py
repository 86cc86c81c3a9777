"""One corpus of image references through both parsers: the server's
(chalicelib/domain/reference.py) and isctl's (isctl/src/isctl/references.py).

The two are written separately on purpose: isctl is its own installable package (Python
3.9 and later, no chalicelib), and the Lambda package must not carry isctl, so neither can
import the other. Instead each case of tests/fixtures/references/corpus.json (distribution's
own test cases, and cases made here where the two had drifted) must get the same answer
from both, and that answer is the one the corpus writes down. Where distribution's parser
answers otherwise, the corpus says so and why.
"""
from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain import reference as server
from isctl import references as client

CORPUS = json.loads((Path(__file__).parent / "fixtures" / "references" / "corpus.json")
                    .read_text())["cases"]
PARTS = ("registry", "repository", "tag", "digest")
# The server names the digest as the part at fault where oc says only "invalid reference
# format"; the API's and isctl's messages are each pinned by their own tests, so the one
# wording difference is mapped here rather than changed on either side.
SERVER_WORDING = {"invalid checksum digest format": "invalid reference format"}
SECONDS_PER_PARSE = 1.0  # a backtracking pattern once took hours on a 40-character name


@contextmanager
def _within(seconds: float) -> Iterator[None]:
    """Raise TimeoutError if the block runs longer than `seconds` (re checks for signals
    while it matches, so this interrupts a runaway pattern)."""
    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def server_answer(text: str) -> dict[str, str]:
    try:
        with _within(SECONDS_PER_PARSE):
            ref = server.parse_reference(text)
    except server.InvalidReference as error:
        return {"error": SERVER_WORDING.get(str(error), str(error))}
    return {"registry": ref.registry, "repository": ref.repository, "tag": ref.tag,
            "digest": ref.digest}


def isctl_answer(text: str) -> dict[str, str]:
    try:
        with _within(SECONDS_PER_PARSE):
            ref = client.parse_reference(text)
    except client.InvalidReference as error:
        return {"error": str(error)}
    path = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
    return {"registry": ref.registry, "repository": path, "tag": ref.tag, "digest": ref.id}


def expected_answer(case: dict[str, str]) -> dict[str, str]:
    if "error" in case:
        return {"error": case["error"]}
    return {part: case[part] for part in PARTS}


def _case_id(case: dict[str, str]) -> str:
    text = case["input"]
    return ascii(text if len(text) <= 60 else f"{text[:45]}...({len(text)} chars)")


@pytest.mark.parametrize("case", CORPUS, ids=_case_id)
def test_both_parsers_answer_as_the_corpus(case: dict[str, str]) -> None:
    expected = expected_answer(case)
    answers = {"server": server_answer(case["input"]), "isctl": isctl_answer(case["input"])}
    assert answers == {"server": expected, "isctl": expected}, case.get("source")


def test_the_corpus_is_well_formed() -> None:
    inputs = [case["input"] for case in CORPUS]
    assert len(inputs) == len(set(inputs))
    for case in CORPUS:
        assert ("error" in case) != any(part in case for part in PARTS), case
        assert ("distribution" in case) == ("why" in case), case
        assert case["source"], case
    assert {"error" in case for case in CORPUS} == {True, False}
