"""The address filter against IANA's special-purpose address registries, property by property.

The registries are copied below, one row a block, from their CSV forms at
https://www.iana.org/assignments/:
  IPv4: iana-ipv4-special-registry/iana-ipv4-special-registry-1.csv
  IPv6: iana-ipv6-special-registry/iana-ipv6-special-registry-1.csv
with the column this filter follows, "Globally Reachable": True, False, or N/A (6to4,
Teredo, and the deprecated rows have none). Beside them, from IANA's other registries: IPv4
multicast (ipv4-address-space, 224.0.0.0/4), and the IPv6 address space (ipv6-address-space):
only 2000::/3 is global unicast, and fec0::/10 (site-local, deprecated) and ff00::/8
(multicast) are not.

The tables are kept apart from the filter's own on purpose: a row dropped or mistyped in
chalicelib/registry/safety.py fails here. Refused: every block that is not globally
reachable (False or N/A). Allowed: the blocks that are, and any other global unicast address.
Embedded forms are checked with every refused IPv4 block inside them: IPv4-mapped and
NAT64's well-known prefix reach the IPv4 address they carry and are judged by it; 6to4,
Teredo, IPv4-compatible, IPv4-translated and local-use NAT64 are refused whatever they carry.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chalicelib.registry import AddressPolicy, RegistryClient, UnsafeAddress
from chalicelib.registry.safety import embedded_ipv4, refused_class
from tests.registry.conftest import FAST

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

TRUE, FALSE, NA = "True", "False", "N/A"

# Address Block, Name, Globally Reachable (iana-ipv4-special-registry-1.csv).
IPV4_SPECIAL_REGISTRY = [
    ("0.0.0.0/8", "This network", FALSE),
    ("0.0.0.0/32", "This host on this network", FALSE),
    ("10.0.0.0/8", "Private-Use", FALSE),
    ("100.64.0.0/10", "Shared Address Space", FALSE),
    ("127.0.0.0/8", "Loopback", FALSE),
    ("169.254.0.0/16", "Link Local", FALSE),
    ("172.16.0.0/12", "Private-Use", FALSE),
    ("192.0.0.0/24", "IETF Protocol Assignments", FALSE),
    ("192.0.0.0/29", "IPv4 Service Continuity Prefix", FALSE),
    ("192.0.0.8/32", "IPv4 dummy address", FALSE),
    ("192.0.0.9/32", "Port Control Protocol Anycast", TRUE),
    ("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", TRUE),
    ("192.0.0.170/32", "NAT64/DNS64 Discovery", FALSE),
    ("192.0.0.171/32", "NAT64/DNS64 Discovery", FALSE),
    ("192.0.2.0/24", "Documentation (TEST-NET-1)", FALSE),
    ("192.31.196.0/24", "AS112-v4", TRUE),
    ("192.52.193.0/24", "AMT", TRUE),
    ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", NA),
    ("192.88.99.2/32", "6a44-relay anycast address", NA),
    ("192.168.0.0/16", "Private-Use", FALSE),
    ("192.175.48.0/24", "Direct Delegation AS112 Service", TRUE),
    ("198.18.0.0/15", "Benchmarking", FALSE),
    ("198.51.100.0/24", "Documentation (TEST-NET-2)", FALSE),
    ("203.0.113.0/24", "Documentation (TEST-NET-3)", FALSE),
    ("240.0.0.0/4", "Reserved", FALSE),
    ("255.255.255.255/32", "Limited Broadcast", FALSE),
    # ipv4-address-space: multicast is not in the special-purpose registry.
    ("224.0.0.0/4", "Multicast", FALSE),
]

# Address Block, Name, Globally Reachable (iana-ipv6-special-registry-1.csv).
IPV6_SPECIAL_REGISTRY = [
    ("::1/128", "Loopback Address", FALSE),
    ("::/128", "Unspecified Address", FALSE),
    ("::ffff:0:0/96", "IPv4-mapped Address", FALSE),  # judged by the IPv4 it carries
    ("64:ff9b::/96", "IPv4-IPv6 Translat.", TRUE),  # judged by the IPv4 it carries
    ("64:ff9b:1::/48", "IPv4-IPv6 Translat.", FALSE),
    ("100::/64", "Discard-Only Address Block", FALSE),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix", FALSE),
    ("2001::/23", "IETF Protocol Assignments", FALSE),
    ("2001::/32", "TEREDO", NA),
    ("2001:1::1/128", "Port Control Protocol Anycast", TRUE),
    ("2001:1::2/128", "Traversal Using Relays around NAT Anycast", TRUE),
    ("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", TRUE),
    ("2001:2::/48", "Benchmarking", FALSE),
    ("2001:3::/32", "AMT", TRUE),
    ("2001:4:112::/48", "AS112-v6", TRUE),
    ("2001:10::/28", "Deprecated (previously ORCHID)", NA),
    ("2001:20::/28", "ORCHIDv2", TRUE),
    ("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", TRUE),
    ("2001:db8::/32", "Documentation", FALSE),
    ("2002::/16", "6to4", NA),
    ("2620:4f:8000::/48", "Direct Delegation AS112 Service", TRUE),
    ("3fff::/20", "Documentation", FALSE),
    ("5f00::/16", "Segment Routing (SRv6) SIDs", FALSE),
    ("fc00::/7", "Unique-Local", FALSE),
    ("fe80::/10", "Link-Local Unicast", FALSE),
    # ipv6-address-space: what lies around the special-purpose blocks.
    ("::/0", "Reserved by IETF (all but the blocks below)", FALSE),
    ("2000::/3", "Global Unicast", TRUE),
    ("fec0::/10", "Reserved by IETF (site-local, deprecated)", FALSE),
    ("ff00::/8", "Multicast", FALSE),
]

# Blocks whose addresses are judged by the IPv4 address they lead to, not by their row.
CARRIERS = {"::ffff:0:0/96", "64:ff9b::/96"}
REGISTRY = [(ipaddress.ip_network(block), name, reach)
            for block, name, reach in IPV4_SPECIAL_REGISTRY + IPV6_SPECIAL_REGISTRY]
REFUSED_V4 = [network for network, _, reach in REGISTRY
              if network.version == 4 and reach != TRUE]


def inside_only(network: Network) -> st.SearchStrategy[Address]:
    """Addresses of `network` that no more specific row of the registry holds (those rows
    speak for their own addresses), its first and last address among them when they can be."""
    inner = [other for other, _, _ in REGISTRY if other.version == network.version
             and other != network and other.subnet_of(network)]  # type: ignore[arg-type]
    make: Callable[[int], Address] = (ipaddress.IPv4Address if network.version == 4
                                      else ipaddress.IPv6Address)
    ends = st.sampled_from([int(network.network_address), int(network.broadcast_address)])
    numbers = st.integers(int(network.network_address), int(network.broadcast_address))
    return (ends | numbers).map(make).filter(
        lambda address: not any(address in other for other in inner))


def refused_ipv4() -> st.SearchStrategy[ipaddress.IPv4Address]:
    """An IPv4 address of a block that is not globally reachable."""
    return st.sampled_from(REFUSED_V4).flatmap(inside_only).filter(  # type: ignore[return-value]
        lambda address: refused_class(address) is not None)


def public_ipv4() -> st.SearchStrategy[ipaddress.IPv4Address]:
    """An IPv4 address outside every block of the registry, or in one that is reachable."""
    # Drawn from 1.0.0.0-223.255.255.255 (0/8, multicast and 240/4 hold no such address):
    # Hypothesis favours the ends of a range, and with 0 and 2**32-1 as the ends most draws
    # were filtered out, which failed its filter_too_much health check now and then.
    return st.integers(0x01000000, 0xDFFFFFFF).map(ipaddress.IPv4Address).filter(
        lambda address: most_specific(address)[2] == TRUE)


def most_specific(address: Address) -> tuple[Network | None, str, str]:
    """The registry row that speaks for `address`: the most specific block holding it."""
    rows = [row for row in REGISTRY if row[0].version == address.version and address in row[0]]
    if not rows:
        return None, "allocated unicast", TRUE
    return max(rows, key=lambda row: row[0].prefixlen)


ROWS = [pytest.param(network, reach, id=f"{network} {name}")
        for network, name, reach in REGISTRY if str(network) not in CARRIERS]


@pytest.mark.parametrize("network, reach", ROWS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_each_registry_block_is_refused_unless_globally_reachable(
        network: Network, reach: str, data: st.DataObject) -> None:
    address = data.draw(inside_only(network), label="address")
    if reach == TRUE:
        assert refused_class(address) is None, f"{address} is globally reachable"
    else:
        assert refused_class(address) is not None, f"{address} must be refused ({reach})"


@settings(max_examples=300, deadline=None)
@given(address=st.integers(0, 2 ** 128 - 1).map(ipaddress.IPv6Address))
def test_any_ipv6_address_is_refused_exactly_when_its_row_is_not_reachable(
        address: ipaddress.IPv6Address) -> None:
    carried = embedded_ipv4(address)
    judged: Address = carried if carried is not None else address
    assert (refused_class(address) is None) == (most_specific(judged)[2] == TRUE)


@settings(max_examples=300, deadline=None)
@given(address=st.integers(0, 2 ** 32 - 1).map(ipaddress.IPv4Address))
def test_any_ipv4_address_is_refused_exactly_when_its_row_is_not_reachable(
        address: ipaddress.IPv4Address) -> None:
    assert (refused_class(address) is None) == (most_specific(address)[2] == TRUE)


# -- embedded forms: an IPv6 address that carries an IPv4 one

def mapped(v4: ipaddress.IPv4Address, _: int) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address((0xFFFF << 32) | int(v4))  # ::ffff:a.b.c.d


def nat64(v4: ipaddress.IPv4Address, _: int) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address((0x64FF9B << 96) | int(v4))  # 64:ff9b::a.b.c.d


def nat64_local_use(v4: ipaddress.IPv4Address, low: int) -> ipaddress.IPv6Address:
    # RFC 6052's /48 layout in 64:ff9b:1::/48: the IPv4 address around the u octet.
    value = int(v4)
    return ipaddress.IPv6Address((0x64FF9B0001 << 80) | ((value >> 16) << 64)
                                 | ((value & 0xFFFF) << 40) | (low & 0xFFFFFFFF))


def six_to_four(v4: ipaddress.IPv4Address, low: int) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80) | (low & (2 ** 80 - 1)))


def teredo_server(v4: ipaddress.IPv4Address, low: int) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address((0x20010000 << 96) | (int(v4) << 64) | (low & (2 ** 64 - 1)))


def teredo_client(v4: ipaddress.IPv4Address, low: int) -> ipaddress.IPv6Address:
    # The client's address is stored inverted in the last 32 bits.
    return ipaddress.IPv6Address((0x20010000 << 96) | ((low & (2 ** 64 - 1)) << 32)
                                 | (int(v4) ^ 0xFFFFFFFF))


def compatible(v4: ipaddress.IPv4Address, _: int) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(int(v4))  # ::a.b.c.d, deprecated


def translated(v4: ipaddress.IPv4Address, _: int) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address((0xFFFF << 48) | int(v4))  # ::ffff:0:a.b.c.d


JUDGED_BY_IPV4 = [mapped, nat64]
ALWAYS_REFUSED = [nat64_local_use, six_to_four, teredo_server, teredo_client, compatible,
                  translated]


def test_the_forms_are_built_as_their_rfcs_write_them() -> None:
    v4 = ipaddress.IPv4Address("127.0.0.1")
    assert str(mapped(v4, 0)) == "::ffff:7f00:1"
    assert str(nat64(v4, 0)) == "64:ff9b::7f00:1"
    assert six_to_four(v4, 1).sixtofour == v4
    assert teredo_server(v4, 0).teredo[0] == v4  # type: ignore[index]
    assert teredo_client(v4, 5).teredo[1] == v4  # type: ignore[index]
    assert nat64_local_use(v4, 0) in ipaddress.ip_network("64:ff9b:1::/48")


@pytest.mark.parametrize("form", JUDGED_BY_IPV4 + ALWAYS_REFUSED, ids=lambda f: f.__name__)
@settings(max_examples=80, deadline=None)
@given(v4=refused_ipv4(), low=st.integers(0, 2 ** 80 - 1))
def test_a_refused_ipv4_address_is_refused_in_every_embedded_form(
        form: Callable[[ipaddress.IPv4Address, int], ipaddress.IPv6Address],
        v4: ipaddress.IPv4Address, low: int) -> None:
    assert refused_class(form(v4, low)) is not None


@pytest.mark.parametrize("form", JUDGED_BY_IPV4, ids=lambda f: f.__name__)
@settings(max_examples=80, deadline=None)
@given(v4=public_ipv4())
@example(v4=ipaddress.IPv4Address("8.8.8.8"))
def test_a_public_ipv4_address_is_reachable_mapped_and_through_nat64(
        form: Callable[[ipaddress.IPv4Address, int], ipaddress.IPv6Address],
        v4: ipaddress.IPv4Address) -> None:
    assert refused_class(form(v4, 0)) is None


@pytest.mark.parametrize("form", ALWAYS_REFUSED, ids=lambda f: f.__name__)
@settings(max_examples=40, deadline=None)
@given(v4=public_ipv4(), low=st.integers(0, 2 ** 80 - 1))
def test_tunnel_and_deprecated_forms_are_refused_even_around_a_public_address(
        form: Callable[[ipaddress.IPv4Address, int], ipaddress.IPv6Address],
        v4: ipaddress.IPv4Address, low: int) -> None:
    assert refused_class(form(v4, low)) is not None


@pytest.mark.parametrize("address, kind", [
    # The class a refusal names: the IPv4 address's own where one is carried and reached.
    ("::ffff:127.0.0.1", "loopback"), ("64:ff9b::a9fe:a9fe", "link-local"),
    ("64:ff9b::a00:1", "private"), ("64:ff9b::c0a8:101", "private"),
    ("2002:7f00:1::1", "non-public"), ("2002:a9fe:a9fe::1", "non-public"),
    ("2002:c0a8:101::", "non-public"), ("fec0::1", "site-local"),
    ("fecf:ffff::1", "site-local"), ("64:ff9b:1::a00:1", "non-public"),
    ("::127.0.0.1", "reserved"), ("2001::1", "non-public"), ("3fff::1", "non-public"),
    ("5f00::1", "non-public"), ("100::1", "non-public"), ("255.255.255.255", "reserved"),
    ("0.1.2.3", "unspecified"), ("192.0.0.8", "non-public"), ("192.0.0.9", None),
    ("2001:1::3", None), ("2001:3::1", None), ("2620:4f:8000::1", None),
    ("64:ff9b::808:808", None), ("feff::1", "site-local"), ("ff02::1", "multicast"),
    ("2c00::1", None), ("1fff:ffff::1", "reserved"), ("4000::1", "reserved"),
    ("::1", "loopback"), ("::", "unspecified"), ("fc00::1", "unique-local"),
    ("fdff:ffff::1", "unique-local"), ("fe80::1", "link-local"), ("febf::1", "link-local"),
    ("100:0:0:1::1", "non-public"), ("2001:2::1", "non-public"), ("2001:10::1", "non-public"),
])
def test_refused_class_names(address: str, kind: str | None) -> None:
    assert refused_class(ipaddress.ip_address(address)) == kind


# -- a name is refused if any address it resolves to is

def resolving_to(*addresses: str) -> Callable[..., list[tuple[Any, ...]]]:
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port)) for a in addresses]
    return getaddrinfo


@pytest.mark.parametrize("addresses", [
    ("93.184.216.34", "10.0.0.1"), ("10.0.0.1", "93.184.216.34"),
    ("2606:4700::1111", "93.184.216.34", "169.254.169.254"),
    ("93.184.216.34", "2002:7f00:1::1"), ("2606:4700::1111", "fec0::1"),
    ("93.184.216.34", "64:ff9b::7f00:1"),
])
def test_a_name_resolving_to_a_public_and_a_refused_address_is_refused(
        monkeypatch: pytest.MonkeyPatch, connections: list[str],
        addresses: tuple[str, ...]) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", resolving_to(*addresses))
    with pytest.raises(UnsafeAddress) as error:
        AddressPolicy().check("registry.example", 443)
    message = str(error.value)
    assert message == ("refusing to connect to registry.example: its address is not allowed "
                       "(not in the registry allow-list)")
    client = RegistryClient(settings=FAST)
    with pytest.raises(UnsafeAddress):
        client.resolve("registry.example/team/app:1")
    assert connections == [] and client.counter.total == 0


def test_a_name_resolving_to_public_addresses_only_is_allowed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo",
                        resolving_to("93.184.216.34", "2606:4700::1111", "93.184.216.34"))
    assert AddressPolicy().check("registry.example", 443) == [
        ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("2606:4700::1111")]


def test_an_allow_list_entry_lets_through_only_the_addresses_it_holds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", resolving_to("10.0.0.1", "192.168.1.1"))
    assert AddressPolicy(["10.0.0.0/8", "192.168.0.0/16"]).check("mirror.internal", 5000) == [
        ipaddress.ip_address("10.0.0.1"), ipaddress.ip_address("192.168.1.1")]
    with pytest.raises(UnsafeAddress):
        AddressPolicy(["10.0.0.0/8"]).check("mirror.internal", 5000)
    # An endpoint entry trusts that name and port, whatever it resolves to.
    assert len(AddressPolicy(["mirror.internal:5000"]).check("mirror.internal", 5000)) == 2
    with pytest.raises(UnsafeAddress):
        AddressPolicy(["mirror.internal:5000"]).check("mirror.internal", 5001)
