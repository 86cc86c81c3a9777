"""Which image stream a registry repository feeds: `<prefix><namespace>/<stream>`."""
from __future__ import annotations

from .validation import names_valid


def stream_of_repository(repository: str, prefix: str = "") -> tuple[str, str] | None:
    """(namespace, stream) for a repository name, or None when it maps to no stream."""
    if not repository.startswith(prefix):
        return None
    parts = repository[len(prefix):].split("/")
    if len(parts) != 2:
        return None
    namespace, stream = parts
    return (namespace, stream) if names_valid(namespace, stream) else None


def repository_of_stream(namespace: str, stream: str, prefix: str = "") -> str:
    return f"{prefix}{namespace}/{stream}"
