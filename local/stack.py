"""`make run`: the whole service on this machine, no AWS account, all on 127.0.0.1.

    python -m local.stack      (ports etc. from the environment: local/settings.py)

Starts the AWS emulator with the resources of infra/, restores the saved state, then the
registry, the app (`chalice local`, boto3 pointed at the emulator by AWS_ENDPOINT_URL
only), its HTTPS front (for kubectl, with .local/kubeconfig) and the worker (stream pump,
schedule, demo subscriber). Ctrl-C or SIGTERM stops them in order and snapshots the table
into the state directory; so does a crash of any child. One stack per state directory: a
second one says so and leaves.
"""
from __future__ import annotations

import fcntl
import json
import os
import secrets
import signal
import sys
import time
from pathlib import Path
from typing import IO, Any

from chalicelib.first_admin import bootstrap_admin, table_access

from . import emulator, snapshot
from .banner import banner
from .certificates import TlsFiles, ensure_certificates
from .files import write_file
from .kubeconfig import write_kubeconfig
from .processes import Child, port_in_use, spawn, stop, wait_for_port
from .pump import skip_to_end
from .registry import ensure_installed, start_registry, token_key_file
from .settings import HOST, ROOT, Settings
from .stream_reader import StreamReader
from .worker import DEMO_MESSAGES

# Never let the stack or its children reach a real account, whatever the shell has set.
AWS_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
                 "AWS_SECURITY_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")

# `chalice local`, answering as the deployed API Gateway does (local/app_server.py).
CHALICE = ["-m", "local.app_server"]


class Stop(Exception):
    """Ctrl-C, SIGTERM or SIGHUP."""


def say(text: str, error: bool = False) -> None:
    """Print, but never fail: the terminal may be gone (a closed pipe) while stopping."""
    try:
        print(text, file=sys.stderr if error else sys.stdout, flush=True)
    except OSError:
        pass


def _on_signal(signum: int, _frame: Any) -> None:
    raise Stop(signal.Signals(signum).name)


