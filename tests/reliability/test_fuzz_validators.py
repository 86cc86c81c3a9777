"""Hypothesis-made names, references, selectors and bodies through the validators.

First straight through the domain's validators (domain/validation.py, domain/reference.py)
and the list parameters' parsers (api/listing.py), each against an oracle written here
from the OpenShift grammar; then through the API in process, where what the grammar
allows must be accepted and read back equal, and anything else refused with a 4xx
Status naming the field, never a 5xx. Strings come in three kinds: valid by the grammar,
valid ones with a few characters of the grammar's punctuation put in, and anything at all
(any code point, lone surrogates and NUL included).
"""
from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote, urlencode

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from app import app
from chalicelib import wiring
from chalicelib.api import listing
from chalicelib.domain.errors import BadRequest, FieldError
from chalicelib.domain.reference import (
    DIGEST_RE,
    InvalidReference,
    parse_reference,
    split_image_source,
    split_stream_image,
    split_stream_tag,
    split_tag_source,
)
from chalicelib.domain.validation import (
    names_valid,
    validate_docker_reference,
    validate_image,
    validate_image_stream,
    validate_namespace,
    validate_stream_name,
    validate_tag_name,
    validate_tag_reference,
)
from chalicelib.resources.image import Image
from chalicelib.resources.stream import ImageStream, ImageStreamMapping, TagReference
from chalicelib.services.actor import SERVICE
from testbed.auth import admin_headers
from testbed.dynamodb_key_limits import KeyLimitedBindings, KeyLimitedStore
from tests.reliability.cases import case_count
from tests.reliability.offline import refuse_every_registry
from tests.reliability.status_bodies import assert_failure_status, cause_fields

V1 = "/apis/image.openshift.io/v1"
NAMESPACE, BASE = "fuzz", "base"  # every API case starts with the stream BASE in NAMESPACE
REGISTRY = "registry.example.test:5000"
BASE_DIGEST = "sha256:" + "b" * 64
BASE_LABELS = {"app": "base", "tier": "db"}
# Cases per test: the direct ones are cheap, the API ones a request or two each; in all
# about 2,800 cases in some 35 s on 2 cores. FUZZ_EXAMPLES scales both for a run by hand.
SCALE = float(os.environ.get("FUZZ_EXAMPLES", "10")) / 10
DIRECT = settings(max_examples=int(250 * SCALE), derandomize=True, database=None,
                  deadline=None, suppress_health_check=list(HealthCheck))
# Shrinking a failure through the API takes minutes of requests: it is reported as found.
THROUGH_API = settings(DIRECT, max_examples=int(100 * SCALE),
                       phases=[Phase.explicit, Phase.reuse, Phase.generate])

direct = case_count("validators, directly (hypothesis)")
through_api = case_count("validators, through the API (hypothesis)")

# -- the OpenShift grammar, written out here as the oracle

TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
STREAM_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
DNS_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")
LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
# The grammar's separators, what looks like them, and what JSON or UTF-8 cannot carry well.
PUNCTUATION = ":@/%._-+ \x00\t\nAZé\u212a\ud800\udfff"

_alnum = st.text(LOWER_ALNUM, min_size=1, max_size=8)


def _joined(parts: st.SearchStrategy[str], separators: st.SearchStrategy[str],
            most: int) -> st.SearchStrategy[str]:
    @st.composite
    def draw_joined(draw: st.DrawFn) -> str:
        items = draw(st.lists(parts, min_size=1, max_size=most))
        return items[0] + "".join(draw(separators) + item for item in items[1:])
    return draw_joined()


stream_names = _joined(_alnum, st.sampled_from("._-"), 4)
namespaces = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?", fullmatch=True)
_TAG_START = "ABCXYZabcxyz0189_"
# Long strings are a short draw repeated: drawing each character costs a case's time.
tag_names = st.one_of(
    st.builds(str.__add__, st.sampled_from(_TAG_START), st.text(_TAG_START + ".-", max_size=12)),
    st.builds(lambda first, chunk: (first + chunk * 128)[:128], st.sampled_from(_TAG_START),
              st.text(_TAG_START + ".-", min_size=1, max_size=4)))
digests = st.text("0123456789abcdef", min_size=64, max_size=64).map("sha256:".__add__)
# Valid by the grammar's pattern, but longer than any digest is (and than a key may be).
long_digests = st.builds(lambda chunk, times: "sha256:" + chunk * times,
                         st.text("0123456789abcdef", min_size=1, max_size=4),
                         st.integers(60, 1000))
path_components = _joined(_alnum, st.sampled_from([".", "_", "__", "-", "--"]), 3)
hosts = st.one_of(_joined(st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,6}[A-Za-z0-9])?",
                                        fullmatch=True), st.just("."), 3)
                  .filter(lambda host: "." in host),
                  st.just("localhost"), st.just("[::1]"))
registries = st.builds(lambda host, port: host + (f":{port}" if port else ""),
                       hosts, st.one_of(st.none(), st.integers(1, 65535)))


