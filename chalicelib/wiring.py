"""Builds the services once per process, from the environment, lazily."""
from __future__ import annotations

import os
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .services.import_settings import ImportSettings

if TYPE_CHECKING:  # each service is imported when first built: a route loads what it uses
    from .adapters.ecr_repositories import EcrRepositories
    from .domain.imports import ImportContext
    from .services.access import AccessService
    from .services.ecr_pushes import EcrPushes
    from .services.images import ImageService
    from .services.imports import NamespaceImporter, RegistryImports
    from .services.ports import (
        BindingStore,
        ChangeLog,
        PrunableRegistry,
        PruneRuns,
        Publisher,
        PublishLedger,
        ReconcilePosition,
        SecretStore,
        StreamStore,
        Subscriptions,
        TokenStore,
        TriggerStore,
    )
    from .services.pruning import PruneService
    from .services.pushes import PushService
    from .services.registry_tokens import RegistryTokens
    from .services.registry_webhook import RegistryNotifications
    from .services.scheduler import Scheduler
    from .services.secrets import SecretService
    from .services.stream_imports import StreamImportService
    from .services.stream_tags import StreamTagService
    from .services.streams import StreamService
    from .services.triggers import TriggerService
    from .services.watches import Watches


class Services:
    """The use cases over one set of adapters; routes receive this, tests build their own."""

    def __init__(self, store: StreamStore, registry: str = "",
                 trigger_store: Callable[[], TriggerStore] | None = None,
                 subscriptions: Callable[[], Subscriptions] | None = None,
                 secret_store: Callable[[], SecretStore] | None = None,
                 import_settings: ImportSettings | None = None,
                 token_store: TokenStore | None = None,
                 binding_store: BindingStore | None = None,
                 publish_ledger: PublishLedger | None = None,
                 change_log: ChangeLog | None = None,
                 webhook_secret: Callable[[], str] | None = None,
                 reconcile_position: ReconcilePosition | None = None,
                 prune_runs: Callable[[], PruneRuns] | None = None,
                 prune_registry: Callable[[], PrunableRegistry | None] | None = None):
        """`trigger_store`, `secret_store` and `prune_runs` build their store when a route
        first needs it (few do, and each loads its adapter's modules), one in memory when
        not given; `publish_ledger` and `change_log` default to ones in memory;
        `import_settings` to the environment's. `webhook_secret` gives the integrated
        registry's shared secret when a notification needs it (none: all are refused);
        `reconcile_position` keeps where the ECR reconcile pass stopped (in memory if not
        given); `prune_runs` keeps image prune runs, and
        `prune_registry` gives the registry they prune (ECR, when INTEGRATED_REGISTRY is)."""
        self.store = store
        self.registry = registry
        self._trigger_store = trigger_store
        self.subscriptions = subscriptions or _sns_subscriptions
        self._secret_store = secret_store
        self.import_settings = import_settings or ImportSettings.from_env()
        self.token_store = token_store
        self.binding_store = binding_store
        self._publish_ledger = publish_ledger
        self._change_log = change_log
        self._webhook_secret = webhook_secret or (lambda: "")
        self._reconcile_position = reconcile_position
        self._prune_runs = prune_runs
        self._prune_registry = prune_registry or self._ecr_to_prune

    @property
    def webhook_secret(self) -> str:
        """The secret the integrated registry's notifications carry ("": all refused)."""
        return self._webhook_secret()

    @webhook_secret.setter
    def webhook_secret(self, value: str) -> None:
        self._webhook_secret = lambda: value

    @cached_property
    def streams(self) -> StreamService:
        from .services.streams import StreamService
        return StreamService(self.store, self.registry, importer=_FirstUseImporter(self),
                             repositories=_ecr_repositories(self.registry))

    @cached_property
    def tags(self) -> StreamTagService:
        from .services.stream_tags import StreamTagService
        return StreamTagService(self.store, self.registry, importer=_FirstUseImporter(self))

    @cached_property
    def secrets(self) -> SecretService:
        from .services.secrets import SecretService
        if self._secret_store is None:
            from .adapters.memory_secrets import MemorySecrets
            return SecretService(MemorySecrets())
        return SecretService(self._secret_store())

    @cached_property
    def registries(self) -> RegistryImports:
        """Registry clients and their request counter, shared by everything that imports."""
        from .services.imports import RegistryImports
        tokens = self.registry_tokens
        return RegistryImports(self.store, self.import_settings,
                               own_tokens=tokens.own_read_token if tokens else None)

    @cached_property
    def importer(self) -> NamespaceImporter:
        from .services.imports import NamespaceImporter
        return NamespaceImporter(self.registries, self.secrets)

    @cached_property
    def stream_imports(self) -> StreamImportService:
        from .services.stream_imports import StreamImportService
        return StreamImportService(self.store, self.importer, self.registry)

    @cached_property
    def scheduler(self) -> Scheduler:
        from .services.scheduler import Scheduler
        # Another namespace's stream in the integrated registry is re-imported only while
        # whoever set the source may pull from that namespace.
        return Scheduler(self.store, self.registries, self.secrets, registry=self.registry,
                         may_pull=lambda subject, namespace: self.access.may_pull_from(
                             subject, namespace))

    @cached_property
    def access(self) -> AccessService:
        """Tokens and role bindings; in memory unless stores are given (tests, `memory`)."""
        from .adapters.memory_access import MemoryBindingStore, MemoryTokenStore
        from .services.access import AccessService
        return AccessService(self.token_store or MemoryTokenStore(),
                             self.binding_store or MemoryBindingStore())

    @cached_property
    def registry_tokens(self) -> RegistryTokens | None:
        """Tokens for the integrated registry, signed with the key REGISTRY_TOKEN_KEY_FILE
        names (`make run` sets it); None without one: in AWS, ECR authenticates with IAM."""
        key_file = os.environ.get("REGISTRY_TOKEN_KEY_FILE", "")
        if not key_file or not self.registry:
            return None
        from pathlib import Path

        from .adapters.registry_token_key import PemSigningKey
        from .services.registry_tokens import RegistryTokens
        return RegistryTokens(self.access, PemSigningKey(Path(key_file)), self.registry)

    @cached_property
    def pushes(self) -> PushService:
        from .services.pushes import PushService
        return PushService(self.store, self.streams, self.tags)

    @cached_property
    def registry_notifications(self) -> RegistryNotifications:
        """Pushes announced by the integrated registry (INTEGRATED_REGISTRY, host[:port])."""
        from .registry import anonymous
        from .services.registry_webhook import RegistryNotifications
        host, _ = _registry_parts(self.registry)
        insecure = os.environ.get("INTEGRATED_REGISTRY_INSECURE", "").lower() == "true"
        return RegistryNotifications(lambda: self.registries.client("integrated", anonymous),
                                     host, self.pushes, insecure)

    @cached_property
    def ecr_pushes(self) -> EcrPushes:
        """ECR pushes; INTEGRATED_REGISTRY is
        `<account>.dkr.ecr.<region>.amazonaws.com[/prefix]`."""
        from .adapters.ecr_images import EcrImages
        from .services.ecr_pushes import EcrPushes
        host, prefix = _registry_parts(self.registry)
        return EcrPushes(EcrImages(_aws_client("ecr")), self.pushes, self.store, host, prefix,
                         self._reconcile_position)

    @cached_property
    def publish_ledger(self) -> PublishLedger:
        """The tag-change messages published already, so a redelivered record is not."""
        if self._publish_ledger is not None:
            return self._publish_ledger
        from .adapters.memory_publish_ledger import MemoryPublishLedger
        return MemoryPublishLedger()

    @cached_property
    def changes(self) -> ChangeLog:
        """Each namespace's changes, which watches read and the table's stream feeds."""
        if self._change_log is not None:
            return self._change_log
        from .adapters.memory_change_log import MemoryChangeLog
        return MemoryChangeLog()

    @cached_property
    def watches(self) -> Watches:
        from .services.watches import Watches
        return Watches(self.changes)

    @cached_property
    def pruning(self) -> PruneService:
        from .services.pruning import PruneService
        if self._prune_runs is None:
            from .adapters.memory_prune_runs import MemoryPruneRuns
            runs: PruneRuns = MemoryPruneRuns()
        else:
            runs = self._prune_runs()
        return PruneService(self.store, runs, self._prune_registry(),
                            _registry_parts(self.registry)[1])

    def _ecr_to_prune(self) -> PrunableRegistry | None:
        """The streams' ECR repositories, when the integrated registry is ECR."""
        if ".dkr.ecr." not in _registry_parts(self.registry)[0]:
            return None
        from .adapters.ecr_prune import EcrPrune
        return EcrPrune(_aws_client("ecr"))

    @cached_property
    def images(self) -> ImageService:
        from .services.images import ImageService
        return ImageService(self.store)

    @cached_property
    def triggers(self) -> TriggerService:
        from .services.triggers import TriggerService
        if self._trigger_store is None:
            from .adapters.memory_triggers import MemoryTriggerStore
            return TriggerService(self.store, MemoryTriggerStore(), self.subscriptions)
        return TriggerService(self.store, self._trigger_store(), self.subscriptions)


