"""A scheduled re-import cycle: 1,000 scheduled tags over 100 unique sources, on Debian's
docker-registry started here on loopback, side by side with a `skopeo inspect` loop over
the same 100 sources in the same run.

Requests are counted twice: by the service's own client, and independently from the
registry's access log (the token server counts its own). The store is the in-memory one,
so wall times are registry and service time; the DynamoDB requests of a cycle are
counted separately on moto (its timings say nothing about DynamoDB's, so none are given).
"""
from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib.adapters.memory_secrets import MemorySecrets
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.resources.secrets import Secret
from chalicelib.resources.stream import ImageStream
from chalicelib.services.actor import SERVICE
from chalicelib.services.imports import ImportSettings, NamespaceImporter, RegistryImports
from chalicelib.services.ports import StreamStore
from chalicelib.services.scheduler import CycleReport, Scheduler
from chalicelib.services.secrets import SecretService
from chalicelib.services.streams import StreamService
from testbed.oci_layout import OciLayout
from testbed.registry import USERS

from .registry import LoggedRegistry, Uploader, new_image
from .report import Section

REPOSITORIES, TAGS_PER_REPOSITORY = 20, 5  # 100 unique sources
NAMESPACES, STREAMS_PER_NAMESPACE, TAGS_PER_STREAM = 5, 10, 20  # 1,000 scheduled tags
CHANGED = 10  # sources that get a new image before the "changed" cycle
LAMBDA_SECONDS = 900.0
IMPORT_SLOTS = ImportSettings().host_concurrency


def sources(host: str) -> list[str]:
    return [f"{host}/bench/app{r:02d}:v{t}"
            for r in range(REPOSITORIES) for t in range(TAGS_PER_REPOSITORY)]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Setup:
    """The services over one store and registry, with 1,000 scheduled tags."""

    store: StreamStore
    registry: LoggedRegistry
    clock: Clock = field(default_factory=Clock)

    def __post_init__(self) -> None:
        self.step = timedelta(minutes=15)
        settings = ImportSettings(allow_list="127.0.0.0/8")
        self.registries = RegistryImports(self.store, settings, clock=self.clock)
        self.secrets = SecretService(MemorySecrets(), self.clock)
        importer = NamespaceImporter(self.registries, self.secrets)
        self.streams = StreamService(self.store, clock=self.clock, importer=importer)
        self.scheduler = Scheduler(self.store, self.registries, self.secrets, clock=self.clock)

    def create_tags(self) -> None:
        all_sources = sources(self.registry.host)
        for n in range(NAMESPACES):
            namespace = f"team{n}"
            if self.registry.credentials:
                self._add_secret(namespace, *self.registry.credentials)
            for s in range(STREAMS_PER_NAMESPACE):
                first = (n * STREAMS_PER_NAMESPACE + s) * TAGS_PER_STREAM
                tags = [{"name": f"t{t}", "from": {"kind": "DockerImage", "name": all_sources[
                    (first + t) % len(all_sources)]},
                         "importPolicy": {"insecure": True, "scheduled": True}}
                        for t in range(TAGS_PER_STREAM)]
                self.streams.create(SERVICE, namespace, ImageStream.model_validate(
                    {"metadata": {"name": f"app{s}"}, "spec": {"tags": tags}}))

    def _add_secret(self, namespace: str, user: str, password: str) -> None:
        content = json.dumps({"auths": {self.registry.host: {"username": user,
                                                             "password": password}}})
        self.secrets.create(namespace, Secret.model_validate({
            "metadata": {"name": "pull"}, "type": "kubernetes.io/dockerconfigjson",
            "stringData": {".dockerconfigjson": content}}))

    def cycle(self) -> Measured:
        self.clock.now += self.step
        before_log = len(self.registry.logged())
        before_tokens = len(self.registry.token_server.requests) if self.registry.token_server \
            else 0
        started = time.perf_counter()
        report = self.scheduler.run(lambda: LAMBDA_SECONDS)
        wall = time.perf_counter() - started
        logged = Counter(method for method, _ in self.registry.logged()[before_log:])
        tokens = (len(self.registry.token_server.requests) - before_tokens
                  if self.registry.token_server else 0)
        return Measured(report, wall, logged, tokens)


