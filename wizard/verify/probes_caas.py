"""Probes of the Conversations compliance tester's tests that no other suite asks for:
offline messages, bookmarks conversion, vCard of rooms, in-band registration and TURN.

Each passes only where caas's own test passes (its rule is checked first, and
named in the failure), and most also try what the feature is for: a message
really waits for the account's next login, a TURN allocation really succeeds.
"""

from __future__ import annotations

import secrets
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from wizard.verify.client import REGISTER_FEATURE, IqFailure
from wizard.verify.context import ServerUnderTest
from wizard.verify.net import NetError, stream_features
from wizard.verify.outcome import Failure, Outcome, passed
from wizard.verify.probes_account import TURN_TYPES, announced_services, describe_service, usable
from wizard.verify.probes_services import reach, room
from wizard.verify.turn import TurnError, allocate

OFFLINE_FEATURE = "msgoffline"  # what caas's xep0160 looks for in the server's disco#info
DELAY = "urn:xmpp:delay"


async def offline(ctx: ServerUnderTest) -> Outcome:
    """xep0160: the server announces offline storage, and a message waits for the next login.

    The throwaway account writes to itself while none of its sessions is available
    (it never sends presence), logs out, and must find the message in a new session
    once that sends its presence: the tester's own account and archive stay untouched.
    """
    if OFFLINE_FEATURE not in (await ctx.info(ctx.domain)).features:
        raise Failure(f"{ctx.domain} does not announce {OFFLINE_FEATURE} (offline message storage)")
    account = await ctx.throwaway_account()
    body = f"ejabberd-wizard verify offline {secrets.token_hex(8)}"
    account.session.send(ET.fromstring(f"<message to={quoteattr(account.jid)} type='chat'>"
                                       f"<body>{body}</body></message>"))
    # A ping answered means the server has handled the message sent before it (one stream, in order).
    await account.session.iq("get", ctx.domain, ET.fromstring("<ping xmlns='urn:xmpp:ping'/>"), "ping")
    await account.session.close()
    session = await ctx.log_in(account)
    delivered = session.expect(lambda x: x.tag == "{jabber:client}message"
                               and x.findtext("{jabber:client}body") == body)
    session.send(ET.fromstring("<presence/>"))
    try:
        message = await session.wait(delivered, "the offline message")
    except IqFailure:
        raise Failure(f"a message to {account.jid} sent while it was offline was not delivered at its next login"
                      ) from None
    stamp = " with its delay stamp" if message.find(f"{{{DELAY}}}delay") is not None else ""
    return passed(f"{OFFLINE_FEATURE} announced; a message sent while the account was offline came at its "
                  f"next login{stamp}")


async def vcard_muc(ctx: ServerUnderTest) -> Outcome:
    """vcard_muc: a new room announces vcard-temp (rooms with avatars)."""
    jid = await room(ctx)
    if "vcard-temp" not in (await ctx.info(jid)).features:
        raise Failure(f"room {jid} does not announce vcard-temp")
    return passed(f"room {jid} announces vcard-temp")


async def in_band_registration(ctx: ServerUnderTest) -> Outcome:
    """xep0077: a stream that has not logged in offers in-band registration in its features."""
    address, port = ctx.connection.address
    try:
        features = await stream_features(address, port, ctx.domain, "jabber:client", ctx.connection.tls.context(),
                                         direct_tls=False, timeout=ctx.timeout)
    except NetError as error:
        raise Failure(str(error)) from None
    offered = {child.tag for child in ET.fromstring(_closed(features)).iter()}
    if REGISTER_FEATURE not in offered:
        raise Failure("a new stream offers no in-band registration (no <register/> among its stream features)")
    return passed("a new stream offers in-band registration")


def _closed(features: str) -> str:
    """The stream's opening and features as one XML document (the stream stays open)."""
    start = features.rindex("<stream:stream")
    return features[start:] + "</stream:stream>"


async def turn(ctx: ServerUnderTest) -> Outcome:
    """turn: XEP-0215 announces TURN with credentials, and an allocation with them succeeds."""
    services = [s for s in await announced_services(ctx) if usable(s, TURN_TYPES)]
    with_credentials = [s for s in services if s.get("username") and s.get("password")]
    if not with_credentials:
        without = f" ({', '.join(describe_service(s) for s in services)} without credentials)" if services else ""
        raise Failure(f"the server announces no TURN service with username and password{without}")
    udp = [s for s in with_credentials if s.get("type") == "turn" and s.get("transport") == "udp"]
    if not udp:
        listed = ", ".join(describe_service(s) for s in with_credentials)
        return passed(f"{listed} with credentials (no TURN over UDP to allocate on)")
    errors = []
    for service in udp:
        host, port = service.get("host", ""), int(service.get("port", "0"))
        try:
            relay = await allocate(await reach(ctx, host), port, service.get("username", ""),
                                   service.get("password", ""), ctx.timeout)
        except TurnError as error:
            errors.append(str(error))
            continue
        return passed(f"{describe_service(service)} with credentials; allocated relay {relay[0]}:{relay[1]} "
                      "(released again)")
    raise Failure("; ".join(errors))

