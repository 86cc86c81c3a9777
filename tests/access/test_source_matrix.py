"""Every way a request in one namespace can read another namespace's stream, × the kinds of
caller who may write there: ImageStreamTag and ImageStreamImage sources, and DockerImage
sources in the integrated registry (as `make run` names it, and as ECR with a prefix), in
istags, stream spec tags, spec.dockerImageRepository, and ImageStreamImports of images and
repositories, dry runs included. Each needs the pull right in the source's namespace: the
answer is the same 403 whether or not the source exists, and a refused request fetches
nothing from the registry."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import count
from typing import NamedTuple

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.domain.imports import ImportOutcome, RepositoryListing
from chalicelib.resources.stream import ImageStream, ImageStreamMapping
from chalicelib.services.actor import SERVICE
from chalicelib.services.imports import NamespaceImporter
from testbed.auth import grant

NS, OTHER = "shop", "other"
DIGEST = "sha256:" + "b" * 64
API = "/apis/image.openshift.io/v1/namespaces"
REGISTRIES = {"local": "127.0.0.1:5050",
              "ecr": "123456789012.dkr.ecr.us-east-1.amazonaws.com/streams"}
# Callers who may write in NS, and whether each may pull from OTHER.
CALLERS: dict[str, tuple[list[tuple[str, str | None]], bool]] = {
    "edit": ([("edit", NS)], False),
    "admin": ([("admin", NS)], False),
    "edit, view elsewhere": ([("edit", NS), ("view", "elsewhere")], False),
    "edit, pusher elsewhere": ([("edit", NS), ("system:image-pusher", "elsewhere")], False),
    "edit, puller there": ([("edit", NS), ("system:image-puller", OTHER)], True),
    "edit, pusher there": ([("edit", NS), ("system:image-pusher", OTHER)], True),
    "edit, view there": ([("edit", NS), ("view", OTHER)], True),
    "edit, edit there": ([("edit", NS), ("edit", OTHER)], True),
    "edit, view everywhere": ([("edit", NS), ("view", None)], True),
    "cluster-admin": ([("cluster-admin", None)], True),
}


class FetchRecorder(NamespaceImporter):
    """Imports that reach no registry: each source fails, and what was asked is kept."""

    def __init__(self, services: wiring.Services):
        super().__init__(services.registries, services.secrets)
        self.asked: list[str] = []

    def imports(self, namespace, sources, repositories=(), *, persist=True, stop_at=None):
        failed = ImportOutcome.failed("ConnectionFailed", "no registry in this test")
        self.asked += [s.reference for s in sources] + [r.reference for r in repositories]
        return ({r: RepositoryListing(failure=failed) for r in repositories},
                {s: failed for s in sources})


class World(NamedTuple):
    client: Client
    tokens: dict[str, str]
    registry: str
    fetches: FetchRecorder


@pytest.fixture(scope="module", params=list(REGISTRIES))
def world(request) -> Iterator[World]:
    registry = REGISTRIES[request.param]
    services = wiring.Services(MemoryStore(), registry)
    fetches = FetchRecorder(services)
    services.__dict__["importer"] = fetches  # the cached property, before first use
    services.streams.create(SERVICE, OTHER, ImageStream.model_validate({"metadata": {"name": "base"}}))
    services.tags.map(SERVICE, OTHER, ImageStreamMapping.model_validate({
        "metadata": {"name": "base"}, "tag": "1", "image": {
            "metadata": {"name": DIGEST},
            "dockerImageMetadata": {"Config": {"Env": ["DB_PASSWORD=secret"]}}}}))
    tokens = {}
    for caller, (roles, _) in CALLERS.items():
        subject = "u-" + "".join(c if c.isalnum() else "-" for c in caller)
        for role, namespace in roles:
            tokens[caller] = grant(services, subject, role, namespace)
    wiring.use(services)
    with Client(app) as client:
        yield World(client, tokens, registry, fetches)
    wiring.use(None)


class Form(NamedTuple):
    """One request naming `source` (another namespace's stream); `field` its 403 names."""

    method: str
    path: Callable[[str], str]
    body: Callable[[str, str], dict]
    field: str


def _istag(kind: str, extra: dict | None = None) -> Form:
    return Form("PUT", lambda name: f"{API}/{NS}/imagestreamtags/{name}:t",
                lambda name, source: {"kind": "ImageStreamTag", "tag": {
                    "from": {"kind": kind, "name": source, **_namespace(kind)},
                    **(extra or {})}}, "tag.from")


def _namespace(kind: str) -> dict:
    return {} if kind == "DockerImage" else {"namespace": OTHER}


def _stream(kind: str, extra: dict | None = None) -> Form:
    return Form("POST", lambda name: f"{API}/{NS}/imagestreams",
                lambda name, source: {"kind": "ImageStream", "metadata": {"name": name},
                                      "spec": {"tags": [{"name": "t", "from": {
                                          "kind": kind, "name": source, **_namespace(kind)},
                                          **(extra or {})}]}}, "spec.tags[t].from")


def _import(dry_run: bool, repository: bool) -> Form:
    def body(name: str, source: str) -> dict:
        spec: dict = {"import": not dry_run}
        if repository:
            spec["repository"] = {"from": {"kind": "DockerImage", "name": source}}
        else:
            spec["images"] = [{"from": {"kind": "DockerImage", "name": source},
                               "to": {"name": "t"}}]
        return {"kind": "ImageStreamImport", "metadata": {"name": name}, "spec": spec}

    return Form("POST", lambda name: f"{API}/{NS}/imagestreamimports", body,
                "spec.repository.from" if repository else "spec.images[0].from")


REPOSITORY = Form("POST", lambda name: f"{API}/{NS}/imagestreams",
                  lambda name, source: {"kind": "ImageStream", "metadata": {"name": name},
                                        "spec": {"dockerImageRepository": source}},
                  "spec.dockerImageRepository")
# (form, the source it names: `{registry}` is the integrated registry, `{name}` the stream
# or image of OTHER it reads, as that kind names it)
FORMS = {
    "istag from ImageStreamTag": (_istag("ImageStreamTag"), "{stream}:1"),
    "istag from ImageStreamImage": (_istag("ImageStreamImage"), "{stream}@" + DIGEST),
    "istag from ImageStreamImage prefix": (_istag("ImageStreamImage"), "{stream}@" + "b" * 8),
    "istag alias": (_istag("ImageStreamTag", {"reference": True}), "{stream}:1"),
    "stream tag from ImageStreamTag": (_stream("ImageStreamTag"), "{stream}:1"),
    "stream tag from ImageStreamImage": (_stream("ImageStreamImage"), "{stream}@" + DIGEST),
    "istag import": (_istag("DockerImage"), "{registry}/other/{stream}:1"),
    "istag import by digest": (_istag("DockerImage"), "{registry}/other/{stream}@" + DIGEST),
    "istag scheduled import": (_istag("DockerImage", {"importPolicy": {"scheduled": True}}),
                               "{registry}/other/{stream}:1"),
    "istag reference": (_istag("DockerImage", {"reference": True}),
                        "{registry}/other/{stream}:1"),
    "stream tag import": (_stream("DockerImage"), "{registry}/other/{stream}:1"),
    "stream tag reference": (_stream("DockerImage", {"reference": True}),
                             "{registry}/other/{stream}:1"),
    "stream repository": (REPOSITORY, "{registry}/other/{stream}"),
    "import image": (_import(False, False), "{registry}/other/{stream}:1"),
    "import image, dry run": (_import(True, False), "{registry}/other/{stream}:1"),
    "import repository": (_import(False, True), "{registry}/other/{stream}"),
    "import repository, dry run": (_import(True, True), "{registry}/other/{stream}"),
}
names = count()


def _request(world: World, caller: str, form: Form, source: str) -> tuple[int, dict]:
    name = f"s{next(names)}"  # a stream of its own: no answer is about an earlier one
    headers = {"authorization": f"Bearer {world.tokens[caller]}",
               "content-type": "application/json"}
    reply = world.client.http.request(form.method, form.path(name), headers=headers,
                                      body=json.dumps(form.body(name, source)))
    return reply.status_code, json.loads(reply.body)


def _source(template: str, world: World, stream: str) -> str:
    return template.format(registry=world.registry, stream=stream)


@pytest.mark.parametrize("form_name", list(FORMS))
def test_reading_another_namespace_needs_the_pull_right_there(world, form_name):
    form, template = FORMS[form_name]
    failures = []
    for caller, (_, may_pull) in CALLERS.items():
        asked = len(world.fetches.asked)
        code, body = _request(world, caller, form, _source(template, world, "base"))
        if may_pull:
            if code in (401, 403):
                failures.append((caller, "allowed", code, body.get("message")))
            continue
        if code != 403 or f"{form.field}: Forbidden" not in body["message"] \
                or f'namespace "{OTHER}"' not in body["message"]:
            failures.append((caller, 403, code, body.get("message")))
        if len(world.fetches.asked) != asked:
            failures.append((caller, "no fetch", world.fetches.asked[asked:]))
    assert not failures, failures


@pytest.mark.parametrize("form_name", list(FORMS))
def test_the_refusal_is_the_same_whether_or_not_the_source_exists(world, form_name):
    form, template = FORMS[form_name]
    answers = [_request(world, "edit", form, _source(template, world, stream))
               for stream in ("base", "missing")]
    assert answers[0] == answers[1] and answers[0][0] == 403, answers


@pytest.mark.parametrize("spelling", ["{host}/other/base:1", "{upper}/other/base:1",
                                      "{host}/other/base@" + DIGEST])
def test_other_spellings_of_the_integrated_registry_are_refused_too(world, spelling):
    host, _, prefix = world.registry.partition("/")
    path = f"{prefix}/" if prefix else ""
    source = spelling.format(host=host + ("/" + prefix if prefix else ""),
                             upper=host.upper() + ("/" + prefix if prefix else ""))
    code, body = _request(world, "edit", _istag("DockerImage"), source)
    assert code == 403, (source, body)
    if world.registry.startswith("127.0.0.1"):
        for other_host in ("localhost:5050", "[::1]:5050", "127.1:5050", "0.0.0.0:5050",
                           "[::ffff:7f00:1]:5050", "[0:0:0:0:0:0:0:1]:5050",
                           "2130706433:5050", "0x7f.1:5050", "LocalHost:5050"):
            code, body = _request(world, "edit", _istag("DockerImage"),
                                  f"{other_host}/{path}other/base:1")
            assert code == 403, (other_host, body)
    else:
        for other_host in ("123456789012.dkr.ecr.us-east-1.amazonaws.com:443",
                           "123456789012.dkr-ecr.us-east-1.on.aws",
                           "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com"):
            code, body = _request(world, "edit", _istag("DockerImage"),
                                  f"{other_host}/{path}other/base:1")
            assert code == 403, (other_host, body)


def test_own_namespace_and_other_registries_need_no_other_right(world):
    """Only another namespace's stream in the integrated registry is checked: the caller's
    own namespace there, another registry, and (with ECR) a repository outside the prefix
    are imported as before."""
    host, _, prefix = world.registry.partition("/")
    own = f"{world.registry}/{NS}/base:1"
    outside = f"{host}/elsewhere/other/base:1" if prefix else "quay.io/other/base:1"
    for source in (own, "quay.io/other/base:1", outside,
                   f"{host}:5051/{prefix + '/' if prefix else ''}other/base:1"):
        code, body = _request(world, "edit", _istag("DockerImage"), source)
        assert code not in (401, 403), (source, body)
