"""The registry fixtures themselves: loud failure without tools, stop and restart."""
from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.registry import ConnectionFailed, RegistryClient
from testbed.oci_layout import OciLayout
from testbed.registry import require_tools, start_registry
from tests.registry.conftest import FAST, LOOPBACK, Pushed


def test_missing_tools_fail_loudly_with_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(pytest.fail.Exception) as failure:
        require_tools()
    assert "apt-get install apache2-utils docker-registry skopeo" in str(failure.value)


def test_stopped_registry_is_a_connection_failure_until_restarted(
        tmp_path: Path, layout: OciLayout, pushed: Pushed) -> None:
    registry = start_registry(tmp_path / "registry", "plain")
    try:
        registry.push(layout, "single", "demo/app:1.0")
        client = RegistryClient(policy=LOOPBACK, settings=FAST)
        registry.stop()
        with pytest.raises(ConnectionFailed):
            client.resolve(f"{registry.host}/demo/app:1.0", insecure=True)
        registry.start()  # same port, same storage
        assert client.resolve(f"{registry.host}/demo/app:1.0", insecure=True) == pushed.single.digest
    finally:
        registry.close()
