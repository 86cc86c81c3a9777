"""Every kind of object just over its limit is 413 or 422, never a 5xx, on every store.

Each test runs twice: over the in-memory adapters and over the DynamoDB adapters on moto
(with moto's SNS and Secrets Manager). The limits are those of DynamoDB's items (400 KB,
checked at 350 KiB by adapters/item_size.py before any write), Kubernetes' 256 KiB of
annotations, a secret's 64 KiB, an SNS filter policy's 150 combinations and the names'
lengths. Just under each limit the object is taken, so the limit is where it says.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from chalicelib import wiring
from chalicelib.adapters.dynamodb_access import DynamoBindingStore, DynamoTokenStore
from chalicelib.adapters.dynamodb_store import DynamoStore
from chalicelib.adapters.dynamodb_triggers import DynamoTriggerStore
from chalicelib.adapters.item_size import MAX_ITEM_BYTES
from chalicelib.adapters.memory_access import MemoryBindingStore, MemoryTokenStore
from chalicelib.adapters.memory_secrets import MemorySecrets
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.adapters.memory_triggers import MemoryTriggerStore
from chalicelib.adapters.secrets_manager import SecretsManagerSecrets
from chalicelib.adapters.sns_subscriptions import SnsSubscriptions
from chalicelib.domain.errors import TooLarge
from chalicelib.domain.stored_objects import TokenRecord, TriggerRecord
from chalicelib.domain.validation import MAX_ANNOTATIONS_BYTES
from chalicelib.resources.rbac import RoleBinding
from chalicelib.resources.triggers import ImageStreamTriggerSpec
from chalicelib.services.secrets import MAX_SECRET_BYTES
from chalicelib.services.stream_tags import MAX_IMAGE_BYTES
from testbed.dynamodb import REGION, mocked_table

from .conftest import REGISTRY, Api, digest, ns_path, serving

RBAC = "/apis/rbac.authorization.k8s.io/v1"
TOKENS = "/apis/imagestreams.dev/v1"
# A label of the longest key (a 253-character DNS prefix, '/', a 63-character name) and
# value (63 characters) Kubernetes allows, numbered so each is distinct.
PREFIX = ".".join(["a" * 63] * 3) + "." + "b" * 61


def label(number: int) -> tuple[str, str]:
    return f"{PREFIX}/k{number:061d}", "v" * 63


def labels(count: int) -> dict[str, str]:
    return dict(label(n) for n in range(count))


LABEL_BYTES = sum(map(len, label(0))) + 1  # an entry of a map attribute, as DynamoDB sizes it


class Subscribed:
    """SNS for the in-memory variant: every subscription is taken."""

    def subscribe(self, protocol: str, endpoint: str, policy: dict) -> tuple[str, bool]:
        return f"arn:aws:sns:{REGION}:123456789012:events:{endpoint[-8:]}", False

    def unsubscribe(self, subscription_arn: str) -> None:
        pass


def aws(service: str) -> Any:
    return boto3.client(service, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture(params=["memory", "dynamodb"])
def backend(request: pytest.FixtureRequest) -> Iterator[wiring.Services]:
    if request.param == "memory":
        yield wiring.Services(MemoryStore(), REGISTRY, lambda: MemoryTriggerStore(), Subscribed,
                              secret_store=lambda: MemorySecrets(),
                              token_store=MemoryTokenStore(),
                              binding_store=MemoryBindingStore())
        return
    with mocked_table(stream=False) as table:
        client = table.client
        topic = aws("sns").create_topic(Name="events")["TopicArn"]
        sns = aws("sns")
        yield wiring.Services(
            DynamoStore(client, table.name), REGISTRY,
            lambda: DynamoTriggerStore(client, table.name), lambda: SnsSubscriptions(sns, topic),
            secret_store=lambda: SecretsManagerSecrets(lambda: aws("secretsmanager"), "test/"),
            token_store=DynamoTokenStore(client, table.name),
            binding_store=DynamoBindingStore(client, table.name))


@pytest.fixture
def api(backend: wiring.Services) -> Iterator[Api]:
    yield from serving(backend)


def refused(response: Any, code: int, reason: str) -> None:
    assert response.status_code == code, (response.status_code, response.data)
    assert response.data["kind"] == "Status" and response.data["reason"] == reason
    assert response.data["code"] == code


def stream(name: str, **metadata: Any) -> dict:
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
            "metadata": {"name": name, **metadata}}


# -- image streams, tags, images

def test_a_stream_with_labels_over_an_item_is_413(api: Api) -> None:
    fit = (MAX_ITEM_BYTES - 2_000) // LABEL_BYTES
    over = MAX_ITEM_BYTES // LABEL_BYTES + 1
    assert api.post(ns_path("imagestreams"), stream("under", labels=labels(fit))).status_code == 201
    response = api.post(ns_path("imagestreams"), stream("over", labels=labels(over)))
    refused(response, 413, "RequestEntityTooLarge")
    assert 'image stream "default/over" would be stored as' in response.data["message"]
    assert api.get(ns_path("imagestreams", "over")).status_code == 404
    # A patch that makes the stream too large is refused the same way, and changes nothing.
    response = api.patch(ns_path("imagestreams", "under"), {"metadata": {"labels": dict(
        label(n) for n in range(fit, over + 10))}})
    refused(response, 413, "RequestEntityTooLarge")
    assert len(api.get(ns_path("imagestreams", "under")).data["metadata"]["labels"]) == fit


def test_annotations_over_256_kib_are_422_on_streams_and_tags(api: Api) -> None:
    within = {"notes": "x" * (MAX_ANNOTATIONS_BYTES - len("notes"))}
    over = {"notes": "x" * (MAX_ANNOTATIONS_BYTES - len("notes") + 1)}
    assert api.post(ns_path("imagestreams"), stream("app", annotations=within)).status_code == 201
    refused(api.post(ns_path("imagestreams"), stream("big", annotations=over)), 422, "Invalid")
    tag = {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag", "tag": {
        "from": {"kind": "DockerImage", "name": "quay.io/team/app:1"}, "reference": True}}
    tag["tag"]["annotations"] = over  # type: ignore[index]
    refused(api.put(ns_path("imagestreamtags", "app:big"), tag), 422, "Invalid")
    tag["tag"]["annotations"] = within  # type: ignore[index]
    assert api.put(ns_path("imagestreamtags", "app:ok"), tag).status_code in (200, 201)


def test_image_metadata_over_its_limit_is_413(api: Api) -> None:
    api.post(ns_path("imagestreams"), stream("app"))

    def mapping(number: int, size: int) -> dict:
        image = {"metadata": {"name": digest(str(number)),
                              "annotations": {"notes": ""}},
                 "dockerImageReference": f"{REGISTRY}/default/app@{digest(str(number))}"}
        base = len(json.dumps(image, separators=(",", ":")))
        image["metadata"]["annotations"]["notes"] = "x" * (size - base)
        return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
                "metadata": {"name": "app"}, "tag": "latest", "image": image}

    assert api.post(ns_path("imagestreammappings"), mapping(1, MAX_IMAGE_BYTES - 100)
                    ).status_code == 201
    refused(api.post(ns_path("imagestreammappings"), mapping(2, MAX_IMAGE_BYTES + 100)),
            413, "RequestEntityTooLarge")


# -- role bindings, cluster role bindings, tokens

def binding(name: str, subjects: int = 1, label_count: int = 0,
            kind: str = "RoleBinding") -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": {"name": name, "labels": labels(label_count)},
            "roleRef": {"kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "User", "name": f"user-{n:06d}-" + "u" * 240}
                         for n in range(subjects)]}


SUBJECT_BYTES = len(json.dumps(binding("x")["subjects"][0], separators=(",", ":"))) + 1


@pytest.mark.parametrize("path, kind", [
    (f"{RBAC}/namespaces/default/rolebindings", "RoleBinding"),
    (f"{RBAC}/clusterrolebindings", "ClusterRoleBinding")], ids=["namespaced", "cluster"])
def test_bindings_over_an_item_are_413_never_500(api: Api, path: str, kind: str) -> None:
    # The review's two: 2,500 subjects and 6,000 labels answered 500 ValidationException.
    refused(api.post(path, binding("subjects", 2_500, kind=kind)), 413, "RequestEntityTooLarge")
    refused(api.post(path, binding("labels", label_count=6_000, kind=kind)), 413,
            "RequestEntityTooLarge")
    over = MAX_ITEM_BYTES // SUBJECT_BYTES + 1
    fit = (MAX_ITEM_BYTES - 2_000) // SUBJECT_BYTES
    response = api.post(path, binding("just-over", over, kind=kind))
    refused(response, 413, "RequestEntityTooLarge")
    assert f'{kind.lower()} "just-over" would be stored as' in response.data["message"]
    assert api.get(f"{path}/just-over").status_code == 404
    assert api.post(path, binding("just-under", fit, kind=kind)).status_code == 201
    assert len(api.get(f"{path}/just-under").data["subjects"]) == fit


def test_a_token_for_a_subject_over_253_characters_is_422(api: Api) -> None:
    def token(subject: str) -> dict:
        return {"apiVersion": "imagestreams.dev/v1", "kind": "AccessToken",
                "spec": {"subject": subject}}

    assert api.post(f"{TOKENS}/accesstokens", token("u" * 253)).status_code == 201
    refused(api.post(f"{TOKENS}/accesstokens", token("u" * 254)), 422, "Invalid")


# -- secrets, triggers

def test_a_secret_over_64_kib_is_422(api: Api) -> None:
    def secret(name: str, size: int) -> dict:
        config = {"auths": {"quay.io": {"auth": base64.b64encode(b"u:p").decode()}},
                  "padding": ""}
        config["padding"] = "x" * (size - len(json.dumps(config)))
        text = json.dumps(config)
        assert len(text) == size
        return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
                "type": "kubernetes.io/dockerconfigjson",
                "data": {".dockerconfigjson": base64.b64encode(text.encode()).decode()}}

    assert api.post("/api/v1/namespaces/default/secrets",
                    secret("fits", MAX_SECRET_BYTES)).status_code == 201
    refused(api.post("/api/v1/namespaces/default/secrets", secret("over", MAX_SECRET_BYTES + 1)),
            422, "Invalid")


def test_a_trigger_over_150_filter_combinations_is_422(api: Api) -> None:
    api.post(ns_path("imagestreams"), stream("web"))

    def trigger(name: str, tags: int, types: list[str]) -> dict:
        return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTrigger",
                "metadata": {"name": name},
                "spec": {"tags": [f"t{n}" for n in range(tags)], "types": types,
                         "endpoint": {"protocol": "sqs", "endpoint":
                                      f"arn:aws:sqs:{REGION}:123456789012:{name}"}}}

    path = ns_path("imagestreams", "web") + "/triggers"
    assert api.post(path, trigger("fits", 50, ["Created", "Updated", "Deleted"])
                    ).status_code == 201
    response = api.post(path, trigger("over", 51, ["Created", "Updated", "Deleted"]))
    refused(response, 422, "Invalid")
    assert "spec.tags: Too many: 153" in response.data["message"]
    refused(api.post(path, trigger("many", 151, [])), 422, "Invalid")


# -- the adapters themselves: past validation, each store refuses what the table would

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def test_each_store_refuses_an_oversized_binding_token_and_trigger(
        backend: wiring.Services) -> None:
    huge = RoleBinding.model_validate(binding("huge", subjects=2_500))
    for namespace in ("default", None):
        with pytest.raises(TooLarge):
            backend.access.bindings.create_binding(namespace, huge)
        assert backend.access.bindings.get_binding(namespace, "huge") is None
    with pytest.raises(TooLarge):
        backend.access.tokens.put_token(TokenRecord("0123456789abcdef", "d" * 64,
                                                    "u" * 400_000, NOW))
    assert backend.access.tokens.get_token("0123456789abcdef") is None
    spec = ImageStreamTriggerSpec.model_validate({
        "tags": [f"t{n:0120d}" for n in range(3_000)],
        "endpoint": {"protocol": "sqs", "endpoint": f"arn:aws:sqs:{REGION}:123456789012:q"}})
    store = backend.triggers.triggers
    with pytest.raises(TooLarge):
        store.add_trigger(TriggerRecord("default", "web", "huge", "uid", NOW, spec))
    assert store.get_trigger("default", "web", "huge") is None
