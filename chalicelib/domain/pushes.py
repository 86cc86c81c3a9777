"""Which image stream a registry repository feeds: `<prefix><namespace>/<stream>`."""
from __future__ import annotations

from typing import Optional

from .validation import validate_namespace, validate_stream_name


def stream_of_repository(repository: str, prefix: str = "") -> Optional[tuple[str, str]]:
    """(namespace, stream) for a repository name, or None when it maps to no stream."""
    if not repository.startswith(prefix):
        return None
    parts = repository[len(prefix):].split("/")
    if len(parts) != 2:
        return None
    namespace, stream = parts
    if validate_namespace(namespace) or validate_stream_name(stream, namespace):
        return None
    return namespace, stream


def repository_of_stream(namespace: str, stream: str, prefix: str = "") -> str:
    return f"{prefix}{namespace}/{stream}"
