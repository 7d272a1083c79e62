"""A TURN allocation over UDP with long-term credentials (RFC 5766/8656, RFC 5389 §10.2).

What a calling client does with the credentials XEP-0215 gave it: ask for a
relayed address, answer the server's 401 challenge (realm and nonce) with
USERNAME, REALM, NONCE and MESSAGE-INTEGRITY, and get the relayed address. The
allocation is released again at once (a Refresh with LIFETIME 0), so that the
test holds no relay port for the default ten minutes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import os
import struct
from dataclasses import dataclass
from typing import cast

MAGIC = 0x2112A442
ALLOCATE, ALLOCATE_SUCCESS, ALLOCATE_ERROR = 0x0003, 0x0103, 0x0113
REFRESH, REFRESH_SUCCESS = 0x0004, 0x0104
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE = 0x0006, 0x0008, 0x0009
LIFETIME, XOR_RELAYED_ADDRESS, REALM, NONCE = 0x000D, 0x0016, 0x0014, 0x0015
REQUESTED_TRANSPORT = 0x0019
UDP_PROTOCOL = 17
RESEND_EVERY = 0.5  # seconds: UDP may drop a packet (RFC 5389 §7.2.1)


class TurnError(Exception):
    """No allocation: no answer, an error code, or an answer that is not TURN."""


@dataclass(frozen=True)
class Message:
    kind: int
    transaction: bytes
    attributes: dict[int, bytes]  # the first of each type: all a client needs here

    def error(self) -> tuple[int, str] | None:
        value = self.attributes.get(ERROR_CODE)
        if value is None or len(value) < 4:
            return None
        return value[2] * 100 + value[3], value[4:].decode(errors="replace")


def _attribute(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def encode(kind: int, transaction: bytes, attributes: list[tuple[int, bytes]], key: bytes | None = None) -> bytes:
    """A STUN message; with ``key`` it ends in MESSAGE-INTEGRITY over everything before it."""
    body = b"".join(_attribute(k, v) for k, v in attributes)
    if key is None:
        return struct.pack("!HHI", kind, len(body), MAGIC) + transaction + body
    # The length in the header already counts the MESSAGE-INTEGRITY attribute (RFC 5389 §15.4).
    head = struct.pack("!HHI", kind, len(body) + 24, MAGIC) + transaction
    digest = hmac.new(key, head + body, hashlib.sha1).digest()
    return head + body + _attribute(MESSAGE_INTEGRITY, digest)


def decode(data: bytes) -> Message | None:
    """The message in ``data``, or None when it is not STUN."""
    if len(data) < 20:
        return None
    kind, length, magic = struct.unpack("!HHI", data[:8])
    if magic != MAGIC or len(data) < 20 + length:
        return None
    attributes: dict[int, bytes] = {}
    offset = 20
    while offset + 4 <= 20 + length:
        attr, size = struct.unpack("!HH", data[offset:offset + 4])
        attributes.setdefault(attr, data[offset + 4:offset + 4 + size])
        offset += 4 + size + (-size % 4)
    return Message(kind, data[8:20], attributes)


def xor_address(value: bytes, transaction: bytes) -> tuple[str, int]:
    """An XOR-MAPPED/RELAYED-ADDRESS value as (address, port)."""
    family, xport = struct.unpack("!xBH", value[:4])
    port = xport ^ (MAGIC >> 16)
    mask = struct.pack("!I", MAGIC) + (transaction if family == 2 else b"")
    raw = bytes(b ^ m for b, m in zip(value[4:4 + len(mask)], mask, strict=False))
    return str(ipaddress.ip_address(raw)), port


def long_term_key(username: str, realm: str, password: str) -> bytes:
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).digest()  # noqa: S324  (RFC 5389 §15.4)


class _Exchange(asyncio.DatagramProtocol):
    """One UDP socket; requests are resent until the answer of their transaction comes."""

    def __init__(self) -> None:
        self.waiting: dict[bytes, asyncio.Future[Message]] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, _addr: object) -> None:
        message = decode(data)
        if message is not None and (future := self.waiting.get(message.transaction)) and not future.done():
            future.set_result(message)

    async def ask(self, request: bytes, timeout: float) -> Message:
        transaction = request[8:20]
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self.waiting[transaction] = future
        assert self.transport is not None
        try:
            async with asyncio.timeout(timeout):
                while not future.done():
                    self.transport.sendto(request)
                    await asyncio.wait({future}, timeout=RESEND_EVERY)
        finally:
            del self.waiting[transaction]
        return future.result()


async def allocate(address: str, port: int, username: str, password: str, timeout: float) -> tuple[str, int]:
    """Allocate a UDP relay at address:port with these credentials; return the relayed address.

    The allocation is released before returning. Raises ``TurnError`` saying what went wrong.
    """
    loop = asyncio.get_running_loop()
    transport, exchange = await loop.create_datagram_endpoint(_Exchange, remote_addr=(address, port))
    where = f"{address}:{port}/udp"
    transport_attr = (REQUESTED_TRANSPORT, bytes([UDP_PROTOCOL, 0, 0, 0]))
    try:
        try:
            challenge = await exchange.ask(encode(ALLOCATE, os.urandom(12), [transport_attr]), timeout)
            if challenge.kind == ALLOCATE_SUCCESS:
                raise TurnError(f"{where} allocated a relay without asking for credentials: an open relay")
            realm, nonce = challenge.attributes.get(REALM), challenge.attributes.get(NONCE)
            if (challenge.error() or (0, ""))[0] != 401 or realm is None or nonce is None:
                raise TurnError(f"{where} answered the allocation with {_describe(challenge)}, not a 401 challenge")
            key = long_term_key(username, realm.decode(errors="replace"), password)
            credentials = [(USERNAME, username.encode()), (REALM, realm), (NONCE, nonce)]
            answer = await exchange.ask(encode(ALLOCATE, os.urandom(12), [transport_attr, *credentials], key), timeout)
            if answer.kind != ALLOCATE_SUCCESS:
                raise TurnError(f"{where} refused the allocation with the announced credentials: {_describe(answer)}")
            relayed = answer.attributes.get(XOR_RELAYED_ADDRESS)
            if relayed is None:
                raise TurnError(f"{where} allocated without naming the relayed address")
            relay = xor_address(relayed, answer.transaction)
            release = encode(REFRESH, os.urandom(12), [(LIFETIME, struct.pack("!I", 0)), *credentials], key)
            released = await exchange.ask(release, timeout)
            if released.kind != REFRESH_SUCCESS:
                raise TurnError(f"{where} allocated, but refused to release the allocation: {_describe(released)}")
            return relay
        except TimeoutError:
            raise TurnError(f"no TURN answer from {where} within {timeout:.0f}s") from None
        except OSError as error:
            raise TurnError(f"{where}: {error}") from None
    finally:
        transport.close()


def _describe(message: Message) -> str:
    error = message.error()
    return f"error {error[0]} {error[1]}".strip() if error else f"message type {message.kind:#06x}"
