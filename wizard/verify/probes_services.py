"""Probes of the services next to the account: group chat, upload, proxy and STUN.

Rooms are destroyed again (with their archive), upload slots that store a
file are taken by a throwaway account whose removal deletes its files.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from wizard.verify.client import ClientSession
from wizard.verify.context import ServerUnderTest
from wizard.verify.net import NetError, socks5_greeting, stun_binding
from wizard.verify.outcome import Failure, Outcome, Untestable, passed
from wizard.verify.probes_account import MAM, stun_services
from wizard.verify.resolver import Missing, Unanswered
from wizard.verify.web import Unreachable

MUC = "http://jabber.org/protocol/muc"
MUC_OWNER = f"{MUC}#owner"
UPLOAD = "urn:xmpp:http:upload:0"
BYTESTREAMS = "http://jabber.org/protocol/bytestreams"
CORS_ORIGIN = "https://verify.invalid"  # any origin a web client could have


# -- group chat ---------------------------------------------------------------------


async def room(ctx: ServerUnderTest) -> str:
    """A new room on the server's MUC service, destroyed after the last test."""

    async def create() -> str:
        service = await ctx.component(identity=("conference", "text"))
        jid = f"verify-{secrets.token_hex(6)}@{service}"
        joined = ctx.session.expect(lambda x: x.tag == "{jabber:client}presence" and x.get("from") == f"{jid}/verify")
        ctx.session.send(ET.fromstring(f"<presence to={quoteattr(jid + '/verify')}>"
                                       f"<x xmlns='{MUC}'><history maxstanzas='0'/></x></presence>"))
        presence = await ctx.session.wait(joined, f"joining {jid}")
        if presence.get("type") == "error":
            raise Failure(f"{service} refused to create a room: {_error(presence)}")
        ctx.defer(f"room {jid}", lambda: ctx.session.iq(
            "set", jid, ET.fromstring(f"<query xmlns='{MUC_OWNER}'><destroy/></query>"), "destroying the room"))
        codes = {s.get("code") for s in presence.iter(f"{{{MUC}#user}}status")}
        if "201" in codes:  # a new, locked room: accept the default configuration
            await ctx.session.iq("set", jid,
                                 ET.fromstring(f"<query xmlns='{MUC_OWNER}'>"
                                               "<x xmlns='jabber:x:data' type='submit'/></query>"),
                                 "configuring the room")
        return jid

    return await ctx.once("room", create)


def _error(stanza: ET.Element) -> str:
    error = stanza.find("{jabber:client}error")
    return next((child.tag.partition("}")[2] for child in error or []), "error") if error is not None else "error"


async def muc(ctx: ServerUnderTest) -> Outcome:
    return passed(f"created room {await room(ctx)} (destroyed after the tests)")


async def muc_archive(ctx: ServerUnderTest) -> Outcome:
    jid = await room(ctx)
    if MAM not in (await ctx.info(jid)).features:
        raise Failure(f"room {jid} does not announce {MAM}")
    body = f"verify {secrets.token_hex(8)}"
    echoed = ctx.session.expect(lambda x: x.get("from") == f"{jid}/verify"
                                and x.findtext("{jabber:client}body") == body)
    ctx.session.send(ET.fromstring(f"<message to={quoteattr(jid)} type='groupchat'><body>{body}</body></message>"))
    await ctx.session.wait(echoed, "the room echoing a message")
    queryid = secrets.token_hex(4)
    found = ctx.session.expect(lambda x: x.find(f"{{{MAM}}}result[@queryid='{queryid}']") is not None
                               and body in ET.tostring(x, encoding="unicode"))
    await ctx.session.iq("set", jid, ET.fromstring(f"<query xmlns='{MAM}' queryid='{queryid}'/>"), "room archive query")
    # The results arrive before the IQ's answer: by now the message is there, or not at all.
    ctx.session.discard(found)
    if not found.done():
        raise Failure("the room's archive does not hold the message just sent")
    return passed("message sent to a room found in the room's archive")


async def muc_self_ping(ctx: ServerUnderTest) -> Outcome:
    jid = await room(ctx)
    await ctx.session.iq("get", f"{jid}/verify", ET.fromstring("<ping xmlns='urn:xmpp:ping'/>"), "self-ping")
    return passed("pinging our own occupant JID is answered: still joined")


# -- HTTP file upload ---------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    put: str
    get: str
    headers: dict[str, str]
    body: bytes


async def _slot(ctx: ServerUnderTest, session: ClientSession, service: str) -> Slot:
    body = f"ejabberd-wizard verify {secrets.token_hex(8)}\n".encode()
    request = ET.fromstring(
        f"<request xmlns='{UPLOAD}' filename={quoteattr(f'verify-{secrets.token_hex(4)}.txt')} "
        f"size='{len(body)}' content-type='text/plain'/>"
    )
    slot = await session.iq("get", service, request, f"upload slot from {service}")
    put, get = slot.find(f"{{{UPLOAD}}}put"), slot.find(f"{{{UPLOAD}}}get")
    if put is None or get is None:
        raise Failure(f"{service} answered the slot request without put/get URLs")
    headers = {h.get("name", ""): h.text or "" for h in put.iter(f"{{{UPLOAD}}}header")}
    return Slot(put.get("url", ""), get.get("url", ""), headers, body)