def _lock(settings: Settings) -> IO[str]:
    """Hold the state directory's lock for the stack's lifetime, or say who holds it."""
    handle = open(settings.state_dir / "stack.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        raise SystemExit(f"imagestreams is already running here (pid {owner}, state in "
                         f"{settings.state_dir}); its API: {_running_api(settings)}\n"
                         f"Stop it with Ctrl-C in its terminal (or kill {owner}), or start "
                         f"another with its own LOCAL_STATE_DIR and ports.") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _running_api(settings: Settings) -> str:
    try:
        return json.loads((settings.state_dir / "endpoint.json").read_text())["api"]
    except (OSError, ValueError, KeyError):
        return "unknown (it is starting or stopping)"


def _check_ports(settings: Settings) -> None:
    busy = [f"{name}={port}" for name, port in settings.ports().items() if port_in_use(port)]
    if busy:
        raise SystemExit(f"port in use on {HOST}: {', '.join(busy)}. Another program holds "
                         f"it; choose free ports, e.g. make run API_PORT=8080 "
                         f"API_TLS_PORT=8444 AWS_PORT=5001 REGISTRY_PORT=5051")


def app_environment(settings: Settings, resources: emulator.Resources,
                    webhook_secret_arn: str) -> dict[str, str]:
    """The environment the deployed functions get from the template, pointing here."""
    env = {k: v for k, v in os.environ.items() if k not in AWS_VARIABLES}
    env.pop("IMAGESTREAMS_STORE", None)
    return {**env, **settings.aws_environment(), "PYTHONUNBUFFERED": "1",
            "TABLE_NAME": resources.table, "TOPIC_ARN": resources.topic_arn,
            "TOPIC_FIFO": "false", "INTEGRATED_REGISTRY": settings.registry,
            "REGISTRY_WEBHOOK_SECRET_ARN": webhook_secret_arn,
            "INTEGRATED_REGISTRY_INSECURE": "true",  # the local registry serves plain HTTP
            # The registry's tokens are signed with it (written when the registry starts).
            "REGISTRY_TOKEN_KEY_FILE": str(token_key_file(settings)),
            # The worker keeps the demo queue's last messages there; the app server serves
            # them to the console (local/app_server.py).
            "DEMO_MESSAGES_FILE": str(settings.state_dir / DEMO_MESSAGES),
            # Imports may read from the local registry, a loopback address refused otherwise,
            # and from what IMPORT_ALLOW_LIST in make run's environment adds (another
            # registry on this machine or the LAN).
            "IMPORT_ALLOW_LIST": ",".join(filter(None, (settings.registry,
                                                        env.get("IMPORT_ALLOW_LIST"))))}


def start_app(settings: Settings, env: dict[str, str], log: Path | None = None) -> Child:
    """`chalice local` (threaded: a thread per connection) on the API port, once it listens.

    `env` is app_environment()'s; the app's output goes to `log`, or to the terminal.
    """
    app = spawn("app", [sys.executable, *CHALICE, "local", "--host", HOST, "--port",
                        str(settings.api_port), "--no-autoreload"], env, ROOT, log=log)
    try:
        wait_for_port(app, settings.api_port)
    except BaseException:
        stop(app)
        raise
    return app


def start_tls_proxy(settings: Settings, tls: TlsFiles, env: dict[str, str]) -> Child:
    """The API over HTTPS on its own port (local/tls_proxy.py), once it listens."""
    proxy = spawn("tls-proxy", [
        sys.executable, "-m", "local.tls_proxy", "--port", str(settings.api_tls_port),
        "--upstream-port", str(settings.api_port), "--certificate", str(tls.certificate),
        "--key", str(tls.key)], env, ROOT, log=settings.state_dir / "logs" / "tls-proxy.log")
    try:
        wait_for_port(proxy, settings.api_tls_port)
    except BaseException:
        stop(proxy)
        raise
    return proxy


def endpoint(settings: Settings, resources: emulator.Resources, token: str,
             tls: TlsFiles) -> dict[str, Any]:
    """.local/endpoint.json, read by scripts and isctl: `token` is a cluster-admin's."""
    return {"api": settings.api_url, "tls_api": settings.tls_api_url,
            "tls_ca": str(tls.ca_certificate), "kubeconfig": str(settings.kubeconfig),
            "token": token, "registry": settings.registry,
            "aws_endpoint": settings.aws_url, "region": settings.region,
            "table_name": resources.table, "topic_arn": resources.topic_arn,
            "demo_queue_url": resources.demo_queue_url, "pid": os.getpid()}


class Stack:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.children: list[Child] = []
        self.resources: emulator.Resources | None = None
        self.snapshot_file = settings.state_dir / "snapshot.json"
        self.restored = False  # until then, saving would overwrite the snapshot with less

    def start(self) -> None:
        settings = self.settings
        registry_binary = ensure_installed()
        tls = ensure_certificates(settings.state_dir / "tls")
        base = {k: v for k, v in os.environ.items() if k not in AWS_VARIABLES}
        self.children.append(emulator.start_emulator(settings, base))
        self.resources = resources = emulator.deploy(settings)
        restored = snapshot.restore(settings, resources, self.snapshot_file)
        self.restored = True
        # The restore's writes are in the stream too; they are no tag changes.
        dynamodb = emulator.client(settings, "dynamodb")
        skip_to_end(StreamReader(dynamodb, emulator.client(settings, "dynamodbstreams"),
                                 resources.table), settings.state_dir / "stream-position.json",
                    resources.stream_arn)
        # A new webhook secret each start, in the emulator's Secrets Manager, where the app
        # reads it as the deployed API function does; the registry is configured with it.
        secret = secrets.token_urlsafe(24)
        env = app_environment(settings, resources, emulator.store_webhook_secret(settings,
                                                                                 secret))
        self.children.append(start_registry(settings, registry_binary, secret, base))
        self.children.append(start_app(settings, env))
        self.children.append(start_tls_proxy(settings, tls, base))
        self.children.append(spawn("worker", [
            sys.executable, "-m", "local.worker", "--stream-arn", resources.stream_arn,
            "--dead-letter-queue", resources.dead_letter_queue_url,
            "--demo-queue", resources.demo_queue_url, "--state-dir", str(settings.state_dir),
            "--schedule-seconds", str(settings.schedule_seconds)], env, ROOT))
        # A new cluster-admin token each start, as a deployment's bootstrap command makes.
        token = bootstrap_admin(table_access(dynamodb, resources.table))
        write_kubeconfig(settings.kubeconfig, settings.tls_api_url, tls.ca_certificate, token)
        details = endpoint(settings, resources, token, tls)
        write_file(settings.state_dir / "endpoint.json",
                   (json.dumps(details, indent=2) + "\n").encode())  # it holds the token
        say(banner(settings, details, restored))

    def watch(self) -> None:
        """Until a signal (Stop) or a child's exit; snapshots now and then meanwhile."""
        next_snapshot = time.monotonic() + self.settings.snapshot_seconds
        while True:
            time.sleep(0.5)
            for child in self.children:
                if not child.running():
                    raise RuntimeError(child.describe_exit())
            if time.monotonic() >= next_snapshot:
                self.save()
                next_snapshot = time.monotonic() + self.settings.snapshot_seconds

    def save(self) -> int:
        assert self.resources is not None and self.restored
        return snapshot.save(self.settings, self.resources, self.snapshot_file)

    def shutdown(self) -> None:
        """Writers first, then the worker (it drains the stream), the snapshot, the emulator."""
        by_name = {child.name: child for child in self.children}
        for name in ("registry", "tls-proxy", "app", "worker"):
            if name in by_name:
                stop(by_name[name])
        aws = by_name.get("emulator")
        if self.restored and aws is not None and aws.running():
            try:
                say(f"saved {self.save()} items to {self.snapshot_file}")
            except Exception as error:  # the emulator may be what failed
                say(f"could not save the table: {error}", error=True)
        if aws is not None:
            stop(aws)
        (self.settings.state_dir / "endpoint.json").unlink(missing_ok=True)


def main() -> int:
    settings = Settings.from_environment()
    (settings.state_dir / "logs").mkdir(parents=True, exist_ok=True)
    lock = _lock(settings)
    _check_ports(settings)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)
    stack, status = Stack(settings), 0
    try:
        stack.start()
        stack.watch()
    except Stop as stopped:
        say(f"\n{stopped}: stopping ...")
    except Exception as error:
        say(f"the local stack failed: {error}", error=True)
        status = 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # let the shutdown finish
        stack.shutdown()
        lock.close()
    say("stopped.")
    return status


if __name__ == "__main__":
    sys.exit(main())
