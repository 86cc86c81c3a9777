"""Child processes of the local stack: started, watched and stopped by the stack alone.

Each child runs in a session of its own, so a Ctrl-C in the terminal reaches the stack
only (moto server, for one, would exit on it at once); the stack then stops the children
in order: the worker drains the table's stream and the table is snapshotted before the
emulator goes. Each child also gets SIGTERM if the stack dies without cleaning up, so none
is ever left behind.
"""
from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .settings import HOST

PR_SET_PDEATHSIG = 1


def _child_setup() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path | None

    def running(self) -> bool:
        return self.process.poll() is None

    def describe_exit(self) -> str:
        message = f"{self.name} exited with status {self.process.returncode}"
        if self.log and self.log.exists():
            tail = self.log.read_text(errors="replace").splitlines()[-15:]
            message += f"; the end of {self.log}:\n" + "\n".join(tail)
        return message


def _relay(name: str, stream: IO[bytes]) -> None:
    for line in iter(stream.readline, b""):
        try:
            sys.stdout.write(f"{name:<9}| {line.decode(errors='replace')}")
            sys.stdout.flush()
        except OSError:
            pass  # the terminal is gone; keep reading so the child never blocks on its output


def spawn(name: str, argv: list[str], env: dict[str, str], cwd: Path,
          log: Path | None = None) -> Child:
    """Start a child; its output goes to `log`, or to the terminal prefixed by its name."""
    if log is not None:
        with open(log, "ab") as out:
            process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True, preexec_fn=_child_setup)
    else:
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, preexec_fn=_child_setup)
        threading.Thread(target=_relay, args=(name, process.stdout), daemon=True).start()
    return Child(name, process, log)


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def wait_for_port(child: Child, port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running():
            raise RuntimeError(child.describe_exit())
        if port_in_use(port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{child.name} did not listen on {HOST}:{port} within {timeout:.0f}s")


def stop(child: Child, timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time."""
    if child.running():
        child.process.terminate()
        try:
            child.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
