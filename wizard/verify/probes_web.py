"""Probes of what is announced outside XMPP: DNS records, host-meta, WebSocket and BOSH.

host-meta lives on the web server in front of ejabberd; when the domain's
HTTPS cannot be reached at all from here, the test says so instead of failing.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from wizard.verify.context import ServerUnderTest
from wizard.verify.outcome import Failure, Outcome, Untestable, passed
from wizard.verify.resolver import Missing, Unanswered
from wizard.verify.web import HandshakeError, Unreachable

XRD = "http://docs.oasis-open.org/ns/xri/xrd-1.0"
HTTPBIND = "http://jabber.org/protocol/httpbind"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
# Link relations of host-meta and their _xmppconnect TXT counterparts (XEP-0156).
KINDS = {"urn:xmpp:alt-connections:websocket": "websocket", "urn:xmpp:alt-connections:xbosh": "xbosh"}


# -- DNS records -----------------------------------------------------------------------


async def _records(ctx: ServerUnderTest, kind: str, name: str) -> list[str]:
    try:
        if kind == "TXT":
            return await ctx.resolver.txt(name)
        return [f"{s.target}:{s.port}" for s in await ctx.resolver.srv(name)]
    except Missing as error:
        raise Failure(str(error)) from None
    except Unanswered as error:
        raise Untestable(str(error)) from None


async def client_srv(ctx: ServerUnderTest) -> Outcome:
    found = await _records(ctx, "SRV", f"_xmpp-client._tcp.{ctx.domain}")
    return passed(f"_xmpp-client._tcp -> {', '.join(found)}")


async def stun_srv(ctx: ServerUnderTest) -> Outcome:
    found = {name: await _records(ctx, "SRV", f"{name}.{ctx.domain}") for name in ("_stun._udp", "_stun._tcp")}
    return passed("; ".join(f"{name} -> {', '.join(targets)}" for name, targets in found.items()))


# -- XEP-0156: where web clients connect --------------------------------------------------


@dataclass(frozen=True)
class HostMeta:
    links: dict[str, str]  # websocket / xbosh -> URL
    cors: str | None  # the Access-Control-Allow-Origin header


async def _host_meta(ctx: ServerUnderTest, suffix: str = "") -> HostMeta:
    """host-meta (XRD) or, with ``suffix`` '.json', host-meta.json (JRD), fetched once each."""

    async def fetch() -> HostMeta:
        url = f"https://{ctx.domain}/.well-known/host-meta{suffix}"
        answer = await ctx.web.request("GET", url)
        if answer.status != 200:
            raise Failure(f"{url} answered HTTP {answer.status}")
        try:
            if suffix:
                document = json.loads(answer.body)
                found = [(link.get("rel", ""), link.get("href", "")) for link in document.get("links", [])
                         if isinstance(link, dict)]
            else:
                found = [(link.get("rel", ""), link.get("href", ""))
                         for link in ET.fromstring(answer.body).iter(f"{{{XRD}}}Link")]
        except (ET.ParseError, ValueError, AttributeError) as error:
            raise Failure(f"{url} is not {'JSON' if suffix else 'XML'}: {error}") from None
        links = {KINDS[rel]: href for rel, href in found if rel in KINDS}
        return HostMeta(links, answer.headers.get("access-control-allow-origin"))

    return await ctx.once(f"host-meta{suffix}", fetch)


async def _xmppconnect(ctx: ServerUnderTest) -> dict[str, str]:
    async def fetch() -> dict[str, str]:
        records = await _records(ctx, "TXT", f"_xmppconnect.{ctx.domain}")
        pairs = (record.partition("=") for record in records)
        return {name.removeprefix("_xmpp-client-"): url for name, _, url in pairs if name.startswith("_xmpp-client-")}

    return await ctx.once("_xmppconnect", fetch)


def _announced(links: dict[str, str], where: str) -> Outcome:
    if not links:
        raise Failure(f"{where} announces no WebSocket or BOSH endpoint")
    return passed("; ".join(f"{kind}: {url}" for kind, url in sorted(links.items())))


async def _host_meta_for_browsers(ctx: ServerUnderTest, suffix: str) -> Outcome:
    """caas's xep0156 rule for one document: HTTP 200, ``Access-Control-Allow-Origin: *``, links."""
    try:
        document = await _host_meta(ctx, suffix)
    except Unreachable as error:
        raise Untestable(f"the domain's web server cannot be reached from here: {error}") from None
    outcome = _announced(document.links, f"host-meta{suffix}")
    if document.cors != "*":
        found = f"it has {document.cors!r}" if document.cors else "none"
        raise Failure(f"host-meta{suffix} is sent without 'Access-Control-Allow-Origin: *' ({found}): "
                      "browser clients cannot read it")
    return outcome