class _FirstUseImporter:
    """The services' Importer port: the NamespaceImporter, built on the first import of a
    write (reads never import, and building it loads the registry client)."""

    def __init__(self, services: Services):
        self._services = services

    def context(self, namespace: str) -> ImportContext:
        return self._services.importer.context(namespace)


_current: Services | None = None
_publisher: Publisher | None = None


# Every AWS call gives up within seconds when AWS cannot be reached, so the caller gets a
# 503 well inside the API's 28-second Lambda. botocore's defaults wait 60 s to connect and
# 60 s for a reply, and DynamoDB's legacy retries make 10 attempts with waits adding up to
# 25 s. Here: one retry after a wait of up to a second (standard mode), unless
# AWS_MAX_ATTEMPTS, the SDKs' own setting, says otherwise. A TransactWriteItems whose reply
# was lost is retried with the same ClientRequestToken, so DynamoDB does not apply it twice.
AWS_CONNECT_SECONDS = 2
AWS_READ_SECONDS = 5
AWS_ATTEMPTS = 2


_aws_session: Any = None


def _aws_client(service: str) -> Any:
    """A client of `service`, from one botocore session built on first use. Not boto3's
    client: boto3 adds its resource layer and S3 transfers, which no handler uses, and
    importing them is about a tenth of a second of every cold start (docs/benchmarks.md)."""
    global _aws_session
    import botocore.session
    from botocore.config import Config
    if _aws_session is None:
        _aws_session = botocore.session.get_session()
    attempts = int(os.environ.get("AWS_MAX_ATTEMPTS", AWS_ATTEMPTS))
    return _aws_session.create_client(service, config=Config(
        connect_timeout=AWS_CONNECT_SECONDS, read_timeout=AWS_READ_SECONDS,
        retries={"mode": "standard", "total_max_attempts": attempts}))


