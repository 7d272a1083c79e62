"""Raw network checks: a STUN binding, a SOCKS5 greeting and an XMPP stream's features.

Each opens its own connection to an address already resolved, bounded by ``timeout``.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import struct
from xml.sax.saxutils import quoteattr

STUN_MAGIC = 0x2112A442
STUN_BINDING_REQUEST, STUN_BINDING_SUCCESS = 0x0001, 0x0101
STREAMS_NS = "http://etherx.jabber.org/streams"
TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"
MAX_READ = 65536


class NetError(Exception):
    """The service did not answer as it should."""


async def stun_binding(address: str, port: int, timeout: float) -> None:
    """Send a STUN binding request over UDP (RFC 5389) and wait for its success response."""
    loop = asyncio.get_running_loop()
    transaction = os.urandom(12)
    answer: asyncio.Future[bytes] = loop.create_future()

    class Protocol(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, _addr: object) -> None:
            if data[8:20] == transaction and not answer.done():
                answer.set_result(data)

    transport, _ = await loop.create_datagram_endpoint(Protocol, remote_addr=(address, port))
    request = struct.pack("!HHI", STUN_BINDING_REQUEST, 0, STUN_MAGIC) + transaction
    try:
        async with asyncio.timeout(timeout):
            # UDP may drop a packet: resend until the answer comes (RFC 5389 §7.2.1).
            while not answer.done():
                transport.sendto(request)
                await asyncio.wait({answer}, timeout=0.5)
    except TimeoutError:
        raise NetError(f"no STUN answer from {address}:{port}/udp within {timeout:.0f}s") from None
    finally:
        transport.close()
    (kind,) = struct.unpack("!H", answer.result()[:2])
    if kind != STUN_BINDING_SUCCESS:
        raise NetError(f"{address}:{port} answered the binding request with message type {kind:#06x}")


async def socks5_greeting(address: str, port: int, timeout: float) -> None:
    """Offer SOCKS5 without authentication, as XEP-0065 clients do; expect it accepted."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(address, port)
            try:
                writer.write(b"\x05\x01\x00")
                reply = await reader.readexactly(2)
            finally:
                writer.close()
    except TimeoutError:
        raise NetError(f"no SOCKS5 answer from {address}:{port} within {timeout:.0f}s") from None
    except (OSError, asyncio.IncompleteReadError) as error:
        raise NetError(f"{address}:{port}: {error}") from None
    if reply != b"\x05\x00":
        raise NetError(f"{address}:{port} refused the SOCKS5 greeting ({reply!r})")


async def stream_features(
    address: str, port: int, domain: str, namespace: str, context: ssl.SSLContext, *, direct_tls: bool, timeout: float
) -> str:
    """Open an XMPP stream to ``domain`` at address:port over TLS and return its stream features.

    ``direct_tls`` speaks TLS from the first byte (XEP-0368); otherwise the
    stream must offer STARTTLS, which is then negotiated. Either way the
    certificate must be valid for ``domain``.
    """
    try:
        async with asyncio.timeout(timeout):
            if direct_tls:
                reader, writer = await asyncio.open_connection(address, port, ssl=context, server_hostname=domain)
            else:
                reader, writer = await asyncio.open_connection(address, port)
            try:
                features = await _open_stream(reader, writer, domain, namespace)
                if not direct_tls:
                    if f"xmlns='{TLS_NS}'" not in features.replace('"', "'"):
                        raise NetError(f"{address}:{port} offers no STARTTLS")
                    writer.write(f"<starttls xmlns='{TLS_NS}'/>".encode())
                    await _read_until(reader, (b"<proceed", b"<failure"), b"<proceed")
                    await writer.start_tls(context, server_hostname=domain)
                    features = await _open_stream(reader, writer, domain, namespace)
                writer.write(b"</stream:stream>")
                return features
            finally:
                writer.close()
    except TimeoutError:
        raise NetError(f"no XMPP stream from {address}:{port} within {timeout:.0f}s") from None
    except ssl.SSLCertVerificationError as error:
        raise NetError(f"{address}:{port}: certificate not valid for {domain}: {error.verify_message}") from None
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
        raise NetError(f"{address}:{port}: {error}") from None


async def _open_stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, domain: str, namespace: str) -> str:
    writer.write(
        f"<?xml version='1.0'?><stream:stream xmlns={quoteattr(namespace)} xmlns:stream='{STREAMS_NS}' "
        f"to={quoteattr(domain)} version='1.0'>".encode()
    )
    return await _read_until(reader, (b"</stream:features>", b"<stream:error"), b"</stream:features>")


async def _read_until(reader: asyncio.StreamReader, stops: tuple[bytes, ...], wanted: bytes) -> str:
    data = b""
    while not any(stop in data for stop in stops):
        chunk = await reader.read(4096)
        if not chunk or len(data) > MAX_READ:
            raise NetError("the stream ended early")
        data += chunk
    if wanted not in data:
        raise NetError(f"the server answered: {data[-200:].decode(errors='replace')}")
    return data.decode(errors="replace")
