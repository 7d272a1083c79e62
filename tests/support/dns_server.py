"""Real DNS servers on loopback for the DNS checks.

* ``NsdServer``: Debian's nsd, authoritative for the given zones, with a config of its
  own in a temp dir; a zone listed as ``failing`` is configured without data, so nsd
  answers SERVFAIL for it.
* ``SilentServer``: a UDP socket that reads every query and never answers (timeouts).
* ``DelayingServer``: an in-process authoritative server (dnspython) that answers every
  query after a fixed delay, each on its own timer, so concurrent queries overlap; it
  counts the most queries it had waiting at once.

``zones_from_records(text)`` turns the deployment's dns/records.zone (one ``$ORIGIN``
per domain) into complete zones, with the SOA and NS records a server needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

from .components import free_port, require
from .slow import starting

LOOPBACK = "127.0.0.1"


def zone_header(origin: str) -> str:
    return (
        f"$ORIGIN {origin}.\n$TTL 60\n"
        f"@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 60\n"
        f"@ IN NS ns.{origin}.\n"
    )


def zones_from_records(records: str) -> dict[str, str]:
    """Each ``$ORIGIN`` block of a records.zone as a zone of its own, with SOA and NS added."""
    zones: dict[str, str] = {}
    origin = None
    for line in records.splitlines():
        match = re.match(r"^\$ORIGIN\s+(\S+?)\.?\s*$", line)
        if match:
            origin = match.group(1)
            zones[origin] = zone_header(origin)
        elif origin is not None and line.strip() and not line.startswith("$"):
            zones[origin] += line + "\n"
    return zones


def wait_until_answering(port: int, zone: str, timeout: float = 10.0, alive: object = None) -> None:
    """Poll the server with an SOA query until it answers; bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    query = dns.message.make_query(zone + ".", dns.rdatatype.SOA)
    while time.monotonic() < deadline:
        if callable(alive) and not alive():
            raise RuntimeError("the DNS server exited during start")
        with contextlib.suppress(OSError, dns.exception.Timeout):
            dns.query.udp(query, LOOPBACK, port=port, timeout=0.2)
            return
        time.sleep(0.05)
    raise RuntimeError(f"no DNS answer on {LOOPBACK}:{port} within {timeout:g} s")


def write_nsd_files(workdir: Path, listen: Iterable[str], zones: Mapping[str, str],
                    failing: Iterable[str] = ()) -> Path:
    """The zone files and an nsd.conf in ``workdir`` for nsd answering on each of ``listen``
    (``ADDRESS`` or ``ADDRESS@PORT``) for ``zones`` (origin -> zone text); ``failing`` zones are
    configured without data (nsd answers SERVFAIL). Returns the nsd.conf."""
    lines = [
        "server:",
        *(f"  ip-address: {address}" for address in listen),
        '  username: ""',  # stay the user that started it: no privilege drop, no chroot
        '  chroot: ""',
        '  database: ""',
        f'  zonesdir: "{workdir}"',
        f'  pidfile: "{workdir}/nsd.pid"',
        f'  xfrdfile: "{workdir}/xfrd.state"',
        f'  xfrdir: "{workdir}"',
        f'  zonelistfile: "{workdir}/zone.list"',
        f'  logfile: "{workdir}/nsd.log"',
        "  server-count: 1",
        "  verbosity: 1",
        "remote-control:",
        "  control-enable: no",
    ]
    for origin, text in zones.items():
        (workdir / f"{origin}.zone").write_text(text)
    for origin in [*zones, *failing]:
        lines += ["zone:", f"  name: {origin}", f"  zonefile: {origin}.zone"]
    config = workdir / "nsd.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


