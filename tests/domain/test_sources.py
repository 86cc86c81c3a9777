"""Which namespace a source reads from: the integrated registry's host in its spellings,
its prefix, and the decision a scheduled import takes for its author."""
from __future__ import annotations

import pytest

from chalicelib.domain.sources import (
    DEFAULT_PORT,
    LOOPBACK,
    endpoint,
    integrated_namespace,
    read_namespace,
    scheduled_import_refusal,
)
from chalicelib.resources.stream import TagReference

LOCAL = "127.0.0.1:5050"
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/streams"
DIGEST = "sha256:" + "d" * 64


@pytest.mark.parametrize("host,expected", [
    ("127.0.0.1:5050", (LOOPBACK, 5050)),
    ("127.0.0.2:5050", (LOOPBACK, 5050)),
    ("127.1:5050", (LOOPBACK, 5050)),
    ("0x7f.1:5050", (LOOPBACK, 5050)),
    ("2130706433:5050", (LOOPBACK, 5050)),
    ("0.0.0.0:5050", (LOOPBACK, 5050)),
    ("[::1]:5050", (LOOPBACK, 5050)),
    ("[::]:5050", (LOOPBACK, 5050)),
    ("[::ffff:7f00:1]:5050", (LOOPBACK, 5050)),
    ("[::1%lo]:5050", (LOOPBACK, 5050)),
    ("localhost:5050", (LOOPBACK, 5050)),
    ("LocalHost:5050", (LOOPBACK, 5050)),
    ("localhost.localdomain:5050", (LOOPBACK, 5050)),
    ("ip6-localhost:5050", (LOOPBACK, 5050)),
    ("ip6-loopback:5050", (LOOPBACK, 5050)),
    ("localhost", (LOOPBACK, DEFAULT_PORT)),
    ("10.0.0.1:5000", ("10.0.0.1", 5000)),
    ("[::ffff:a00:1]", ("10.0.0.1", 443)),
    ("[2001:db8::1]:5000", ("2001:db8::1", 5000)),
    ("quay.io", ("quay.io", 443)),
    ("Quay.IO:443", ("quay.io", 443)),
    ("deadbeef.example:5000", ("deadbeef.example", 5000)),
    ("cafe", ("cafe", 443)),
    ("abc.0x1", ("abc.0x1", 443)),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com",
     ("123456789012.dkr.ecr.us-east-1.amazonaws.com", 443)),
    ("123456789012.dkr-ecr.us-east-1.on.aws",
     ("123456789012.dkr.ecr.us-east-1.amazonaws.com", 443)),
    ("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com:443",
     ("123456789012.dkr.ecr.us-east-1.amazonaws.com", 443)),
    ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
     ("123456789012.dkr.ecr.cn-north-1.amazonaws.com", 443)),
    ("x123456789012.dkr.ecr.us-east-1.amazonaws.com",
     ("x123456789012.dkr.ecr.us-east-1.amazonaws.com", 443)),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
     ("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example", 443)),
    ("a:b:c", ("a:b:c", 443)),
])
def test_a_host_is_the_endpoint_it_reaches(host: str, expected: tuple[str, int]) -> None:
    assert endpoint(host) == expected


@pytest.mark.parametrize("reference,registry,expected", [
    (f"{LOCAL}/shop/web:1", LOCAL, "shop"),
    (f"{LOCAL}/shop/web@{DIGEST}", LOCAL, "shop"),
    (f"{LOCAL}/shop/web", LOCAL, "shop"),
    (f"{LOCAL}/shop/web/deeper:1", LOCAL, "shop"),
    (f"{LOCAL}/shop:1", LOCAL, "shop"),  # not a stream: still filed under that namespace
    ("localhost:5050/shop/web:1", LOCAL, "shop"),
    ("127.0.0.1:5051/shop/web:1", LOCAL, None),
    ("127.0.0.1/shop/web:1", LOCAL, None),
    ("quay.io/shop/web:1", LOCAL, None),
    ("shop/web:1", LOCAL, None),  # Docker Hub
    ("docker.io/shop/web:1", "docker.io", "shop"),
    (f"{LOCAL}/shop/web:1", "", None),
    ("not a reference", LOCAL, None),
    (f"{LOCAL}/Shop/web:1", LOCAL, None),  # refused by the grammar, and so by validation
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/streams/shop/web:1", ECR, "shop"),
    ("123456789012.dkr-ecr.us-east-1.on.aws/streams/shop/web:1", ECR, "shop"),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/other/shop/web:1", ECR, None),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/streamsx/shop/web:1", ECR, None),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/streams:1", ECR, None),
    ("123456789012.dkr.ecr.us-west-2.amazonaws.com/streams/shop/web:1", ECR, None),
    ("210987654321.dkr.ecr.us-east-1.amazonaws.com/streams/shop/web:1", ECR, None),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:1",
     "123456789012.dkr.ecr.us-east-1.amazonaws.com", "shop"),
    ("123456789012.dkr.ecr.us-east-1.amazonaws.com/a/b/shop/web:1",
     "123456789012.dkr.ecr.us-east-1.amazonaws.com/a/b", "shop"),
])
def test_the_integrated_registry_names_a_namespace(reference: str, registry: str,
                                                   expected: str | None) -> None:
    assert integrated_namespace(reference, registry) == expected