@st.composite
def docker_references(draw: st.DrawFn) -> str:
    """`[registry/]repository[:tag][@digest]`."""
    registry = draw(st.one_of(st.just(""), registries))
    path = "/".join(draw(st.lists(path_components, min_size=1, max_size=3)))
    if not registry and "." in path.split("/")[0] and "/" in path:
        registry = "docker.io"  # a first component with a dot would be read as a registry
    text = f"{registry}/{path}" if registry else path  # at most some 130 characters
    tag = draw(st.one_of(st.none(), tag_names))
    digest = draw(st.one_of(st.none(), digests))
    return text + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


@st.composite
def near_valid(draw: st.DrawFn, valid: st.SearchStrategy[str]) -> str:
    """A valid string with a few of the grammar's separators or look-alikes put in."""
    text = draw(valid)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(PUNCTUATION, min_size=1, max_size=2)) + text[at:]
    return text


anything = st.one_of(st.text(st.characters(exclude_categories=()), max_size=30),
                     st.text(PUNCTUATION + LOWER_ALNUM, max_size=20),
                     st.builds(str.__mul__, st.text(LOWER_ALNUM, min_size=1, max_size=3),
                               st.integers(60, 1100)))  # long names, past DynamoDB's keys


def sometimes_valid(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(valid, near_valid(valid), anything)


def as_read(value: Any) -> Any:
    """A value as the API reads it once sent as JSON: a surrogate pair is one character,
    and a lone surrogate becomes U+FFFD, as in Go."""
    return _lone_surrogates_replaced(json.loads(json.dumps(value)))


def _lone_surrogates_replaced(value: Any) -> Any:
    if isinstance(value, str):
        return re.sub("[\ud800-\udfff]", "\ufffd", value)
    if isinstance(value, dict):
        return {_lone_surrogates_replaced(key): _lone_surrogates_replaced(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_lone_surrogates_replaced(item) for item in value]
    return value


def _fields(errors: list[FieldError]) -> set[str]:
    return {error.field for error in errors}


def _worded(errors: list[FieldError]) -> bool:
    return all(error.message.split(":")[0] in ("Invalid value", "Required value",
                                                "Unsupported value", "Duplicate value")
               or error.message.startswith("Too long") for error in errors)


# -- straight through the validators

@DIRECT
@given(tag=sometimes_valid(tag_names))
@example(tag="")
@example(tag="a" * 129)
@example(tag="\u212a")  # KELVIN SIGN: \w in Python, not in Go
def test_tag_names_are_valid_exactly_as_the_grammar_says(tag: str) -> None:
    errors = validate_tag_name(tag, "tag")
    direct.record("accepted" if not errors else "refused")
    assert (not errors) == bool(TAG.fullmatch(tag))
    assert _fields(errors) <= {"tag"} and _worded(errors)


@DIRECT
@given(name=sometimes_valid(stream_names), namespace=sometimes_valid(namespaces))
@example(name="a" * 64, namespace="n")
@example(name="..", namespace="n")
@example(name="a--b", namespace="n")
def test_stream_names_and_namespaces_are_valid_exactly_as_the_grammar_says(
        name: str, namespace: str) -> None:
    name_errors = validate_stream_name(name, namespace)
    namespace_errors = validate_namespace(namespace)
    direct.record("accepted" if not name_errors + namespace_errors else "refused")
    assert (not name_errors) == (len(name) <= 63 and bool(STREAM_NAME.fullmatch(name))
                                 and len(namespace) + 1 + len(name) <= 255)
    assert (not namespace_errors) == (len(namespace) <= 63 and
                                      bool(DNS_LABEL.fullmatch(namespace)))
    assert _fields(name_errors) <= {"metadata.name"} and _worded(name_errors)
    assert _fields(namespace_errors) <= {"metadata.namespace"} and _worded(namespace_errors)


@DIRECT
@given(text=sometimes_valid(docker_references()))
@example(text="docker.io/library/python:3.6@sha256:" + "0" * 64)
@example(text="localhost:5000/a")
@example(text="A/b")
@example(text="a" * 256)
@example(text="a:b:c")
def test_docker_references_parse_or_say_why(text: str) -> None:
    try:
        reference = parse_reference(text)
    except InvalidReference as exc:
        direct.record("refused")
        assert str(exc)
        assert _fields(validate_docker_reference(text, "tag.from.name")) == {"tag.from.name"}
        return
    direct.record("accepted")
    assert reference.exact == text
    assert parse_reference(reference.exact) == reference
    assert validate_docker_reference(text, "tag.from.name") == []


@DIRECT
@given(text=docker_references())
def test_references_of_the_grammar_all_parse_back_to_themselves(text: str) -> None:
    reference = parse_reference(text)
    direct.record("accepted")
    assert reference.exact == text
    assert reference.digest == (text.rpartition("@")[2] if "@" in text else "")


@DIRECT
@given(stream=sometimes_valid(stream_names), tag=sometimes_valid(tag_names),
       digest=sometimes_valid(digests))
def test_stream_tag_and_stream_image_names_split_once(stream: str, tag: str,
                                                      digest: str) -> None:
    tag_parts = split_stream_tag(f"{stream}:{tag}")
    image_parts = split_stream_image(f"{stream}@{digest}")
    direct.record("accepted" if tag_parts and image_parts else "refused")
    if stream and tag and ":" not in stream + tag and "@" not in stream + tag:
        assert tag_parts == (stream, tag)
    if stream and digest and "@" not in stream + digest:
        assert image_parts == (stream, digest)


@st.composite
def sources(draw: st.DrawFn) -> dict[str, Any]:
    """A `from` of a spec tag: each kind with names of its own form, or not."""
    kind = draw(st.one_of(st.sampled_from(["DockerImage", "ImageStreamTag", "ImageStreamImage"]),
                          anything))
    # `<tag>` and `<id>` alone name the spec tag's own stream, as in openshift-apiserver
    valid_name = {"DockerImage": docker_references(),
                  "ImageStreamTag": st.one_of(
                      st.builds("{}:{}".format, stream_names, tag_names), tag_names),
                  "ImageStreamImage": st.one_of(
                      st.just(f"{BASE}@{BASE_DIGEST}"), digests,
                      st.builds("{}@{}".format, stream_names, digests))}.get(kind, anything)
    source = {"kind": kind, "name": draw(sometimes_valid(valid_name))}
    namespace = draw(st.one_of(st.none(), st.just(NAMESPACE), sometimes_valid(namespaces)))
    if namespace is not None and kind != "DockerImage":
        source["namespace"] = namespace
    return source


@DIRECT
@given(tag=sometimes_valid(tag_names), source=sources(), scheduled=st.booleans())
def test_tag_references_name_the_field_of_each_problem(tag: str, source: dict,
                                                       scheduled: bool) -> None:
    reference = TagReference.model_validate({"name": tag, "from": source,
                                             "importPolicy": {"scheduled": scheduled}})
    errors = validate_tag_reference(reference, "tag")
    direct.record("accepted" if not errors else "refused")
    expected = set()
    if not TAG.fullmatch(tag):
        expected.add("tag.name")
    name, kind = source["name"], source["kind"]
    if kind == "DockerImage" and not _parses(name):
        expected.add("tag.from.name")
    tag_source = split_tag_source(name)
    if kind == "ImageStreamTag" and (tag_source is None or not TAG.fullmatch(tag_source[1])):
        expected.add("tag.from.name")
    if kind == "ImageStreamImage" and split_image_source(name) is None:
        expected.add("tag.from.name")
    if kind not in ("DockerImage", "ImageStreamTag", "ImageStreamImage"):
        expected = (expected & {"tag.name"}) | {"tag.from.kind"}
    elif source.get("namespace") and not (len(source["namespace"]) <= 63
                                          and DNS_LABEL.fullmatch(source["namespace"])):
        expected.add("tag.from.namespace")
    if scheduled and kind in ("ImageStreamTag", "ImageStreamImage"):
        expected.add("tag.importPolicy.scheduled")
    assert _fields(errors) == expected, errors
    assert _worded(errors)


def _parses(reference: str) -> bool:
    try:
        parse_reference(reference)
    except InvalidReference:
        return False
    return True


# -- list parameters: limit, continue, labelSelector

limits = st.one_of(st.integers(-5, 2000).map(str), st.just(str(2 ** 70)), anything)
continue_tokens = st.one_of(
    st.none(),
    st.builds(listing.encode_continue, st.builds("{}:{}".format, stream_names, tag_names)),
    st.builds(lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).decode(),
              st.recursive(st.none() | st.text() | st.integers(),
                           lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
                           max_leaves=4)),
    anything)
label_keys = st.sampled_from(["app", "tier", "team", "example.com/owner"])
label_values = st.sampled_from(["base", "db", "web", ""])


@st.composite
def selector_terms(draw: st.DrawFn) -> tuple[str, Any]:
    """One selector term and what it means: (text, (operator, key, values))."""
    key = draw(label_keys)
    operator = draw(st.sampled_from(["=", "==", "!=", "in", "notin", "exists", "!exists"]))
    values = draw(st.lists(label_values.filter(bool), min_size=1, max_size=3))
    text = {"exists": key, "!exists": f"!{key}",
            "in": f"{key} in ({','.join(values)})", "notin": f"{key} notin ({','.join(values)})"
            }.get(operator, f"{key}{operator}{values[0]}")
    return text, (operator, key, values)


def _matches(labels: dict[str, str], meaning: tuple[str, str, list[str]]) -> bool:
    operator, key, values = meaning
    if operator in ("=", "=="):
        return labels.get(key) == values[0]
    if operator == "!=":
        return labels.get(key) != values[0]
    if operator == "in":
        return labels.get(key) in values
    if operator == "notin":
        return labels.get(key) not in values
    return (key in labels) == (operator == "exists")


@DIRECT
@given(limit=limits, token=continue_tokens,
       terms=st.lists(selector_terms(), max_size=3),
       labels=st.dictionaries(label_keys, label_values, max_size=3))
@example(limit="+0", token=None, terms=[], labels={})
@example(limit="-0", token=None, terms=[], labels={})
@example(limit=" 1", token=None, terms=[], labels={})
def test_list_parameters_parse_or_are_bad_requests(limit: str, token: str | None,
                                                   terms: list, labels: dict) -> None:
    params = {"limit": limit, "continue": token, "labelSelector": ",".join(t for t, _ in terms)}
    integer = re.fullmatch(r"[+-]?[0-9]{1,19}", limit)
    try:
        page = listing.page_limit(params)
        assert limit == "" or (integer and int(limit) >= 0)
        assert page == (min(int(limit), listing.MAX_PAGE) or listing.MAX_PAGE
                        if limit else listing.MAX_PAGE)
    except BadRequest as exc:
        assert exc.message.startswith("limit: ")
        assert not integer or int(limit) < 0
    try:
        after = listing.decode_continue(params)
        assert after is None or listing.decode_continue(
            {"continue": listing.encode_continue(after)}) == after
    except BadRequest as exc:
        assert exc.message.startswith("continue key is not valid")
    selector = listing.label_selector(params)
    direct.record("accepted")
    assert selector(labels) == all(_matches(labels, meaning) for _, meaning in terms)


@DIRECT
@given(text=st.one_of(anything, near_valid(st.sampled_from(["a=b", "a in (b,c)", "!a", "a!=b"]))))
def test_label_selectors_parse_or_are_bad_requests(text: str) -> None:
    try:
        selector = listing.label_selector({"labelSelector": text})
    except BadRequest as exc:
        direct.record("refused")
        assert exc.message.startswith("labelSelector: ")
        return
    direct.record("accepted")
    selector({"a": "b"})
    selector({})


# -- through the API

class World:
    """The API over a fresh store holding the stream BASE (tags latest and v1)."""

    def __init__(self, client: Client):
        self.client = client
        services = wiring.Services(KeyLimitedStore(), REGISTRY, binding_store=KeyLimitedBindings())
        wiring.use(services)
        self.headers = admin_headers(services)
        services.streams.create(SERVICE, NAMESPACE, ImageStream.model_validate(
            {"metadata": {"name": BASE, "labels": BASE_LABELS}}))
        for tag, digest in (("latest", BASE_DIGEST), ("v1", "sha256:" + "c" * 64)):
            services.tags.map(SERVICE, NAMESPACE, ImageStreamMapping.model_validate({
                "metadata": {"name": BASE}, "tag": tag,
                "image": {"metadata": {"name": digest},
                          "dockerImageReference": f"{REGISTRY}/{NAMESPACE}/{BASE}@{digest}"}}))

    def request(self, method: str, path: str, body: Any = None, raw: bytes | None = None,
                content_type: str = "application/json", headers: dict | None = None,
                unavailable: bool = False) -> tuple[int, Any]:
        """(status, parsed body), with the refusal checks every answer must pass; a 503 only
        where `unavailable` says the case needs a registry, which no test can reach."""
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        headers = {**(self.headers if headers is None else headers),
                   **({"content-type": content_type} if data else {})}
        reply = self.client.http.request(method, path, body=data or b"", headers=headers)
        through_api.record_status(reply.status_code)
        answer = json.loads(reply.body, parse_constant=_not_json)  # errors included
        assert reply.status_code < 500 or (unavailable and reply.status_code == 503), answer
        if reply.status_code >= 400:
            assert_failure_status(reply.status_code, answer)
        return reply.status_code, answer


def _not_json(constant: str) -> None:
    raise AssertionError(f"the answer holds {constant}, which is not JSON")


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with Client(app) as chalice_client:
        yield chalice_client
    wiring.use(None)


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_every_registry(monkeypatch)


def ns_path(resource: str, name: str = "") -> str:
    path = f"{V1}/namespaces/{NAMESPACE}/{resource}"
    # Percent-encoded as sent, a lone surrogate as the bytes it would be in (invalid) UTF-8.
    encoded = quote(name.encode("utf-8", "surrogatepass"), safe=":@")
    return f"{path}/{encoded}" if name else path


# Reads by name, and lists: {namespace} and {name} are filled in percent-encoded.
READS = [f"{V1}/namespaces/{{namespace}}/imagestreams/{{name}}",
         f"{V1}/namespaces/{{namespace}}/imagestreamtags/{{name}}",
         f"{V1}/namespaces/{{namespace}}/imagestreamimages/{{name}}",
         f"{V1}/namespaces/{{namespace}}/imagestreams/{{name}}/triggers",
         f"{V1}/images/{{name}}",
         "/api/v1/namespaces/{namespace}/secrets/{name}",
         "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings/{name}",
         "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{name}",
         f"{V1}/namespaces/{{namespace}}/imagestreams",
         f"{V1}/namespaces/{{namespace}}/imagestreamtags",
         "/api/v1/namespaces/{namespace}/secrets",
         "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings",
         "/apis/imagestreams.dev/v1/namespaces/{namespace}/accesstokens"]


@THROUGH_API
@given(template=st.sampled_from(READS),
       namespace=st.one_of(st.just(NAMESPACE), sometimes_valid(namespaces)),
       name=st.one_of(st.sampled_from([BASE, f"{BASE}:latest", f"{BASE}@{BASE_DIGEST}",
                                       BASE_DIGEST]),
                      sometimes_valid(stream_names), long_digests, anything),
       delete=st.booleans())
def test_any_name_or_namespace_in_a_path_is_found_or_refused_cleanly(
        client: Client, template: str, namespace: str, name: str, delete: bool) -> None:
    world = World(client)
    encoded = {key: quote(value.encode("utf-8", "surrogatepass"), safe=":@")
               for key, value in (("namespace", namespace), ("name", name))}
    path = template.format(**encoded)
    method = "DELETE" if delete and template.endswith("{name}") else "GET"
    code, answer = world.request(method, path)
    assert code in (200, 400, 404, 405, 422), answer


def _validator_fields(stream: str, tag: str, spec: TagReference) -> set[str]:
    return _fields(validate_stream_name(stream, NAMESPACE) + validate_tag_name(tag, "metadata.name")
                   + validate_tag_reference(spec, "tag"))


@THROUGH_API
@given(stream=st.one_of(stream_names, st.just(BASE), sometimes_valid(stream_names)),
       tag=sometimes_valid(tag_names), source=sources(), named=st.booleans())
@example(stream="web", tag="latest",
         source={"kind": "DockerImage", "name": "quay.io/a/b:1\ud800"}, named=False)
def test_a_tag_put_through_the_api_is_accepted_exactly_when_valid(
        client: Client, stream: str, tag: str, source: dict, named: bool) -> None:
    world = World(client)
    body: dict[str, Any] = {"tag": {"from": source}}
    if named:
        body["tag"]["name"] = tag
    # Sent percent-encoded (`/` as %2F, a lone surrogate as the bytes it would be in UTF-8);
    # the API decodes it, invalid UTF-8 as U+FFFD.
    sent = quote(f"{stream}:{tag}".encode("utf-8", "surrogatepass"), safe=":@")
    seen = unquote(sent)
    code, answer = world.request("PUT", f"{ns_path('imagestreamtags')}/{sent}", body)
    parts = split_stream_tag(seen)
    if parts is None:
        assert code == 400, answer
        return
    seen_stream, seen_tag = parts
    source = as_read(source)
    spec_name = as_read(tag) if named and tag else seen_tag  # an unnamed spec takes the URL's
    spec = TagReference.model_validate({"name": spec_name, "from": source})
    expected = _validator_fields(seen_stream, seen_tag, spec)
    if spec_name != seen_tag:
        expected.add("tag.name")
    # `<tag>` and `<id>` alone name the stream of the tag being set
    source_namespace = source.get("namespace") or NAMESPACE
    named_source = (split_tag_source(source["name"]) if source["kind"] == "ImageStreamTag"
                    else split_image_source(source["name"])
                    if source["kind"] == "ImageStreamImage" else None)
    source_stream, source_part = named_source or ("", "")
    source_at = (source_namespace, source_stream or seen_stream, source_part)
    own_name = source["kind"] == "ImageStreamTag" and source_at == (NAMESPACE, *parts)
    if expected or own_name:
        assert code == 422, answer
        assert expected <= cause_fields(answer), answer
        return
    # A source is resolved when the tag is set: a stream or image that is not there is Invalid.
    missing = (source["kind"] == "ImageStreamTag"
               and source_at[:2] not in ((NAMESPACE, BASE), (NAMESPACE, seen_stream))) or (
        source["kind"] == "ImageStreamImage" and source_at != (NAMESPACE, BASE, BASE_DIGEST))
    if missing:
        assert (code, cause_fields(answer)) == (422, {"tag.from.name"}), answer
        return
    existed = seen_stream == BASE and seen_tag in ("latest", "v1")
    assert code == (200 if existed else 201), answer
    _, read = world.request("GET", ns_path("imagestreams", seen_stream))
    assert {ref["name"]: ref["from"] for ref in read["spec"]["tags"]}[seen_tag] == source


def _label_maps(valid: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, str]]:
    keys = st.one_of(st.from_regex(r"([a-z0-9]+\.)?[a-z0-9]{1,8}/[A-Za-z0-9]{1,8}",
                                   fullmatch=True), sometimes_valid(st.from_regex(
                                       r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,10}[A-Za-z0-9])?",
                                       fullmatch=True)))
    return st.dictionaries(keys, st.one_of(valid, anything), max_size=3)


