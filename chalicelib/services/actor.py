"""Who a write acts for, passed explicitly by every entry point to every use case that
writes a stream.

A request acts for its authenticated subject: its pull rights decide which other
namespaces its sources may read, and it is recorded as the author of the sources it sets
(a scheduled import acts for that author). The service's own entry points (the registry
webhook, ECR push events and their reconcile pass, the schedule) act as `SERVICE`: what
they handle was authorized where it came from (a push to the registry), and they set no
source from another namespace. `NOBODY`, the actor of a request before it is
authenticated, may read no other namespace. Nothing defaults to an actor.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..domain.errors import Forbidden
from ..domain.sources import integrated_namespace, read_namespace
from ..resources.stream import TagReference


@dataclass(frozen=True)
class Actor:
    """A subject ("" for the service itself) and whether it may pull from a namespace."""

    subject: str
    may_pull_from: Callable[[str], bool]

    def check_pull(self, namespace: str, field: str) -> None:
        """Forbidden unless this actor may pull from `namespace`; `field` is the source's."""
        if not self.may_pull_from(namespace):
            raise Forbidden(f'{field}: Forbidden: you may not pull images from namespace '
                            f'"{namespace}"')

    def check_spec_source(self, ref: TagReference, namespace: str, registry: str,
                          field: str) -> None:
        """Forbidden unless this actor may pull from the other namespace a spec tag of
        `namespace` reads (an ImageStreamTag, ImageStreamImage or integrated-registry
        DockerImage source); `field` is the spec tag's."""
        source = read_namespace(ref, namespace, registry)
        if source is not None:
            self.check_pull(source, f"{field}.from")

    def check_import_source(self, reference: str, namespace: str, registry: str,
                            field: str) -> None:
        """Forbidden unless this actor may pull from the other namespace whose stream an
        import of `reference` into `namespace` reads in the integrated registry."""
        source = integrated_namespace(reference, registry)
        if source is not None and source != namespace:
            self.check_pull(source, field)


def _any_namespace(namespace: str) -> bool:
    return True


def _no_namespace(namespace: str) -> bool:
    return False


SERVICE = Actor("", _any_namespace)
NOBODY = Actor("", _no_namespace)
