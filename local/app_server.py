"""`chalice local` as `make run` serves the API, answering as the deployed API Gateway does.

    python -m local.app_server local --host 127.0.0.1 --port 8000 --no-autoreload

Otherwise this is `chalice local`, with one path of its own and three of its ways put right.

- With DEMO_MESSAGES_FILE set (local/stack.py sets it), GET DEMO_MESSAGES_PATH answers the
  last tag-change messages the worker's demo subscriber received about one stream (kept in
  that file by local/worker.py), newest first, for the console's stream page. It asks the
  app for the stream with the caller's Authorization header first and answers as the app
  did unless that was a 200: the same token check and the same right (get imagestreams in
  the namespace) as the stream itself. Deployed, there is no such path: the catch-all
  routes answer it 404, and the console shows no messages.

- A path no route matches (deeper than the catch-all routes) was answered 403 with a body
  that repeats the request's Authorization header, the caller's token. Deployed, API
  Gateway answers it with its MISSING_AUTHENTICATION_TOKEN gateway response (a 404
  Status, infra/gateway_responses.json); so does this server now, from the same template.
- Its access log wrote each request line as sent, query string and all, and a token sent
  as `?access_token=...` (refused: tokens go in the Authorization header only) landed in
  the log. The log now keeps the values of the query parameters the API knows; any other's
  value is replaced. The same holds for the lines of malformed requests.
- Its listen backlog was Python's default of 5, so a burst of new connections (a dozen
  clients starting together) was reset; API Gateway takes them all.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import chalice.local
from chalice.local import ForbiddenError, LocalGateway, LocalGatewayException

from infra.template import gateway_responses

from .worker import read_kept_messages

BACKLOG = 128
# The API's query parameters (Kubernetes list, watch, write and delete options) whose values
# are worth a log line and never a secret.
LOGGED_PARAMETERS = frozenset({
    "limit", "continue", "labelSelector", "fieldSelector", "watch", "resourceVersion",
    "resourceVersionMatch", "allowWatchBookmarks", "timeoutSeconds", "sendInitialEvents",
    "pretty", "dryRun", "fieldManager", "fieldValidation", "force", "propagationPolicy",
    "gracePeriodSeconds", "orphanDependents", "includeUninitialized"})
REDACTED = "REDACTED"
# A request target in a log line: a path, a '?', and the query up to a space or a quote.
_TARGET = re.compile(r"(?P<path>/[^\s?\"']*)\?(?P<query>[^\s\"']*)")
_UNMATCHED_ROUTE = "UnauthorizedException"  # chalice's x-amzn-ErrorType for no route
DEMO_MESSAGES_FILE = "DEMO_MESSAGES_FILE"  # the variable naming the worker's file
DEMO_MESSAGES_PATH = re.compile(
    r"/local/demo-queue/namespaces/(?P<namespace>[^/]+)/imagestreams/(?P<name>[^/]+)/messages")


def redacted_query(query: str) -> str:
    """`query` with the value of every parameter but LOGGED_PARAMETERS replaced."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{quote(name, safe='')}="
                    f"{quote(value, safe='') if name in LOGGED_PARAMETERS else REDACTED}"
                    for name, value in pairs) if pairs else REDACTED


def redacted(line: str) -> str:
    """A log line with each request target's query values redacted."""
    return _TARGET.sub(lambda m: f"{m['path']}?{redacted_query(m['query'])}", line)


class GatewayResponse(LocalGatewayException):
    """One of API Gateway's own answers, as infra/gateway_responses.json makes it."""

    def __init__(self, kind: str, request_id: str):
        response = gateway_responses()[kind]
        self.CODE = int(response["StatusCode"])  # the handler reads it off the instance
        super().__init__({"Content-Type": "application/json", "x-amzn-RequestId": request_id,
                          "x-amzn-ErrorType": kind},
                         response["ResponseTemplates"]["application/json"].encode())


_CHALICE_HANDLE_REQUEST = LocalGateway.handle_request


def _header(headers: dict[str, Any], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


def stream_messages(file: Path, namespace: str, name: str) -> list[dict[str, Any]]:
    """The kept messages about one stream, newest first."""
    return [message for message in reversed(read_kept_messages(file))
            if message.get("namespace") == namespace and message.get("imageStream") == name]


def _demo_messages(self: LocalGateway, file: Path, namespace: str, name: str,
                   headers: dict[str, Any]) -> Any:
    """GET DEMO_MESSAGES_PATH: the app's answer to GET on the stream unless it is a 200,
    then the stream's kept messages."""
    asked = {"Accept": "application/json"}
    authorization = _header(headers, "authorization")
    if authorization is not None:
        asked["Authorization"] = authorization
    stream = _CHALICE_HANDLE_REQUEST(
        self, "GET", f"/apis/image.openshift.io/v1/namespaces/{quote(namespace, safe='')}"
        f"/imagestreams/{quote(name, safe='')}", asked, None)
    if stream["statusCode"] != 200:
        return stream
    body = {"kind": "TagChangeMessageList", "apiVersion": "v1",
            "items": stream_messages(file, namespace, name)}
    return {"statusCode": 200, "multiValueHeaders": {}, "body": json.dumps(body),
            "headers": {"Content-Type": "application/json", "Cache-Control": "no-store",
                        "X-Content-Type-Options": "nosniff"}}


def _handle_request(self: LocalGateway, method: str, path: str, headers: dict[str, Any],
                    body: bytes | None) -> Any:
    file = os.environ.get(DEMO_MESSAGES_FILE)
    demo = DEMO_MESSAGES_PATH.fullmatch(urlsplit(path).path)
    if file and demo is not None and method == "GET":
        return _demo_messages(self, Path(file), unquote(demo["namespace"]),
                              unquote(demo["name"]), headers)
    try:
        return _CHALICE_HANDLE_REQUEST(self, method, path, headers, body)
    except ForbiddenError as error:
        if error.headers.get("x-amzn-ErrorType") != _UNMATCHED_ROUTE:
            raise
        raise GatewayResponse("MISSING_AUTHENTICATION_TOKEN",
                              error.headers.get("x-amzn-RequestId", "")) from None


def _log_message(self: chalice.local.ChaliceRequestHandler, format: str, *args: Any) -> None:
    sys.stderr.write(f"{self.address_string()} - - [{self.log_date_time_string()}] "
                     f"{redacted(format % args)}\n")


def install() -> None:
    chalice.local.ThreadedHTTPServer.request_queue_size = BACKLOG
    LocalGateway.handle_request = _handle_request  # type: ignore[method-assign]
    chalice.local.ChaliceRequestHandler.log_message = _log_message


def main() -> int:
    install()
    from chalice.cli import main as chalice_main
    return chalice_main()


if __name__ == "__main__":
    sys.exit(main())