@dataclass(frozen=True)
class Measured:
    report: CycleReport
    wall: float
    logged: Counter
    tokens: int

    def row(self, label: str) -> str:
        r = self.report
        methods = ", ".join(f"{n} {m}" for m, n in sorted(self.logged.items())) or "none"
        return (f"| {label} | {r.due} | {r.sources} | {r.requests} | {methods} | "
                f"{self.tokens} | {r.unchanged} | {r.written} | {self.wall:.2f} s |")


def _start(directory: Path, flavour: str) -> LoggedRegistry:
    registry = LoggedRegistry(directory, flavour, dict(USERS.get(flavour, {})))
    directory.mkdir(parents=True, exist_ok=True)
    registry.start()
    return registry


def _fill(registry: LoggedRegistry, layout: OciLayout) -> Uploader:
    uploader = Uploader(registry, layout)
    for source in sources(registry.host):
        repository, tag = source.split("/", 1)[1].rsplit(":", 1)
        uploader.push(new_image(layout, source), repository, tag)
    return uploader


def skopeo_loop(registry: LoggedRegistry) -> tuple[float, Counter]:
    before = len(registry.logged())
    started = time.perf_counter()
    for source in sources(registry.host):
        subprocess.run(["skopeo", "inspect", "--no-tags", "--tls-verify=false",
                        f"docker://{source}"], check=True, capture_output=True, timeout=60)
    wall = time.perf_counter() - started
    return wall, Counter(method for method, _ in registry.logged()[before:])


def dynamodb_requests(seeded: Setup) -> Counter:
    """The DynamoDB requests of an unchanged cycle over the same 1,000 tags, on moto.

    The table is filled with the items the DynamoDB store would have written for `seeded`'s
    streams (moto copies its whole table on every transaction, so creating them through
    the service would take minutes)."""
    from chalicelib.adapters import dynamodb_items as items
    from testbed.dynamodb import atomic_requests, mocked_table, new_client

    client = new_client()
    calls: Counter = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    with mocked_table(client, stream=False) as table, atomic_requests():
        written = []
        for n in range(NAMESPACES):
            for record in seeded.store.list_streams(f"team{n}", 1000, None).items:
                snapshot = seeded.store.load_stream(record.namespace, record.name)
                assert snapshot is not None  # listed just now, and nothing deletes streams
                pk = items.stream_pk(record.namespace, record.name)
                written.append(items.encode_stream(snapshot.stream))
                for tag in snapshot.tags.values():
                    written.append(items.encode_tag(pk, record.uid, tag))
                    written += [items.encode_event(pk, record.uid, tag.name, tag.incarnation,
                                                   tag.head_seq - i, event)
                                for i, event in enumerate(snapshot.history[tag.name])]
        table.batch_put(written)
        setup = Setup(table.store(), seeded.registry)
        setup.clock.now = seeded.clock.now  # its tags are due one interval later
        client.meta.events.register("provide-client-params.dynamodb.*", count)
        setup.cycle()
        client.meta.events.unregister("provide-client-params.dynamodb.*", count)
    return calls


def _scenario(directory: Path, flavour: str, layout: OciLayout,
              body: Callable[[LoggedRegistry, Uploader], Any]) -> Any:
    registry = _start(directory / flavour, flavour)
    try:
        return body(registry, _fill(registry, layout))
    finally:
        registry.close()


