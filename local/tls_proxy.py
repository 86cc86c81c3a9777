"""The API over HTTPS: a TLS front that relays each connection's bytes to `chalice local`.

    python -m local.tls_proxy --port 8443 --upstream-port 8000 --certificate C --key K

kubectl (client-go) sends its bearer token only over TLS; `chalice local` speaks plain
HTTP alone. The front ends TLS and copies bytes both ways without reading them, so
methods, headers, bodies, status codes and chunked or streamed answers pass unchanged, as
do keep-alive connections. One event loop serves any number of connections, each with a
connection of its own to the app. It listens on loopback only and offers HTTP/1.1 alone
(ALPN), which is what the app speaks.
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import ssl
import sys

from .settings import HOST

CHUNK = 64 * 1024
BACKLOG = 256  # a burst of clients starting together is queued, not reset

log = logging.getLogger("tls-proxy")


def server_context(certificate: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certificate, key)
    context.set_alpn_protocols(["http/1.1"])
    return context


async def _copy(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
    """Until the source ends; then the end is passed on: a half-close where the target can
    (plain TCP to the app, which then finishes its answer), a close where it cannot (TLS)."""
    try:
        while data := await source.read(CHUNK):
            target.write(data)
            await target.drain()
    except OSError:  # a reset, a broken pipe, a TLS error: the peer went away
        pass  # the other direction then ends on its own
    finally:
        if target.can_write_eof() and not target.is_closing():
            try:
                target.write_eof()
            except OSError:
                target.close()
        else:
            target.close()


async def _relay(upstream_port: int, client_reader: asyncio.StreamReader,
                 client_writer: asyncio.StreamWriter) -> None:
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(HOST, upstream_port)
    except OSError as error:
        log.warning("the app on port %d refused a connection: %s", upstream_port, error)
        client_writer.close()
        return
    await asyncio.gather(_copy(client_reader, upstream_writer),
                         _copy(upstream_reader, client_writer))
    for writer in (upstream_writer, client_writer):
        writer.close()


async def serve(port: int, upstream_port: int, context: ssl.SSLContext) -> None:
    """Serve until the process is signalled (the stack stops its children with SIGTERM)."""
    server = await asyncio.start_server(functools.partial(_relay, upstream_port), HOST, port,
                                        ssl=context, backlog=BACKLOG, reuse_address=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.tls_proxy", description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="the HTTPS port")
    parser.add_argument("--upstream-port", type=int, required=True, help="the app's HTTP port")
    parser.add_argument("--certificate", required=True, help="the server certificate (PEM)")
    parser.add_argument("--key", required=True, help="its private key (PEM)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    context = server_context(args.certificate, args.key)
    log.info("https://%s:%d -> http://%s:%d", HOST, args.port, HOST, args.upstream_port)
    asyncio.run(serve(args.port, args.upstream_port, context))
    return 0


if __name__ == "__main__":
    sys.exit(main())
