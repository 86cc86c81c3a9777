"""Reading pushed images out of Amazon ECR."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import ServiceUnavailable
from ..registry.manifests import ACCEPT

MAX_CONFIG_BYTES = 8 * 1024 * 1024
MEDIA_TYPES = [media_type.strip() for media_type in ACCEPT.split(",")]


@dataclass(frozen=True)
class TaggedImage:
    tag: str
    digest: str
    pushed_at: datetime


class EcrUnavailable(ServiceUnavailable):
    """ECR or the blob download failed; the event is retried by its source."""


class EcrImages:
    def __init__(self, client: Any, session: requests.Session | None = None,
                 timeout: float = 20.0):
        self.client = client
        self.session = session or requests.Session()
        self.session.trust_env = False  # the download URL is presigned; no proxy or netrc
        self.timeout = timeout

    def registry_host(self, registry_id: str, region: str) -> str:
        return f"{registry_id}.dkr.ecr.{region}.amazonaws.com"

    def manifest(self, repository: str, digest: str) -> tuple[bytes, str]:
        """The manifest body and its media type."""
        reply = self._call("batch_get_image", repositoryName=repository,
                           imageIds=[{"imageDigest": digest}], acceptedMediaTypes=MEDIA_TYPES)
        if not reply.get("images"):
            failures = "; ".join(f.get("failureReason", "") for f in reply.get("failures", []))
            raise EcrUnavailable(f"ECR has no manifest {digest} in {repository}: {failures}")
        image = reply["images"][0]
        body = image["imageManifest"].encode()
        return body, image.get("imageManifestMediaType", "")

    def blob(self, repository: str, digest: str) -> bytes:
        """A blob (the image config) through its presigned download URL, size-bounded."""
        url = self._call("get_download_url_for_layer", repositoryName=repository,
                         layerDigest=digest)["downloadUrl"]
        try:
            with self.session.get(url, timeout=self.timeout, stream=True) as reply:
                reply.raise_for_status()
                body = b""
                for chunk in reply.iter_content(65536):
                    body += chunk
                    if len(body) > MAX_CONFIG_BYTES:
                        raise EcrUnavailable(f"blob {digest} of {repository} is larger than "
                                             f"{MAX_CONFIG_BYTES} bytes")
                return body
        except requests.RequestException as exc:
            raise EcrUnavailable(f"downloading blob {digest} of {repository} failed: "
                                 f"{type(exc).__name__}") from exc

    def tag_digest(self, repository: str, tag: str) -> str | None:
        """The digest the repository's tag points at now, or None if the tag is gone."""
        try:
            reply = self.client.describe_images(repositoryName=repository,
                                                imageIds=[{"imageTag": tag}])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ImageNotFoundException":
                return None
            raise EcrUnavailable(f"ECR describe_images failed: {exc}") from exc
        details = reply.get("imageDetails", [])
        return details[0]["imageDigest"] if details else None

    def tagged_images(self, repository: str) -> Iterator[TaggedImage]:
        pages = self._paginate("describe_images", "imageDetails", repositoryName=repository,
                               filter={"tagStatus": "TAGGED"})
        for detail in pages:
            for tag in detail.get("imageTags", []):
                yield TaggedImage(tag, detail["imageDigest"], detail["imagePushedAt"])

    def repositories(self, prefix: str) -> Iterator[str]:
        for repository in self._paginate("describe_repositories", "repositories"):
            if repository["repositoryName"].startswith(prefix):
                yield repository["repositoryName"]

    def _paginate(self, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        try:
            for page in self.client.get_paginator(operation).paginate(**kwargs):
                yield from page.get(key, [])
        except (BotoCoreError, ClientError) as exc:
            raise EcrUnavailable(f"ECR {operation} failed: {exc}") from exc

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return getattr(self.client, operation)(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise EcrUnavailable(f"ECR {operation} failed: {exc}") from exc
