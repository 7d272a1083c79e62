"""HTTP for verify: plain requests (upload, CORS, host-meta), BOSH and a WebSocket handshake.

In production a web server in front of ejabberd terminates TLS for the web
subdomain. A test without that front end sets ``EJABBERD_WIZARD_HTTP_BASE`` to
send the requests for an origin straight to a base URL instead (see
``WebMap``); the Host header still names the original host, as a reverse proxy
would pass it on.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from wizard.verify.client import TlsTrust

WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_BODY = 1 << 20  # host-meta, BOSH and test files are small; never read more


class Unreachable(Exception):
    """No HTTP answer at all: name not found, connection refused, TLS failed, timeout."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


class WebMap:
    """Origin rewrites: ``https://xmpp.example.org=http://127.0.0.1:5443 ...``.

    A URL whose origin (scheme://host[:port]) is listed is fetched from the
    base instead; wss:// and ws:// URLs follow the rewrite of the matching
    https:// and http:// origin.
    """

    def __init__(self, spec: str = "") -> None:
        self.bases: dict[str, str] = {}
        for pair in spec.split():
            origin, sep, base = pair.partition("=")
            if not sep or urlsplit(origin).scheme not in ("http", "https") \
                    or urlsplit(base).scheme not in ("http", "https"):
                raise ValueError(f"expected ORIGIN=BASE with http(s) URLs, got {pair!r}")
            self.bases[origin.rstrip("/")] = base.rstrip("/")

    def target(self, url: str) -> tuple[str, str | None]:
        """The URL to fetch and the Host header to send (None: the URL's own)."""
        parts = urlsplit(url)
        web_scheme = {"wss": "https", "ws": "http"}.get(parts.scheme, parts.scheme)
        base = self.bases.get(f"{web_scheme}://{parts.netloc}")
        if base is None:
            return url, None
        new = urlsplit(base)
        scheme = new.scheme if web_scheme == parts.scheme else {"https": "wss", "http": "ws"}[new.scheme]
        return urlunsplit((scheme, new.netloc, new.path + parts.path, parts.query, "")), parts.netloc


class Web:
    def __init__(self, rewrites: WebMap, tls: TlsTrust, timeout: float) -> None:
        self.rewrites = rewrites
        self.tls = tls
        self.timeout = timeout

    async def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                      body: bytes | None = None) -> Response:
        target, host = self.rewrites.target(url)
        request = urllib.request.Request(target, data=body, method=method, headers=dict(headers or {}))
        if host:
            request.add_header("Host", host)
        return await asyncio.to_thread(self._fetch, request)

    def _fetch(self, request: urllib.request.Request) -> Response:
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=self.tls.context()))
        try:
            with opener.open(request, timeout=self.timeout) as reply:
                return Response(reply.status, _lower(reply.headers.items()), reply.read(MAX_BODY))
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, _lower(error.headers.items()), error.read(MAX_BODY))
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise Unreachable(f"{request.full_url}: {reason}") from None

    async def websocket_open(self, url: str, domain: str) -> str:
        """Open an XMPP-over-WebSocket stream (RFC 7395); return the server's first two frames."""
        target, host = self.rewrites.target(url)
        parts = urlsplit(target)
        secure = parts.scheme == "wss"
        port = parts.port or (443 if secure else 80)
        context: ssl.SSLContext | None = self.tls.context() if secure else None
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await asyncio.open_connection(
                    parts.hostname, port, ssl=context, server_hostname=parts.hostname if secure else None
                )
                try:
                    key = base64.b64encode(os.urandom(16)).decode()
                    writer.write(
                        f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {host or parts.netloc}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Protocol: xmpp\r\n\r\n".encode()
                    )
                    head = (await reader.readuntil(b"\r\n\r\n")).decode(errors="replace")
                    _check_upgrade(head, key)
                    writer.write(_frame('<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" '
                                        f'to="{domain}" version="1.0"/>'))
                    frames = [await _read_frame(reader), await _read_frame(reader)]
                    writer.write(_frame('<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>'))
                    return "".join(frames)
                finally:
                    writer.close()
        except TimeoutError:
            raise Unreachable(f"{url}: no answer within {self.timeout:.0f}s") from None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            raise Unreachable(f"{url}: {error}") from None


def _lower(items: object) -> dict[str, str]:
    return {name.lower(): value for name, value in items}  # type: ignore[attr-defined]


class HandshakeError(Exception):
    """The WebSocket upgrade was refused or answered wrongly."""


def _check_upgrade(head: str, key: str) -> None:
    status, *lines = head.split("\r\n")
    if " 101 " not in f"{status} ":
        raise HandshakeError(f"upgrade refused: {status.strip()}")
    headers = {name.strip().lower(): value.strip()
               for name, _, value in (line.partition(":") for line in lines if line)}
    accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
    if headers.get("sec-websocket-accept") != accept:
        raise HandshakeError("wrong Sec-WebSocket-Accept")
    if headers.get("sec-websocket-protocol", "").lower() != "xmpp":
        raise HandshakeError("the 'xmpp' subprotocol was not accepted")


def _frame(text: str) -> bytes:
    """One masked text frame, as clients must send them (RFC 6455 §5.3)."""
    payload = text.encode()
    mask = os.urandom(4)
    length = len(payload)
    header = bytes([0x81]) + (bytes([0x80 | length]) if length < 126
                              else bytes([0x80 | 126]) + length.to_bytes(2, "big"))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _read_frame(reader: asyncio.StreamReader) -> str:
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    if length > MAX_BODY:
        raise HandshakeError("frame too large")
    mask = await reader.readexactly(4) if second & 0x80 else b""
    payload = await reader.readexactly(length)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    if first & 0x0F == 0x8:
        raise HandshakeError("the server closed the WebSocket")
    return payload.decode(errors="replace")
