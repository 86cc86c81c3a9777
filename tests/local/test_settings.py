"""make run's settings and set-up messages."""
from __future__ import annotations

import pytest
import yaml

from local import registry
from local.settings import Settings


def test_ports_and_periods_come_from_the_environment(tmp_path):
    settings = Settings.from_environment({"API_PORT": "8080", "API_TLS_PORT": "8444",
                                          "AWS_PORT": "5001", "REGISTRY_PORT": "5051",
                                          "SCHEDULE_SECONDS": "2.5",
                                          "LOCAL_STATE_DIR": str(tmp_path)})
    assert (settings.api_url, settings.tls_api_url, settings.aws_url, settings.registry) == (
        "http://127.0.0.1:8080", "https://127.0.0.1:8444", "http://127.0.0.1:5001",
        "127.0.0.1:5051")
    assert settings.schedule_seconds == 2.5 and settings.state_dir == tmp_path
    assert settings.kubeconfig == tmp_path / "kubeconfig"
    assert Settings.from_environment({}).ports() == {"API_PORT": 8000, "API_TLS_PORT": 8443,
                                                     "AWS_PORT": 5000, "REGISTRY_PORT": 5050}
    with pytest.raises(SystemExit, match="API_PORT must be a number"):
        Settings.from_environment({"API_PORT": "eighty"})


def test_without_root_a_missing_registry_is_named_with_its_package(monkeypatch):
    monkeypatch.setattr(registry.shutil, "which", lambda name: None)
    monkeypatch.setattr(registry.os, "geteuid", lambda: 1000)
    with pytest.raises(SystemExit, match="apt-get install docker-registry"):
        registry.ensure_installed()


def test_the_registry_notifies_the_webhook_with_the_shared_secret(tmp_path):
    settings = Settings(api_port=8123, registry_port=5123, state_dir=tmp_path)
    config = yaml.safe_load(registry.configure(settings, "s3cret").read_text())
    endpoint, = config["notifications"]["endpoints"]
    assert endpoint["url"] == "http://127.0.0.1:8123/webhooks/registry"
    assert endpoint["headers"] == {"Authorization": ["Bearer s3cret"]}
    assert config["http"]["addr"] == "127.0.0.1:5123"
