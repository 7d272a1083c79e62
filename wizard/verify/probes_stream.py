"""Probes of the connection itself: login, TLS, stream features, discovery, DNS-announced ports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from xml.etree import ElementTree as ET

from wizard.verify.context import ServerUnderTest
from wizard.verify.net import NetError, stream_features
from wizard.verify.outcome import Failure, Outcome, Untestable, not_tested, passed
from wizard.verify.resolver import Missing, SrvRecord, Unanswered

Probe = Callable[[ServerUnderTest], Awaitable[Outcome]]

ROSTER = "jabber:iq:roster"


async def login(ctx: ServerUnderTest) -> Outcome:
    # Getting here at all means TCP, STARTTLS, SASL and resource binding worked.
    return passed(f"logged in as {ctx.session.full}")


async def tls(ctx: ServerUnderTest) -> Outcome:
    version = ctx.session.tls_version()
    if version not in ("TLSv1.2", "TLSv1.3"):
        raise Failure(f"the stream is encrypted with {version or 'nothing'}; RFC 7590 needs TLS 1.2 or later")
    if ctx.connection.tls.insecure:
        return not_tested(f"{version}, but --insecure: the certificate was not checked")
    return passed(f"{version}, certificate valid for {ctx.domain}")


def stream_feature(namespace: str, name: str, what: str) -> Probe:
    """A probe that passes when the stream features after login include <name xmlns=namespace>."""

    async def probe(ctx: ServerUnderTest) -> Outcome:
        if ctx.session.stream_feature(namespace, name) is None:
            raise Failure(f"the server offers no {what} stream feature ({namespace})")
        return passed(f"stream feature <{name} xmlns='{namespace}'/>")

    return probe


async def stream_management(ctx: ServerUnderTest) -> Outcome:
    if ctx.session.stream_feature("urn:xmpp:sm:3", "sm") is None:
        raise Failure("the server offers no stream management (urn:xmpp:sm:3)")
    if not ctx.session.sm_enabled:
        await ctx.session.client.wait_until("sm_enabled", ctx.timeout)
    return passed("offered, and enabled with resumption for this session")


async def _roster(ctx: ServerUnderTest) -> ET.Element:
    async def query() -> ET.Element:
        return await ctx.session.iq("get", None, ET.fromstring(f"<query xmlns='{ROSTER}' ver=''/>"), "roster")

    return await ctx.once("roster", query)


async def roster(ctx: ServerUnderTest) -> Outcome:
    items = list((await _roster(ctx)).iter(f"{{{ROSTER}}}item"))
    return passed(f"roster retrieved ({len(items)} contacts)")


async def roster_versioning(ctx: ServerUnderTest) -> Outcome:
    if ctx.session.stream_feature("urn:xmpp:features:rosterver", "ver") is None:
        raise Failure("the server offers no roster versioning stream feature")
    version = (await _roster(ctx)).get("ver")
    if version is None:
        raise Failure("the roster came without a version")
    return passed(f"roster version {version!r}")


async def disco(ctx: ServerUnderTest) -> Outcome:
    """disco#info and #items of the server, disco#info of the account and of every service."""
    await ctx.info(ctx.domain)
    await ctx.info(ctx.session.bare)
    services = await ctx.items(ctx.domain)
    for jid in services:
        await ctx.info(jid)
    return passed(f"server, account and {len(services)} services answer: {', '.join(services)}")


async def _srv(ctx: ServerUnderTest, name: str) -> list[SrvRecord]:
    try:
        return await ctx.resolver.srv(name)
    except Missing as error:
        raise Failure(str(error)) from None
    except Unanswered as error:
        raise Untestable(str(error)) from None


async def _stream_via_srv(ctx: ServerUnderTest, record: str, namespace: str, *, direct_tls: bool) -> Outcome:
    errors = []
    for service in await _srv(ctx, f"{record}.{ctx.domain}"):
        try:
            address = await ctx.address_of(service.target)
            await stream_features(address, service.port, ctx.domain, namespace, ctx.connection.tls.context(),
                                  direct_tls=direct_tls, timeout=ctx.timeout)
        except (NetError, Missing, Unanswered) as error:
            errors.append(f"{service.target}:{service.port}: {error}")
            continue
        return passed(f"{record} -> {service.target}:{service.port}, TLS valid for {ctx.domain}")
    raise Failure("; ".join(errors))


async def direct_tls(ctx: ServerUnderTest) -> Outcome:
    return await _stream_via_srv(ctx, "_xmpps-client._tcp", "jabber:client", direct_tls=True)


async def federation_inbound(ctx: ServerUnderTest) -> Outcome:
    return await _stream_via_srv(ctx, "_xmpp-server._tcp", "jabber:server", direct_tls=False)


async def federation_outbound(ctx: ServerUnderTest) -> Outcome:
    raise Untestable("needs a second XMPP domain on another host; verify talks to this server only")


async def component_protocol(ctx: ServerUnderTest) -> Outcome:
    raise Untestable(
        "a client cannot see the component protocol; ejabberd serves it on an ejabberd_service "
        "listener with a shared secret, which the wizard does not configure"
    )
