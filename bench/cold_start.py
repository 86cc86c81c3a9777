"""Cold start: a fresh process importing app.py and serving its first request, beside a
minimal Chalice app (bench/minimal_app: boto3 and one route doing one GetItem), in one run.

Each sample is a new interpreter that imports the app's module as Lambda does and calls
`app(event, None)` with an API Gateway REST proxy event: a GET of an ImageStreamTag, its
requestContext.authorizer as API Gateway passes it after the token authorizer allowed the
caller. Both apps talk to one moto server (a process of its own, started here) holding the
table of infra/table.json, seeded with one stream, one tag and a role binding of the
caller. Times run from just before the process is spawned to the import's end and to the
first response, on the system-wide monotonic clock. The two sides alternate.
"""
from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.resources.rbac import AccessToken
from testbed.function_process import (
    fixed_function_environment,
    function_environment,
    seed_viewed_tag,
)
from testbed.moto_server import moto_server
from testbed.proxy_events import proxy_event

from .report import Section

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = 21
WARM_UP = 2  # per side, not counted: byte-code compiled, files in the page cache
TARGET_RATIO = 1.3
IMPORTTIME_RUNS = 3
TABLE = "imagestreams-bench"
REGISTRY = "registry.bench.test:5000"
NAMESPACE, STREAM, TAG = "bench", "app", "latest"
SUBJECT = "bench-viewer"  # bound to the "view" role in NAMESPACE
ISTAG = "/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreamtags/{name}"
REAL, MINIMAL = "imagestreams (app.py)", "minimal Chalice app (boto3, one GetItem)"
SIDES = {REAL: ROOT, MINIMAL: ROOT / "bench" / "minimal_app"}  # each one's `app` module

# Run in the new process with its app directory as the working directory (sys.path[0]).
# A second request then shows what one request costs once warm: mostly its AWS calls.
DRIVER = """\
import json, os, sys, time
import app
imported = time.monotonic()
response = app.app(json.loads(sys.argv[1]), None)
answered = time.monotonic()
app.app(json.loads(sys.argv[1]), None)
warm = time.monotonic() - answered
print(json.dumps({"imported": imported, "answered": answered, "warm": warm,
                  "status": response["statusCode"], "body": response["body"]}), flush=True)
os._exit(0)
"""
STARTED = "import time; print(time.monotonic(), flush=True)"
# What pydantic adds to a process that has Chalice and boto3: the API's models need it.
PYDANTIC = """\
import time
import boto3, chalice.app
started = time.monotonic()
from pydantic import BaseModel, ConfigDict, Field
print(time.monotonic() - started, flush=True)
"""


def requests_served(log: Path) -> int:
    """Requests the moto server has answered, from its log (one line per request)."""
    time.sleep(0.2)  # the server logs a request after answering it
    return log.read_text(errors="replace").count('"POST / HTTP/1.1"')


def seed(endpoint: str) -> str:
    """The table with one stream, one tag and SUBJECT's view binding; a token of SUBJECT."""
    services = seed_viewed_tag(endpoint, TABLE, REGISTRY, NAMESPACE, STREAM, TAG, SUBJECT)
    token = services.access.create_token(
        AccessToken.model_validate({"spec": {"subject": SUBJECT}}), None).status
    assert token is not None and token.token
    return token.token


@dataclass(frozen=True)
class Sample:
    imported: float  # seconds from spawning the process
    answered: float  # the first response, seconds from spawning the process
    warm: float  # seconds of a second, identical request in the same process