@THROUGH_API
@given(name=st.one_of(stream_names, sometimes_valid(stream_names)),
       labels=_label_maps(st.from_regex(r"([A-Za-z0-9][A-Za-z0-9_.-]{0,10})?[A-Za-z0-9]",
                                        fullmatch=True)),
       annotations=_label_maps(anything),
       tags=st.lists(st.tuples(sometimes_valid(tag_names), st.one_of(
           st.builds(lambda r: {"kind": "DockerImage", "name": r},
                     sometimes_valid(docker_references())),
           st.builds(lambda t: {"kind": "ImageStreamTag", "name": f"{BASE}:{t}"},
                     sometimes_valid(tag_names)))), max_size=3))
def test_a_stream_created_through_the_api_reads_back_equal(
        client: Client, name: str, labels: dict, annotations: dict, tags: list) -> None:
    world = World(client)
    body = {"metadata": {"name": name, "labels": labels, "annotations": annotations},
            "spec": {"tags": [{"name": tag, "from": source} for tag, source in tags]}}
    code, answer = world.request("POST", ns_path("imagestreams"), body)
    body = as_read(body)
    labels, annotations = body["metadata"]["labels"], body["metadata"]["annotations"]
    tags = [(tag["name"], tag["from"]) for tag in body["spec"]["tags"]]
    expected = _fields(validate_image_stream(ImageStream.model_validate(body), NAMESPACE))
    if name == BASE:
        assert code == 409, answer
    elif expected:
        assert code == 422, answer
        assert expected <= cause_fields(answer), answer
    else:
        assert code == 201, answer
        _, read = world.request("GET", ns_path("imagestreams", name))
        assert read["metadata"].get("labels", {}) == labels
        assert read["metadata"].get("annotations", {}) == annotations
        read_tags = [(t["name"], t["from"]) for t in read["spec"].get("tags", [])]
        assert read_tags == sorted(tags, key=lambda tag: tag[0])  # by name, as OpenShift


