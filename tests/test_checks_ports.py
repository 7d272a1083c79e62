"""Port checks with real sockets: a listener in the way is named with its process, a free
port passes, a running ejabberd on its own port is fine; plus the rules that need no socket."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.answers_helpers import defaults, installed_ejabberd_version
from tests.support.components import free_port, require
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.answers.model import Answers
from wizard.checks import Finding, Severity, run_checks
from wizard.checks.core import Context
from wizard.checks.ports import (
    check_addresses,
    check_privileged,
    check_shared,
    parse_port_list,
    uberspace_findings,
    unprivileged_port_start,
)
from wizard.ejabberd_yml import render as ejabberd_config

FIELDS = ("c2s", "c2s_tls", "s2s", "s2s_tls", "proxy65", "http", "admin_http", "stun", "stuns")


def answers_with(preset: str = "arch", **overrides: Any) -> Answers:
    return build_from(None, Given(defaults(preset, **overrides)))


@pytest.fixture
def ports() -> dict[str, int]:
    return {name: free_port() for name in FIELDS}


def by_port(findings: list[Finding], port: int) -> Finding:
    [finding] = [f for f in findings if f.check == "ports.in_use" and f.subject.startswith(f"{port} ")]
    return finding


@pytest.fixture
def listening(ports: dict[str, int]) -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", ports["c2s"]))
        sock.listen()
        yield sock


def test_port_held_by_another_process_is_named_and_a_free_one_passes(ports: dict[str, int],
                                                                     listening: socket.socket) -> None:
    findings = run_checks(answers_with(ports=ports), only={"ports"})
    held = by_port(findings, ports["c2s"])
    assert held.severity is Severity.ERROR and held.step == "ports"
    assert f"{psutil.Process().name()} (pid {os.getpid()}" in held.message
    assert held.fix.startswith("stop that process, or choose another port: ports.c2s: ")
    suggested = int(held.fix.rsplit(" ", 1)[1])
    assert suggested not in ports.values()
    free = by_port(findings, ports["s2s"])
    assert free.severity is Severity.OK and "is free" in free.message


def test_udp_socket_on_the_stun_port(ports: dict[str, int]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", ports["stun"]))
        held = by_port(run_checks(answers_with(ports=ports), only={"ports"}), ports["stun"])
    assert held.severity is Severity.ERROR and "UDP 127.0.0.1" in held.message and f"pid {os.getpid()}" in held.message


def test_listener_on_another_address_does_not_collide(ports: dict[str, int], listening: socket.socket) -> None:
    # The web listener is on loopback; a socket on ::1 only is another address.
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("::1", ports["http"]))
        except OSError:
            pytest.skip("::1 is not available here")
        sock.listen()
        finding = by_port(run_checks(answers_with(ports=ports), only={"ports"}), ports["http"])
    assert finding.severity is Severity.OK


@pytest.mark.slow
def test_port_held_by_ejabberd_itself_is_fine(tmp_path: Path, ejabberd_node: Any) -> None:
    require("/usr/sbin/ejabberdctl")
    version = installed_ejabberd_version()
    assert version
    generated = answers_with(install={"version": version})
    node = ejabberd_node(ejabberd_config.render(generated, None))
    assert node.config is not None
    running = {name: node.config.port_for(getattr(generated.ports, name)) for name in ("c2s", "s2s")}
    # The test node runs as the Debian package's user, as the answers say the server does.
    findings = run_checks(answers_with(install={"version": version, "user": "ejabberd"}, ports=running), only={"ports"})
    for port in running.values():
        finding = by_port(findings, port)
        assert finding.severity is Severity.OK, finding
        assert "held by ejabberd itself" in finding.message, finding
    # Run as someone else, it is another ejabberd in the way.
    other = by_port(run_checks(answers_with(install={"version": version}, ports=running), only={"ports"}),
                    running["c2s"])
    assert other.severity is Severity.WARNING and "running as ejabberd, not as isabell" in other.message


def test_shared_with_the_web_server_or_the_database() -> None:
    caddy = answers_with(ports={"c2s_tls": 443})
    [shared] = check_shared(Context(caddy, Path("out")))
    assert shared.severity is Severity.ERROR and shared.subject == "443"
    assert "ports.c2s_tls" in shared.message and "Caddy" in shared.message
    mysql = answers_with(ports={"c2s": 3306}, database={"backend": "mysql", "password_source": "file"})
    [shared] = check_shared(Context(mysql, Path("out")))
    assert shared.subject == "3306" and "database.port" in shared.message
    [fine] = check_shared(Context(answers_with(), Path("out")))
    assert fine.severity is Severity.OK


def test_privileged_port_for_a_server_that_is_not_root() -> None:
    answers = answers_with(ports={"c2s": 80})
    findings = check_privileged(Context(answers, Path("out")))
    if unprivileged_port_start() <= 80:
        assert findings == []  # this kernel lets everyone bind port 80
        return
    [finding] = findings
    assert finding.severity is Severity.ERROR and "isabell" in finding.message
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in finding.fix
    assert check_privileged(Context(answers_with(ports={"c2s": 80}, install={"user": "root"}), Path("out"))) == []


def test_uberspace_ports_must_be_opened() -> None:
    answers = answers_with("uberspace")
    # stuns (45349) is missing; 41000 is spare; 43479 is the one-port TURN relay
    opened = [40222, 40223, 40269, 40270, 40777, 43478, 43479, 41000]
    findings = uberspace_findings(answers, opened)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    assert [f.subject for f in errors] == ["45349 (ports.stuns)"]
    assert errors[0].fix == "use an opened port that nothing else uses: ports.stuns: 41000"
    [none_spare] = [f for f in uberspace_findings(answers, opened[:-1]) if f.severity is Severity.ERROR]
    assert "uberspace port add" in none_spare.fix
    assert parse_port_list("40222\n40223\n\nnot a port\n") == [40222, 40223]


def test_listener_addresses_the_platform_needs() -> None:
    [no_ipv6] = check_addresses(Context(answers_with(), Path("out")), ipv6_available=False)
    assert no_ipv6.severity is Severity.ERROR and no_ipv6.fix == "ports.listen_ip: 0.0.0.0"
    uberspace = answers_with("uberspace", ports={"http_ip": "127.0.0.1"})
    [backend] = check_addresses(Context(uberspace, Path("out")), ipv6_available=True)
    assert backend.severity is Severity.ERROR and backend.fix == 'ports.http_ip: "::"'
    exposed = answers_with(ports={"http_ip": "0.0.0.0"})
    [warning] = check_addresses(Context(exposed, Path("out")), ipv6_available=True)
    assert warning.severity is Severity.WARNING and warning.fix == "ports.http_ip: 127.0.0.1"
    [fine] = check_addresses(Context(answers_with(), Path("out")), ipv6_available=True)
    assert fine.severity is Severity.OK
