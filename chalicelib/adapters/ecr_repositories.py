"""Creating the ECR repository that backs a new image stream, and its repository policy."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import ServiceUnavailable
from ..domain.pushes import repository_of_stream

PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer")
PUSH_ACTIONS = (*PULL_ACTIONS, "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload", "ecr:PutImage")
# A namespace (and stream) name's characters, and an account or one of its roles or users:
# never `*`, which would open the repository to anyone. infra/service.json's AllowedPattern
# of the two parameters says the same (tests/pushes/test_ecr_repository_policy.py).
_PREFIX = re.compile(r"[a-z0-9][a-z0-9._/-]*")
_PRINCIPAL = re.compile(r"[0-9]{12}"
                        r"|arn:aws[a-z-]*:iam::[0-9]{12}:(root|(role|user)/[A-Za-z0-9_+=.@/-]+)")


@dataclass(frozen=True)
class PrincipalsByPrefix:
    """IAM principals per prefix of `<namespace>/<stream>`: `team-a/` is namespace team-a,
    `team-` every namespace whose name starts so."""

    entries: tuple[tuple[str, str], ...] = ()  # (prefix, principal), as configured

    @classmethod
    def parse(cls, text: str, setting: str) -> PrincipalsByPrefix:
        """`prefix=principal` entries separated by commas (a prefix repeats for several
        principals); ValueError naming `setting` and the first bad entry."""
        entries = []
        for entry in text.split(",") if text else []:
            prefix, equals, principal = entry.partition("=")
            if not (equals and _PREFIX.fullmatch(prefix) and _PRINCIPAL.fullmatch(principal)):
                raise ValueError(
                    f"{setting}: {entry!r} is not <namespace prefix>=<principal>, where the "
                    "prefix is a namespace name's start (team-a/) and the principal an "
                    "account id or the ARN of an account's root, a role or a user")
            entries.append((prefix, principal))
        return cls(tuple(entries))

    def of(self, repository: str) -> list[str]:
        """The principals of every prefix `repository` (`<namespace>/<stream>`) starts with."""
        return sorted({principal for prefix, principal in self.entries
                       if repository.startswith(prefix)})


def repository_policy(pushers: list[str], pullers: list[str]) -> dict[str, Any] | None:
    """The repository policy granting those principals push (and pull), or pull; None when
    it would name nobody."""
    grants = [("PushAndPullByTheNamespacesPushers", pushers, PUSH_ACTIONS),
              ("PullByTheNamespacesPullers", pullers, PULL_ACTIONS)]
    statements = [{"Sid": sid, "Effect": "Allow", "Principal": {"AWS": principals},
                   "Action": list(actions)} for sid, principals, actions in grants if principals]
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


NOBODY = PrincipalsByPrefix()


class EcrRepositories:
    def __init__(self, client: Any, prefix: str = "", scan_on_push: bool = True,
                 tag_mutability: str = "MUTABLE",
                 pushers: PrincipalsByPrefix = NOBODY, pullers: PrincipalsByPrefix = NOBODY):
        self.client = client
        self.prefix = prefix
        self.scan_on_push = scan_on_push
        self.tag_mutability = tag_mutability
        self.pushers = pushers
        self.pullers = pullers

    def ensure(self, namespace: str, stream: str) -> None:
        """Create `<prefix><namespace>/<stream>` unless it exists, and set its policy when
        the namespace has pushers or pullers (idempotent).

        The policy is set whether the repository was created now or existed already (left
        by a deleted stream, made before a first push, or by a try whose policy failed):
        a retry completes it, and a changed parameter reaches each stream created after.
        A repository whose namespace has no principals keeps whatever policy it has."""
        name = repository_of_stream(namespace, stream, self.prefix)
        self._call("creating the ECR repository", lambda: self.client.create_repository(
            repositoryName=name,
            imageScanningConfiguration={"scanOnPush": self.scan_on_push},
            imageTagMutability=self.tag_mutability,
            tags=[{"Key": "imagestreams.dev/stream", "Value": f"{namespace}/{stream}"}]),
            tolerated="RepositoryAlreadyExistsException")
        streams_repository = repository_of_stream(namespace, stream)
        policy = repository_policy(self.pushers.of(streams_repository),
                                   self.pullers.of(streams_repository))
        if policy is not None:
            self._call("setting the ECR repository's policy",
                       lambda: self.client.set_repository_policy(
                           repositoryName=name, policyText=json.dumps(policy)))

    @staticmethod
    def _call(doing: str, call: Callable[[], Any], tolerated: str = "") -> None:
        try:
            call()
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code != tolerated:
                raise ServiceUnavailable(f"{doing} failed: {code}") from exc
        except BotoCoreError as exc:
            # Not the exception's text: it names the endpoint URL, which callers need not see.
            raise ServiceUnavailable(f"{doing} failed: ECR is unreachable; "
                                     "retry shortly") from exc
