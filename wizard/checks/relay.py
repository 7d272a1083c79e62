"""The TURN relay: its UDP ports are free, opened to the internet, and let in by the local firewall.

ejabberd takes a port of ``turn_min_port``–``turn_max_port`` for each relayed call and
skips the ones in use; a client told to send its media to a port the firewall drops gets
no call, and nothing in ejabberd's log says why. A one-port relay (Uberspace) is checked
with the other ports (``ports.turn_relay`` is then one of ``Ports.services``); here is the range.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from wizard.checks.core import Checker, Context, Finding, Severity, finder
from wizard.checks.ports import bound_sockets, uberspace_opened_ports

found = finder("ports", "ports")
SUBJECT = "ports.turn_relay"
UBERSPACE_PORTS = 20  # what one Uberspace account may open


def _relay(ctx: Context) -> range | None:
    answers = ctx.answers
    return answers.ports.relay if answers.compliance.relays else None


def check_relay_free(ctx: Context) -> list[Finding]:
    relay = _relay(ctx)
    if relay is None or len(relay) == 1:
        return []
    taken = sorted({h.port for h in bound_sockets() if h.transport == "udp" and h.port in relay and not h.is_ejabberd})
    where = f"{SUBJECT} ({relay.start}-{relay.stop - 1})"
    if len(taken) == len(relay):
        return [found("ports.turn_relay", Severity.ERROR, where, "every port of the relay range is in use; "
                      "ejabberd cannot relay a single call", "choose a range nothing else binds")]
    if taken:
        shown = ", ".join(map(str, taken[:5])) + (", ..." if len(taken) > 5 else "")
        return [found("ports.turn_relay", Severity.INFO, where,
                      f"{len(taken)} of its {len(relay)} ports are in use ({shown}); ejabberd skips them")]
    return [found("ports.turn_relay", Severity.OK, where, f"all {len(relay)} ports are free")]


def check_relay_uberspace(ctx: Context) -> list[Finding]:
    relay = _relay(ctx)
    if relay is None or len(relay) == 1 or ctx.answers.service.web_server != "uberspace":
        return []
    where = f"{SUBJECT} ({relay.start}-{relay.stop - 1})"
    if len(relay) > UBERSPACE_PORTS:
        return [found("ports.turn_relay", Severity.ERROR, where,
                      f"Uberspace opens at most {UBERSPACE_PORTS} ports per account; the relay range has {len(relay)}",
                      "one opened port: ports.turn_relay: PORT (run `uberspace port add` for it)")]
    opened = uberspace_opened_ports()
    if opened is None:
        return []  # the ports check says already that this is not the Uberspace host
    closed = [port for port in relay if port not in opened]
    if not closed:
        return [found("ports.turn_relay", Severity.OK, where, "every relay port is opened in the Uberspace firewall")]
    return [found("ports.turn_relay", Severity.ERROR, where,
                  f"not opened in the Uberspace firewall: {', '.join(map(str, closed))}; calls relayed there fail",
                  "run `uberspace port add` until they are, or use one opened port: ports.turn_relay: PORT")]


def check_relay_address(ctx: Context, own_address: str | None = None) -> list[Finding]:
    """Without ``domains.ipv4`` the relay tells clients the address this host's name resolves to."""
    answers = ctx.answers
    if _relay(ctx) is None:
        return []
    if answers.domains.ipv4:
        return [found("ports.turn_address", Severity.OK, "domains.ipv4",
                      f"the relay tells clients to send their media to {answers.domains.ipv4}")]
    if own_address is None:
        try:
            # As ejabberd does (misc:get_my_ipv4_address): the address of the host's own name.
            own_address = socket.gethostbyname(socket.gethostname())
        except OSError:
            own_address = "127.0.0.1"  # ejabberd's answer when the name does not resolve
    fix = "domains.ipv4: the server's public IPv4 address"
    if not ipaddress.ip_address(own_address).is_global:
        return [found("ports.turn_address", Severity.WARNING, "domains.ipv4",
                      f"not given, so the relay tells clients the address this host's name resolves to, "
                      f"{own_address}, which no one outside can reach: relayed calls would fail", fix)]
    return [found("ports.turn_address", Severity.INFO, "domains.ipv4",
                  f"not given, so the relay tells clients {own_address}, the address this host's name resolves to",
                  fix)]


@dataclass(frozen=True)
class Firewall:
    """What a firewall's saved rules say about incoming UDP: whether it drops by default, what it lets in."""

    file: Path
    drops: bool
    accepted: tuple[range, ...]

    def blocks(self, ports: range) -> list[int]:
        if not self.drops:
            return []
        return [port for port in ports if not any(port in allowed for allowed in self.accepted)]


def check_relay_firewall(ctx: Context, root: Path = Path("/")) -> list[Finding]:
    relay = _relay(ctx)
    if relay is None or ctx.answers.service.web_server == "uberspace":
        return []  # Uberspace's firewall is the `uberspace port` list, checked above
    where = f"{SUBJECT} ({relay.start}-{relay.stop - 1})" if len(relay) > 1 else f"{SUBJECT} ({relay.start})"
    findings = []
    for firewall in local_firewalls(root):
        blocked = firewall.blocks(relay)
        if not blocked:
            findings.append(found("ports.firewall", Severity.OK, where, f"{firewall.file} lets UDP in on the relay"))
            continue
        span = f"{blocked[0]}-{blocked[-1]}" if len(blocked) > 1 else str(blocked[0])
        findings.append(found(
            "ports.firewall", Severity.WARNING, where,
            f"{firewall.file} drops incoming UDP by default and no rule found there lets in {len(blocked)} of the "
            f"relay's ports ({span}); calls relayed through them would fail", _fix(firewall.file, relay),
        ))
    return findings


