"""Another machine on the internet, for a ``Sandbox``: a network namespace of its own joined to the
sandbox's by a veth pair, from which a client connects to the server's ports the way one elsewhere would
(through the server's firewall, which the sandbox's ``lo`` never passes: nft and ufw accept loopback).

``probe`` asks a port what a client would get: ``open`` (an XMPP stream's features, an HTTP answer, a
STUN binding response, or for ``tcp`` a connection), ``refused`` (nothing listens; the firewall let the
packet in) or ``dropped`` (no answer within the deadline: the firewall dropped it).
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from typing import Literal

from .sandbox import Sandbox

SERVER, CLIENT = "10.203.0.1", "10.203.0.2"  # the link's two ends, alone on it
Kind = Literal["xmpp", "http", "https", "stun", "tcp"]

# Run with the host's Python inside the other namespace: prints what the client got.
PROBE = r"""
import os, socket, ssl, sys
kind, host, port, deadline = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
try:
    if kind == "stun":
        request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + os.urandom(12)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.settimeout(deadline)
            udp.sendto(request, (host, port))
            answer = udp.recv(2048)
        print("open" if answer[:2] == b"\x01\x01" and answer[8:20] == request[8:20] else "other")
    else:
        with socket.create_connection((host, port), timeout=deadline) as tcp:
            tcp.settimeout(deadline)
            if kind == "https":  # TLS first (any certificate: what answers is the question), then HTTP
                context = ssl.create_default_context()
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
                tcp = context.wrap_socket(tcp, server_hostname=sys.argv[5])
                kind = "http"
            if kind == "tcp":  # connected: something listens there
                print("open")
                sys.exit(0)
            if kind == "xmpp":
                tcp.sendall(b"<?xml version='1.0'?><stream:stream to='" + sys.argv[5].encode() + b"' "
                            b"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
                expected = b"stream:features"
            else:
                tcp.sendall(b"GET / HTTP/1.0\r\nHost: " + sys.argv[5].encode() + b"\r\n\r\n")
                expected = b"HTTP/"
            seen = b""
            while expected not in seen:
                chunk = tcp.recv(4096)
                if not chunk:
                    break
                seen += chunk
        print("open" if expected in seen else "other")
except ConnectionRefusedError:
    print("refused")
except (TimeoutError, socket.timeout):
    print("dropped")
"""


class Outside:
    """A client's network namespace, linked to the sandbox's: the server is ``SERVER`` from here."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.name = f"{sandbox.name}-out-{secrets.token_hex(2)}"
        self._made = False

    def __enter__(self) -> Outside:
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self._made = True
        try:
            self.sandbox.host("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", self.name)
            self.sandbox.host("ip", "addr", "add", f"{SERVER}/24", "dev", "eth0")
            self.sandbox.host("ip", "link", "set", "eth0", "up")
            self._here("ip", "link", "set", "lo", "up")
            self._here("ip", "addr", "add", f"{CLIENT}/24", "dev", "eth0")
            self._here("ip", "link", "set", "eth0", "up")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _here(self, *command: str) -> None:
        subprocess.run(["ip", "netns", "exec", self.name, *command], check=True, capture_output=True, timeout=60)

    def probe(self, kind: Kind, port: int, deadline: float = 3.0, name: str = "localhost") -> str:
        """What a client outside gets from the server's ``port``: open, refused or dropped (``name``: the
        server's name, for TLS and HTTP)."""
        return probe(self.name, kind, SERVER, port, deadline, name)

    def close(self) -> None:
        if self._made:  # the veth pair goes with the namespace
            subprocess.run(["ip", "netns", "del", self.name], check=False)
            self._made = False


def probe(namespace: str, kind: Kind, host: str, port: int, deadline: float = 3.0, name: str = "localhost") -> str:
    """What a client in the network namespace ``namespace`` gets from ``host``'s ``port``."""
    result = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", PROBE, kind, host, str(port),
                             str(deadline), name], capture_output=True, text=True, timeout=deadline + 30)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()
