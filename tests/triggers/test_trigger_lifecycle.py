"""A stream's triggers live and die with it (services/triggers.py, api/handlers.py).

Deleting a stream deletes its triggers and unsubscribes them; when that stops half-way
(SNS unreachable) a retried delete, or the next create or list of the name's triggers,
finishes it; and a stream created again under the name inherits nothing, not even while
an old subscription is still there: the filter policy names the stream's uid. On the
table and SNS as deployed (moto), through the API, and on the in-memory stores.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.adapters.memory_triggers import MemoryTriggerStore
from chalicelib.adapters.sns_subscriptions import SnsSubscriptions
from chalicelib.domain.errors import NotFound, ServiceUnavailable
from chalicelib.resources.stream import ImageStream, ImageStreamMapping
from chalicelib.resources.triggers import ImageStreamTrigger
from chalicelib.services.actor import SERVICE
from chalicelib.services.triggers import TriggerService
from testbed.auth import admin_headers

from .conftest import Cloud

V1 = "/apis/image.openshift.io/v1/namespaces/shop"


class Api:
    def __init__(self, client: Client, headers: dict[str, str]):
        self.client, self.headers = client, headers

    def __call__(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        reply = self.client.http.request(
            method, V1 + path, body=json.dumps(body) if body is not None else None,
            headers={"content-type": "application/json", **self.headers})
        return reply.status_code, json.loads(reply.body)


@pytest.fixture
def api(cloud: Cloud) -> Iterator[Api]:
    with Client(app) as client:
        yield Api(client, admin_headers(cloud.services))


def trigger(name: str, endpoint: str) -> dict:
    return {"kind": "ImageStreamTrigger", "metadata": {"name": name},
            "spec": {"endpoint": {"protocol": "sqs", "endpoint": endpoint}}}


def subscriptions(cloud: Cloud) -> list[str]:
    return [s["Endpoint"] for s in cloud.sns.list_subscriptions_by_topic(
        TopicArn=cloud.topic_arn)["Subscriptions"]]


def stored_triggers(cloud: Cloud, stream: str = "web") -> list[str]:
    return [r.name for r in cloud.services.triggers.triggers.list_triggers("shop", stream)]


def push(cloud: Cloud, tag: str, char: str) -> None:
    digest = "sha256:" + char * 64
    cloud.services.tags.map(SERVICE, "shop", ImageStreamMapping.model_validate({
        "metadata": {"name": "web"}, "tag": tag,
        "image": {"metadata": {"name": digest},
                  "dockerImageReference": f"registry.test/shop/web@{digest}"}}))


def with_web_and_a_trigger(cloud: Cloud, api: Api, queue: str = "deploys") -> str:
    endpoint = cloud.queue(queue)
    assert api("POST", "/imagestreams", {"kind": "ImageStream",
                                         "metadata": {"name": "web"}})[0] == 201
    code, created = api("POST", "/imagestreams/web/triggers", trigger(queue, endpoint))
    assert code == 201, created
    return endpoint


def sns_down(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(self: SnsSubscriptions, subscription_arn: str) -> None:
        raise ServiceUnavailable("the notification service is unreachable; retry shortly")
    monkeypatch.setattr(SnsSubscriptions, "unsubscribe", unreachable)


def test_deleting_a_stream_deletes_its_triggers_and_subscriptions(cloud: Cloud, api: Api) -> None:
    with_web_and_a_trigger(cloud, api)
    with_web_and_a_trigger_too = cloud.queue("other-stream")
    api("POST", "/imagestreams", {"kind": "ImageStream", "metadata": {"name": "db"}})
    assert api("POST", "/imagestreams/db/triggers",
               trigger("db-deploys", with_web_and_a_trigger_too))[0] == 201
    assert api("DELETE", "/imagestreams/web")[0] == 200
    assert stored_triggers(cloud) == [] and subscriptions(cloud) == [with_web_and_a_trigger_too]
    assert stored_triggers(cloud, "db") == ["db-deploys"]  # another stream's are its own
    # Created again: no trigger, and the endpoint is free for a trigger of the new stream.
    assert api("POST", "/imagestreams", {"kind": "ImageStream",
                                         "metadata": {"name": "web"}})[0] == 201
    assert api("GET", "/imagestreams/web/triggers")[1]["items"] == []
    assert api("GET", "/imagestreams/web/triggers/deploys")[0] == 404
    assert api("POST", "/imagestreams/web/triggers",
               trigger("deploys", cloud.queue("deploys")))[0] == 201


def test_a_retried_delete_finishes_what_the_first_left(cloud: Cloud, api: Api,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = with_web_and_a_trigger(cloud, api)
    with monkeypatch.context() as outage:
        sns_down(outage)
        code, deleted = api("DELETE", "/imagestreams/web")
    assert code == 200 and deleted["status"] == "Success"  # the stream is gone
    assert stored_triggers(cloud) == ["deploys"] and subscriptions(cloud) == [endpoint]
    code, again = api("DELETE", "/imagestreams/web")
    assert code == 404 and again["reason"] == "NotFound"
    assert stored_triggers(cloud) == [] and subscriptions(cloud) == []
    assert api("DELETE", "/imagestreams/web")[0] == 404  # and again: nothing left to do


def test_a_stream_created_again_inherits_nothing_even_before_the_cleanup(
        cloud: Cloud, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    with_web_and_a_trigger(cloud, api)
    with monkeypatch.context() as outage:
        sns_down(outage)
        assert api("DELETE", "/imagestreams/web")[0] == 200
        # The old subscription is still there, and the name is taken again (by anyone with
        # edit in the namespace): its moves must not reach the old subscriber.
        assert api("POST", "/imagestreams", {"kind": "ImageStream",
                                             "metadata": {"name": "web"}})[0] == 201
        cloud.pump()
        push(cloud, "latest", "a")
        cloud.pump()
        assert cloud.received("deploys") == []
        assert api("GET", "/imagestreams/web/triggers")[1]["items"] == []  # not shown either
        assert api("GET", "/imagestreams/web/triggers/deploys")[0] == 404
    # SNS back: the next list removes the old trigger and its subscription.
    assert api("GET", "/imagestreams/web/triggers")[1]["items"] == []
    assert stored_triggers(cloud) == [] and subscriptions(cloud) == []
    # A trigger of the new stream hears the new stream's moves, and only those.
    assert api("POST", "/imagestreams/web/triggers",
               trigger("deploys", cloud.queue("deploys")))[0] == 201
    push(cloud, "latest", "b")
    cloud.pump()
    assert [m["image"] for m in cloud.received("deploys")] == ["sha256:" + "b" * 64]


def test_creating_a_trigger_clears_the_name_left_by_the_old_stream(
        cloud: Cloud, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    with_web_and_a_trigger(cloud, api)
    with monkeypatch.context() as outage:
        sns_down(outage)
        api("DELETE", "/imagestreams/web")
    api("POST", "/imagestreams", {"kind": "ImageStream", "metadata": {"name": "web"}})
    code, created = api("POST", "/imagestreams/web/triggers",
                        trigger("deploys", cloud.queue("deploys")))
    assert code == 201, created
    uid = api("GET", "/imagestreams/web")[1]["metadata"]["uid"]
    assert created["status"]["filterPolicy"]["imageStreamUid"] == [uid]
    assert len(subscriptions(cloud)) == 1


# -- the service on the in-memory stores

class Subscribed:
    def __init__(self) -> None:
        self.live: dict[str, str] = {}

    def subscribe(self, protocol: str, endpoint: str, policy: dict) -> tuple[str, bool]:
        arn = f"arn:aws:sns:us-east-1:123456789012:events:{len(self.live)}"
        self.live[arn] = endpoint
        return arn, False

    def unsubscribe(self, subscription_arn: str) -> None:
        self.live.pop(subscription_arn, None)  # SNS: unsubscribing twice is fine


def body(name: str) -> ImageStreamTrigger:
    return ImageStreamTrigger.model_validate(trigger(name, f"arn:aws:sqs:us-east-1:"
                                                           f"123456789012:{name}"))


@pytest.fixture
def memory() -> tuple[MemoryStore, TriggerService, Subscribed]:
    store, sns = MemoryStore(), Subscribed()
    return store, TriggerService(store, MemoryTriggerStore(), lambda: sns), sns


def make_stream(store: MemoryStore, name: str = "web") -> None:
    from chalicelib.services.streams import StreamService
    StreamService(store).create(SERVICE, "shop", ImageStream.model_validate({"metadata": {"name": name}}))


def drop_stream(store: MemoryStore, name: str = "web") -> None:
    record = store.get_stream("shop", name)
    assert record is not None
    store.delete_stream("shop", name, record.version)


def test_remove_orphans_takes_only_the_dead_streams_and_is_idempotent(memory: Any) -> None:
    store, triggers, sns = memory
    make_stream(store)
    triggers.create("shop", "web", body("a"))
    triggers.create("shop", "web", body("b"))
    assert triggers.remove_orphans("shop", "web") == 0  # the stream lives: nothing to do
    drop_stream(store)
    make_stream(store)
    triggers.create("shop", "web", body("c"))  # the new stream's (create clears a and b)
    assert sorted(sns.live.values())[-1].endswith(":c") and len(sns.live) == 1
    assert triggers.remove_orphans("shop", "web") == 0
    assert [t.metadata.name for t in triggers.list("shop", "web").items] == ["c"]
    drop_stream(store)
    assert triggers.remove_orphans("shop", "web") == 1
    assert triggers.remove_orphans("shop", "web") == 0
    assert sns.live == {}


def test_a_create_that_loses_its_stream_half_way_leaves_no_subscription(memory: Any) -> None:
    store, triggers, sns = memory
    make_stream(store)
    subscribe = sns.subscribe

    def stream_deleted_meanwhile(protocol: str, endpoint: str, policy: dict) -> tuple[str, bool]:
        reply = subscribe(protocol, endpoint, policy)
        drop_stream(store)
        triggers.remove_orphans("shop", "web")  # the stream's delete, between two steps
        return reply

    sns.subscribe = stream_deleted_meanwhile  # type: ignore[method-assign]
    with pytest.raises(NotFound):
        triggers.create("shop", "web", body("late"))
    assert sns.live == {}
    assert triggers.triggers.list_triggers("shop", "web") == []
