"""Who holds an endpoint, on the table as deployed: the first trigger to claim it, until it
is deleted; another namespace's 409 says only that the endpoint is taken."""
from __future__ import annotations

import json

from chalice.test import Client

from app import app
from testbed.auth import grant

V1 = "/apis/image.openshift.io/v1/namespaces"


def _call(client, token: str, method: str, path: str, body=None):
    reply = client.http.request(method, path, body=json.dumps(body) if body is not None else None,
                                headers={"content-type": "application/json",
                                         "authorization": f"Bearer {token}"})
    return reply.status_code, json.loads(reply.body)


def _trigger(name: str, endpoint: str) -> dict:
    return {"kind": "ImageStreamTrigger", "metadata": {"name": name},
            "spec": {"endpoint": {"protocol": "sqs", "endpoint": endpoint}}}


def test_another_namespaces_claim_is_not_named_and_its_deletion_frees_it(cloud):
    queue = cloud.queue("claimed")
    theirs = grant(cloud.services, "them", "admin", "secret-team")
    mine = grant(cloud.services, "me", "edit", "shop")
    with Client(app) as client:
        for token, namespace, stream in ((theirs, "secret-team", "payroll"),
                                         (mine, "shop", "web")):
            assert _call(client, token, "POST", f"{V1}/{namespace}/imagestreams",
                         {"kind": "ImageStream", "metadata": {"name": stream}})[0] == 201
        assert _call(client, theirs, "POST", f"{V1}/secret-team/imagestreams/payroll/triggers",
                     _trigger("payroll-deploys", queue))[0] == 201
        code, reply = _call(client, mine, "POST", f"{V1}/shop/imagestreams/web/triggers",
                            _trigger("deploys", queue))
        assert code == 409 and reply["message"] == (
            f"endpoint {queue} is taken; use one endpoint per trigger"), reply
        assert reply["details"]["name"] == "deploys"
        assert not any(word in json.dumps(reply) for word in ("secret-team", "payroll"))
        assert _call(client, theirs, "DELETE",
                     f"{V1}/secret-team/imagestreams/payroll/triggers/payroll-deploys")[0] == 200
        code, created = _call(client, mine, "POST", f"{V1}/shop/imagestreams/web/triggers",
                              _trigger("deploys", queue))
        assert code == 201, created