def run() -> Section:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        directory = Path(tmp)
        layout = OciLayout(directory / "layout")

        def plain(registry: LoggedRegistry, uploader: Uploader) -> dict[str, Any]:
            setup = Setup(MemoryStore(), registry)
            setup.create_tags()
            rows: dict[str, Any] = {"first": setup.cycle(), "unchanged": setup.cycle()}
            for source in sources(registry.host)[:CHANGED]:
                repository, tag = source.split("/", 1)[1].rsplit(":", 1)
                uploader.push(new_image(layout, f"{source} changed"), repository, tag)
            rows["changed"] = setup.cycle()
            rows["after"] = setup.cycle()
            rows["skopeo"] = skopeo_loop(registry)
            rows["dynamodb"] = dynamodb_requests(setup)
            return rows

        def token(registry: LoggedRegistry, uploader: Uploader) -> dict[str, Any]:
            setup = Setup(MemoryStore(), registry)
            setup.create_tags()
            return {"first": setup.cycle(), "unchanged": setup.cycle()}

        measured = _scenario(directory, "plain", layout, plain)
        tokened = _scenario(directory, "token", layout, token)
    return Section("Scheduled import cycle", _markdown(measured, tokened))


def _markdown(plain: dict[str, Any], token: dict[str, Any]) -> str:
    wall, skopeo = plain["skopeo"]
    skopeo_methods = ", ".join(f"{n} {m}" for m, n in sorted(skopeo.items()))
    sources_count = REPOSITORIES * TAGS_PER_REPOSITORY
    per_source = sum(skopeo.values()) / sources_count
    dynamo = ", ".join(f"{n} {op}" for op, n in sorted(plain["dynamodb"].items()))
    tags = NAMESPACES * STREAMS_PER_NAMESPACE * TAGS_PER_STREAM
    header = ("| run | due tags | sources checked | requests (client) | requests (registry log) "
              "| token requests | tags unchanged | tags written | wall |\n"
              "|---|---|---|---|---|---|---|---|---|")
    rows = [
        plain["first"].row("plain registry, first cycle of the process, nothing changed"),
        plain["unchanged"].row("plain registry, nothing changed"),
        plain["changed"].row(f"plain registry, {CHANGED} sources changed"),
        plain["after"].row("plain registry, nothing changed again"),
        token["first"].row("token-auth registry, first cycle, nothing changed"),
        token["unchanged"].row("token-auth registry, nothing changed"),
        f"| `skopeo inspect --no-tags` loop, same 100 sources | - | 100 | - | {skopeo_methods} "
        f"| - | - | - | {wall:.2f} s |",
    ]
    intro = (f"{tags:,} scheduled tags in {NAMESPACES} namespaces ({STREAMS_PER_NAMESPACE} "
             f"streams of {TAGS_PER_STREAM} tags each) over {sources_count} unique sources "
             f"({REPOSITORIES} repositories with {TAGS_PER_REPOSITORY} tags, each a different "
             f"image), every source used by {tags // sources_count} tags. Each cycle runs the "
             f"scheduler as the `reimport_scheduled_tags` Lambda would, with "
             f"{LAMBDA_SECONDS:.0f} s left, over the in-memory store, one schedule interval "
             "after the previous one. On the token-auth registry every namespace has a pull "
             "secret with the same credentials, so namespaces share checks and tokens. "
             "`bench/scheduled_import.py` is the benchmark.")
    return f"""{intro}

{header}
{chr(10).join(rows)}

- Nothing changed: one HEAD per unique source. The first cycle of a process also learns
  that the registry speaks plain HTTP (these tags are `insecure`: HTTPS is tried first, by
  each of the {IMPORT_SLOTS} concurrent checks, and a refused handshake never reaches the
  access log). On the token-auth registry it takes one 401 challenge and one token per
  repository; later cycles reuse tokens while they live (300 s here, as on Docker Hub), so
  on a 15-minute schedule every cycle takes one token per repository.
- A source that changed costs its HEAD plus the manifest and config of the new image,
  fetched once for the {tags // sources_count} tags that use it.
- `skopeo inspect` of the same sources, one process after the other: {per_source:.1f}
  registry requests a source ({sum(skopeo.values())} in all), {wall:.2f} s. The cycle runs
  {IMPORT_SLOTS} checks at a time against the one registry.
- DynamoDB requests of an unchanged cycle over the same tags (counted on moto): {dynamo}:
  the Due index read shard by shard, the streams' items in one batch, and one next-due
  update per tag; nothing else is read or written.
"""
