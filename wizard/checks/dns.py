"""DNS: the addresses of every domain and subdomain, and the SRV and TXT records of dns/records.zone.

The records expected are read from what the zone renderer writes for these answers, so
the check compares the live DNS with exactly what the deployment's README told the user
to add, and every fix is a line of that file. All lookups of one check run at once.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dns.rdatatype
import dns.resolver
import dns.zone
import psutil

from wizard.answers.model import Answers
from wizard.answers.validators import to_ascii
from wizard.checks.core import Checker, Context, Finding, Severity, finder
from wizard.checks.lookup import LookupOutcome, LookupResult, Query, lookup_all, make_resolver
from wizard.files import dns_zone

# Without an SRV record clients and servers try the domain itself on these ports.
STANDARD_PORTS = {"_xmpp-client": 5222, "_xmpp-server": 5269}
# SRV services announced for STUN (XEP-0215) belong to the compliance step, the rest to domains.
STUN_SERVICES = ("_stun", "_stuns")


@dataclass(frozen=True)
class Expected:
    """A record set of dns/records.zone: who owns it, its type, and its zone-file lines."""

    owner: str  # ASCII, no trailing dot
    rdtype: str
    records: tuple[Any, ...]
    lines: str  # the record(s) as zone-file lines, ready to paste

    @property
    def query(self) -> Query:
        return Query(self.owner, self.rdtype)


Judge = Callable[[LookupResult], Finding]


def expected_records(answers: Answers) -> list[Expected]:
    zone = dns.zone.from_text(dns_zone.render(answers), origin=".", relativize=False, check_origin=False)
    expected = []
    for name, node in zone.nodes.items():
        for rdataset in node.rdatasets:
            lines = rdataset.to_text(name)
            expected.append(Expected(name.to_text(omit_final_dot=True), dns.rdatatype.to_text(rdataset.rdtype),
                                     tuple(rdataset), lines))
    return expected


def local_addresses() -> set[str]:
    return {
        address.address.split("%")[0]
        for addresses in psutil.net_if_addrs().values()
        for address in addresses
        if address.family in (socket.AF_INET, socket.AF_INET6)
    }


# -- addresses --------------------------------------------------------------------------------

def judge_address(result: LookupResult, *, configured: str | None, required: bool, local: set[str]) -> Finding:
    name, rdtype = result.query.name, result.query.rdtype
    found = finder("dns", "domains")
    check = f"dns.{rdtype.lower()}"
    family = "IPv4" if rdtype == "A" else "IPv6"
    field = f"domains.{family.lower()}"
    record = f"{name}. 3600 IN {rdtype} {configured or f'<public {family} address of the server>'}"
    if result.outcome is not LookupOutcome.ANSWER:
        if configured or required:
            return found(check, Severity.ERROR, name, result.explain(), record)
        return found(check, Severity.INFO, name, f"{result.explain()}; fine when the server has no {family} address",
                     record)
    addresses = sorted(str(r.address) for r in result.records)
    shown = ", ".join(addresses)
    if any(ipaddress.ip_address(a).is_loopback for a in addresses):
        return found(check, Severity.ERROR, name,
                     f"{rdtype} → {shown}, a loopback address: other machines would connect to themselves", record)
    if configured:
        if configured in addresses:
            return found(check, Severity.OK, name, f"{rdtype} → {shown}")
        return found(check, Severity.ERROR, name, f"{rdtype} → {shown}, not {configured} ({field})", record)
    if local & set(addresses):
        return found(check, Severity.OK, name, f"{rdtype} → {shown}, an address of this machine")
    return found(check, Severity.WARNING, name,
                 f"{rdtype} → {shown}, which is not an address of this machine "
                 "(fine behind NAT or a proxy; otherwise it reaches another server)",
                 f"set {field} to the server's public address and add the records of dns/records.zone")


def address_plan(answers: Answers) -> list[tuple[Query, Judge]]:
    domains = answers.domains
    local = local_addresses()
    plan: list[tuple[Query, Judge]] = []
    for name in domains.all_names():
        ascii_name = to_ascii(name)
        # Some address is needed: IPv4 unless the answers say the server is IPv6-only.
        needs_a = domains.ipv4 is not None or domains.ipv6 is None
        plan.append((Query(ascii_name, "A"),
                     _bind(judge_address, configured=domains.ipv4, required=needs_a, local=local)))
        plan.append((Query(ascii_name, "AAAA"),
                     _bind(judge_address, configured=domains.ipv6, required=False, local=local)))
    return plan


# -- SRV -------------------------------------------------------------------------------------

def srv_check_id(owner: str) -> str:
    service, proto = owner.split(".")[:2]
    label = service.lstrip("_")
    return f"dns.srv.{label}" if label.startswith("xmpp") else f"dns.srv.{label}-{proto.lstrip('_')}"


def judge_srv(result: LookupResult, *, expected: Expected, step: str) -> Finding:
    found = finder("dns", step)
    check, owner = srv_check_id(expected.owner), expected.owner
    want = expected.records[0]
    port, target = want.port, want.target.to_text(omit_final_dot=True)
    fix = expected.lines
    if result.missing:
        service = owner.split(".")[0]
        standard = STANDARD_PORTS.get(service)
        if standard is not None and port != standard:
            return found(check, Severity.ERROR, owner,
                         f"{result.explain()}; it is required because port {port} is not the standard {standard}", fix)
        fallback = f"; without it the standard port {standard} is tried" if standard else ""
        return found(check, Severity.WARNING, owner, f"{result.explain()}{fallback}", fix)
    if result.outcome is not LookupOutcome.ANSWER:
        return found(check, Severity.ERROR, owner, result.explain(), fix)
    targets = [r.target.to_text(omit_final_dot=True) for r in result.records]
    if any(r.target.to_text() == "." for r in result.records):
        return found(check, Severity.ERROR, owner,
                     "the target is '.', which says the service is decidedly not available at this domain",
                     f"replace it with: {fix}")
    if any(t == "localhost" or t.startswith("localhost.") for t in targets):
        return found(check, Severity.ERROR, owner,
                     "the target is localhost: every client and server would connect to itself",
                     f"replace it with: {fix}")
    ports = sorted({r.port for r in result.records})
    if port not in ports:
        return found(check, Severity.ERROR, owner,
                     f"SRV → port {', '.join(map(str, ports))}, but ejabberd listens on {port}",
                     f"replace it with: {fix}")
    if target not in targets:
        return found(check, Severity.WARNING, owner,
                     f"SRV → {', '.join(targets)}; this deployment's records say {target}",
                     f"if that is not this server, replace it with: {fix}")
    return found(check, Severity.OK, owner, f"SRV → {target}:{port}")


def judge_txt(result: LookupResult, *, expected: Expected) -> Finding:
    found = finder("dns", "compliance")
    owner, fix = expected.owner, expected.lines
    wanted = [b"".join(r.strings).decode() for r in expected.records]
    if result.outcome is not LookupOutcome.ANSWER:
        severity = Severity.WARNING if result.missing else Severity.ERROR
        return found("dns.txt.xmppconnect", severity, owner,
                     f"{result.explain()}; web clients that look for WebSocket/BOSH there will not find them", fix)
    present = {b"".join(r.strings).decode(errors="replace") for r in result.records}
    absent = [text for text in wanted if text not in present]
    if absent:
        return found("dns.txt.xmppconnect", Severity.WARNING, owner,
                     f"TXT lacks {', '.join(absent)}", fix)
    return found("dns.txt.xmppconnect", Severity.OK, owner, "TXT announces WebSocket and BOSH")


def record_plan(answers: Answers, *, stun: bool) -> list[tuple[Query, Judge]]:
    """The SRV records (XMPP ones, or with ``stun`` the STUN ones and the TXT) of the zone."""
    plan: list[tuple[Query, Judge]] = []
    for expected in expected_records(answers):
        service = expected.owner.split(".")[0]
        is_stun = service in STUN_SERVICES
        if expected.rdtype == "SRV" and is_stun == stun:
            plan.append((expected.query, _bind(judge_srv, expected=expected, step="compliance" if stun else "domains")))
        elif expected.rdtype == "TXT" and stun:
            plan.append((expected.query, _bind(judge_txt, expected=expected)))
    return plan


def _bind(judge: Callable[..., Finding], **options: Any) -> Judge:
    return lambda result: judge(result, **options)


# -- running ---------------------------------------------------------------------------------

async def run_plan(ctx: Context, plan: list[tuple[Query, Judge]], step: str) -> list[Finding]:
    if not plan:
        return []
    try:
        resolver = make_resolver(ctx.nameserver, ctx.timeout)
    except dns.resolver.NoResolverConfiguration:
        return [finder("dns", step)("dns.resolver", Severity.ERROR, "/etc/resolv.conf",
                                    "this machine has no DNS resolver configured", "pass --nameserver HOST[:PORT]")]
    results = await lookup_all(resolver, (query for query, _ in plan))
    return [judge(results[query]) for query, judge in plan]


async def check_domains(ctx: Context) -> list[Finding]:
    """Addresses of every name, and the SRV records clients and servers connect by."""
    return await run_plan(ctx, address_plan(ctx.answers) + record_plan(ctx.answers, stun=False), "domains")


async def check_compliance(ctx: Context) -> list[Finding]:
    """STUN's SRV records and the _xmppconnect TXT, when those features are on."""
    return await run_plan(ctx, record_plan(ctx.answers, stun=True), "compliance")


def planned_queries(answers: Answers) -> list[Query]:
    """Every lookup the DNS checks make for these answers (for the benchmark)."""
    plans = address_plan(answers) + record_plan(answers, stun=False) + record_plan(answers, stun=True)
    return list(dict.fromkeys(query for query, _ in plans))


CHECKERS = (
    Checker("dns", frozenset({"domains"}), check_domains),
    Checker("dns", frozenset({"compliance"}), check_compliance),
)
