"""The registry stage on moto's ECR: with pruneRegistry, a run deletes from the streams'
repositories only images no stream keeps in use and pushed before the threshold; the
manifests a kept image index lists stay; a dry run counts them and deletes nothing."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.ecr_prune import EcrPrune
from chalicelib.adapters.memory_prune_runs import MemoryPruneRuns
from chalicelib.adapters.memory_store import MemoryStore
from chalicelib.domain.records import TagRecord
from chalicelib.registry.manifests import OCI_INDEX, OCI_MANIFEST
from chalicelib.resources.prune import ImagePruneRun, ImagePruneRunSpec
from chalicelib.resources.stream import TagEvent
from chalicelib.services.actor import SERVICE
from tests.contract.builders import T0, create, pushed, stream

from .conftest import pruning, run_to_end

PREFIX = "streams/"
REPOSITORY = f"{PREFIX}team/app"
OTHER_REPOSITORY = f"{PREFIX}other/app"


@pytest.fixture
def ecr() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("ecr", region_name="us-east-1", aws_access_key_id="testing",
                              aws_secret_access_key="testing")
        client.create_repository(repositoryName=REPOSITORY)
        client.create_repository(repositoryName=OTHER_REPOSITORY)
        yield client


def push(ecr: Any, repository: str, manifest: dict[str, Any], tag: str | None = None) -> str:
    """Put the manifest into the repository under its own digest; the digest."""
    body = json.dumps(manifest)
    digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    ecr.put_image(repositoryName=repository, imageManifest=body, imageDigest=digest,
                  imageManifestMediaType=manifest["mediaType"],
                  **({"imageTag": tag} if tag else {}))
    return digest


def image_manifest(n: int) -> dict[str, Any]:
    return {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": f"sha256:{n:064x}", "size": 10},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": f"sha256:{n + 1000:064x}", "size": 1000 * n}]}


def index_manifest(children: list[str]) -> dict[str, Any]:
    return {"schemaVersion": 2, "mediaType": OCI_INDEX,
            "manifests": [{"mediaType": OCI_MANIFEST, "digest": child, "size": 400,
                           "platform": {"architecture": arch, "os": "linux"}}
                          for child, arch in zip(children, ("amd64", "arm64"), strict=False)]}


def tagged(store: MemoryStore, namespace: str, digests: list[str], name: str = "app") -> None:
    """A stream `name` in `namespace` whose tag latest moved through `digests`, oldest
    first."""
    tag, writes = pushed(TagRecord(name="latest", incarnation="i1"), *(
        TagEvent(created=T0 + timedelta(seconds=n), image=digest, generation=1,
                 docker_image_reference=f"registry.test/{namespace}/app@{digest}")
        for n, digest in enumerate(digests)))
    create(store, stream(name, namespace), put_tags=[tag], history=writes)


def digests_in(ecr: Any, repository: str) -> set[str]:
    return {detail["imageDigest"]
            for detail in ecr.describe_images(repositoryName=repository)["imageDetails"]}


def sizes(ecr: Any, repository: str) -> dict[str, int]:
    return {detail["imageDigest"]: detail.get("imageSizeInBytes", 0)
            for detail in ecr.describe_images(repositoryName=repository)["imageDetails"]}


class Cluster:
    """Two streams and their repositories: team/app's head is an image index (its two
    children untagged beside it), its older event an image the run cuts; a loose image no
    stream names; other/app's only image."""

    def __init__(self, ecr: Any) -> None:
        self.ecr = ecr
        self.store = MemoryStore()
        self.amd64, self.arm64 = (push(ecr, REPOSITORY, image_manifest(n)) for n in (1, 2))
        self.index = push(ecr, REPOSITORY, index_manifest([self.amd64, self.arm64]), "v2")
        self.old = push(ecr, REPOSITORY, image_manifest(3), "v1")
        self.loose = push(ecr, REPOSITORY, image_manifest(4))
        self.other = push(ecr, OTHER_REPOSITORY, image_manifest(5), "latest")
        tagged(self.store, "team", [self.old, self.index])
        tagged(self.store, "other", [self.other])
        self.sizes = sizes(ecr, REPOSITORY)

    def prune(self, **spec: Any) -> ImagePruneRun:
        # moto stamps pushes with the clock: a run an hour and more later finds them old
        later = datetime.now(UTC) + timedelta(hours=2)
        service = pruning(self.store, MemoryPruneRuns(), EcrPrune(self.ecr), later, PREFIX)
        name = service.start(SERVICE, ImagePruneRunSpec.model_validate(spec)).metadata.name
        run_to_end(service, name or "")
        return service.get(name or "")