@THROUGH_API
@given(stream=st.one_of(st.just(BASE), stream_names, sometimes_valid(stream_names)),
       tag=sometimes_valid(tag_names),
       digest=st.one_of(digests, sometimes_valid(digests), long_digests),
       reference=st.one_of(docker_references(), sometimes_valid(docker_references())))
def test_a_mapping_through_the_api_moves_the_tag_exactly_when_valid(
        client: Client, stream: str, tag: str, digest: str, reference: str) -> None:
    world = World(client)
    body = {"metadata": {"name": stream}, "tag": tag,
            "image": {"metadata": {"name": digest}, "dockerImageReference": reference}}
    code, answer = world.request("POST", ns_path("imagestreammappings"), body)
    body = as_read(body)
    stream, tag, digest = body["metadata"]["name"], body["tag"], body["image"]["metadata"]["name"]
    if not digest and _parses(body["image"]["dockerImageReference"]):
        # A registry may send only the pull spec: the image is named by its digest.
        digest = parse_reference(body["image"]["dockerImageReference"]).digest
        body["image"]["metadata"]["name"] = digest
    if not body["image"]["dockerImageReference"] and DIGEST_RE.fullmatch(digest or "") and \
            names_valid(NAMESPACE, stream):
        # A push to the integrated registry: the image is pulled from the stream.
        body["image"]["dockerImageReference"] = f"{REGISTRY}/{NAMESPACE}/{stream}@{digest}"
    image = Image.model_validate(body["image"])
    expected = _fields(validate_stream_name(stream, NAMESPACE) + validate_tag_name(tag, "tag")
                       + validate_image(image))
    if expected:
        assert code == 422, answer
        assert expected <= cause_fields(answer), answer
    elif stream != BASE:
        assert code == 404, answer
    else:
        assert code == 201, answer
        _, read = world.request("GET", ns_path("imagestreamtags", f"{BASE}:{tag}"))
        assert read["image"]["metadata"]["name"] == digest


