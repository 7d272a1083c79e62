"""Ports: free or held by ejabberd itself, not shared, opened on Uberspace, bindable by the server's user.

Who holds a port comes from psutil (the kernel's socket tables), not from trying to
bind it: a check must not open public listeners, and binding cannot say which
process is in the way.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import subprocess
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

from wizard.answers.model import Answers
from wizard.checks.core import Checker, Context, Finding, Severity, finder

found = finder("ports", "ports")

# Ports other machines connect to; on Uberspace each must be opened with `uberspace port add`.
PUBLIC = ("c2s", "c2s_tls", "s2s", "s2s_tls", "proxy65", "stun", "stuns", "turn_relay", "mqtt")
UNPRIVILEGED_START_FILE = Path("/proc/sys/net/ipv4/ip_unprivileged_port_start")
WILDCARDS = {"::", "0.0.0.0"}


@dataclass(frozen=True)
class Listener:
    """One port ejabberd will listen on, as the generated config says."""

    field: str  # the answers field that sets it, e.g. "c2s"
    port: int
    ip: str
    transports: tuple[str, ...]  # "tcp", "udp"

    @property
    def setting(self) -> str:
        return f"ports.{self.field}"


@dataclass(frozen=True)
class Holder:
    """A socket already bound to a port, and the process it belongs to."""

    port: int
    transport: str
    ip: str
    pid: int | None
    name: str
    user: str | None
    command: str

    @property
    def is_ejabberd(self) -> bool:
        # ejabberd runs as the Erlang VM (beam.smp) with ejabberd on its command line.
        return "ejabberd" in self.command or self.name.startswith("ejabberd")

    def describe(self) -> str:
        if self.pid is None:
            return "a process of another user (run the check as root to see which)"
        owner = f", user {self.user}" if self.user else ""
        return f"{self.name} (pid {self.pid}{owner})"


def listeners(answers: Answers) -> list[Listener]:
    ports = answers.ports
    result = []
    for field, number in ports.services(answers).items():
        if field == "http":
            ip = ports.http_ip
        elif field == "admin_http":
            ip = "127.0.0.1"  # the generated config binds the admin listener to loopback
        else:
            ip = ports.listen_ip
        # A one-port TURN relay binds its port for UDP when a call needs it.
        transports = {"stun": ("udp", "tcp"), "turn_relay": ("udp",)}.get(field, ("tcp",))
        result.append(Listener(field, number, ip, transports))
    return result


def bound_sockets() -> list[Holder]:
    """Every listening TCP socket and every bound UDP socket on this machine."""
    holders = []
    names: dict[int, tuple[str, str | None, str]] = {}
    for conn in psutil.net_connections(kind="inet"):
        transport = "tcp" if conn.type == socket.SOCK_STREAM else "udp"
        if transport == "tcp" and conn.status != psutil.CONN_LISTEN:
            continue
        if not conn.laddr:
            continue
        if conn.pid is not None and conn.pid not in names:
            names[conn.pid] = _process(conn.pid)
        name, user, command = names.get(conn.pid, ("", None, "")) if conn.pid is not None else ("", None, "")
        holders.append(Holder(conn.laddr.port, transport, conn.laddr.ip, conn.pid, name, user, command))
    return holders


def _process(pid: int) -> tuple[str, str | None, str]:
    try:
        process = psutil.Process(pid)
        with process.oneshot():
            return process.name(), process.username(), " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return "unknown process", None, ""


def overlaps(ip: str, other: str) -> bool:
    """Whether a listener on ``ip`` and a socket on ``other`` compete for the same port."""
    if ip in WILDCARDS or other in WILDCARDS:
        return True
    try:
        first, second = ipaddress.ip_address(ip), ipaddress.ip_address(other.split("%")[0])
    except ValueError:
        return ip == other
    # ::ffff:127.0.0.1 is 127.0.0.1 to an IPv6 socket that also takes IPv4.
    first = getattr(first, "ipv4_mapped", None) or first
    second = getattr(second, "ipv4_mapped", None) or second
    return first == second


def check_in_use(ctx: Context) -> list[Finding]:
    answers = ctx.answers
    sockets = bound_sockets()
    taken = {holder.port for holder in sockets} | set(answers.ports.services(answers).values())
    findings = []
    for listener in listeners(answers):
        in_the_way = [
            holder for holder in sockets
            if holder.port == listener.port and holder.transport in listener.transports
            and overlaps(listener.ip, holder.ip)
        ]
        where = f"{'/'.join(t.upper() for t in listener.transports)} on {listener.ip}"
        subject = f"{listener.port} ({listener.setting})"
        others = [holder for holder in in_the_way if not holder.is_ejabberd]
        if others:
            holder = others[0]
            findings.append(found(
                "ports.in_use", Severity.ERROR, subject,
                f"port {listener.port} ({where}) is already in use by {holder.describe()} on "
                f"{holder.transport.upper()} {holder.ip}; ejabberd could not listen on it",
                "stop that process, or choose another port: "
                f"{listener.setting}: {_suggest_free(answers, taken, listener.port)}",
            ))
        elif in_the_way:
            findings.append(_held_by_ejabberd(answers, listener, in_the_way[0], subject, where))
        else:
            findings.append(found("ports.in_use", Severity.OK, subject, f"port {listener.port} ({where}) is free"))
    return findings


def _held_by_ejabberd(answers: Answers, listener: Listener, holder: Holder, subject: str, where: str) -> Finding:
    user = answers.install.user
    if holder.user in (None, user):
        return found("ports.in_use", Severity.OK, subject,
                     f"port {listener.port} ({where}) is held by ejabberd itself ({holder.describe()})")
    # Another ejabberd (another deployment, or the distribution's own) is in the way.
    return found("ports.in_use", Severity.WARNING, subject,
                 f"port {listener.port} ({where}) is held by an ejabberd running as {holder.user}, "
                 f"not as {user} ({holder.describe()})",
                 f"if that is not this server, stop it or choose another port for {listener.setting}")


def _suggest_free(answers: Answers, taken: set[int], near: int) -> int:
    opened = uberspace_opened_ports() if _on_uberspace(answers) else None
    candidates: Iterable[int] = opened if opened else range(max(near + 1, 1024), 65536)
    return next((port for port in candidates if port not in taken), near)


def check_shared(ctx: Context) -> list[Finding]:
    """No two services on one port: ejabberd's listeners, the web server in front, the database."""
    answers = ctx.answers
    users: dict[int, list[str]] = defaultdict(list)
    for field, number in answers.ports.services(answers).items():
        users[number].append(f"ports.{field}")
    if answers.service.web_server == "caddy":
        for number in (80, 443):
            users[number].append(f"Caddy (HTTP{'S' if number == 443 else ''})")
    database = answers.database
    if database.backend == "mysql" and database.server in ("localhost", "127.0.0.1", "::1"):
        users[database.port].append("database.port (MySQL on this machine)")
    shared = {number: names for number, names in users.items() if len(names) > 1}
    if not shared:
        return [found("ports.shared", Severity.OK, "all ports", "no two services share a port")]
    return [
        found("ports.shared", Severity.ERROR, str(number), f"port {number} is used by {' and '.join(names)}",
              f"give {names[0]} a port of its own")
        for number, names in sorted(shared.items())
    ]


