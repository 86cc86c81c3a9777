"""The app's log level and where its lines go: Lambda's runtime handler when there is one,
a readable line on stderr under `make run`."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import logs

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("environ,expected", [
    ({}, logging.INFO),
    ({"AWS_LAMBDA_LOG_LEVEL": "DEBUG"}, logging.DEBUG),
    ({"AWS_LAMBDA_LOG_LEVEL": "TRACE"}, logging.DEBUG),  # Lambda's finest; Python has none
    ({"AWS_LAMBDA_LOG_LEVEL": "WARN"}, logging.WARNING),
    ({"AWS_LAMBDA_LOG_LEVEL": "FATAL"}, logging.CRITICAL),
    ({"LOG_LEVEL": "debug"}, logging.DEBUG),
    ({"AWS_LAMBDA_LOG_LEVEL": "ERROR", "LOG_LEVEL": "DEBUG"}, logging.ERROR),
    ({"LOG_LEVEL": "nonsense"}, logging.INFO),
])
def test_the_level_is_the_functions_application_log_level(environ: dict[str, str],
                                                          expected: int) -> None:
    assert logs.level(environ) == expected


def _python(code: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "IMAGESTREAMS_STORE": "memory", **variables}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=60, check=True)


WRITE_LINE = """
import logging{setup}
import app
from chalicelib import logs
with logs.request_scope("req-1", "api-1"):
    logs.about(logging.getLogger("chalicelib.demo"), "team", "web", "latest").info("moved")
    logging.getLogger("chalicelib.demo").debug("not at INFO")
print(logging.getLogger("chalicelib").level)
"""
# What Lambda's Python runtime does before it imports the handler, with JSON logs: a handler
# on the root logger writing each record's fields as keys of one JSON object, the root at
# the function's level (awslambdaric's bootstrap and JsonFormatter, in short).
LAMBDA_RUNTIME = """
import json, os, sys
class JsonFormatter(logging.Formatter):
    def format(self, record):
        skip = set(vars(logging.makeLogRecord({}))) | {"message"}
        fields = {k: v for k, v in vars(record).items() if k not in skip}
        return json.dumps({"level": record.levelname, "message": record.getMessage(),
                           "logger": record.name, **fields})
handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(JsonFormatter())
logging.getLogger().addHandler(handler)"""


def test_make_run_gets_readable_lines_with_the_writes_fields() -> None:
    done = _python(WRITE_LINE.format(setup=""))
    assert done.stderr.strip() == (
        "INFO chalicelib.demo: moved (requestId=req-1 apiRequestId=api-1 namespace=team "
        "stream=web tag=latest)")
    assert done.stdout.strip() == str(logging.INFO)


def test_in_lambda_the_runtimes_handler_writes_them_as_json_fields() -> None:
    """No handler of the app's own: the runtime's writes each line once, with the fields as
    keys; INFO reaches it although the root logger is left at WARNING."""
    done = _python(WRITE_LINE.format(setup=LAMBDA_RUNTIME), AWS_LAMBDA_LOG_LEVEL="INFO",
                   AWS_LAMBDA_LOG_FORMAT="JSON")
    line, level = done.stdout.strip().splitlines()
    record = json.loads(line)
    assert record["level"] == "INFO" and record["message"] == "moved"
    assert {key: record[key] for key in logs.FIELDS} == {
        "requestId": "req-1", "apiRequestId": "api-1", "namespace": "team", "stream": "web",
        "tag": "latest"}
    assert level == str(logging.INFO) and done.stderr == ""


def test_debug_lines_show_when_the_function_asks_for_them() -> None:
    done = _python(WRITE_LINE.format(setup=""), LOG_LEVEL="DEBUG")
    assert "DEBUG chalicelib.demo: not at INFO" in done.stderr