def _registry_parts(registry: str) -> tuple[str, str]:
    """INTEGRATED_REGISTRY `host[:port][/prefix]` as (host, repository prefix with its `/`)."""
    host, _, prefix = registry.partition("/")
    return host, f"{prefix}/" if prefix else ""


def _ecr_repositories(registry: str) -> EcrRepositories | None:
    """ECR_CREATE_REPOSITORIES=true: each new stream gets its ECR repository, with a policy
    for the principals ECR_REPOSITORY_PUSHERS and ECR_REPOSITORY_PULLERS give its namespace
    (a bad entry is a ValueError here, before any repository is touched)."""
    if os.environ.get("ECR_CREATE_REPOSITORIES", "").lower() != "true":
        return None
    from .adapters.ecr_repositories import EcrRepositories, PrincipalsByPrefix

    def principals(setting: str) -> PrincipalsByPrefix:
        return PrincipalsByPrefix.parse(os.environ.get(setting, ""), setting)

    return EcrRepositories(_aws_client("ecr"), _registry_parts(registry)[1],
                           os.environ.get("ECR_SCAN_ON_PUSH", "true").lower() == "true",
                           os.environ.get("ECR_TAG_MUTABILITY", "MUTABLE"),
                           principals("ECR_REPOSITORY_PUSHERS"),
                           principals("ECR_REPOSITORY_PULLERS"))


