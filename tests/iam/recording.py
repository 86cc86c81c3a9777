"""Recording the AWS calls each Lambda function makes, while its real entry points run.

The app builds every AWS client from one botocore session (chalicelib/wiring.py
`_aws_client`). Each function gets its own execution environment here, as in Lambda: its
own environment variables, its own services and publisher, and its own botocore session,
on which the recorder listens (`provide-client-params`: every API call, with the
parameters the code passed, before it is sent). A call is recorded under the function
whose environment is active, so the same code run by two functions is checked against
each one's policy.
"""
from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session

from chalicelib import wiring

from .aws_requests import RecordedCall

NO_FUNCTION = "<no function>"  # a call made while no function was running: a test bug
_CALL = "iam_recorded_call"
# What a Lambda environment holds besides its function's variables, and what this Python
# process itself needs; nothing else of the shell that runs the tests leaks into a function.
RUNTIME_VARIABLES = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "PYTHONPATH",
                     "PYTHONHASHSEED", "PYTEST_CURRENT_TEST", "TEST_SERVER_MODE"}


class CallRecorder:
    """Every AWS call made through the sessions it instruments, by function."""

    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self._acting: list[tuple[str, str]] = []  # (function, made_by), innermost last
        self._iterator_streams: dict[str, str] = {}
        self._lock = threading.Lock()

    def instrument(self, session: botocore.session.Session) -> botocore.session.Session:
        session.register("provide-client-params", self._record)
        session.register("after-call", self._follow_shard_iterators)
        return session

    @contextmanager
    def acting_as(self, function: str, made_by: str = "code") -> Iterator[None]:
        """Calls made in this block are `function`'s (threads it starts included)."""
        self._acting.append((function, made_by))
        try:
            yield
        finally:
            self._acting.pop()

    def add(self, call: RecordedCall) -> None:
        """A call made with a function's role that no code here makes (the Lambda service's)."""
        with self._lock:
            self.calls.append(call)

    def _record(self, params: Mapping[str, Any], model: Any, context: dict[str, Any],
                **_: Any) -> None:
        function, made_by = self._acting[-1] if self._acting else (NO_FUNCTION, "code")
        service, operation = model.service_model.service_name, model.name
        stream = (self._iterator_streams.get(params.get("ShardIterator", ""))
                  if operation == "GetRecords" else None)
        call = RecordedCall(function, service, operation, copy.deepcopy(dict(params)),
                            context["client_region"], stream, made_by)
        context[_CALL] = call  # the same request context reaches the after-call event
        self.add(call)

    def _follow_shard_iterators(self, parsed: Mapping[str, Any], model: Any,
                                context: Mapping[str, Any], **_: Any) -> None:
        """Note which stream each shard iterator reads: GetRecords names only the iterator,
        IAM authorizes it on the stream."""
        call = context.get(_CALL)
        if call is None or call.service != "dynamodbstreams":
            return
        stream = call.params.get("StreamArn") or call.stream_arn
        following = parsed.get("ShardIterator") or parsed.get("NextShardIterator")
        if stream and following:
            self._iterator_streams[following] = stream


@dataclass
class _Environment:
    session: botocore.session.Session
    services: wiring.Services | None = None
    publisher: Any | None = None


@dataclass
class LambdaEnvironments:
    """One execution environment per function: `running(function)` makes the app's wiring
    and os.environ that function's for the block, and records its calls as its own.

    `variables` gives each function's environment variables; `session_setup` is applied to
    each new botocore session (stubs for what moto lacks)."""

    recorder: CallRecorder
    variables: Callable[[str], Mapping[str, str]]
    session_setup: Callable[[botocore.session.Session], None] = lambda session: None
    _environments: dict[str, _Environment] = field(default_factory=dict)

    def session(self) -> botocore.session.Session:
        session = self.recorder.instrument(botocore.session.get_session())
        self.session_setup(session)
        return session

    @contextmanager
    def running(self, function: str) -> Iterator[None]:
        """The block runs inside `function`'s environment; an enclosing function's (the
        API's, around the authorizer API Gateway calls) is put back after it."""
        outer_wiring = (wiring._current, wiring._publisher, wiring._aws_session)
        outer_variables = dict(os.environ)
        environment = self._environments.get(function)
        if environment is None:
            environment = self._environments[function] = _Environment(self.session())
        wiring._current, wiring._publisher = environment.services, environment.publisher
        wiring._aws_session = environment.session
        os.environ.clear()
        os.environ.update({k: v for k, v in outer_variables.items() if k in RUNTIME_VARIABLES})
        os.environ.update(self.variables(function))
        try:
            with self.recorder.acting_as(function):
                yield
        finally:
            environment.services, environment.publisher = wiring._current, wiring._publisher
            wiring._current, wiring._publisher, wiring._aws_session = outer_wiring
            os.environ.clear()
            os.environ.update(outer_variables)
