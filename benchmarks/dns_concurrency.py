"""DNS checks, concurrent vs one after another: every lookup of 5 domains (addresses of each
domain and subdomain, the XMPP, STUN and TXT records) against a loopback server that delays
every answer by 200 ms. Concurrently they should take about one lookup's latency (under 2x);
one after another, the sum of them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.answers_helpers import defaults
from tests.support.dns_server import DelayingServer, zones_from_records
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.checks.core import Nameserver
from wizard.checks.dns import planned_queries
from wizard.checks.lookup import LookupOutcome, Query, lookup_all, make_resolver
from wizard.files import dns_zone

DELAY = 0.2
DOMAINS = [f"bench{number}.test" for number in range(1, 6)]
TIMEOUT = 5.0


def _timed(nameserver: Nameserver, queries: list[Query], *, concurrent: bool) -> float:
    resolver = make_resolver(nameserver, TIMEOUT)
    started = time.perf_counter()
    results = asyncio.run(lookup_all(resolver, queries, concurrent=concurrent))
    elapsed = time.perf_counter() - started
    failed = [result for result in results.values() if result.outcome is not LookupOutcome.ANSWER]
    if failed:
        raise RuntimeError(f"{len(failed)} lookups failed, e.g. {failed[0].query}: {failed[0].explain()}")
    return elapsed


def run() -> dict[str, Any]:
    answers = build_from(None, Given(defaults(
        "uberspace", DOMAINS[0], domains={"hosts": DOMAINS, "ipv4": "192.0.2.10", "ipv6": "2001:db8::10"})))
    queries = planned_queries(answers)
    with DelayingServer(zones_from_records(dns_zone.render(answers)), DELAY) as server:
        nameserver = Nameserver.parse(server.address)
        single = min(_timed(nameserver, queries[:1], concurrent=True) for _ in range(3))
        concurrent = _timed(nameserver, queries, concurrent=True)
        sequential = _timed(nameserver, queries, concurrent=False)
    return {
        "lookups": len(queries),
        "one lookup (s)": single,
        "concurrent (s)": concurrent,
        "one after another (s)": sequential,
        "concurrent / one lookup": concurrent / single,
        "speed-up": sequential / concurrent,
        "passed": concurrent < 2 * single,
    }
