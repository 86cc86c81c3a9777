"""The triggers API: SNS subscriptions with filter policies scoped to one stream."""
from __future__ import annotations

import json

from chalice.test import Client

from app import app
from testbed.auth import admin_headers

V1 = "/apis/image.openshift.io/v1/namespaces"


def call(client, method: str, path: str, body=None):
    reply = client.http.request(method, path, body=json.dumps(body) if body is not None else None,
                                headers={"content-type": "application/json", **client.auth})
    return reply.status_code, json.loads(reply.body)


def trigger(name: str, endpoint: str, **spec) -> dict:
    return {"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTrigger",
            "metadata": {"name": name},
            "spec": {"endpoint": {"protocol": "sqs", "endpoint": endpoint}, **spec}}


def test_create_list_get_delete(cloud):
    queue = cloud.queue("deploys")
    with Client(app) as client:
        client.auth = admin_headers(cloud.services)
        call(client, "POST", f"{V1}/shop/imagestreams",
             {"kind": "ImageStream", "metadata": {"name": "web"}})
        code, created = call(client, "POST", f"{V1}/shop/imagestreams/web/triggers",
                             trigger("deploy", queue, tags=["latest", "stable"]))
        assert code == 201, created
        assert created["kind"] == "ImageStreamTrigger"
        stream_uid = call(client, "GET", f"{V1}/shop/imagestreams/web")[1]["metadata"]["uid"]
        assert created["status"]["filterPolicy"] == {
            "namespace": ["shop"], "imageStream": ["web"], "imageStreamUid": [stream_uid],
            "tag": ["latest", "stable"]}
        arn = created["status"]["subscriptionArn"]
        attributes = cloud.sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        assert json.loads(attributes["FilterPolicy"]) == created["status"]["filterPolicy"]
        assert attributes["Endpoint"] == queue

        code, listed = call(client, "GET", f"{V1}/shop/imagestreams/web/triggers")
        assert code == 200 and [i["metadata"]["name"] for i in listed["items"]] == ["deploy"]
        code, got = call(client, "GET", f"{V1}/shop/imagestreams/web/triggers/deploy")
        assert code == 200 and got["spec"]["tags"] == ["latest", "stable"]

        code, deleted = call(client, "DELETE", f"{V1}/shop/imagestreams/web/triggers/deploy")
        assert code == 200 and deleted["status"] == "Success"
        subscriptions = cloud.sns.list_subscriptions_by_topic(TopicArn=cloud.topic_arn)
        assert subscriptions["Subscriptions"] == []
        code, _ = call(client, "GET", f"{V1}/shop/imagestreams/web/triggers/deploy")
        assert code == 404


def test_bad_triggers_are_refused_naming_the_field(cloud):
    with Client(app) as client:
        client.auth = admin_headers(cloud.services)
        call(client, "POST", f"{V1}/shop/imagestreams",
             {"kind": "ImageStream", "metadata": {"name": "web"}})
        code, reply = call(client, "POST", f"{V1}/shop/imagestreams/web/triggers", {
            "kind": "ImageStreamTrigger", "metadata": {"name": "Bad_Name"},
            "spec": {"endpoint": {"protocol": "email", "endpoint": "a@b.c"},
                     "tags": ["bad tag"], "types": ["Moved"]}})
        assert code == 422
        fields = {c["field"] for c in reply["details"]["causes"]}
        assert fields == {"metadata.name", "spec.endpoint.protocol", "spec.tags[0]",
                          "spec.types[0]"}
        code, reply = call(client, "POST", f"{V1}/shop/imagestreams/web/triggers",
                           trigger("t", "arn:aws:sqs:nowhere"))
        assert code == 422 and reply["details"]["causes"][0]["field"] == "spec.endpoint.endpoint"
        code, reply = call(client, "POST", f"{V1}/shop/imagestreams/ghost/triggers",
                           trigger("t", cloud.queue("q1")))
        assert code == 404
    assert cloud.sns.list_subscriptions_by_topic(TopicArn=cloud.topic_arn)["Subscriptions"] == []


def test_an_endpoint_serves_one_trigger_and_names_clash(cloud):
    queue = cloud.queue("shared")
    with Client(app) as client:
        client.auth = admin_headers(cloud.services)
        for stream in ("web", "db"):
            call(client, "POST", f"{V1}/shop/imagestreams",
                 {"kind": "ImageStream", "metadata": {"name": stream}})
        assert call(client, "POST", f"{V1}/shop/imagestreams/web/triggers",
                    trigger("t", queue))[0] == 201
        code, reply = call(client, "POST", f"{V1}/shop/imagestreams/web/triggers",
                           trigger("t", cloud.queue("other")))
        assert code == 409 and reply["reason"] == "AlreadyExists"
        code, reply = call(client, "POST", f"{V1}/shop/imagestreams/db/triggers",
                           trigger("t2", queue))
        assert code == 409 and "already receives the changes of trigger t" in reply["message"]
    subscriptions = cloud.sns.list_subscriptions_by_topic(TopicArn=cloud.topic_arn)
    assert len(subscriptions["Subscriptions"]) == 1
