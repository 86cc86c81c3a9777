"""Which addresses an import may connect to.

An image reference comes from a user, so without these rules an import could probe the
cloud metadata service or hosts inside the network (SSRF). Every host name is resolved
here and every resolved address checked; the transport then connects to the checked
address itself (see transport.PinnedAdapter), so DNS cannot answer differently later.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from typing import Iterable, Optional, Union

from .errors import ConnectionFailed, UnknownHost, UnsafeAddress

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_ENDPOINT = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<host>[^:\[\]]+)):(?P<port>\d{1,5})$")


def refused_class(address: IPAddress) -> Optional[str]:
    """The class that makes `address` refused by default, or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refused_class(address.ipv4_mapped)  # ::ffff:127.0.0.1 reaches 127.0.0.1
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unique-local", address in _UNIQUE_LOCAL if address.version == 6 else False),
        ("reserved", address.is_reserved),  # before private: Python counts 240/4 as private
        ("private", address.is_private),
        # Shared address space (100.64/10), documentation ranges, and the like.
        ("non-public", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def parse_ip(host: str) -> Optional[IPAddress]:
    """`host` as an IP address (brackets and an IPv6 zone allowed), None for a name."""
    text = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, in resolver order, without duplicates."""
    literal = parse_ip(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        if error.errno == socket.EAI_NONAME:
            raise UnknownHost(f"cannot resolve host {host}: {error}") from None
        raise ConnectionFailed(f"cannot resolve host {host}: {error}") from None
    except UnicodeError as error:
        raise UnknownHost(f"cannot resolve host {host}: {error}") from None
    found: list[IPAddress] = []
    for info in infos:
        address = parse_ip(str(info[4][0]))
        if address is not None and address not in found:
            found.append(address)
    if not found:
        raise ConnectionFailed(f"host {host} has no address")
    return found


class AddressPolicy:
    """Refuses non-public addresses unless allowed by CIDR or by exact `host:port`.

    Entries: `127.0.0.0/8`, `::1/128`, `10.1.2.3` (one address), `localhost:5000`,
    `[::1]:5000`. A `host:port` entry trusts that endpoint whatever it resolves to.
    """

    def __init__(self, allow: Iterable[str] = ()):
        self._networks: list[IPNetwork] = []
        self._endpoints: set[tuple[str, int]] = set()
        for entry in allow:
            self._add(entry.strip())

    @classmethod
    def from_config(cls, text: str) -> "AddressPolicy":
        """Entries separated by commas or white space, as one configuration value holds them."""
        return cls(entry for entry in re.split(r"[,\s]+", text or "") if entry)

    def _add(self, entry: str) -> None:
        try:
            self._networks.append(ipaddress.ip_network(entry, strict=False))
            return
        except ValueError:
            pass
        match = _ENDPOINT.match(entry)
        if not match or not 0 < int(match["port"]) < 65536:
            raise ValueError(f"registry allow-list entry {entry!r} is neither a CIDR nor host:port")
        host = match["v6"] or match["host"]
        self._endpoints.add((host.lower(), int(match["port"])))

    def check(self, host: str, port: int) -> list[IPAddress]:
        """The addresses to connect to for `host:port`; UnsafeAddress if any is refused."""
        addresses = resolve(host, port)
        if (host.strip("[]").lower(), port) in self._endpoints:
            return addresses
        for address in addresses:
            kind = refused_class(address)
            if kind and not any(address in network for network in self._networks):
                shown = host if str(address) == host.strip("[]") else f"{host} ({address})"
                raise UnsafeAddress(
                    f"refusing to connect to {shown}: {kind} address not in the registry allow-list"
                )
        return addresses

    def __repr__(self) -> str:
        entries = [str(n) for n in self._networks] + [f"{h}:{p}" for h, p in sorted(self._endpoints)]
        return f"AddressPolicy({entries!r})"
