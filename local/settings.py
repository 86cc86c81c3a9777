"""What `make run` is told through its environment (the Makefile passes its variables)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # every service of the local stack listens on loopback only


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name) or str(default)
    try:
        return float(value)
    except ValueError:
        raise SystemExit(f"{name} must be a number, not {value!r}") from None


@dataclass(frozen=True)
class Settings:
    api_port: int = 8000
    api_tls_port: int = 8443  # the same API over HTTPS: client-go sends tokens only over TLS
    aws_port: int = 5000
    registry_port: int = 5050
    state_dir: Path = ROOT / ".local"
    region: str = "us-east-1"
    schedule_seconds: float = 30.0  # the EventBridge schedule's period, short for the demo
    snapshot_seconds: float = 60.0
    stack_name: str = "imagestreams-local"

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> Settings:
        return cls(api_port=int(_number(env, "API_PORT", cls.api_port)),
                   api_tls_port=int(_number(env, "API_TLS_PORT", cls.api_tls_port)),
                   aws_port=int(_number(env, "AWS_PORT", cls.aws_port)),
                   registry_port=int(_number(env, "REGISTRY_PORT", cls.registry_port)),
                   state_dir=Path(env.get("LOCAL_STATE_DIR") or cls.state_dir).resolve(),
                   schedule_seconds=_number(env, "SCHEDULE_SECONDS", cls.schedule_seconds),
                   snapshot_seconds=_number(env, "SNAPSHOT_SECONDS", cls.snapshot_seconds))

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def tls_api_url(self) -> str:
        return f"https://{HOST}:{self.api_tls_port}"

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    @property
    def aws_url(self) -> str:
        return f"http://{HOST}:{self.aws_port}"

    @property
    def registry(self) -> str:
        return f"{HOST}:{self.registry_port}"

    def ports(self) -> dict[str, int]:
        """Each port by the variable that sets it, for messages about busy ports."""
        return {"API_PORT": self.api_port, "API_TLS_PORT": self.api_tls_port,
                "AWS_PORT": self.aws_port, "REGISTRY_PORT": self.registry_port}

    def aws_environment(self) -> dict[str, str]:
        """What points boto3 at the emulator, and never at a real account."""
        return {"AWS_ENDPOINT_URL": self.aws_url, "AWS_DEFAULT_REGION": self.region,
                "AWS_REGION": self.region, "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local"}