@THROUGH_API
@given(limit=st.one_of(st.none(), limits), token=continue_tokens,
       selector=st.one_of(st.lists(selector_terms(), max_size=3).map(
           lambda terms: ",".join(text for text, _ in terms)), anything),
       resource=st.sampled_from(["imagestreams", "imagestreamtags", "images"]))
@example(limit="-1", token=None, selector="", resource="imagestreams")
@example(limit="+0", token=None, selector="", resource="imagestreamtags")
@example(limit="abc", token="garbage", selector="a in (b", resource="imagestreams")
def test_list_parameters_through_the_api_page_filter_or_are_bad_requests(
        client: Client, limit: str | None, token: str | None, selector: str,
        resource: str) -> None:
    world = World(client)
    params = {key: value for key, value in
              (("limit", limit), ("continue", token), ("labelSelector", selector))
              if value is not None}
    if resource != "imagestreams":
        params.pop("labelSelector", None)  # only stream lists filter by label
    # A URL carries UTF-8: a lone surrogate cannot be in one.
    params = {key: re.sub("[\ud800-\udfff]", "", value) for key, value in params.items()}
    path = ns_path(resource) if resource != "images" else f"{V1}/images"
    query = urlencode(params, quote_via=quote)
    code, answer = world.request("GET", f"{path}?{query}")
    try:
        page = listing.page_limit(params)
        listing.decode_continue(params)
        listing.label_selector(params)
    except BadRequest:
        assert code == 400, answer
        return
    assert code == 200, answer
    assert len(answer["items"]) <= page
    if resource == "imagestreams" and not token:
        chosen = listing.label_selector(params)(BASE_LABELS)
        assert [item["metadata"]["name"] for item in answer["items"]] == ([BASE] if chosen else [])