def _on_uberspace(answers: Answers) -> bool:
    return answers.service.web_server == "uberspace"


def uberspace_opened_ports() -> list[int] | None:
    """The ports `uberspace port list` shows (one per line), or None when there is no such command."""
    tool = shutil.which("uberspace")
    if tool is None:
        return None
    try:
        result = subprocess.run([tool, "port", "list"], capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_port_list(result.stdout)


def parse_port_list(text: str) -> list[int]:
    return [int(line.strip()) for line in text.splitlines() if line.strip().isdigit()]


def check_uberspace(ctx: Context) -> list[Finding]:
    if not _on_uberspace(ctx.answers):
        return []
    opened = uberspace_opened_ports()
    if opened is None:
        return [found(
            "ports.uberspace", Severity.INFO, "uberspace port list",
            "the uberspace command is not here, so which ports are open to the internet cannot be checked",
            "run this check on the Uberspace host",
        )]
    return uberspace_findings(ctx.answers, opened)


def uberspace_findings(answers: Answers, opened: list[int]) -> list[Finding]:
    """Each public port must be one of those opened with `uberspace port add`."""
    services = answers.ports.services(answers)
    public = {field: number for field, number in services.items() if field in PUBLIC}
    spare = [port for port in opened if port not in services.values()]
    findings = []
    for field, number in public.items():
        subject = f"{number} (ports.{field})"
        if number in opened:
            findings.append(found("ports.uberspace", Severity.OK, subject,
                                  f"port {number} is opened in the Uberspace firewall"))
            continue
        if spare:
            fix = f"use an opened port that nothing else uses: ports.{field}: {spare.pop(0)}"
        else:
            fix = f"run `uberspace port add` and set ports.{field} to the port it prints"
        findings.append(found(
            "ports.uberspace", Severity.ERROR, subject,
            f"port {number} is not opened in the Uberspace firewall (opened: {', '.join(map(str, opened)) or 'none'}); "
            "nobody outside can connect to it", fix,
        ))
    return findings


def unprivileged_port_start() -> int:
    """The lowest port a user without CAP_NET_BIND_SERVICE may bind (Linux lets root lower it)."""
    try:
        return int(UNPRIVILEGED_START_FILE.read_text().strip())
    except (OSError, ValueError):
        return 1024


def check_privileged(ctx: Context) -> list[Finding]:
    answers = ctx.answers
    if answers.install.user == "root":
        return []
    start = unprivileged_port_start()
    findings = []
    for listener in listeners(answers):
        if listener.port >= start:
            continue
        if answers.service.manager == "systemd":
            fix = (f"add AmbientCapabilities=CAP_NET_BIND_SERVICE to [Service] in {answers.service.unit_path}, "
                   f"or choose a port from {start} up for {listener.setting}")
        else:
            fix = f"choose a port from {start} up for {listener.setting}"
        findings.append(found(
            "ports.privileged", Severity.ERROR, f"{listener.port} ({listener.setting})",
            f"port {listener.port} is below {start}: ejabberd, running as {answers.install.user}, may not listen on it",
            fix,
        ))
    return findings


def has_ipv6() -> bool:
    """Whether any interface has an IPv6 address (a listener on :: needs the IPv6 stack)."""
    if not socket.has_ipv6:
        return False
    return any(address.family == socket.AF_INET6
               for addresses in psutil.net_if_addrs().values() for address in addresses)


def check_addresses(ctx: Context, ipv6_available: bool | None = None) -> list[Finding]:
    """Listener addresses the platform needs: :: for Uberspace's web backend, loopback behind Caddy."""
    ports, service = ctx.answers.ports, ctx.answers.service
    findings = []
    if ports.listen_ip == "::" and not (has_ipv6() if ipv6_available is None else ipv6_available):
        findings.append(found(
            "ports.listen_ip", Severity.ERROR, "ports.listen_ip",
            "ejabberd is to listen on '::' but this machine has no IPv6 address; it would fail to start its listeners",
            "ports.listen_ip: 0.0.0.0",
        ))
    if service.web_server == "uberspace" and ports.http_ip != "::":
        findings.append(found(
            "ports.http_ip", Severity.ERROR, "ports.http_ip",
            f"the web listener is on {ports.http_ip}, but Uberspace's web backend connects over '::'",
            'ports.http_ip: "::"',
        ))
    elif service.web_server == "caddy" and ports.http_ip in WILDCARDS:
        findings.append(found(
            "ports.http_ip", Severity.WARNING, "ports.http_ip",
            f"the plain-HTTP web listener is on {ports.http_ip}: anyone can reach it around Caddy's TLS",
            "ports.http_ip: 127.0.0.1",
        ))
    if not findings:
        findings.append(found("ports.addresses", Severity.OK, "listener addresses",
                              f"listeners on {ports.listen_ip}, web listener on {ports.http_ip}, "
                              "as this platform needs"))
    return findings


CHECKERS = (
    Checker("ports", frozenset({"ports"}), check_in_use),
    Checker("ports", frozenset({"ports"}), check_shared),
    Checker("ports", frozenset({"ports"}), check_uberspace),
    Checker("ports", frozenset({"ports"}), check_privileged),
    Checker("ports", frozenset({"ports"}), check_addresses),
)