async def main_slot(ctx: ServerUnderTest) -> Slot:
    # A slot that is never used stores nothing, so the tester's own account may ask for it.
    async def request() -> Slot:
        return await _slot(ctx, ctx.session, await ctx.component(feature=UPLOAD))

    return await ctx.once("slot", request)


async def upload_slot(ctx: ServerUnderTest) -> Outcome:
    slot = await main_slot(ctx)
    return passed(f"slot granted: PUT {slot.put}")


async def upload_transfer(ctx: ServerUnderTest) -> Outcome:
    service = await ctx.component(feature=UPLOAD)  # before making an account it could not use
    slot = await _slot(ctx, await ctx.throwaway(), service)
    try:
        put = await ctx.web.request("PUT", slot.put, headers={**slot.headers, "Content-Type": "text/plain"},
                                    body=slot.body)
        if put.status not in (200, 201):
            raise Failure(f"PUT {slot.put} answered HTTP {put.status}")
        get = await ctx.web.request("GET", slot.get)
    except Unreachable as error:
        raise Failure(str(error)) from None
    if get.status != 200 or get.body != slot.body:
        raise Failure(f"GET {slot.get} answered HTTP {get.status} without the uploaded file")
    return passed("uploaded with PUT and read back with GET (removed with the throwaway account)")


async def upload_cors(ctx: ServerUnderTest) -> Outcome:
    slot = await main_slot(ctx)
    try:
        answer = await ctx.web.request("OPTIONS", slot.put,
                                       headers={"Origin": CORS_ORIGIN, "Access-Control-Request-Method": "PUT",
                                                "Access-Control-Request-Headers": "content-type"})
    except Unreachable as error:
        raise Failure(str(error)) from None
    origin = answer.headers.get("access-control-allow-origin")
    methods = answer.headers.get("access-control-allow-methods", "")
    if origin not in ("*", CORS_ORIGIN):
        raise Failure(f"OPTIONS {slot.put}: no Access-Control-Allow-Origin for web clients (HTTP {answer.status})")
    if "PUT" not in methods.upper():
        raise Failure(f"OPTIONS {slot.put}: Access-Control-Allow-Methods {methods!r} lacks PUT")
    if "access-control-allow-headers" not in answer.headers:  # caas requires all three
        raise Failure(f"OPTIONS {slot.put}: no Access-Control-Allow-Headers")
    return passed(f"Access-Control-Allow-Origin: {origin}; Methods: {methods}")


# -- file transfer proxy and STUN -------------------------------------------------------


async def _streamhost(ctx: ServerUnderTest) -> ET.Element:
    async def query() -> ET.Element:
        proxy = await ctx.component(feature=BYTESTREAMS)
        answer = await ctx.session.iq("get", proxy, ET.fromstring(f"<query xmlns='{BYTESTREAMS}'/>"),
                                      f"streamhost of {proxy}")
        host = answer.find(f"{{{BYTESTREAMS}}}streamhost")
        if host is None or not host.get("host") or not host.get("port"):
            raise Failure(f"{proxy} names no streamhost address")
        return host

    return await ctx.once("streamhost", query)


async def proxy65(ctx: ServerUnderTest) -> Outcome:
    host = await _streamhost(ctx)
    return passed(f"{host.get('jid')} at {host.get('host')}:{host.get('port')}")


async def reach(ctx: ServerUnderTest, host: str) -> str:
    """The address of ``host``; a FAIL when DNS says it does not exist, NOT TESTED when DNS is silent."""
    try:
        return await ctx.address_of(host)
    except Missing as error:
        raise Failure(str(error)) from None
    except Unanswered as error:
        raise Untestable(str(error)) from None


async def proxy65_reachable(ctx: ServerUnderTest) -> Outcome:
    host = await _streamhost(ctx)
    address = await reach(ctx, host.get("host", ""))
    try:
        await socks5_greeting(address, int(host.get("port", "0")), ctx.timeout)
    except NetError as error:
        raise Failure(str(error)) from None
    return passed(f"SOCKS5 answered at {host.get('host')}:{host.get('port')}")


async def stun_answers(ctx: ServerUnderTest) -> Outcome:
    udp = [s for s in await stun_services(ctx) if s.get("type") == "stun" and s.get("transport", "udp") == "udp"]
    if not udp:
        raise Failure("no STUN service over UDP is announced")
    errors = []
    for service in udp:
        host, port = service.get("host", ""), int(service.get("port", "3478"))
        try:
            await stun_binding(await reach(ctx, host), port, ctx.timeout)
        except NetError as error:
            errors.append(str(error))
            continue
        return passed(f"binding request answered by {host}:{port}/udp")
    raise Failure("; ".join(errors))
