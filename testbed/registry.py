"""Real registries for tests: Debian's docker-registry on loopback, images pushed by skopeo.

Use from any test package by importing the fixtures into its conftest.py:

    from testbed.registry import plain_registry, basic_registry, token_registry  # noqa: F401

Each fixture is session scoped (one registry process per flavour) and yields a
RegistryServer: `.host` is `127.0.0.1:<port>`, `.users` the accepted credentials,
`.push(layout, tag, "repo:tag")` pushes an image built with OciLayout. `.stop()` and
`.start()` restart it on the same port and storage (for "registry down" tests). Outside
pytest, `start_registry(directory, flavour)` does the same.
"""
from __future__ import annotations

import base64
import ctypes
import datetime as dt
import ipaddress
import json
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from testbed.oci_layout import OciLayout

TOOLS = {"docker-registry": "docker-registry", "skopeo": "skopeo", "htpasswd": "apache2-utils"}
SERVICE, ISSUER = "imagestreams-test-registry", "imagestreams-test-token-issuer"


def require_tools() -> None:
    """Fail loudly (never skip) when a tool the registry tests need is missing."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        packages = " ".join(sorted({TOOLS[tool] for tool in missing}))
        pytest.fail(f"registry tests need {', '.join(missing)}: apt-get install {packages} "
                    f"(scripts/setup-system installs them)", pytrace=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class KeyPair:
    """A self-signed certificate for localhost/127.0.0.1 and its RSA key, written as PEM files."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    key_path: Path
    cert_path: Path


def make_keypair(directory: Path, name: str) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"imagestreams test {name}")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return KeyPair(key, cert, key_path, cert_path)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """The registry token flow's issuer: RS256 JWTs with the signing cert in `x5c`.

    Known users get the actions they ask for; anonymous requests get a token with no
    access (so the registry answers 401 again); wrong passwords get 401. Every request
    that gets a token is recorded in `requests` as {"user", "service", "scopes", "token"}.
    """

    def __init__(self, keypair: KeyPair, users: dict[str, str], lifetime: int = 300):
        self.keypair, self.users, self.lifetime = keypair, users, lifetime
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                status, body = server._answer(self.path, self.headers.get("Authorization", ""))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/token"
        threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True).start()

    def _answer(self, path: str, authorization: str) -> tuple[int, dict]:
        query = parse_qs(urlsplit(path).query)
        user = None
        if authorization.startswith("Basic "):
            name, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
            if self.users.get(name) != password:
                return 401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}
            user = name
        scopes = query.get("scope", [])
        access = []
        for scope in scopes if user else []:
            kind, name, actions = scope.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": user or "", "aud": SERVICE, "iat": now, "nbf": now - 10,
                  "exp": now + self.lifetime, "jti": secrets.token_hex(8), "access": access}
        cert = base64.b64encode(self.keypair.cert.public_bytes(serialization.Encoding.DER)).decode()
        header = {"alg": "RS256", "typ": "JWT", "x5c": [cert]}
        encoded = (_b64url(json.dumps(part).encode()) for part in (header, claims))
        signing_input = ".".join(encoded)
        signature = self.keypair.key.sign(signing_input.encode(), padding.PKCS1v15(),
                                          hashes.SHA256())
        token = f"{signing_input}.{_b64url(signature)}"
        self.requests.append({"user": user, "service": query.get("service", [""])[0],
                              "scopes": scopes, "token": token})
        return 200, {"token": token, "access_token": token, "expires_in": self.lifetime}

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


