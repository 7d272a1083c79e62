"""dns/records.zone: the records to add at the DNS provider, in zone-file syntax.

Names are written relative to one ``$ORIGIN`` per main domain (in their ASCII
form, as DNS stores international names), so the file reads like the forms of
most DNS providers and parses as a zone file.
"""

from __future__ import annotations

from wizard.answers.model import Answers
from wizard.answers.validators import to_ascii
from wizard.files.endpoints import Endpoints

TTL = 3600


def render(answers: Answers) -> str:
    lines = [
        "; DNS records for this ejabberd deployment, written by ejabberd-wizard.",
        "; Add them at your DNS provider; names are relative to the $ORIGIN above them.",
        f"$TTL {TTL}",
    ]
    for host in answers.domains.hosts:
        lines += ["", f"$ORIGIN {to_ascii(host)}."]
        lines += _addresses(answers, host)
        lines += _srv_records(answers)
        lines += _subdomain_srv_records(answers, host)
        if answers.compliance.stun:
            lines += _stun_records(answers)
        if answers.compliance.alternative_connections:
            lines += _xmppconnect(answers)
    return "\n".join(lines) + "\n"


def _addresses(answers: Answers, host: str) -> list[str]:
    domains = answers.domains
    labels = ["@", *(getattr(domains, role) for role in domains.subdomains(host))]
    lines = ["; Addresses of the domain and its service subdomains"]
    if domains.ipv4 is None and domains.ipv6 is None:
        lines.append("; @ IN A <IPv4 address of this server>    (and AAAA for IPv6: not known to the wizard)")
        lines += [f"{label:<24} IN CNAME {to_ascii(host)}." for label in labels[1:]]
        return lines
    for label in labels:
        if domains.ipv4:
            lines.append(f"{label:<24} IN A     {domains.ipv4}")
        if domains.ipv6:
            lines.append(f"{label:<24} IN AAAA  {domains.ipv6}")
    return lines


def _srv(name: str, priority: int, port: int, target: str) -> str:
    return f"{name:<24} IN SRV   {priority} 0 {port} {to_ascii(target)}."


def _srv_records(answers: Answers) -> list[str]:
    """Where clients and servers connect (RFC 6120 §3.2.1, XEP-0368 for direct TLS)."""
    ports, target = answers.ports, answers.domains.main
    lines = ["; Client and server connections; direct TLS is preferred (lower priority value)"]
    lines.append(_srv("_xmpp-client._tcp", 5, ports.c2s, target))
    if ports.c2s_tls is not None:
        lines.append(_srv("_xmpps-client._tcp", 4, ports.c2s_tls, target))
    lines.append(_srv("_xmpp-server._tcp", 5, ports.s2s, target))
    if ports.s2s_tls is not None:
        lines.append(_srv("_xmpps-server._tcp", 4, ports.s2s_tls, target))
    return lines


def _subdomain_srv_records(answers: Answers, host: str) -> list[str]:
    """Other servers reach the group chat, pubsub, proxy and upload services by their own names."""
    ports, target = answers.ports, answers.domains.main
    lines = ["; Federation to the service subdomains"]
    for role in answers.domains.subdomains(host):
        label = getattr(answers.domains, role)
        lines.append(_srv(f"_xmpp-server._tcp.{label}", 5, ports.s2s, target))
        if ports.s2s_tls is not None:
            lines.append(_srv(f"_xmpps-server._tcp.{label}", 4, ports.s2s_tls, target))
    return lines


def _stun_records(answers: Answers) -> list[str]:
    ports, target = answers.ports, answers.domains.main
    return [
        "; STUN for audio/video calls (XEP-0215)",
        _srv("_stun._udp", 0, ports.stun, target),
        _srv("_stun._tcp", 0, ports.stun, target),
        _srv("_stuns._tcp", 0, ports.stuns, target),
        *(["; TURN relay for calls behind NAT (XEP-0215), on the same ports",
            _srv("_turn._udp", 0, ports.stun, target),
            _srv("_turn._tcp", 0, ports.stun, target),
            _srv("_turns._tcp", 0, ports.stuns, target)] if answers.compliance.relays else []),
    ]


def _xmppconnect(answers: Answers) -> list[str]:
    endpoints = Endpoints.of(answers)
    return [
        "; Alternative connection methods (XEP-0156)",
        f'{"_xmppconnect":<24} IN TXT   "_xmpp-client-websocket={endpoints.websocket}"',
        f'{"_xmppconnect":<24} IN TXT   "_xmpp-client-xbosh={endpoints.bosh}"',
    ]
