"""The local stack's certificate authority and the API's server certificate.

kubectl (client-go) sends a bearer token only over TLS, so `make run` serves the API over
HTTPS as well, with a certificate for 127.0.0.1 and localhost. The CA is made once per
state directory and kept, so a kubeconfig or a `curl --cacert` that trusts it goes on
working across restarts; the server certificate is made again whenever it is missing,
close to its end, for other names, or not signed by that CA. Keys are readable by the user
alone.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .files import PUBLIC, write_file

CA_LIFETIME = dt.timedelta(days=3650)
SERVER_LIFETIME = dt.timedelta(days=365)
RENEW_BEFORE = dt.timedelta(days=30)  # an expiring certificate is replaced at a start
CLOCK_SKEW = dt.timedelta(hours=1)    # valid from a little before it was made
SERVER_NAMES = (x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")))


@dataclass(frozen=True)
class TlsFiles:
    """Where the PEM files are: the CA's certificate (to trust) and the server's pair."""

    ca_certificate: Path
    certificate: Path
    key: Path


@dataclass(frozen=True)
class _Authority:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def ensure_certificates(directory: Path, now: dt.datetime | None = None) -> TlsFiles:
    """The CA and a server certificate under `directory`, each made only when needed."""
    now = now or dt.datetime.now(dt.UTC)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = TlsFiles(directory / "ca.crt", directory / "server.crt", directory / "server.key")
    ca_key = directory / "ca.key"
    authority = _load_authority(files.ca_certificate, ca_key, now)
    if authority is None:
        authority = _new_authority(now)
        write_file(ca_key, _private_pem(authority.key))
        write_file(files.ca_certificate, _pem(authority.certificate), PUBLIC)
    if not _server_certificate_current(files, authority, now):
        key = ec.generate_private_key(ec.SECP256R1())
        write_file(files.key, _private_pem(key))
        write_file(files.certificate, _pem(_server_certificate(authority, key, now)), PUBLIC)
    return files


def _load_authority(certificate: Path, key: Path, now: dt.datetime) -> _Authority | None:
    try:
        ca_certificate = x509.load_pem_x509_certificate(certificate.read_bytes())
        ca_key = serialization.load_pem_private_key(key.read_bytes(), None)
    except (OSError, ValueError, TypeError):
        return None  # missing or damaged: a new CA
    if (not isinstance(ca_key, ec.EllipticCurvePrivateKey)
            or ca_key.public_key() != ca_certificate.public_key()
            or not _valid_long_enough(ca_certificate, now)):
        return None
    return _Authority(ca_certificate, ca_key)


def _server_certificate_current(files: TlsFiles, authority: _Authority,
                                now: dt.datetime) -> bool:
    try:
        certificate = x509.load_pem_x509_certificate(files.certificate.read_bytes())
        key = serialization.load_pem_private_key(files.key.read_bytes(), None)
        certificate.verify_directly_issued_by(authority.certificate)
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (OSError, ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    return (key.public_key() == certificate.public_key()
            and set(names.value) == set(SERVER_NAMES)
            and _valid_long_enough(certificate, now))


def _valid_long_enough(certificate: x509.Certificate, now: dt.datetime) -> bool:
    return certificate.not_valid_before_utc <= now < certificate.not_valid_after_utc - RENEW_BEFORE


def _new_authority(now: dt.datetime) -> _Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imagestreams local CA")])
    certificate = (
        _builder(name, name, key.public_key(), now, CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256()))
    return _Authority(certificate, key)


def _server_certificate(authority: _Authority, key: ec.EllipticCurvePrivateKey,
                        now: dt.datetime) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imagestreams local API")])
    authority_key = authority.certificate.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier).value
    return (
        _builder(name, authority.certificate.subject, key.public_key(), now, SERVER_LIFETIME)
        .add_extension(x509.SubjectAlternativeName(list(SERVER_NAMES)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False,
                                     crl_sign=False, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False,
                                     decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
            authority_key), critical=False)
        .sign(authority.key, hashes.SHA256()))


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
             now: dt.datetime, lifetime: dt.timedelta) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW).not_valid_after(now + lifetime))


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
