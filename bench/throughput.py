"""In-process throughput of the API on the in-memory store: what a request costs outside
AWS calls. One thread calls the app as Lambda does, `app(event, None)` with API Gateway
proxy events, so each request goes through Chalice's routing, the route table, the access
decision (role bindings, in memory), the handler and JSON in and out.
"""
from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice.app import Request
from chalice.test import Client

from app import app, token_authorizer
from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.api.dispatch import respond
from testbed.auth import grant
from testbed.proxy_events import proxy_event, token_event

from .report import Section

WARM_UP, OPS = 200, 3000
WARM_UP_START = 10**7  # indices of warm-up calls, apart from the recorded ones
REGISTRY = "registry.bench.test:5000"
NAMESPACE, STREAM = "bench", "app"
SUBJECT = "bench-editor"  # bound to the "edit" role in NAMESPACE
SOURCE_TAGS = 50  # PUTs cycle over this many tags of the stream
NAMESPACED = "/apis/image.openshift.io/v1/namespaces/{namespace}"
ISTAG = NAMESPACED + "/imagestreamtags/{name}"
MAPPINGS = NAMESPACED + "/imagestreammappings"


@dataclass(frozen=True)
class Rate:
    operation: str
    seconds: list[float]  # each call's wall time, in order
    cpu_seconds: list[float]  # and the thread's CPU time

    def median_us(self, part: slice = slice(None)) -> float:
        return statistics.median(self.seconds[part]) * 1e6

    @property
    def p90_us(self) -> float:
        return sorted(self.seconds)[math.ceil(0.9 * len(self.seconds)) - 1] * 1e6

    @property
    def cpu_us(self) -> float:
        return statistics.median(self.cpu_seconds) * 1e6

    @property
    def measured_per_second(self) -> float:
        return len(self.seconds) / sum(self.seconds)


def measure(operation: str, call: Callable[[Any], Any],
            prepare: Callable[[int], Any] = lambda i: i) -> Rate:
    """Time `call(prepare(i))`, `prepare` untimed: WARM_UP times unrecorded (i from
    WARM_UP_START), then OPS times."""
    for i in range(WARM_UP):
        call(prepare(WARM_UP_START + i))
    seconds, cpu_seconds = [], []
    for i in range(OPS):
        argument = prepare(i)
        started, cpu_started = time.perf_counter(), time.thread_time()
        call(argument)
        cpu_seconds.append(time.thread_time() - cpu_started)
        seconds.append(time.perf_counter() - started)
    return Rate(operation, seconds, cpu_seconds)


def _digest(i: int) -> str:
    return f"sha256:{i:064x}"


def _mapping(i: int) -> dict[str, Any]:
    digest = _digest(i)
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
            "metadata": {"name": STREAM, "namespace": NAMESPACE}, "tag": "latest",
            "image": {"metadata": {"name": digest},
                      "dockerImageReference": f"{REGISTRY}/{NAMESPACE}/{STREAM}@{digest}"}}


def _put_istag(i: int) -> dict[str, Any]:
    # A reference tag (`oc tag --reference`): recorded as given, no registry involved.
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
            "tag": {"from": {"kind": "DockerImage",
                             "name": f"registry.example.test/library/app:{i}"},
                    "reference": True}}


