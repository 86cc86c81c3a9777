"""How imports behave, from the IMPORT_* variables. Apart from the import code: app.py
reads the schedule's interval at start-up, which must not load the registry client."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..registry import ClientSettings


@dataclass(frozen=True)
class ImportSettings:
    """Configuration of imports; `from_env` reads the IMPORT_* variables."""

    allow_list: str = ""  # CIDRs and host:port an import may reach though not public
    interval: timedelta = timedelta(minutes=15)
    imports_per_minute: int = 60  # per registry host, scheduled imports of new digests
    max_repository_tags: int = 50
    host_concurrency: int = 4
    concurrency: int = 16
    request_seconds: float = 10.0  # one registry request, all redirects and the body
    api_seconds: float = 15.0  # what one API request may spend on registries

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ImportSettings:
        def count(name: str, default: int) -> int:
            text = environ.get(name) or str(default)
            if not text.isdigit() or int(text) < 1:
                raise ValueError(f"{name} must be a positive whole number, not {text!r}")
            return int(text)

        return cls(allow_list=environ.get("IMPORT_ALLOW_LIST", ""),
                   interval=timedelta(minutes=count("IMPORT_SCHEDULE_MINUTES", 15)),
                   imports_per_minute=count("IMPORT_RATE_PER_MINUTE", 60),
                   max_repository_tags=count("IMPORT_MAX_TAGS", 50),
                   host_concurrency=count("IMPORT_HOST_CONCURRENCY", 4))

    def client_settings(self) -> ClientSettings:
        from ..registry import ClientSettings
        return ClientSettings(connect_timeout=min(3.0, self.request_seconds),
                              read_timeout=self.request_seconds,
                              total_timeout=self.request_seconds)
