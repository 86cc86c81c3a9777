"""Keeping tests on this machine: name lookups and connections beyond loopback fail at once."""
from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest


def is_loopback(host: Any) -> bool:
    if host in (None, "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def stay_on_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lookup of any name but a loopback address fails as an unknown name would, and a
    connection elsewhere is refused: an import from docker.io fails here, truthfully and at
    once, instead of reaching (or waiting for) the internet."""
    lookup, connect = socket.getaddrinfo, socket.socket.connect

    def guarded_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"test guard: no lookup of {host}")
        return lookup(host, *args, **kwargs)

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            raise ConnectionRefusedError(f"test guard: no connection to {address[0]}")
        return connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_lookup)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