def _answer(expected: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def call(event: dict[str, Any]) -> dict[str, Any]:
        reply = app(event, None)
        if reply["statusCode"] != expected:
            raise RuntimeError(f"{event['httpMethod']} {event['path']}: "
                               f"{reply['statusCode']} {reply['body'][:300]}")
        return reply
    return call


def run() -> Section:
    load = os.getloadavg()[0]
    services = wiring.Services(MemoryStore(), REGISTRY)
    wiring.use(services)
    try:
        token = grant(services, SUBJECT, "edit", NAMESPACE)
        rates = _rates(token)
    finally:
        wiring.use(None)
    return Section("API throughput in process", _body(rates, load))


def _rates(token: str) -> list[Rate]:
    ok, created = _answer(200), _answer(201)

    def event(method: str, route: str, name: str = "", body: Any = None) -> dict[str, Any]:
        params = {"namespace": NAMESPACE, "name": name} if name else {"namespace": NAMESPACE}
        return proxy_event(method, route, params, SUBJECT, token=token, body=body)

    created(event("POST", NAMESPACED + "/imagestreams",
                  body={"kind": "ImageStream", "metadata": {"name": STREAM}}))
    created(event("POST", MAPPINGS, body=_mapping(2 * WARM_UP_START)))  # the GETs read it
    get_event = event("GET", ISTAG, f"{STREAM}:latest")
    parsed = Request(get_event, None)  # what Chalice hands the route's view function
    rates = [
        measure("PUT imagestreamtag (a reference tag)", ok, lambda i: event(
            "PUT", ISTAG, f"{STREAM}:ref{i % SOURCE_TAGS}", _put_istag(i))),
        measure("GET imagestreamtag", ok, lambda i: get_event),
        measure("GET imagestreamtag, the API layer alone (`respond` on a parsed request)",
                respond, lambda i: parsed),
        measure("POST imagestreammapping (a new image each)", created,
                lambda i: event("POST", MAPPINGS, body=_mapping(i))),
    ]
    authorizer_event = token_event(token, "GET", get_event["path"])
    rates.append(measure("token authorizer (a Lambda of its own, cached for its TTL)",
                         lambda auth_event: token_authorizer(auth_event, None),
                         lambda i: authorizer_event))
    with Client(app) as client:
        headers = {"authorization": f"Bearer {token}"}

        def through_test_client(path: str) -> None:
            if client.http.get(path, headers=headers).status_code != 200:
                raise RuntimeError(f"GET {path} through chalice.test.Client failed")
        rates.append(measure("GET imagestreamtag through chalice.test.Client",
                             through_test_client, lambda i: get_event["path"]))
    return rates


def _body(rates: list[Rate], load: float) -> str:
    tenth = OPS // 10
    rows = ["| operation | ops/s (1 / median) | µs/op, median | p90 | CPU µs/op, median "
            "| median, first tenth | last tenth | ops/s, all calls over their total time |",
            "|---|---|---|---|---|---|---|---|"]
    rows += [f"| {r.operation} | {1e6 / r.median_us():,.0f} | {r.median_us():,.0f} "
             f"| {r.p90_us:,.0f} | {r.cpu_us:,.0f} | {r.median_us(slice(None, tenth)):,.0f} "
             f"| {r.median_us(slice(-tenth, None)):,.0f} | {r.measured_per_second:,.0f} |"
             for r in rates]
    return "\n".join([
        f"One thread, the in-memory store (`chalicelib.wiring` given `Services(MemoryStore())`, "
        f"as the API tests do), {WARM_UP} unrecorded calls then {OPS} of each operation. "
        "Requests are API Gateway proxy events handed to `app(event, None)`, as Lambda "
        "calls the function: Chalice's routing, the access decision from the caller's role "
        f"bindings (a user with the `edit` role in the namespace), the handler, JSON. PUTs "
        f"cycle over {SOURCE_TAGS} tags of one stream, each time a new reference; every "
        "mapping is a new image for the same tag, so its history grows by one each time. "
        "Each call is timed (wall, and the thread's CPU time); the medians are what other "
        "load on the machine disturbs least, the last column is what it got overall. "
        "`bench/throughput.py` is the benchmark.",
        "",
        *rows,
        "",
        "- The token authorizer runs in API Gateway's own call to it, once per token per "
        "cache TTL (`AUTH_CACHE_SECONDS`), not per request; its row is that call "
        "(a SHA-256 and a token lookup). The routed rows do not include it.",
        "- The API layer alone: `chalicelib.api.dispatch.respond` given Chalice's request "
        "object, so routing, access, handler and JSON without Chalice's own event handling "
        "(the difference to the row above).",
        "- `chalice.test.Client`, which the API tests use, matches the path against every "
        "route and runs the authorizer on each request: its row is the same GET for "
        "comparison, not a cost the deployed function has.",
        f"- The machine's 1-minute load average when the run began: {load:.1f}, on "
        f"{os.cpu_count()} CPUs.",
    ])
