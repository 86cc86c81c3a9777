"""Concurrent clients over HTTP against the local stack: the emulator and `chalice local`.

The stack is the one `make run` starts (local/), without the registry and the worker: the
emulator (local.aws_server, which makes each DynamoDB request atomic as DynamoDB does) with
the resources of infra/, and the app in `chalice local`, whose server runs each connection
on a thread of its own (chalice.local.ThreadedHTTPServer), so the clients' requests run
through the service at the same time, sharing one set of services and boto3 clients.

Sixteen clients, each with its own connection (a requests.Session), start together and move
tags one move after the other. Half of them read the tag just before a PUT and send its
resourceVersion, so they may be refused with 409 Conflict; they then read it again and try
once more with a new image, as a Kubernetes client's retry on conflict does, up to ATTEMPTS
times. The others send none and are never refused with 409: the service plans the write
again on fresh data when it loses a race (and answers 429 if it lost them all, below). A move is a PUT of the ImageStreamTag pointing it at an
image the client has just mapped into a stream of its own (`from` ImageStreamImage, each
image once), or an ImageStreamMapping of a new image onto a tag only that client moves
(OpenShift refuses a mapping whose tag another writer moved meanwhile, so mappings are not
used on the shared tag). Afterwards each tag's history must hold every move that was
answered 2xx, once, in each client's order, and no image that was refused; the stream's
generation and resourceVersion must have grown by exactly the accepted spec changes and
writes.

The number of moves is small: one emulator process serialises every DynamoDB request and
CI machines have two cores; what matters is sixteen writers racing for one stream, not how
long they do. RELIABILITY_MOVES=50 runs fifty moves a client (about nine minutes here).
At that scale on a two-core machine the emulator commits about ten writes a second, and a
writer without a resourceVersion can lose every race for the 20 s the service retries
(services/stream_write.py): optimistic writes are not fair. It is then answered 429
TooManyRequests with Retry-After, nothing written, and retries as client-go would. Each test prints a summary line (pytest -s shows it); the service's own
re-plans after a lost race are not visible over HTTP, the clients' retries after a 409 are.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib.first_admin import bootstrap_admin, table_access
from local import emulator
from local.processes import Child, stop
from local.settings import Settings
from local.stack import AWS_VARIABLES, app_environment, start_app
from testbed.registry import free_port

NAMESPACE = "reliability"
CLIENTS = 16
MOVES = int(os.environ.get("RELIABILITY_MOVES", "8"))  # per client and test
ATTEMPTS = 3  # of a move by a client that sends a resourceVersion, as kubectl's retries
REQUEST_SECONDS = 60
INITIAL = f"registry.test/{NAMESPACE}/initial:1"  # each moved tag's first event


@dataclass(frozen=True)
class LocalService:
    api: str  # the namespace's URL
    token: str  # a cluster-admin's
    app_log: Path

    def session(self) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        return session


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalService]:
    state = tmp_path_factory.mktemp("stack")
    (state / "logs").mkdir()
    settings = Settings(api_port=free_port(), aws_port=free_port(),
                        registry_port=free_port(), state_dir=state)
    base = {k: v for k, v in os.environ.items() if k not in AWS_VARIABLES}
    children: list[Child] = []
    try:
        children.append(emulator.start_emulator(settings, base))
        resources = emulator.deploy(settings)
        env = app_environment(settings, resources,
                              emulator.store_webhook_secret(settings, secrets.token_urlsafe(24)))
        app_log = state / "logs" / "app.log"
        children.append(start_app(settings, env, log=app_log))
        token = bootstrap_admin(table_access(emulator.client(settings, "dynamodb"),
                                             resources.table))
        yield LocalService(f"{settings.api_url}/apis/image.openshift.io/v1/namespaces/"
                           f"{NAMESPACE}", token, app_log)
    finally:
        for child in reversed(children):
            stop(child)


def digest(*parts: object) -> str:
    return "sha256:" + hashlib.sha256(" ".join(map(str, parts)).encode()).hexdigest()


def map_image(http: requests.Session, api: str, stream: str, tag: str,
              image: str) -> requests.Response:
    return http.post(f"{api}/imagestreammappings", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
        "metadata": {"name": stream}, "tag": tag,
        "image": {"metadata": {"name": image},
                  "dockerImageReference": f"registry.test/{NAMESPACE}/{stream}@{image}"}},
        timeout=REQUEST_SECONDS)


def run_together(count: int, work: Callable[[int], None]) -> None:
    """`work(0)` ... `work(count - 1)` on threads of their own, released at once."""
    start = threading.Barrier(count)

    def started(number: int) -> None:
        start.wait()
        work(number)

    with ThreadPoolExecutor(count) as pool:
        for finished in [pool.submit(started, number) for number in range(count)]:
            finished.result()


@pytest.fixture(scope="module")
def image_streams(service: LocalService) -> None:
    """Stream `images-n` holds client n's images: a PUT names one as `images-n@<digest>`."""
    session = service.session()
    for number in range(CLIENTS):
        created = session.post(f"{service.api}/imagestreams", json={
            "apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
            "metadata": {"name": f"images-{number}"}}, timeout=REQUEST_SECONDS)
        assert created.status_code == 201, created.text