@dataclass
class RegistryServer:
    """One docker-registry process; `flavour` is plain, basic, token or tls."""

    directory: Path
    flavour: str
    users: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    keypair: KeyPair | None = None
    token_server: TokenServer | None = None
    notifications: dict | None = None  # the registry's `notifications` configuration
    _process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def credentials(self) -> tuple[str, str] | None:
        return next(iter(self.users.items()), None)

    def configure(self) -> Path:
        config: dict = {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(self.directory / "storage")},
                        "delete": {"enabled": True}},
            "http": {"addr": self.host, "secret": secrets.token_hex(16)},
        }
        if self.flavour == "basic":
            lines = [subprocess.run(["htpasswd", "-Bbn", user, password], check=True,
                                    capture_output=True, text=True).stdout.strip()
                     for user, password in self.users.items()]
            (self.directory / "htpasswd").write_text("\n".join(lines) + "\n")
            config["auth"] = {"htpasswd": {"realm": "test",
                                           "path": str(self.directory / "htpasswd")}}
        elif self.flavour == "token":
            self.keypair = self.keypair or make_keypair(self.directory, "token")
            self.token_server = self.token_server or TokenServer(self.keypair, self.users)
            config["auth"] = {"token": {"realm": self.token_server.url, "service": SERVICE,
                                        "issuer": ISSUER,
                                        "rootcertbundle": str(self.keypair.cert_path)}}
        elif self.flavour == "tls":
            self.keypair = self.keypair or make_keypair(self.directory, "tls")
            config["http"]["tls"] = {"certificate": str(self.keypair.cert_path),
                                     "key": str(self.keypair.key_path)}
        if self.notifications:
            config["notifications"] = self.notifications
        path = self.directory / "config.yml"
        path.write_text(yaml.safe_dump(config))
        return path

    def start(self, timeout: float = 15.0) -> None:
        log = open(self.directory / "registry.log", "ab")
        self._process = subprocess.Popen(["docker-registry", "serve", str(self.configure())],
                                         stdout=log, stderr=subprocess.STDOUT,
                                         preexec_fn=_die_with_parent)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        tail = (self.directory / "registry.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(
            f"docker-registry ({self.flavour}) did not start on {self.host}:\n{tail}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def close(self) -> None:
        self.stop()
        if self.token_server is not None:
            self.token_server.stop()

    def push(self, layout: OciLayout, tag: str, destination: str, *, all_images: bool = False,
             docker_format: bool = False) -> None:
        """`skopeo copy` of `layout`'s `tag` to `<host>/<destination>` (`repo:tag`)."""
        command = ["skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false"]
        if self.credentials:
            command.append("--dest-creds=" + ":".join(self.credentials))
        command += ["--all"] if all_images else []
        command += ["--format", "v2s2"] if docker_format else []
        command += [f"oci:{layout.path}:{tag}", f"docker://{self.host}/{destination}"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"skopeo copy to {self.flavour} registry failed: {result.stderr}")

    def raw_manifest(self, reference: str) -> bytes:
        """The manifest bytes as skopeo reads them (an independent view for assertions)."""
        command = ["skopeo", "inspect", "--raw", "--tls-verify=false"]
        if self.credentials:
            command.append("--creds=" + ":".join(self.credentials))
        result = subprocess.run(command + [f"docker://{self.host}/{reference}"],
                                capture_output=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"skopeo inspect failed: {result.stderr.decode(errors='replace')}")
        return result.stdout


def _die_with_parent() -> None:
    """Linux: the registry gets SIGTERM if the test process dies without running finalizers."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


USERS = {"basic": {"alice": "wonderland-basic-secret"}, "token": {"bob": "builder-token-secret"}}


def start_registry(directory: Path, flavour: str,
                   notifications: dict | None = None) -> RegistryServer:
    directory.mkdir(parents=True, exist_ok=True)
    server = RegistryServer(directory, flavour, dict(USERS.get(flavour, {})),
                            notifications=notifications)
    try:
        server.start()
    except BaseException:
        server.close()
        raise
    return server


def _registry(factory: pytest.TempPathFactory, flavour: str) -> Iterator[RegistryServer]:
    require_tools()
    server = start_registry(factory.mktemp(f"registry-{flavour}"), flavour)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def plain_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    yield from _registry(tmp_path_factory, "plain")


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    yield from _registry(tmp_path_factory, "basic")


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    yield from _registry(tmp_path_factory, "token")


@pytest.fixture(scope="session")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    yield from _registry(tmp_path_factory, "tls")