def cold_start(side: str, event: dict[str, Any], env: dict[str, str],
               options: tuple[str, ...] = ()) -> tuple[Sample, str]:
    """One new process of `side`: its times, and what it wrote to stderr."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, *options, "-c", DRIVER, json.dumps(event)],
                            cwd=SIDES[side], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{side}: exited with {result.returncode}: {result.stderr[-2000:]}")
    reply = json.loads(result.stdout.splitlines()[-1])
    if reply["status"] != 200:
        raise RuntimeError(f"{side}: answered {reply['status']}: {reply['body'][:500]}")
    if side == REAL and json.loads(reply["body"]).get("kind") != "ImageStreamTag":
        raise RuntimeError(f"{side}: not an ImageStreamTag: {reply['body'][:500]}")
    sample = Sample(reply["imported"] - started, reply["answered"] - started, reply["warm"])
    return sample, result.stderr


def _python(code: str, env: dict[str, str]) -> str:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60, check=True).stdout


def interpreter_start(env: dict[str, str]) -> float:
    """Seconds from spawning `python -c` to its first line running."""
    started = time.monotonic()
    return float(_python(STARTED, env)) - started


def pydantic_import(env: dict[str, str]) -> float:
    return float(_python(PYDANTIC, env))


def p90(values: list[float]) -> float:
    """Nearest-rank 90th percentile."""
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def import_costs(importtimes: list[str]) -> tuple[list[tuple[str, float]],
                                                 list[tuple[str, float]]]:
    """From `-X importtime` outputs: self time per top-level package, and per chalicelib
    module, in ms, largest first; each the least of the runs (the one least disturbed)."""
    packages: dict[str, float] = {}
    modules: dict[str, float] = {}
    for importtime in importtimes:
        run_packages: dict[str, float] = defaultdict(float)
        for line in importtime.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            own, _, name = line[len("import time:"):].split("|")
            name, own_ms = name.strip(), int(own) / 1000
            run_packages[name.split(".")[0]] += own_ms
            if name.startswith("chalicelib."):
                modules[name] = min(modules.get(name, own_ms), own_ms)
        for name, cost in run_packages.items():
            packages[name] = min(packages.get(name, cost), cost)
    by_cost = lambda costs: sorted(costs.items(), key=lambda item: -item[1])  # noqa: E731
    return by_cost(packages), by_cost(modules)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


@dataclass
class Results:
    samples: dict[str, list[Sample]]
    requests: dict[str, int]  # DynamoDB requests of one process (two requests) per side
    interpreter: list[float]
    pydantic: list[float]
    importtimes: list[str]  # -X importtime of processes of the real side
    load: float  # the 1-minute load average when the run began


def run() -> Section:
    samples: dict[str, list[Sample]] = {side: [] for side in SIDES}
    requests: dict[str, int] = {}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-cold-start-") as directory, \
            moto_server(Path(directory) / "moto.log") as url:
        log = Path(directory) / "moto.log"
        token = seed(url)
        env = function_environment(url, TABLE, REGISTRY)
        event = proxy_event("GET", ISTAG, {"namespace": NAMESPACE, "name": f"{STREAM}:{TAG}"},
                            SUBJECT, token=token)
        for side in SIDES:
            before = requests_served(log)
            for _ in range(WARM_UP):
                cold_start(side, event, env)
            requests[side] = (requests_served(log) - before) // WARM_UP
        interpreter, pydantic = [], []
        for _ in range(SAMPLES):  # in turns, so that each measure meets the same load
            interpreter.append(interpreter_start(env))
            pydantic.append(pydantic_import(env))
            for side in SIDES:
                samples[side].append(cold_start(side, event, env)[0])
        importtimes = [cold_start(REAL, event, env, ("-X", "importtime"))[1]
                       for _ in range(IMPORTTIME_RUNS)]
    return Section("Cold start", _body(Results(samples, requests, interpreter, pydantic,
                                               importtimes, load)))


def _body(results: Results) -> str:
    median = statistics.median
    rows = ["| side | import only, median | first response, median | first response, p90 "
            "| a second request, median | DynamoDB requests of the two requests |",
            "|---|---|---|---|---|---|",
            f"| interpreter start (`python -c` running its first line) | - "
            f"| {ms(median(results.interpreter))} | {ms(p90(results.interpreter))} | - | - |"]
    first, imported, warm = {}, {}, {}
    for side, samples in results.samples.items():
        imported[side] = median(s.imported for s in samples)
        first[side] = median(s.answered for s in samples)
        warm[side] = median(s.warm for s in samples)
        rows.append(f"| {side} | {ms(imported[side])} | {ms(first[side])} "
                    f"| {ms(p90([s.answered for s in samples]))} | {ms(warm[side])} "
                    f"| {results.requests[side]} |")
    ratio = first[REAL] / first[MINIMAL]
    verdict = "met" if ratio <= TARGET_RATIO else "not met"
    pydantic = median(results.pydantic)
    more_aws = warm[REAL] - warm[MINIMAL]
    floor = first[MINIMAL] + pydantic + more_aws
    packages, modules = import_costs(results.importtimes)
    top_packages = ", ".join(f"{name} {cost:.0f} ms" for name, cost in packages[:8])
    top_modules = ", ".join(f"`{name}` {cost:.1f} ms" for name, cost in modules[:8])
    return "\n".join([
        f"{SAMPLES} fresh processes per side, in turns, after {WARM_UP} unrecorded "
        "ones each. A process imports the side's `app` module as Lambda does and calls "
        "`app(event, None)` with an API Gateway REST proxy event: GET "
        f"`{ISTAG.format(namespace=NAMESPACE, name=STREAM + ':' + TAG)}`, its "
        f"`requestContext.authorizer` `{{\"principalId\": \"{SUBJECT}\"}}` (a user with "
        "the `view` role in the namespace), as API Gateway passes it once the token "
        "authorizer, a Lambda of its own, allowed the token. Both sides reach one moto "
        "server process on loopback holding the table of `infra/table.json`, as "
        "`AWS_ENDPOINT_URL`; the minimal app (`bench/minimal_app/app.py`) makes one GetItem "
        "through a client created on first use. Times are from spawning the process; the "
        "second request, in the same process, is what a request costs once warm. Both "
        "sides' processes have a deployed function's environment, with the settings "
        "`infra/service.json` gives every function "
        f"({', '.join(f'`{k}={v}`' for k, v in fixed_function_environment().items())}). "
        "`bench/cold_start.py` is the benchmark.",
        "",
        *rows,
        "",
        f"- First response, imagestreams / minimal: **{ratio:.2f}** (target at most "
        f"{TARGET_RATIO}: {verdict}). Import only: {imported[REAL] / imported[MINIMAL]:.2f} "
        "(the app imports boto3 with its first request, the minimal app at load).",
        "- The floor, were the app's own modules free: the minimal app's first response, "
        f"plus pydantic's import ({ms(pydantic)}, median, in a process that has Chalice and "
        "boto3 already: the API's models are pydantic models), plus the route's further "
        f"DynamoDB requests (the second requests' difference, {ms(more_aws)}): {ms(floor)}, "
        f"a ratio of {floor / first[MINIMAL]:.2f}. The remaining {ms(first[REAL] - floor)} "
        "is loading the app's modules, building the models the request uses, and its "
        "adapters.",
        f"- Where an imagestreams process spends its import time, first request included "
        f"(`-X importtime`, which inflates it; self time by top-level package, the least of "
        f"{IMPORTTIME_RUNS} runs): {top_packages}.",
        f"- Costliest `chalicelib` modules (self time): {top_modules}.",
        f"- The machine's 1-minute load average when the run began: {results.load:.1f}, "
        f"on {os.cpu_count()} CPUs (the measures are taken in turns, so all meet the same "
        "load).",
    ])