def _ref(kind: str | None, name: str = "", namespace: str | None = None,
         **extra: object) -> TagReference:
    source = None if kind is None else {"kind": kind, "name": name,
                                        **({"namespace": namespace} if namespace else {})}
    return TagReference.model_validate({"name": "t", "from": source, **extra})


@pytest.mark.parametrize("ref,expected", [
    (_ref(None), None),
    (_ref("ImageStreamTag", "web:1"), None),
    (_ref("ImageStreamTag", "web:1", "shop"), None),
    (_ref("ImageStreamTag", "web:1", "other"), "other"),
    (_ref("ImageStreamImage", f"web@{DIGEST}", "other"), "other"),
    (_ref("ImageStreamImage", f"web@{DIGEST}"), None),
    (_ref("DockerImage", f"{LOCAL}/other/web:1"), "other"),
    (_ref("DockerImage", f"{LOCAL}/other/web:1", reference=True), "other"),
    (_ref("DockerImage", f"{LOCAL}/shop/web:1"), None),
    (_ref("DockerImage", "quay.io/other/web:1"), None),
    # A DockerImage's from.namespace means nothing: its name says where it is.
    (_ref("DockerImage", "quay.io/other/web:1", "other"), None),
    (_ref("DockerImage", f"{LOCAL}/other/web:1", "shop"), "other"),
])
def test_a_spec_tag_reads_another_namespace(ref: TagReference, expected: str | None) -> None:
    assert read_namespace(ref, "shop", LOCAL) == expected


class Rights:
    """`may_pull` for the refusal: who may pull from where, and what was asked."""

    def __init__(self, *granted: tuple[str, str]):
        self.granted = set(granted)
        self.asked: list[tuple[str, str]] = []

    def __call__(self, subject: str, namespace: str) -> bool:
        self.asked.append((subject, namespace))
        return (subject, namespace) in self.granted


def test_a_scheduled_import_runs_while_its_author_may_pull() -> None:
    rights = Rights(("alice", "other"))
    source = f"{LOCAL}/other/web:1"
    assert scheduled_import_refusal(source, "shop", "alice", LOCAL, rights) is None
    assert rights.asked == [("alice", "other")]
    refusal = scheduled_import_refusal(source, "shop", "bob", LOCAL, rights)
    assert refusal == ('"bob", who set this source, may not pull images from namespace '
                       '"other": it is imported again once they may, or once someone who '
                       "may sets it again")


def test_a_scheduled_import_without_an_author_reads_no_other_namespace() -> None:
    rights = Rights(("", "other"))
    refusal = scheduled_import_refusal(f"{LOCAL}/other/web:1", "shop", "", LOCAL, rights)
    assert refusal == ('images from namespace "other" need the right to pull there, and who '
                       "set this source is not recorded: set it again to import it")
    assert rights.asked == []


@pytest.mark.parametrize("reference", [f"{LOCAL}/shop/web:1", "quay.io/other/web:1",
                                       f"{LOCAL}-not/other"])
def test_a_scheduled_import_of_no_other_namespace_asks_nothing(reference: str) -> None:
    rights = Rights()
    assert scheduled_import_refusal(reference, "shop", "", LOCAL, rights) is None
    assert rights.asked == []
