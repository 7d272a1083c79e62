"""DNS lookups, all at once: each query gets its own timeout and its outcome told apart.

A missing name (NXDOMAIN), a name without the record (NODATA), a server that does not
answer (timeout) and one that fails (SERVFAIL) or refuses (REFUSED) need different
fixes, so they are different outcomes here rather than one "lookup failed".
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.resolver

from wizard.checks.core import Nameserver


class LookupOutcome(StrEnum):
    ANSWER = "answer"
    NXDOMAIN = "NXDOMAIN"
    NODATA = "NODATA"
    TIMEOUT = "timeout"
    SERVFAIL = "SERVFAIL"
    REFUSED = "REFUSED"
    ERROR = "error"


@dataclass(frozen=True)
class Query:
    name: str  # ASCII, without the trailing dot
    rdtype: str  # "A", "SRV", ...


@dataclass(frozen=True)
class LookupResult:
    query: Query
    outcome: LookupOutcome
    records: tuple[Any, ...] = ()  # dnspython rdata objects
    detail: str = ""

    @property
    def missing(self) -> bool:
        """The zone says there is no such record (as opposed to: the question went unanswered)."""
        return self.outcome in (LookupOutcome.NXDOMAIN, LookupOutcome.NODATA)

    def explain(self) -> str:
        """The outcome in words, without the name (findings name it as their subject)."""
        rdtype = self.query.rdtype
        return {
            LookupOutcome.ANSWER: f"{len(self.records)} {rdtype} record(s)",
            LookupOutcome.NXDOMAIN: "the name does not exist (NXDOMAIN)",
            LookupOutcome.NODATA: f"the name exists but has no {rdtype} record (NODATA)",
            LookupOutcome.TIMEOUT: f"no answer to the {rdtype} query within {self.detail} (timeout)",
            LookupOutcome.SERVFAIL: f"the name server failed to answer the {rdtype} query (SERVFAIL){self._suffix()}",
            LookupOutcome.REFUSED: f"the name server refused the {rdtype} query (REFUSED): it does not serve this zone",
            LookupOutcome.ERROR: f"the {rdtype} query failed: {self.detail}",
        }[self.outcome]

    def _suffix(self) -> str:
        return f": {self.detail}" if self.detail else ""


def make_resolver(nameserver: Nameserver | None, timeout: float) -> dns.asyncresolver.Resolver:
    """The system's resolvers, or only ``nameserver``; raises ``dns.resolver.NoResolverConfiguration``."""
    if nameserver is None:
        resolver = dns.asyncresolver.Resolver()
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [nameserver.address]
        resolver.port = nameserver.port
    # One attempt per query and no retry on SERVFAIL: the check reports, it does not insist.
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.retry_servfail = False
    return resolver


async def lookup_one(resolver: dns.asyncresolver.Resolver, query: Query) -> LookupResult:
    try:
        answer = await resolver.resolve(query.name + ".", query.rdtype, search=False)
    except dns.resolver.NXDOMAIN:
        return LookupResult(query, LookupOutcome.NXDOMAIN)
    except dns.resolver.NoAnswer:
        return LookupResult(query, LookupOutcome.NODATA)
    except dns.exception.Timeout:
        return LookupResult(query, LookupOutcome.TIMEOUT, detail=f"{resolver.lifetime:g} s")
    except dns.resolver.NoNameservers as error:
        return _failed(query, error)
    except (dns.exception.DNSException, OSError) as error:
        return LookupResult(query, LookupOutcome.ERROR, detail=str(error) or type(error).__name__)
    return LookupResult(query, LookupOutcome.ANSWER, tuple(answer))


def _failed(query: Query, error: dns.resolver.NoNameservers) -> LookupResult:
    # Each entry: (server, tcp, port, error or rcode text, response).
    problems = [entry[3] for entry in error.kwargs.get("errors", [])]
    texts = [problem if isinstance(problem, str) else (str(problem) or type(problem).__name__) for problem in problems]
    if "SERVFAIL" in texts:
        return LookupResult(query, LookupOutcome.SERVFAIL)
    if "REFUSED" in texts:
        return LookupResult(query, LookupOutcome.REFUSED)
    return LookupResult(query, LookupOutcome.ERROR, detail="; ".join(texts) or str(error))


async def lookup_all(resolver: dns.asyncresolver.Resolver, queries: Iterable[Query], *,
                     concurrent: bool = True) -> dict[Query, LookupResult]:
    """Every query's result. Concurrently the whole batch takes about as long as its slowest
    query; ``concurrent=False`` asks one after another (for comparison in the benchmark)."""
    unique = list(dict.fromkeys(queries))
    if concurrent:
        results = await asyncio.gather(*(lookup_one(resolver, query) for query in unique))
    else:
        results = [await lookup_one(resolver, query) for query in unique]
    return dict(zip(unique, results, strict=True))
