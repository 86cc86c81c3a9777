"""Which addresses an import may connect to.

An image reference comes from a user, so without these rules an import could probe the
cloud metadata service or hosts inside the network (SSRF). Every host name is resolved
here and every resolved address checked; the transport then connects to the checked
address itself (see transport.PinnedAdapter), so DNS cannot answer differently later.

The rules follow IANA's special-purpose address registries (RFC 6890): a block whose
"Globally Reachable" is False, or N/A as for 6to4 and Teredo, is refused; so are multicast,
IPv6's deprecated site-local block and everything outside IPv6's global unicast 2000::/3.
The tables are written out here rather than taken from Python's `ipaddress` flags, which
changed between Python releases (3.11.10 and 3.12.4 moved blocks in and out of
`is_private`): what an import may reach must not depend on the runtime's version.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable

from .errors import ConnectionFailed, UnknownHost, UnsafeAddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_ENDPOINT = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<host>[^:\[\]]+)):(?P<port>\d{1,5})$")

# The class an address of each block is refused as; None: globally reachable. The most
# specific block holding an address decides, so a reachable block inside a refused one
# (192.0.0.9/32 in 192.0.0.0/24) is allowed.
# IANA IPv4 Special-Purpose Address Registry (iana-ipv4-special-registry), and 224.0.0.0/4
# from the IPv4 Multicast Address Space Registry.
_IPV4_BLOCKS: tuple[tuple[str, str | None], ...] = (
    ("0.0.0.0/0", None),  # allocated unicast space, outside the blocks below
    ("0.0.0.0/8", "unspecified"),  # "this network" (0.0.0.0/32: "this host")
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "non-public"),  # shared address space (carrier-grade NAT)
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),  # the instance metadata service lives here
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "non-public"),  # IETF protocol assignments
    ("192.0.0.9/32", None),  # Port Control Protocol anycast
    ("192.0.0.10/32", None),  # TURN anycast
    ("192.0.2.0/24", "non-public"),  # documentation (TEST-NET-1)
    ("192.31.196.0/24", None),  # AS112-v4
    ("192.52.193.0/24", None),  # AMT
    ("192.88.99.0/24", "non-public"),  # deprecated 6to4 relay anycast
    ("192.168.0.0/16", "private"),
    ("192.175.48.0/24", None),  # direct delegation AS112 service
    ("198.18.0.0/15", "non-public"),  # benchmarking
    ("198.51.100.0/24", "non-public"),  # documentation (TEST-NET-2)
    ("203.0.113.0/24", "non-public"),  # documentation (TEST-NET-3)
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),  # 255.255.255.255/32, limited broadcast, is in it
)
# IANA IPv6 Special-Purpose Address Registry (iana-ipv6-special-registry), with the IPv6
# Address Space registry's blocks around it: only 2000::/3 is global unicast, the rest
# reserved by the IETF but for unique-local, link-local, site-local and multicast.
# ::ffff:0:0/96 (IPv4-mapped) and 64:ff9b::/96 (NAT64, globally reachable) are judged by
# the IPv4 address they carry before this table is read.
_IPV6_BLOCKS: tuple[tuple[str, str | None], ...] = (
    ("::/0", "reserved"),  # also IPv4-compatible ::/96 and IPv4-translated ::ffff:0:0:0/96
    ("2000::/3", None),  # global unicast
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "non-public"),  # local-use NAT64: where it leads is the network's
    ("100::/64", "non-public"),  # discard-only
    ("100:0:0:1::/64", "non-public"),  # dummy prefix
    ("2001::/23", "non-public"),  # IETF protocol assignments, Teredo (2001::/32) among them
    ("2001:1::1/128", None),  # Port Control Protocol anycast
    ("2001:1::2/128", None),  # TURN anycast
    ("2001:1::3/128", None),  # DNS-SD service registration protocol anycast
    ("2001:2::/48", "non-public"),  # benchmarking
    ("2001:3::/32", None),  # AMT
    ("2001:4:112::/48", None),  # AS112-v6
    ("2001:10::/28", "non-public"),  # deprecated ORCHID
    ("2001:20::/28", None),  # ORCHIDv2
    ("2001:30::/28", None),  # drone remote ID entity tags
    ("2001:db8::/32", "non-public"),  # documentation
    # 6to4 carries an IPv4 address (2002:AABB:CCDD::), 127.0.0.1 or 10.0.0.1 as well as a
    # public one; IANA gives it no reachability, and the transition it served is over.
    ("2002::/16", "non-public"),
    ("2620:4f:8000::/48", None),  # direct delegation AS112 service
    ("3fff::/20", "non-public"),  # documentation
    ("5f00::/16", "non-public"),  # segment routing (SRv6) SIDs
    ("fc00::/7", "unique-local"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),  # deprecated by RFC 3879, still routed by some networks
    ("ff00::/8", "multicast"),
)
_IPV4_TABLE = tuple((ipaddress.IPv4Network(block), kind) for block, kind in _IPV4_BLOCKS)
_IPV6_TABLE = tuple((ipaddress.IPv6Network(block), kind) for block, kind in _IPV6_BLOCKS)
# NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address it leads to.
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address a connection to `address` reaches: that of an IPv4-mapped address
    (::ffff:127.0.0.1 is 127.0.0.1 on a dual-stack socket) or of a NAT64 well-known-prefix
    address (64:ff9b::7f00:1, through the network's translator); None for any other."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refused_class(address: IPAddress) -> str | None:
    """The class that makes `address` refused by default, or None for a public address."""
    carried = embedded_ipv4(address)
    if carried is not None:
        return refused_class(carried)
    table = _IPV4_TABLE if isinstance(address, ipaddress.IPv4Address) else _IPV6_TABLE
    # Blocks that hold the same address and differ have different prefix lengths, so the
    # pairs compare by length alone: the last is the most specific block's.
    holding = [(network.prefixlen, kind) for network, kind in table if address in network]
    return max(holding)[1]


def parse_ip(host: str) -> IPAddress | None:
    """`host` as an IP address (brackets and an IPv6 zone allowed), None for a name."""
    text = host.strip("[]").partition("%")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def resolve(host: str) -> list[IPAddress]:
    """Every address `host` resolves to, in resolver order, each once (the resolver lists
    an address once per socket type and port; neither changes what it is)."""
    literal = parse_ip(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, None)
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
    def from_config(cls, text: str) -> AddressPolicy:
        """Entries separated by commas or white space, as one configuration value holds them."""
        return cls(entry for entry in re.split(r"[,\s]+", text or "") if entry)

    def _add(self, entry: str) -> None:
        try:
            # A CIDR with host bits set (10.1.2.3/8) means its network, as ip_interface reads it.
            self._networks.append(ipaddress.ip_interface(entry).network)
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
        addresses = resolve(host)
        if (host.strip("[]").lower(), port) in self._endpoints:
            return addresses
        # Every address, not the first: a name may resolve to a public and a private one,
        # and the transport falls back from one address to the next.
        for address in addresses:
            kind = refused_class(address)
            if kind and not any(address in network for network in self._networks):
                if parse_ip(host) is None:
                    # Neither the address nor its class: the answer would tell the caller
                    # what a name resolves to inside the network (a DNS oracle).
                    raise UnsafeAddress(f"refusing to connect to {host}: its address is not "
                                        "allowed (not in the registry allow-list)")
                raise UnsafeAddress(f"refusing to connect to {host}: {kind} address not in "
                                    "the registry allow-list")
        return addresses

    def __repr__(self) -> str:
        entries = [str(n) for n in self._networks]
        entries += [f"{h}:{p}" for h, p in sorted(self._endpoints)]
        return f"AddressPolicy({entries!r})"