@dataclass
class Client:
    """One client's moves of one tag and what it was told."""
    number: int
    stream: str
    tag: str
    sends_version: bool
    maps: bool = False  # moves by ImageStreamMapping instead of PUT
    moved: list[str] = field(default_factory=list)  # images the tag took (2xx), in order
    refused: list[str] = field(default_factory=list)  # images of PUTs answered 409
    # images whose move lost every race for the service's retry time: 429, retried
    busy: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # answers outside the contract

    def run(self, service: LocalService) -> None:
        http = service.session()
        for move in range(MOVES):
            if self.maps:
                image = digest(self.stream, self.number, move)
                self.record(image, map_image(http, service.api, self.stream, self.tag, image),
                            201)
                continue
            for attempt in range(ATTEMPTS):  # a refused PUT is tried again with a new image
                image = digest(self.stream, self.number, move, attempt)
                source = map_image(http, service.api, f"images-{self.number}", "all", image)
                if source.status_code != 201:
                    self.unexpected.append(f"mapping {image} into images-{self.number}: "
                                           f"{source.status_code} {source.text}")
                    return
                if self.put(http, service.api, image):
                    break

    def put(self, http: requests.Session, api: str, image: str) -> bool:
        """PUT the tag from `image`; False if it was refused (409) and may be tried again."""
        url = f"{api}/imagestreamtags/{self.stream}:{self.tag}"
        metadata: dict[str, Any] = {"name": f"{self.stream}:{self.tag}"}
        if self.sends_version:
            # An istag's resourceVersion is its stream's; read from the stream, since the
            # tag's first event is a reference, and a tag without an image is no istag.
            current = http.get(f"{api}/imagestreams/{self.stream}", timeout=REQUEST_SECONDS)
            if current.status_code != 200:
                self.unexpected.append(f"GET: {current.status_code} {current.text}")
                return True
            metadata["resourceVersion"] = current.json()["metadata"]["resourceVersion"]
        return self.record(image, http.put(url, json={
            "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag", "metadata": metadata,
            "tag": {"from": {"kind": "ImageStreamImage", "name": f"images-{self.number}@{image}"}}},
            timeout=REQUEST_SECONDS), 200)

    def record(self, image: str, response: requests.Response, success: int) -> bool:
        """Whether the move is over: accepted, or answered outside the contract."""
        if response.status_code == success:
            self.moved.append(image)
        elif response.status_code == 409 and self.sends_version and \
                _is_status(response, "Conflict"):
            self.refused.append(image)
            return False
        elif response.status_code == 429 and not self.sends_version and \
                _is_status(response, "TooManyRequests") and "Retry-After" in response.headers:
            self.busy.append(image)
            time.sleep(float(response.headers["Retry-After"]))  # as client-go does
            return False
        else:
            self.unexpected.append(f"{response.request.method} {image} (resourceVersion sent: "
                                   f"{self.sends_version}): {response.status_code} {response.text}")
        return True


def _is_status(response: requests.Response, reason: str) -> bool:
    body = response.json()
    return (body.get("kind") == "Status" and body.get("status") == "Failure"
            and body.get("reason") == reason and body.get("code") == response.status_code)


def create_stream(service: LocalService, name: str, tags: list[str]) -> dict[str, Any]:
    """The stream, its tags already pointing at a first pull spec; returns the stream's
    metadata as created."""
    created = service.session().post(f"{service.api}/imagestreams", json={
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": name},
        "spec": {"tags": [{"name": tag, "from": {"kind": "DockerImage", "name": INITIAL},
                           "reference": True} for tag in tags]}}, timeout=REQUEST_SECONDS)
    assert created.status_code == 201, created.text
    return created.json()["metadata"]


def run_clients(service: LocalService, clients: list[Client]) -> None:
    run_together(len(clients), lambda number: clients[number].run(service))


def histories(service: LocalService, stream: str) -> tuple[dict[str, Any], dict[str, list[dict]]]:
    """The stream's metadata and each tag's whole history, newest first. The stream's
    status.tags[].items holds only a tag's newest events (at most 50), so each history is
    read page by page from the istag's history path."""
    session = service.session()
    response = session.get(f"{service.api}/imagestreams/{stream}", timeout=REQUEST_SECONDS)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["metadata"], {tag["tag"]: whole_history(session, service.api, stream, tag["tag"])
                              for tag in body["status"]["tags"]}