@THROUGH_API
@given(images=st.lists(st.tuples(
    st.one_of(docker_references(), sometimes_valid(docker_references())),
    st.one_of(st.none(), tag_names, sometimes_valid(tag_names))), min_size=1, max_size=3),
    really=st.booleans())
def test_an_import_through_the_api_refuses_each_bad_reference_by_its_field(
        client: Client, images: list, really: bool) -> None:
    world = World(client)
    body = {"metadata": {"name": BASE}, "spec": {"import": really, "images": [
        {"from": {"kind": "DockerImage", "name": reference},
         **({"to": {"name": tag}} if tag is not None else {})} for reference, tag in images]}}
    code, answer = world.request("POST", ns_path("imagestreamimports"), body)
    expected, seen = set(), set()
    for index, spec in enumerate(as_read(body)["spec"]["images"]):
        if not _parses(spec["from"]["name"]):
            expected.add(f"spec.images[{index}].from.name")
        if "to" in spec:
            if not TAG.fullmatch(spec["to"]["name"]) or spec["to"]["name"] in seen:
                expected.add(f"spec.images[{index}].to.name")
            seen.add(spec["to"]["name"])
    if expected:
        assert code == 422, answer
        assert expected <= cause_fields(answer), answer
        return
    assert code == 201, answer
    statuses = answer["status"]["images"]
    assert [status.get("tag") for status in statuses] == [tag for _, tag in images]
    for status in statuses:  # no registry answers here: each import is refused its address
        assert status["status"]["status"] == "Failure", status
        # ... unless the grammar's loose IPv6 form let through a host that is none ("[:::1]")
        assert (status["status"]["reason"], status["status"]["code"]) in (
            ("UnsafeAddress", 403), ("InvalidReference", 422)), status