def _sns_subscriptions() -> Subscriptions:
    from .adapters.sns_subscriptions import SnsSubscriptions
    return SnsSubscriptions(_aws_client("sns"), os.environ["TOPIC_ARN"])


def _from_environment() -> Services:
    registry = os.environ.get("INTEGRATED_REGISTRY", "")
    if os.environ.get("IMAGESTREAMS_STORE") == "memory":
        from .adapters.memory_store import MemoryStore
        return Services(MemoryStore(), registry)
    from .adapters.dynamodb_access import DynamoBindingStore, DynamoTokenStore
    from .adapters.dynamodb_change_log import DynamoChangeLog
    from .adapters.dynamodb_publish_ledger import DynamoPublishLedger
    from .adapters.dynamodb_reconcile_position import DynamoReconcilePosition
    from .adapters.dynamodb_store import DynamoStore
    client, table = _aws_client("dynamodb"), os.environ["TABLE_NAME"]

    def trigger_store() -> TriggerStore:
        from .adapters.dynamodb_triggers import DynamoTriggerStore
        return DynamoTriggerStore(client, table)

    def secret_store() -> SecretStore:
        from .adapters.secrets_manager import SecretsManagerSecrets
        return SecretsManagerSecrets(lambda: _aws_client("secretsmanager"),
                                     os.environ.get("SECRETS_PREFIX", "imagestreams/"))

    def prune_runs() -> PruneRuns:
        from .adapters.dynamodb_prune_runs import DynamoPruneRuns
        return DynamoPruneRuns(client, table)

    # Only the API function is given the webhook secret's ARN (and may read that secret);
    # it is read on the first notification, not at start: most containers never need it.
    webhook_secret_arn = os.environ.get("REGISTRY_WEBHOOK_SECRET_ARN", "")
    webhook_secret = None
    if webhook_secret_arn:
        from .adapters.secrets_manager import SharedSecret
        webhook_secret = SharedSecret(lambda: _aws_client("secretsmanager"), webhook_secret_arn)
    return Services(DynamoStore(client, table), registry, trigger_store,
                    secret_store=secret_store, token_store=DynamoTokenStore(client, table),
                    binding_store=DynamoBindingStore(client, table),
                    publish_ledger=DynamoPublishLedger(client, table),
                    change_log=DynamoChangeLog(client, table), webhook_secret=webhook_secret,
                    reconcile_position=DynamoReconcilePosition(client, table),
                    prune_runs=prune_runs)


def services() -> Services:
    global _current
    if _current is None:
        _current = _from_environment()
    return _current


def use(replacement: Services | None) -> None:
    """Install services built elsewhere (tests, the local stack); None rebuilds from env."""
    global _current
    _current = replacement


def publisher() -> Publisher:
    """The SNS publisher of tag changes (TOPIC_ARN; TOPIC_FIFO=true for a FIFO topic)."""
    global _publisher
    if _publisher is None:
        from .adapters.sns_publisher import SnsPublisher
        _publisher = SnsPublisher(_aws_client("sns"), os.environ["TOPIC_ARN"],
                                  fifo=os.environ.get("TOPIC_FIFO", "").lower() == "true")
    return _publisher


def use_publisher(replacement: Publisher | None) -> None:
    global _publisher
    _publisher = replacement