def whole_history(session: requests.Session, api: str, stream: str, tag: str) -> list[dict]:
    """Every event of `stream:tag`, newest first, following metadata.continue."""
    events: list[dict] = []
    params: dict[str, str] = {"limit": "20"}  # small pages, so paging itself is exercised
    while True:
        page = session.get(f"{api}/imagestreamtags/{stream}:{tag}/history", params=params,
                           timeout=REQUEST_SECONDS)
        assert page.status_code == 200, page.text
        body = page.json()
        events.extend(body["items"])
        after = body.get("metadata", {}).get("continue")
        if not after:
            return events
        params["continue"] = after


def check_history(history: list[dict], clients: list[Client]) -> None:
    """The tag's first event, then every accepted move once, none refused, each client's in
    its order. A PUT changes the spec, so its event has a new generation; a mapping's event
    has the stream's current one."""
    images = [event["image"] for event in history]
    assert history[-1]["dockerImageReference"] == INITIAL and not history[-1]["image"]
    moved = [image for client in clients for image in client.moved]
    assert Counter(images[:-1]) == Counter(moved), "a move answered 2xx is missing or doubled"
    assert len(history) == len(moved) + 1
    refused = {image for client in clients for image in client.refused + client.busy}
    assert not refused & set(images), "a move answered 409 or 429 is in the history"
    for client in clients:
        ours = [image for image in reversed(images) if image in client.moved]
        assert ours == client.moved, f"client {client.number}'s moves are out of order"
    generations = [event["generation"] for event in reversed(history)]
    if any(client.maps for client in clients):
        assert generations == sorted(generations), generations
    else:
        assert all(older < newer for older, newer in pairwise(generations)), \
            generations


def check_stream(before: dict[str, Any], after: dict[str, Any], clients: list[Client]) -> None:
    """Each accepted PUT is one spec change (a generation); each accepted move one write (a
    resourceVersion)."""
    puts = sum(len(client.moved) for client in clients if not client.maps)
    writes = sum(len(client.moved) for client in clients)
    assert after["generation"] == before["generation"] + puts
    assert int(after["resourceVersion"]) == int(before["resourceVersion"]) + writes


def report(name: str, clients: list[Client]) -> None:
    def count(of: Callable[[Client], list[str]], which: Callable[[Client], bool]) -> int:
        return sum(len(of(client)) for client in clients if which(client))

    senders = [client for client in clients if client.sends_version]
    print(f"\n{name}: {len(clients)} clients x {MOVES} moves. Without a resourceVersion: "
          f"{count(lambda c: c.moved, lambda c: not c.sends_version)} accepted. With one: "
          f"{count(lambda c: c.moved, lambda c: c.sends_version)} accepted, "
          f"{count(lambda c: c.refused, lambda c: c.sends_version)} PUTs refused with 409 "
          f"(a stale resourceVersion; read again and retried with a new image up to {ATTEMPTS} "
          f"times a move), {sum(MOVES - len(c.moved) for c in senders)} moves given up. "
          f"Answered 429 after losing every race for the service's retry time: "
          f"{count(lambda c: c.busy, lambda c: True)}. "
          f"Outside the contract: "
          f"{count(lambda c: c.unexpected, lambda c: True)}.")


def assert_told_the_truth(clients: list[Client], service: LocalService) -> None:
    unexpected = [answer for client in clients for answer in client.unexpected]
    assert not unexpected, "\n".join(unexpected[:20]) + "\nthe app's log ends:\n" + \
        service.app_log.read_text(errors="replace")[-3000:]


@pytest.mark.usefixtures("image_streams")
def test_sixteen_clients_moving_one_tag(service: LocalService) -> None:
    before = create_stream(service, "one-tag", ["latest"])
    clients = [Client(number, "one-tag", "latest", sends_version=number % 2 == 0)
               for number in range(CLIENTS)]
    run_clients(service, clients)
    report("one tag", clients)
    assert_told_the_truth(clients, service)
    after, tags = histories(service, "one-tag")
    check_history(tags["latest"], clients)
    check_stream(before, after, clients)


@pytest.mark.usefixtures("image_streams")
def test_sixteen_clients_on_sixteen_tags_of_one_stream(service: LocalService) -> None:
    tags = [f"t-{number}" for number in range(CLIENTS)]
    before = create_stream(service, "many-tags", tags)
    clients = [Client(number, "many-tags", tags[number], sends_version=number % 2 == 0,
                      maps=number % 2 == 1) for number in range(CLIENTS)]
    run_clients(service, clients)
    report("sixteen tags", clients)
    assert_told_the_truth(clients, service)
    after, histories_by_tag = histories(service, "many-tags")
    for client in clients:
        check_history(histories_by_tag[client.tag], [client])
    check_stream(before, after, clients)
