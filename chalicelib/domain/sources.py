"""Which namespace a source reads from, when it is another namespace's stream.

An ImageStreamTag or ImageStreamImage source names its namespace. A DockerImage source in
the integrated registry names one too: the registry serves each stream as
`[prefix/]<namespace>/<stream>`, so `127.0.0.1:5050/shop/web:v1` (under `make run`) or
`<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/shop/web:v1` is shop's stream `web`,
and reading it needs the same pull right in shop as the ImageStreamTag `shop/web:v1`.

The integrated registry is recognised by its host in the forms that reach the same
endpoint: any case, the default port written or not, an IP address in any notation the
resolver accepts (`127.1`, `::ffff:127.0.0.1`), every loopback name for a loopback
registry, and ECR's other endpoint names for the same account and region. A name that
merely resolves to it is not recognised; the import address filter refuses those unless
the allow-list lets them through by address, which is why `make run` allows its registry
as `host:port` and not by CIDR.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable

from ..resources.stream import TagReference
from .reference import parse_reference

DEFAULT_PORT = 443  # a registry named without a port is reached over HTTPS
_HOST_PORT = re.compile(r"(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>[0-9]+))?")
_ECR = re.compile(r"(?P<account>[0-9]{12})\.dkr[.-]ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)"
                  r"\.(?:amazonaws\.com(?:\.cn)?|on\.aws)")
LOOPBACK = "loopback"
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
FORBIDDEN = "Forbidden"  # the reason of a scheduled import refused for want of the right


def endpoint(host: str) -> tuple[str, int]:
    """A registry host (`host[:port]`) as the endpoint it reaches: (canonical host, port)."""
    match = _HOST_PORT.fullmatch(host.lower())
    if match is None:  # more than one ':' outside brackets: not a host the grammar allows
        return host.lower(), DEFAULT_PORT
    name, port = match["host"], int(match["port"] or DEFAULT_PORT)
    address = _address(name.strip("[]"))
    if address is not None:
        mapped = getattr(address, "ipv4_mapped", None) or address
        # Every loopback address, and the unspecified one (a connection to it reaches this
        # machine), is the same machine: a loopback registry answers on any of them.
        name = LOOPBACK if (mapped.is_loopback or mapped.is_unspecified) else str(mapped)
    elif name in LOOPBACK_NAMES:
        name = LOOPBACK
    else:
        ecr = _ECR.fullmatch(name)
        if ecr is not None:
            name = f"{ecr['account']}.dkr.ecr.{ecr['region']}.amazonaws.com"
    return name, port


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """`text` as an IP address, in the notations the resolver reads as one (inet_aton's
    `127.1`, `0x7f.0.0.1`, `2130706433`), or None for a name."""
    try:
        return ipaddress.ip_address(text)  # an IPv6 zone (`%lo`) is kept: the grammar has none
    except ValueError:
        pass
    if not re.fullmatch(r"[0-9a-fx.]+", text):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def integrated_namespace(reference: str, registry: str) -> str | None:
    """The namespace whose stream `reference` names in the integrated registry `registry`
    (INTEGRATED_REGISTRY, `host[:port][/prefix]`), or None when it is not in that registry.

    The namespace is the first part of the repository after the prefix, as the registry
    files it; a repository outside the prefix is not one of the service's."""
    if not registry:
        return None
    try:
        parsed = parse_reference(reference)
    except ValueError:
        return None  # refused by validation, which says why
    host, _, prefix = registry.partition("/")
    if not parsed.registry or endpoint(parsed.registry) != endpoint(host):
        return None
    repository = parsed.repository
    if prefix:
        if not repository.startswith(f"{prefix}/"):
            return None
        repository = repository[len(prefix) + 1:]
    return repository.partition("/")[0]


def read_namespace(ref: TagReference, namespace: str, registry: str) -> str | None:
    """The namespace a spec tag of `namespace` reads from when that is another namespace:
    an ImageStreamTag or ImageStreamImage source's, or a DockerImage source's in the
    integrated registry (imported or only referenced). None for one reading nothing of
    another namespace."""
    if ref.from_ is None:
        return None
    if ref.from_.kind == "DockerImage":  # its from.namespace means nothing: its name says
        source = integrated_namespace(ref.from_.name, registry)
    else:
        source = ref.from_.namespace or namespace
    return source if source != namespace else None


def scheduled_import_refusal(reference: str, namespace: str, author: str, registry: str,
                             may_pull: Callable[[str, str], bool]) -> str | None:
    """Why the scheduled import of `reference` into `namespace` may not run, or None.

    A scheduled import acts for whoever set its source (`author`, "" if not recorded), so
    it reads another namespace's stream in the integrated registry only while they may
    pull from that namespace. `may_pull(subject, namespace)` is the access decision."""
    source = integrated_namespace(reference, registry)
    if source is None or source == namespace:
        return None
    if not author:
        return (f'images from namespace "{source}" need the right to pull there, and who '
                "set this source is not recorded: set it again to import it")
    if may_pull(author, source):
        return None
    return (f'"{author}", who set this source, may not pull images from namespace '
            f'"{source}": it is imported again once they may, or once someone who may '
            "sets it again")