class NsdServer:
    """nsd on 127.0.0.1:<free port>, serving ``zones`` (origin -> zone text); stopped on exit."""

    def __init__(self, zones: Mapping[str, str], failing: Iterable[str] = ()) -> None:
        self.nsd = require("/usr/sbin/nsd", "apt-get install nsd")
        self.checkzone = require("nsd-checkzone")
        self.zones = dict(zones)
        self.failing = list(failing)
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="nsd-"))
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> NsdServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        starting("a real DNS server (nsd)")
        for origin, text in self.zones.items():
            path = self.workdir / f"{origin}.zone"
            path.write_text(text)
            result = subprocess.run([self.checkzone, origin, str(path)], capture_output=True, text=True, timeout=30)
            if result.returncode != 0:
                raise ValueError(f"nsd-checkzone rejects {origin}: {result.stdout}{result.stderr}\n{text}")
        config = write_nsd_files(self.workdir, [f"{LOOPBACK}@{self.port}"], self.zones, self.failing)
        log = (self.workdir / "stdout.log").open("wb")
        self.process = subprocess.Popen([self.nsd, "-d", "-c", str(config)],
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        log.close()
        first = next(iter(self.zones))
        try:
            wait_until_answering(self.port, first, timeout, alive=lambda: self.process.poll() is None)
        except RuntimeError as error:
            raise RuntimeError(f"{error}:\n{self.log()}") from None

    def log(self) -> str:
        texts = []
        for name in ("nsd.log", "stdout.log"):
            with contextlib.suppress(OSError):
                texts.append((self.workdir / name).read_text(errors="replace"))
        return "".join(texts)

    def stop(self) -> None:
        if self.process is not None:
            for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                with contextlib.suppress(ProcessLookupError):
                    self.process.send_signal(sig)
                try:
                    self.process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            self.process = None
        shutil.rmtree(self.workdir, ignore_errors=True)


class SilentServer:
    """A UDP socket on loopback that reads every query and never answers."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind((LOOPBACK, 0))
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.received = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True)

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.socket.close()

    def _drain(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                self.socket.recv(4096)
                self.received += 1


class _Zones:
    """Authoritative answers from parsed zones: the record set, NODATA, or NXDOMAIN."""

    def __init__(self, zones: Mapping[str, str]) -> None:
        self.zones = [dns.zone.from_text(text, origin=origin + ".", relativize=False) for origin, text in zones.items()]

    def answer(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        response = dns.message.make_response(query)
        question = query.question[0]
        zone = next((z for z in self.zones if z.origin is not None and question.name.is_subdomain(z.origin)), None)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire()
        response.flags |= dns.flags.AA
        node = zone.get_node(question.name)
        rdataset = node.get_rdataset(dns.rdataclass.IN, question.rdtype) if node else None
        if rdataset is not None:
            response.answer.append(zone_rrset(question.name, rdataset))
        elif node is None and not any(name.is_subdomain(question.name) for name in zone.nodes):
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()


def zone_rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype)
    rrset.update(rdataset)
    return rrset


class DelayingServer:
    """An in-process authoritative server that answers each query ``delay`` seconds after it came."""

    def __init__(self, zones: Mapping[str, str], delay: float) -> None:
        self.zones = _Zones(zones)
        self.delay = delay
        self.port = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.answered = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._transport: asyncio.DatagramTransport | None = None

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def __enter__(self) -> DelayingServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        future.result(timeout=10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._transport is not None:
            self._loop.call_soon_threadsafe(self._transport.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _listen(self) -> None:
        server = self

        class Protocol(asyncio.DatagramProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                server._transport = transport  # type: ignore[assignment]

            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                server._received(data, addr)

        await self._loop.create_datagram_endpoint(Protocol, local_addr=(LOOPBACK, 0))
        assert self._transport is not None
        self.port = self._transport.get_extra_info("sockname")[1]

    def _received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.zones.answer(data)
        if reply is None:
            return
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self._loop.call_later(self.delay, self._send, reply, addr)

    def _send(self, reply: bytes, addr: tuple[str, int]) -> None:
        self.in_flight -= 1
        self.answered += 1
        if self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(reply, addr)
