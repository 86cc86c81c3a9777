"""make run's CA, server certificate and kubeconfig in the state directory."""
from __future__ import annotations

import base64
import datetime as dt
import ssl

import yaml
from cryptography import x509

from local.certificates import ensure_certificates
from local.kubeconfig import write_kubeconfig

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def _mode(path) -> int:
    return path.stat().st_mode & 0o777


def _certificate(path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_the_ca_is_made_once_and_the_keys_are_the_users_alone(tmp_path):
    files = ensure_certificates(tmp_path / "tls", NOW)
    made = {path.name: path.read_bytes() for path in (tmp_path / "tls").iterdir()}
    assert set(made) == {"ca.crt", "ca.key", "server.crt", "server.key"}
    assert _mode(tmp_path / "tls") == 0o700
    assert _mode(files.key) == _mode(tmp_path / "tls" / "ca.key") == 0o600
    assert _mode(files.certificate) == _mode(files.ca_certificate) == 0o644

    assert ensure_certificates(tmp_path / "tls", NOW + dt.timedelta(days=100)) == files
    assert {path.name: path.read_bytes() for path in (tmp_path / "tls").iterdir()} == made

    server = _certificate(files.certificate)
    server.verify_directly_issued_by(_certificate(files.ca_certificate))
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.certificate, files.key)  # the pair belongs together


def test_an_expiring_or_missing_server_certificate_is_made_again_under_the_same_ca(tmp_path):
    files = ensure_certificates(tmp_path, NOW)
    ca, first = files.ca_certificate.read_bytes(), files.certificate.read_bytes()
    later = NOW + dt.timedelta(days=340)  # within 30 days of the server certificate's end
    ensure_certificates(tmp_path, later)
    assert files.ca_certificate.read_bytes() == ca
    assert files.certificate.read_bytes() != first
    renewed = _certificate(files.certificate)
    assert renewed.not_valid_after_utc > later + dt.timedelta(days=300)
    renewed.verify_directly_issued_by(_certificate(files.ca_certificate))

    files.key.unlink()
    ensure_certificates(tmp_path, later)
    assert files.key.exists() and files.ca_certificate.read_bytes() == ca
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.certificate, files.key)


def test_a_lost_ca_key_means_a_new_ca_and_a_server_certificate_it_signed(tmp_path):
    files = ensure_certificates(tmp_path, NOW)
    old_ca = files.ca_certificate.read_bytes()
    (tmp_path / "ca.key").write_text("damaged")
    ensure_certificates(tmp_path, NOW)
    assert files.ca_certificate.read_bytes() != old_ca
    _certificate(files.certificate).verify_directly_issued_by(
        _certificate(files.ca_certificate))


def test_the_kubeconfig_trusts_the_ca_and_carries_the_token(tmp_path):
    files = ensure_certificates(tmp_path / "tls", NOW)
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, "https://127.0.0.1:8443", files.ca_certificate, "isk_token")
    assert _mode(path) == 0o600
    config = yaml.safe_load(path.read_text())
    assert config["current-context"] == "imagestreams"
    (context,) = config["contexts"]
    assert context == {"name": "imagestreams", "context": {
        "cluster": "imagestreams", "user": "imagestreams-admin", "namespace": "default"}}
    (cluster,) = config["clusters"]
    assert cluster["name"] == "imagestreams"
    assert cluster["cluster"]["server"] == "https://127.0.0.1:8443"
    assert base64.b64decode(cluster["cluster"]["certificate-authority-data"]) == \
        files.ca_certificate.read_bytes()
    assert config["users"] == [{"name": "imagestreams-admin", "user": {"token": "isk_token"}}]
