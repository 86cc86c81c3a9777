"""Creating the ECR repository that backs a new image stream."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import ServiceUnavailable
from ..domain.pushes import repository_of_stream


class EcrRepositories:
    def __init__(self, client: Any, prefix: str = "", scan_on_push: bool = True,
                 tag_mutability: str = "MUTABLE"):
        self.client = client
        self.prefix = prefix
        self.scan_on_push = scan_on_push
        self.tag_mutability = tag_mutability

    def ensure(self, namespace: str, stream: str) -> None:
        """Create `<prefix><namespace>/<stream>` unless it exists (idempotent)."""
        try:
            self.client.create_repository(
                repositoryName=repository_of_stream(namespace, stream, self.prefix),
                imageScanningConfiguration={"scanOnPush": self.scan_on_push},
                imageTagMutability=self.tag_mutability,
                tags=[{"Key": "imagestreams.dev/stream", "Value": f"{namespace}/{stream}"}])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "RepositoryAlreadyExistsException":
                raise ServiceUnavailable(f"creating the ECR repository failed: "
                                         f"{exc.response['Error']['Code']}") from exc
        except BotoCoreError as exc:
            # Not the exception's text: it names the endpoint URL, which callers need not see.
            raise ServiceUnavailable("creating the ECR repository failed: ECR is unreachable; "
                                     "retry shortly") from exc
