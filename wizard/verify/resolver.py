"""DNS for verify, through the checks framework's lookups (wizard.checks.lookup).

Every name verify connects to is resolved here, so one nameserver setting (the
one ``check --nameserver`` takes) covers them all. What the checks tell apart,
verify needs too: a record the zone does not have (``Missing``: a FAIL) is not
a question nobody answered (``Unanswered``: not tested here).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import dns.asyncresolver
import dns.resolver

from wizard.checks.core import Nameserver
from wizard.checks.lookup import LookupOutcome, Query, lookup_one, make_resolver


class Missing(Exception):
    """The name or record does not exist: the DNS answered, and said no."""


class Unanswered(Exception):
    """No nameserver answered: nothing can be said about the records."""


@dataclass(frozen=True, order=True)
class SrvRecord:
    priority: int
    weight: int
    port: int
    target: str


class Resolver:
    def __init__(self, nameserver: Nameserver | None, timeout: float) -> None:
        try:
            self._resolver: dns.asyncresolver.Resolver | None = make_resolver(nameserver, timeout)
        except dns.resolver.NoResolverConfiguration:
            self._resolver = None  # a machine without /etc/resolv.conf: every lookup is unanswered

    async def _records(self, name: str, kind: str) -> tuple[object, ...]:
        if self._resolver is None:
            raise Unanswered(f"{name} {kind}: no DNS resolver is configured on this machine")
        result = await lookup_one(self._resolver, Query(name.rstrip("."), kind))
        if result.outcome is LookupOutcome.ANSWER:
            return result.records
        if result.missing:
            raise Missing(f"{name}: {result.explain()}")
        raise Unanswered(f"{name}: {result.explain()}")

    async def srv(self, name: str) -> list[SrvRecord]:
        """The SRV records of ``name``, best first; '.' (RFC 2782: no such service) counts as missing."""
        services = sorted(
            SrvRecord(r.priority, r.weight, r.port, r.target.to_text(omit_final_dot=True))  # type: ignore[attr-defined]
            for r in await self._records(name, "SRV")
        )
        if all(s.target in ("", ".") for s in services):
            raise Missing(f"{name}: says the service is not offered (target '.')")
        return services

    async def txt(self, name: str) -> list[str]:
        return [b"".join(r.strings).decode(errors="replace") for r in await self._records(name, "TXT")]  # type: ignore[attr-defined]

    async def address(self, host: str) -> str:
        """An IP address of ``host`` (IPv4 first); an IP address is returned as it is."""
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            pass
        try:
            return str((await self._records(host, "A"))[0])
        except Missing:
            return str((await self._records(host, "AAAA"))[0])


async def system_address(host: str) -> str:
    """An address of ``host`` as the operating system resolves it (/etc/hosts, 'localhost')."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise Missing(f"{host}: {error.strerror}") from None
    return str(infos[0][4][0])