def _json_values() -> st.SearchStrategy[Any]:
    scalars = (st.none() | st.booleans() | st.integers() | st.floats()
               | st.text(st.characters(exclude_categories=()), max_size=20))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


# One valid body per write, each of which the API accepts as it is: (method, path,
# content type, body).
NS = f"{V1}/namespaces/{NAMESPACE}"
RBAC, TOKENS = "/apis/rbac.authorization.k8s.io/v1", "/apis/imagestreams.dev/v1"
VALID_WRITES = [
    ("POST", f"{NS}/imagestreams", "application/json",
     {"metadata": {"name": "web", "labels": {"app": "web"}},
      "spec": {"tags": [{"name": "latest", "from": {"kind": "ImageStreamTag",
                                                    "name": f"{BASE}:latest"}}]}}),
    ("PUT", f"{NS}/imagestreams/{BASE}", "application/json",
     {"metadata": {"name": BASE}, "spec": {"tags": [
         {"name": "stable", "from": {"kind": "DockerImage", "name": "quay.io/a/b:1"},
          "importPolicy": {"scheduled": True}}]}}),
    ("PATCH", f"{NS}/imagestreams/{BASE}", "application/merge-patch+json",
     {"metadata": {"labels": {"tier": None, "team": "x"}},
      "spec": {"tags": [{"name": "old", "from": {"kind": "ImageStreamImage",
                                                 "name": f"{BASE}@{BASE_DIGEST}"}}]}}),
    ("PUT", f"{NS}/imagestreamtags/{BASE}:stable", "application/json",
     {"metadata": {"name": f"{BASE}:stable"},
      "tag": {"from": {"kind": "ImageStreamTag", "name": f"{BASE}:v1"},
              "referencePolicy": {"type": "Local"}}}),
    ("POST", f"{NS}/imagestreamtags", "application/json",
     {"metadata": {"name": f"{BASE}:new"},
      "tag": {"from": {"kind": "DockerImage", "name": "quay.io/a/b@" + BASE_DIGEST}}}),
    ("POST", f"{NS}/imagestreammappings", "application/json",
     {"metadata": {"name": BASE}, "tag": "mapped",
      "image": {"metadata": {"name": "sha256:" + "d" * 64},
                "dockerImageReference": "quay.io/a/b@sha256:" + "d" * 64,
                "dockerImageMetadata": {"Architecture": "amd64", "Size": 10}}}),
    ("POST", f"{NS}/imagestreamimports", "application/json",
     {"metadata": {"name": BASE}, "spec": {"import": True, "images": [
         {"from": {"kind": "DockerImage", "name": "quay.io/a/b:1"}, "to": {"name": "imp"}}]}}),
    ("DELETE", f"{NS}/imagestreams/{BASE}", "application/json",
     {"kind": "DeleteOptions", "preconditions": {"resourceVersion": "3"}}),
    ("POST", f"/api/v1/namespaces/{NAMESPACE}/secrets", "application/json",
     {"metadata": {"name": "pull"}, "type": "kubernetes.io/dockerconfigjson",
      "stringData": {".dockerconfigjson": json.dumps({"auths": {"quay.io": {"auth": "dTpw"}}})}}),
    ("POST", f"{RBAC}/namespaces/{NAMESPACE}/rolebindings", "application/json",
     {"metadata": {"name": "viewers"}, "roleRef": {"kind": "ClusterRole", "name": "view"},
      "subjects": [{"kind": "User", "name": "alice"},
                   {"kind": "ServiceAccount", "name": "ci", "namespace": NAMESPACE}]}),
    ("POST", f"{TOKENS}/namespaces/{NAMESPACE}/accesstokens", "application/json",
     {"spec": {"subject": f"system:serviceaccount:{NAMESPACE}:ci",
               "expirationTimestamp": "2030-01-01T00:00:00Z"}}),
]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON document, as a tuple of keys and indexes."""
    places = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            places += _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            places += _paths(item, prefix + (index,))
    return places


def _replaced(document: Any, place: tuple, value: Any) -> Any:
    if not place:
        return value
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in place[:-1]:
        parent = parent[step]
    parent[place[-1]] = value
    return copy


@THROUGH_API
@given(write=st.sampled_from(VALID_WRITES), data=st.data(), value=_json_values())
def test_any_value_anywhere_in_a_valid_body_is_refused_cleanly_or_accepted(
        client: Client, write: tuple, data: st.DataObject, value: Any) -> None:
    method, path, content_type, body = write
    place = data.draw(st.sampled_from(_paths(body)), label="place")
    world = World(client)
    code, answer = world.request(method, path, _replaced(body, place, value),
                                 content_type=content_type)
    if code == 422:
        assert cause_fields(answer), answer


@THROUGH_API
@given(write=st.sampled_from(VALID_WRITES), raw=st.one_of(
    st.binary(max_size=60),
    st.text(st.characters(exclude_categories=()), max_size=60).map(
        lambda text: text.encode("utf-8", "surrogatepass")),
    st.builds(lambda value: json.dumps(value).encode(), _json_values()),
    st.integers(1, 20_000).map(lambda depth: b"[" * depth + b"]" * depth)))
@example(write=VALID_WRITES[0],
         raw=b'{"metadata": {"name": "a", "annotations": {"x": "\\ud800"}}}')
@example(write=VALID_WRITES[5], raw=b'{"metadata": {"name": "base"}, "tag": "t", "image": '
                                    b'{"dockerImageMetadata": {"Size": NaN}}}')
@example(write=VALID_WRITES[7], raw=b"[1]")
@example(write=VALID_WRITES[7], raw=b'{"preconditions": 7}')
@example(write=VALID_WRITES[0], raw=b"[" * 20_000 + b"]" * 20_000)
def test_any_bytes_as_a_body_are_refused_cleanly_or_accepted(
        client: Client, write: tuple, raw: bytes) -> None:
    method, path, content_type, _ = write
    world = World(client)
    world.request(method, path, raw=raw or b" ", content_type=content_type)


def _notification_events() -> st.SearchStrategy[Any]:
    """Registry notification events: the fields a push has, each of the right type or not."""
    field = st.one_of(_json_values(), st.sampled_from(
        ["push", "pull", "application/vnd.docker.distribution.manifest.v2+json", "v1",
         f"{NAMESPACE}/{BASE}", BASE_DIGEST]))
    target = st.one_of(st.fixed_dictionaries({}, optional={
        key: field for key in ("mediaType", "repository", "tag", "digest")}),
        st.sampled_from([[1], "x", 5, True]), _json_values())
    event = st.fixed_dictionaries({}, optional={"action": field, "target": target})
    return st.one_of(st.lists(st.one_of(event, _json_values()), min_size=1, max_size=3),
                     _json_values())


@THROUGH_API
@given(events=_notification_events(), wrap=st.booleans())
# Found by fuzzing: a target that was no object, or a tag or repository that was no
# string, failed the handler with an AttributeError (a 500).
@example(events=[{"action": "push", "target": [1]}], wrap=True)
@example(events=[{"action": "push", "target": {
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "tag": "v1",
    "repository": 7, "digest": BASE_DIGEST}}], wrap=True)
def test_any_registry_notification_is_handled_or_refused_cleanly(
        client: Client, events: Any, wrap: bool) -> None:
    world = World(client)
    wiring.services().webhook_secret = "fuzz-secret"
    world.request("POST", "/webhooks/registry", {"events": events} if wrap else events,
                  headers={"authorization": "Bearer fuzz-secret"},
                  unavailable=True)  # a push to read back: the registry is unreachable


@pytest.mark.parametrize("method, path, content_type, body", VALID_WRITES,
                         ids=[f"{w[0]} {w[1].rsplit('/', 1)[1]}" for w in VALID_WRITES])
def test_each_valid_write_is_accepted(client: Client, method: str, path: str,
                                      content_type: str, body: dict) -> None:
    # The fuzzing above starts from these bodies: each must be one the API takes.
    world = World(client)
    code, answer = world.request(method, path, body, content_type=content_type)
    assert code in (200, 201), answer
