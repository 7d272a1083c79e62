"""One verify run: find the server, log in, run every item, clean up, log out."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from wizard.checks.core import Nameserver
from wizard.errors import InputError
from wizard.verify.client import ClientSession, IqFailure, LoginError, TlsTrust
from wizard.verify.context import Connection, ServerUnderTest
from wizard.verify.outcome import Failure, Outcome, Untestable, failed, not_tested
from wizard.verify.report import Report, Result
from wizard.verify.resolver import Missing, Resolver, Unanswered
from wizard.verify.suites import ITEMS, Item
from wizard.verify.web import Web, WebMap

DEFAULT_PORT = 5222


@dataclass(frozen=True)
class Settings:
    jid: str
    password: str
    server: str | None
    port: int | None
    ca: Path | None
    insecure: bool
    nameserver: Nameserver | None
    http_base: str
    timeout: float
    probe_limit: float


async def verify(settings: Settings, items: tuple[Item, ...] = ITEMS) -> Report:
    """Run ``items`` against the server; ``InputError`` when there is no session to test with."""
    resolver = Resolver(settings.nameserver, settings.timeout)
    try:
        web_map = WebMap(settings.http_base)
    except ValueError as error:
        raise InputError(f"EJABBERD_WIZARD_HTTP_BASE: {error}") from None
    tls = TlsTrust(settings.ca, settings.insecure)
    address = await _address(settings, resolver)
    try:
        session = await ClientSession.open(settings.jid, settings.password, address, tls, settings.timeout)
    except LoginError as error:
        raise InputError(f"verify: {address[0]}:{address[1]}: {error}") from None
    ctx = ServerUnderTest(Connection(address, tls, settings.timeout), session, resolver,
                          Web(web_map, tls, settings.timeout), settings.server)
    try:
        results = [Result(item, await _run(ctx, item, settings.probe_limit)) for item in items]
    finally:
        try:
            await ctx.clean_up()
        finally:
            await session.close()
    return Report(settings.jid, f"{address[0]}:{address[1]}", results, ctx.left_behind)


async def _address(settings: Settings, resolver: Resolver) -> tuple[str, int]:
    """--server/--port, else the domain's _xmpp-client SRV record, else the domain itself."""
    if settings.server:
        return settings.server, settings.port or DEFAULT_PORT
    domain = settings.jid.partition("@")[2]
    try:
        try:
            best = (await resolver.srv(f"_xmpp-client._tcp.{domain}"))[0]
        except Missing:
            return await resolver.address(domain), settings.port or DEFAULT_PORT
        return await resolver.address(best.target), best.port
    except (Missing, Unanswered) as error:
        raise InputError(f"verify: cannot find the server of {domain}: {error}; give --server") from None


async def _run(ctx: ServerUnderTest, item: Item, limit: float) -> Outcome:
    if ctx.session.lost is not None:  # each IQ would only wait for its timeout
        return failed(f"the server ended the session before this test: {ctx.session.lost}")
    try:
        async with asyncio.timeout(limit):
            return await item.probe(ctx)
    except (Failure, IqFailure) as error:
        return failed(str(error))
    except Untestable as error:
        return not_tested(str(error))
    except TimeoutError:
        return failed(f"not finished within {limit:.0f}s")
    except Exception as error:  # a bug in a probe must not hide the other results
        return failed(f"verify could not run this test: {type(error).__name__}: {error}")