async def host_meta_served(ctx: ServerUnderTest) -> Outcome:
    return await _host_meta_for_browsers(ctx, "")


async def host_meta_json_served(ctx: ServerUnderTest) -> Outcome:
    return await _host_meta_for_browsers(ctx, ".json")


async def xmppconnect(ctx: ServerUnderTest) -> Outcome:
    return _announced(await _xmppconnect(ctx), "_xmppconnect")


async def _host_meta_links(ctx: ServerUnderTest) -> dict[str, str]:
    return (await _host_meta(ctx)).links


async def _endpoint(ctx: ServerUnderTest, kind: str) -> str:
    """The announced URL of ``kind`` ('websocket' or 'xbosh'), from host-meta or _xmppconnect."""
    unasked = []
    for source in (_host_meta_links, _xmppconnect):
        try:
            links = await source(ctx)
        except (Unreachable, Untestable) as error:
            unasked.append(str(error))
            continue
        except Failure:
            continue
        if links.get(kind):
            return links[kind]
    if len(unasked) == 2:
        raise Untestable(f"neither host-meta nor _xmppconnect could be asked: {'; '.join(unasked)}")
    raise Failure(f"no {kind} endpoint is announced (host-meta, _xmppconnect)")


async def websocket(ctx: ServerUnderTest) -> Outcome:
    url = await _endpoint(ctx, "websocket")
    try:
        frames = await ctx.web.websocket_open(url, ctx.domain)
    except (Unreachable, HandshakeError) as error:
        raise Failure(f"{url}: {error}") from None
    if "<open" not in frames or SASL not in frames:
        raise Failure(f"{url} did not open an XMPP stream with SASL features")
    return passed(f"{url}: stream opened, SASL offered")


async def bosh(ctx: ServerUnderTest) -> Outcome:
    url = await _endpoint(ctx, "xbosh")
    rid = secrets.randbelow(10**9) + 1
    start = (
        f"<body xmlns='{HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh' content='text/xml; charset=utf-8' hold='1' "
        f"rid='{rid}' to={quoteattr(ctx.domain)} ver='1.6' wait='5' xml:lang='en' xmpp:version='1.0'/>"
    )
    session = await _bosh_post(ctx, url, start)
    sid = session.get("sid")
    if not sid:
        raise Failure(f"{url} started no BOSH session")
    if session.find(f".//{{{SASL}}}mechanisms") is None:  # features may come with the next request
        rid += 1
        session = await _bosh_post(ctx, url, f"<body xmlns='{HTTPBIND}' rid='{rid}' sid={quoteattr(sid)}/>")
    await _bosh_post(ctx, url, f"<body xmlns='{HTTPBIND}' rid='{rid + 1}' sid={quoteattr(sid)} type='terminate'/>")
    if session.find(f".//{{{SASL}}}mechanisms") is None:
        raise Failure(f"{url}: the BOSH session offers no SASL mechanisms")
    # caas's xep0156 asks an announced BOSH URL as a browser would first: OPTIONS, from any origin.
    try:
        preflight = await ctx.web.request("OPTIONS", url, headers={"Origin": "null"})
    except Unreachable as error:
        raise Failure(str(error)) from None
    if preflight.status > 299 or preflight.headers.get("access-control-allow-origin") != "*":
        raise Failure(f"OPTIONS {url}: HTTP {preflight.status} without 'Access-Control-Allow-Origin: *'")
    return passed(f"{url}: session started, SASL offered, session ended; CORS for browser clients")


async def _bosh_post(ctx: ServerUnderTest, url: str, body: str) -> ET.Element:
    try:
        answer = await ctx.web.request("POST", url, headers={"Content-Type": "text/xml; charset=utf-8"},
                                       body=body.encode())
    except Unreachable as error:
        raise Failure(str(error)) from None
    if answer.status != 200:
        raise Failure(f"{url} answered HTTP {answer.status}")
    try:
        return ET.fromstring(answer.body)
    except ET.ParseError as error:
        raise Failure(f"{url} answered no XML: {error}") from None
