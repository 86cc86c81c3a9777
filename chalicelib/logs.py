"""The service's log lines: at the level the function is configured with, and carrying the
fields that say which request and which write a line is about.

Deployed, each function's LoggingConfig (infra/template.py) has Lambda's runtime write every
record as one JSON object: level, message, logger, the invocation's `requestId`, and each
field given as `extra=` as a key of its own, so Logs Insights finds every line of a write by
its `namespace`, `stream` and `tag` (docs/operations.md). Elsewhere (`make run`, scripts) a
readable handler shows the same fields after the message.

An entry point (the API's dispatch, the stream consumer, the schedule, the ECR event) opens
a `request_scope` with the ids its own context objects hand it: the Lambda context's request
id and, for the API, API Gateway's. Code deeper in the request (services, adapters) logs
through `about(logger, namespace, stream, tag)`, which adds those ids, rather than having
them threaded through every call.
"""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

PACKAGE = "chalicelib"  # the loggers of the app's code are this one's children
# Lambda's level names (ApplicationLogLevel, AWS_LAMBDA_LOG_LEVEL) and Python's.
LEVELS = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO,
          "WARN": logging.WARNING, "WARNING": logging.WARNING, "ERROR": logging.ERROR,
          "FATAL": logging.CRITICAL, "CRITICAL": logging.CRITICAL}
# The fields of a line about a write, in the order the readable format shows them.
# `requestId` is the Lambda invocation's, as the runtime's JSON lines name it too;
# `apiRequestId` is API Gateway's, the `requestId` of the API's access log.
FIELDS = ("requestId", "apiRequestId", "namespace", "stream", "tag")

_request: ContextVar[Mapping[str, str]] = ContextVar("imagestreams_log_request",
                                                   default=MappingProxyType({}))


def level(environ: Mapping[str, str]) -> int:
    """The level of the app's lines: the function's ApplicationLogLevel (Lambda gives it as
    AWS_LAMBDA_LOG_LEVEL), else LOG_LEVEL (make run, scripts), else INFO."""
    name = environ.get("AWS_LAMBDA_LOG_LEVEL") or environ.get("LOG_LEVEL") or "INFO"
    return LEVELS.get(name.strip().upper(), logging.INFO)


def configure(environ: Mapping[str, str] | None = None) -> None:
    """Set the app's loggers to the configured level, as app.py is imported.

    Lambda's runtime sets the root logger's level only when LoggingConfig names one; left at
    Python's WARNING, INFO lines (the scheduled-import report, ECR outcomes) would never
    reach CloudWatch. Setting the level on the app's own logger holds either way. Where
    nothing handles the root logger (`chalice local` under make run), a readable handler is
    added, so those lines show there too; in Lambda and under pytest the root's handlers
    take them.
    """
    logger = logging.getLogger(PACKAGE)
    logger.setLevel(level(os.environ if environ is None else environ))
    if not logging.getLogger().handlers and not any(
            isinstance(handler.formatter, ReadableFormatter) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(ReadableFormatter())
        logger.addHandler(handler)


class ReadableFormatter(logging.Formatter):
    """A line for a terminal: the message, then the write's fields as key=value."""

    def __init__(self, fmt: str = "%(levelname)s %(name)s: %(message)s") -> None:
        super().__init__(fmt)

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        fields = " ".join(f"{name}={value}" for name in FIELDS
                          if (value := getattr(record, name, None)))
        return f"{text} ({fields})" if fields else text


class WriteLog(logging.LoggerAdapter):
    """A logger whose every line carries `fields` (a request's ids, a write's namespace,
    stream and tag) as structured fields; those given with a call's `extra` are added."""

    def __init__(self, logger: logging.Logger, fields: Mapping[str, str]) -> None:
        self.fields = dict(fields)  # as given: LoggerAdapter types its extra as any objects
        super().__init__(logger, self.fields)

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]
                ) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **(kwargs.get("extra") or {})}
        return msg, kwargs

    def about(self, namespace: str = "", stream: str = "", tag: str = "") -> WriteLog:
        """This log, its lines about one write: of `namespace`/`stream`:`tag`."""
        return WriteLog(self.logger, {**self.fields, **_present(
            namespace=namespace, stream=stream, tag=tag)})


def _present(**fields: str) -> dict[str, str]:
    """The fields that have a value: a line leaves out what it does not know."""
    return {name: value for name, value in fields.items() if value}


def about(logger: logging.Logger, namespace: str = "", stream: str = "",
          tag: str = "") -> WriteLog:
    """`logger`, its lines carrying the current request's ids and the write's namespace,
    stream and tag."""
    return WriteLog(logger, _request.get()).about(namespace, stream, tag)


@contextmanager
def request_scope(request_id: str = "", api_request_id: str = "") -> Iterator[None]:
    """Run a request with its ids, as the entry point's context objects give them: lines
    logged through `about` within it carry them."""
    token = _request.set(_present(requestId=request_id, apiRequestId=api_request_id))
    try:
        yield
    finally:
        _request.reset(token)
