"""What an image prune does in ECR: page through a repository's images, read the manifests
its image indexes list, delete images. Failures are EcrUnavailable (a step to do again)."""
from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..services.ports import RegistryImage
from .ecr_images import MEDIA_TYPES, EcrUnavailable

PAGE = 100  # DescribeImages' and BatchDeleteImage's most per request
MISSING = ("RepositoryNotFoundException", "ImageNotFoundException")


class EcrPrune:
    def __init__(self, client: Any) -> None:
        """`client` is an ECR client (botocore's), created once per process by the caller."""
        self._client = client

    def images_page(self, repository: str, token: str | None
                    ) -> tuple[list[RegistryImage], str | None]:
        params: dict[str, Any] = {"repositoryName": repository, "maxResults": PAGE}
        if token:
            params["nextToken"] = token
        try:
            reply = self._client.describe_images(**params)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING:
                return [], None
            raise EcrUnavailable(f"ECR describe_images of {repository} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise EcrUnavailable(f"ECR describe_images of {repository} failed: {exc}") from exc
        found = [RegistryImage(detail["imageDigest"], detail["imagePushedAt"],
                               int(detail.get("imageSizeInBytes", 0)),
                               detail.get("imageManifestMediaType", ""))
                 for detail in reply.get("imageDetails", [])]
        return found, reply.get("nextToken")

    def index_children(self, repository: str, digests: list[str]) -> set[str]:
        children: set[str] = set()
        for start in range(0, len(digests), PAGE):
            reply = self._call("batch_get_image", repositoryName=repository,
                               imageIds=[{"imageDigest": d} for d in digests[start:start + PAGE]],
                               acceptedMediaTypes=MEDIA_TYPES)
            for image in reply.get("images", []):
                document = json.loads(image.get("imageManifest") or "{}")
                children |= {entry["digest"] for entry in document.get("manifests", [])
                             if isinstance(entry, dict) and "digest" in entry}
        return children

    def delete(self, repository: str, digests: list[str]) -> set[str]:
        gone: set[str] = set()
        for start in range(0, len(digests), PAGE):
            batch = digests[start:start + PAGE]
            reply = self._call("batch_delete_image", repositoryName=repository,
                               imageIds=[{"imageDigest": digest} for digest in batch])
            # Each image asked for is deleted or a failure; one not found was gone before
            # (a step done again after its delete). An untagged image's delete lists no id.
            kept = {failure.get("imageId", {}).get("imageDigest")
                    for failure in reply.get("failures", [])
                    if failure.get("failureCode") != "ImageNotFound"}
            gone |= set(batch) - kept
        return gone

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return getattr(self._client, operation)(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING:
                return {}
            raise EcrUnavailable(f"ECR {operation} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise EcrUnavailable(f"ECR {operation} failed: {exc}") from exc
