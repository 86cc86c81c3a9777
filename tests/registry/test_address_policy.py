"""The address filter's parsing, name resolution and allow-list (registry/safety.py), edge by
edge: each test here kills mutants of those functions that the range tests leave alive
(docs/mutation.md)."""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.registry import AddressPolicy, UnsafeAddress
from chalicelib.registry.errors import ConnectionFailed, UnknownHost
from chalicelib.registry.safety import parse_ip, resolve


def resolving_to(*addresses: str) -> Callable[..., list[tuple[Any, ...]]]:
    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port)) for a in addresses]
    return getaddrinfo


def failing(error: BaseException) -> Callable[..., Any]:
    def getaddrinfo(*args: Any, **kwargs: Any) -> Any:
        raise error
    return getaddrinfo


# -- parse_ip

@pytest.mark.parametrize("host, expected", [
    ("127.0.0.1", "127.0.0.1"), ("[::1]", "::1"), ("::1", "::1"),
    # A zone (scope) is not part of the address: everything from the first '%' goes.
    ("fe80::1%eth0", "fe80::1"), ("[fe80::1%25eth0]", "fe80::1"), ("fe80::1%a%b", "fe80::1"),
])
def test_parse_ip_reads_literals_without_their_zone(host: str, expected: str) -> None:
    address = parse_ip(host)
    assert address == ipaddress.ip_address(expected) and str(address) == expected


@pytest.mark.parametrize("host", ["registry.example", "X127.0.0.1", "127.0.0.1X",
                                  "0x7f000001", "127.1", "2130706433", ""])
def test_parse_ip_takes_anything_else_for_a_name(host: str) -> None:
    # Other notations of an address are names: the resolver reads them, and what it
    # answers is checked.
    assert parse_ip(host) is None


# -- resolve

def test_an_unknown_name_is_unknown_host_and_a_failing_resolver_a_connection_failure(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", failing(
        socket.gaierror(socket.EAI_NONAME, "Name or service not known")))
    with pytest.raises(UnknownHost) as unknown:
        resolve("nowhere.example")
    assert str(unknown.value) == ("cannot resolve host nowhere.example: "
                                  "[Errno -2] Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", failing(
        socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")))
    with pytest.raises(ConnectionFailed) as failed:
        resolve("flaky.example")
    assert not isinstance(failed.value, UnknownHost)
    assert str(failed.value) == ("cannot resolve host flaky.example: "
                                 "[Errno -3] Temporary failure in name resolution")


def test_a_name_no_resolver_can_encode_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", failing(UnicodeError("label too long")))
    with pytest.raises(UnknownHost) as unknown:
        resolve("a" * 70 + ".example")
    assert str(unknown.value) == f"cannot resolve host {'a' * 70}.example: label too long"


def test_a_name_with_no_address_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", resolving_to())
    with pytest.raises(ConnectionFailed) as failed:
        resolve("empty.example")
    assert str(failed.value) == "host empty.example has no address"


def test_resolve_keeps_the_resolvers_order_once_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", resolving_to(
        "2606:4700::1111", "93.184.216.34", "2606:4700::1111", "fe80::1%eth0"))
    assert resolve("registry.example") == [
        ipaddress.ip_address("2606:4700::1111"), ipaddress.ip_address("93.184.216.34"),
        ipaddress.ip_address("fe80::1")]


# -- the allow-list

def test_an_empty_configuration_allows_nothing_extra() -> None:
    for text in ("", " , ", None):
        assert repr(AddressPolicy.from_config(text)) == "AddressPolicy([])"  # type: ignore[arg-type]


def test_a_cidr_entry_may_have_host_bits_set() -> None:
    policy = AddressPolicy(["10.1.2.3/8"])  # read as 10.0.0.0/8, as the README says
    assert policy.check("10.9.9.9", 443) == [ipaddress.ip_address("10.9.9.9")]
    assert repr(policy) == "AddressPolicy(['10.0.0.0/8'])"


@pytest.mark.parametrize("entry", ["mirror:1", "mirror:65535", "[fd00::5]:443"])
def test_endpoint_entries_take_every_port(entry: str) -> None:
    AddressPolicy([entry])


@pytest.mark.parametrize("entry", ["mirror:0", "mirror:65536", "mirror:99999", "mirror",
                                   "mirror:port", "[fd00::5]"])
def test_an_entry_that_is_neither_a_cidr_nor_an_endpoint_is_refused(entry: str) -> None:
    with pytest.raises(ValueError) as refused:
        AddressPolicy([entry])
    assert str(refused.value) == (f"registry allow-list entry {entry!r} is neither a CIDR "
                                  "nor host:port")


def test_an_endpoint_entry_trusts_that_name_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", resolving_to("10.0.0.1"))
    policy = AddressPolicy(["mirror:5000", "[fd00::5]:443"])
    assert policy.check("MIRROR", 5000) == [ipaddress.ip_address("10.0.0.1")]
    assert policy.check("[fd00::5]", 443) == [ipaddress.ip_address("fd00::5")]
    for host in ("mirrorX", "Xmirror", "mirror.", "other"):
        with pytest.raises(UnsafeAddress):
            policy.check(host, 5000)


def test_the_policy_shows_its_entries() -> None:
    policy = AddressPolicy(["10.0.0.0/8", "::1/128", "b:2", "a:1"])
    assert repr(policy) == "AddressPolicy(['10.0.0.0/8', '::1/128', 'a:1', 'b:2'])"