# ufw and nftables: the deployment's own script lets every port of it in (README.md says when).
BY_THE_SCRIPT = "sudo sh scripts/firewall.sh (README.md, step 'Let the ports through the firewall'), or "


def _fix(file: Path, relay: range) -> str:
    first, last = relay.start, relay.stop - 1
    if file.name.startswith("user"):
        return BY_THE_SCRIPT + (f"ufw allow {first}:{last}/udp" if last > first else f"ufw allow {first}/udp")
    if "nftables" in file.name:
        return BY_THE_SCRIPT + f"add `udp dport {first}-{last} accept` to the input chain of {file}"
    return f"add `-A INPUT -p udp --dport {first}:{last} -j ACCEPT` to {file}"


def local_firewalls(root: Path) -> list[Firewall]:
    """The firewalls this machine starts at boot whose saved rules are readable: ufw, nftables, iptables."""
    firewalls = [_ufw(root), _nftables(root), _iptables(root)]
    return [firewall for firewall in firewalls if firewall is not None]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace") if path.is_file() else None
    except OSError:
        return None  # not readable as this user: nothing to judge by


def _ports(text: str, separator: str) -> list[range]:
    """``80``, ``49152:65535`` (or ``-``) and comma-separated lists of them."""
    spans = []
    for part in re.split(r"[,\s]+", text.strip("{} ")):
        first, _, last = part.partition(separator)
        if first.isdigit() and (not last or last.isdigit()):
            spans.append(range(int(first), int(last or first) + 1))
    return spans


def _enabled(root: Path, unit: str) -> bool:
    wants = ("multi-user.target.wants", "sysinit.target.wants", "network-pre.target.wants", "basic.target.wants")
    return any((root / "etc/systemd/system" / target / unit).exists() for target in wants)


def _ufw(root: Path) -> Firewall | None:
    conf = _read(root / "etc/ufw/ufw.conf") or ""
    if not re.search(r"^ENABLED\s*=\s*yes", conf, re.MULTILINE):
        return None
    defaults = _read(root / "etc/default/ufw") or ""
    drops = not re.search(r'^DEFAULT_INPUT_POLICY\s*=\s*"?ACCEPT', defaults, re.MULTILINE)
    rules = root / "etc/ufw/user.rules"
    text = _read(rules)
    if text is None:
        return None
    accepted = [span for line in text.splitlines()
                if (tuple_ := re.match(r"### tuple ### allow (udp|any) (\S+)", line))
                for span in _ports(tuple_.group(2), ":")]
    return Firewall(rules, drops, tuple(accepted))


def _nftables(root: Path) -> Firewall | None:
    path = root / "etc/nftables.conf"
    text = _read(path)
    if text is None or not _enabled(root, "nftables.service"):
        return None
    text = _with_includes(root, text)
    drops = bool(re.search(r"hook\s+input[^;}\n]*;\s*policy\s+drop", text))
    accepted: list[range] = []
    for rule in _rules(text.splitlines()):
        if "accept" not in rule:
            continue
        if re.search(r"\b(meta l4proto|ip protocol|ip6 nexthdr) udp\b", rule) and "dport" not in rule:
            accepted.append(range(0, 65536))
        if match := re.search(r"udp dport (\{[^}]*\}|\S+)", rule):
            accepted += _ports(match.group(1), "-")
    return Firewall(path, drops, tuple(accepted))


def _with_includes(root: Path, text: str, depth: int = 0) -> str:
    """nft's ``include "FILE"`` lines (a pattern: "/etc/nftables.d/*.nft") replaced by what they include,
    as nft reads them: scripts/firewall.sh keeps its rules in a file that /etc/nftables.conf includes."""
    def included(match: re.Match[str]) -> str:
        pattern = match.group(1)
        if depth >= 4 or not pattern.startswith("/"):
            return ""
        files = sorted(root.glob(pattern.lstrip("/"))) if any(c in pattern for c in "*?[") else [root / pattern[1:]]
        return "\n".join(_with_includes(root, _read(file) or "", depth + 1) for file in files)
    return re.sub(r'^\s*include\s+"([^"]+)".*$', included, text, flags=re.MULTILINE)


def _iptables(root: Path) -> Firewall | None:
    for relative, unit in (("etc/iptables/iptables.rules", "iptables.service"),  # Arch
                           ("etc/iptables/rules.v4", "netfilter-persistent.service")):  # Debian
        path = root / relative
        text = _read(path)
        if text is None or not _enabled(root, unit):
            continue
        drops = bool(re.search(r"^:INPUT (DROP|REJECT)", text, re.MULTILINE))
        accepted: list[range] = []
        for rule in text.splitlines():
            if not rule.startswith("-A INPUT") or "ACCEPT" not in rule or "-p udp" not in rule:
                continue
            ports = re.search(r"--dports? (\S+)", rule)
            accepted += _ports(ports.group(1), ":") if ports else [range(0, 65536)]
        return Firewall(path, drops, tuple(accepted))
    return None


def _rules(lines: Iterable[str]) -> Iterable[str]:
    for line in lines:
        rule = line.split("#", 1)[0].strip()
        if rule:
            yield rule


CHECKERS = (
    Checker("ports", frozenset({"ports", "compliance"}), check_relay_free),
    Checker("ports", frozenset({"ports", "compliance"}), check_relay_uberspace),
    Checker("ports", frozenset({"ports", "compliance"}), check_relay_address),
    Checker("ports", frozenset({"ports", "compliance"}), check_relay_firewall),
)