def test_a_real_run_deletes_only_unreferenced_images(ecr: Any) -> None:
    cluster = Cluster(ecr)
    run = cluster.prune(keepTagRevisions=1, dryRun=False, pruneRegistry=True)
    assert run.status is not None and run.status.phase == "Succeeded"
    assert digests_in(ecr, REPOSITORY) == {cluster.index, cluster.amd64, cluster.arm64}
    assert digests_in(ecr, OTHER_REPOSITORY) == {cluster.other}
    assert run.status.removed.registry_images == 2
    assert run.status.removed.registry_bytes == (cluster.sizes[cluster.old]
                                                 + cluster.sizes[cluster.loose])
    assert run.status.scanned.registry_images == 6


def test_a_dry_run_counts_registry_images_and_deletes_none(ecr: Any) -> None:
    cluster = Cluster(ecr)
    before = digests_in(ecr, REPOSITORY)
    run = cluster.prune(keepTagRevisions=1, pruneRegistry=True)
    assert run.status is not None and run.status.removed.registry_images == 2
    assert run.status.removed.registry_bytes == (cluster.sizes[cluster.old]
                                                 + cluster.sizes[cluster.loose])
    assert digests_in(ecr, REPOSITORY) == before


def test_a_run_limited_to_namespaces_leaves_other_repositories(ecr: Any) -> None:
    cluster = Cluster(ecr)
    loose_elsewhere = push(ecr, OTHER_REPOSITORY, image_manifest(6))
    run = cluster.prune(keepTagRevisions=1, dryRun=False, pruneRegistry=True,
                        namespaces=["other"])
    assert run.status is not None and run.status.removed.registry_images == 1
    assert digests_in(ecr, OTHER_REPOSITORY) == {cluster.other}
    assert loose_elsewhere not in digests_in(ecr, OTHER_REPOSITORY)
    assert cluster.loose in digests_in(ecr, REPOSITORY)  # team is not in the run's namespaces
    assert "cluster-scoped" in (run.status.message or "")


def test_without_pruneregistry_or_an_ecr_registry_nothing_is_deleted(ecr: Any) -> None:
    cluster = Cluster(ecr)
    before = digests_in(ecr, REPOSITORY)
    run = cluster.prune(keepTagRevisions=1, dryRun=False)
    assert run.status is not None and run.status.removed.registry_images == 0
    assert digests_in(ecr, REPOSITORY) == before
    service = pruning(cluster.store, MemoryPruneRuns())  # no registry configured
    name = service.start(SERVICE, ImagePruneRunSpec(prune_registry=True)).metadata.name or ""
    run_to_end(service, name)
    status = service.get(name).status
    assert status is not None and status.phase == "Succeeded"
    assert "no ECR registry" in (status.message or "")


def test_history_a_run_leaves_whole_keeps_its_images_in_use(ecr: Any) -> None:
    """A run limited to namespace other leaves team's history whole: an image only team's
    oldest event names stays in other's repository."""
    cluster = Cluster(ecr)
    shared = push(ecr, OTHER_REPOSITORY, image_manifest(7))
    tagged(cluster.store, "team", [shared, *(push(ecr, REPOSITORY, image_manifest(n))
                                             for n in (8, 9, 10, 11))], name="lib")
    run = cluster.prune(keepTagRevisions=1, dryRun=False, pruneRegistry=True,
                        namespaces=["other"])
    assert run.status is not None and run.status.removed.registry_images == 0
    assert run.status.removed.history_events == 0
    assert shared in digests_in(ecr, OTHER_REPOSITORY)
