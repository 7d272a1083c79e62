"""Probes of what the server does for the account: archive, carbons, PEP, push, storage, contacts.

Queries only read; whatever a probe writes (a PEP node, a push registration)
it removes again through ``ServerUnderTest.defer``.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from wizard.verify.context import DATA_FORMS, ServerUnderTest, parse_forms
from wizard.verify.outcome import Failure, Outcome, passed

Probe = Callable[[ServerUnderTest], Awaitable[Outcome]]

PUBSUB = "http://jabber.org/protocol/pubsub"
PUBSUB_OWNER = "http://jabber.org/protocol/pubsub#owner"
MAM = "urn:xmpp:mam:2"
RSM = "http://jabber.org/protocol/rsm"
OMEMO_BUNDLES = "eu.siacs.conversations.axolotl.bundles"


def announces(feature: str, *, on: str) -> Probe:
    """A probe that passes when ``on`` ('server' or 'account') announces ``feature`` in disco#info."""

    async def probe(ctx: ServerUnderTest) -> Outcome:
        jid = ctx.domain if on == "server" else ctx.session.bare
        if feature not in (await ctx.info(jid)).features:
            raise Failure(f"{jid} does not announce {feature}")
        return passed(f"{jid} announces {feature}")

    return probe


async def _require(ctx: ServerUnderTest, feature: str, *, on: str) -> None:
    await announces(feature, on=on)(ctx)


async def contact_addresses(ctx: ServerUnderTest) -> Outcome:
    form = (await ctx.info(ctx.domain)).forms.get("http://jabber.org/network/serverinfo", {})
    abuse = [value for value in form.get("abuse-addresses", []) if value]
    if not abuse:
        raise Failure(f"{ctx.domain} publishes no abuse-addresses in its contact form")
    others = sorted(name for name, values in form.items() if name.endswith("-addresses") and any(values))
    return passed(f"{', '.join(others)}: {', '.join(abuse)}")


async def carbons(ctx: ServerUnderTest) -> Outcome:
    await _require(ctx, "urn:xmpp:carbons:2", on="server")
    await ctx.session.iq("set", None, ET.fromstring("<enable xmlns='urn:xmpp:carbons:2'/>"), "enabling carbons")
    await ctx.session.iq("set", None, ET.fromstring("<disable xmlns='urn:xmpp:carbons:2'/>"), "disabling carbons")
    return passed("enabled and disabled for this session")


async def blocking(ctx: ServerUnderTest) -> Outcome:
    await _require(ctx, "urn:xmpp:blocking", on="server")
    blocklist = await ctx.session.iq("get", None, ET.fromstring("<blocklist xmlns='urn:xmpp:blocking'/>"), "blocklist")
    return passed(f"block list retrieved ({len(list(blocklist))} entries)")


async def archive(ctx: ServerUnderTest) -> Outcome:
    await _require(ctx, MAM, on="account")
    # Only the newest message is asked for: enough to prove the archive answers.
    query = ET.fromstring(
        f"<query xmlns='{MAM}' queryid={quoteattr(secrets.token_hex(4))}>"
        f"<set xmlns='{RSM}'><max>1</max><before/></set></query>"
    )
    fin = await ctx.session.iq("set", None, query, "archive query")
    if fin.tag != f"{{{MAM}}}fin":
        raise Failure("the archive query was not answered with <fin/>")
    return passed("the archive answered a query")


async def push(ctx: ServerUnderTest) -> Outcome:
    await _require(ctx, "urn:xmpp:push:0", on="account")
    # An app server that does not exist: the registration only lives for this test.
    attrs = f"jid={quoteattr(f'push.{ctx.domain}.invalid')} node={quoteattr(secrets.token_hex(8))}"

    async def disable() -> None:
        await ctx.session.iq("set", None, ET.fromstring(f"<disable xmlns='urn:xmpp:push:0' {attrs}/>"),
                             "disabling push")

    await ctx.session.iq("set", None, ET.fromstring(f"<enable xmlns='urn:xmpp:push:0' {attrs}/>"), "enabling push")
    ctx.defer("a push registration", disable)
    return passed("push enabled (and removed again)")


async def vcard(ctx: ServerUnderTest) -> Outcome:
    await _require(ctx, "vcard-temp", on="server")
    await ctx.session.iq("get", ctx.session.bare, ET.fromstring("<vCard xmlns='vcard-temp'/>"), "own vCard")
    return passed("own vCard retrieved")


def private_storage(element: str, namespace: str) -> Probe:
    """A probe that reads <element xmlns=namespace/> from private XML storage (XEP-0049)."""

    async def probe(ctx: ServerUnderTest) -> Outcome:
        query = ET.fromstring(f"<query xmlns='jabber:iq:private'><{element} xmlns={quoteattr(namespace)}/></query>")
        await ctx.session.iq("get", None, query, f"private storage of {namespace}")
        return passed(f"{namespace} read from private XML storage")

    return probe


async def _publish(ctx: ServerUnderTest, node: str, payload: str, options: dict[str, str]) -> None:
    """Publish one item to a PEP node with publish-options (XEP-0223); deleted after the tests."""
    fields = "".join(f"<field var={quoteattr(name)}><value>{value}</value></field>" for name, value in options.items())
    publish = ET.fromstring(
        f"<pubsub xmlns='{PUBSUB}'><publish node={quoteattr(node)}><item id='current'>{payload}</item></publish>"
        f"<publish-options><x xmlns='{DATA_FORMS}' type='submit'><field var='FORM_TYPE' type='hidden'>"
        f"<value>{PUBSUB}#publish-options</value></field>{fields}</x></publish-options></pubsub>"
    )

    async def delete() -> None:
        await ctx.session.iq("set", None,
                             ET.fromstring(f"<pubsub xmlns='{PUBSUB_OWNER}'><delete node={quoteattr(node)}/></pubsub>"),
                             f"deleting PEP node {node}")

    await ctx.session.iq("set", None, publish, f"publishing to PEP node {node}")
    ctx.defer(f"PEP node {node}", delete)


async def _check_node(ctx: ServerUnderTest, node: str, access_model: str) -> None:
    """The node holds the item, and its configuration has ``access_model``."""
    items = await ctx.session.iq("get", None,
                                 ET.fromstring(f"<pubsub xmlns='{PUBSUB}'><items node={quoteattr(node)}/></pubsub>"),
                                 f"items of {node}")
    if not [item for item in items.iter(f"{{{PUBSUB}}}item") if item.get("id") == "current"]:
        raise Failure(f"the item published to {node} could not be retrieved")
    config = await ctx.session.iq("get", None,
                                  ET.fromstring(f"<pubsub xmlns='{PUBSUB_OWNER}'>"
                                                f"<configure node={quoteattr(node)}/></pubsub>"),
                                  f"configuration of {node}")
    model = parse_forms(config).get(f"{PUBSUB}#node_config", {}).get("pubsub#access_model", ["?"])[0]
    if model != access_model:
        raise Failure(f"{node} has access model {model!r}, expected {access_model!r}")


async def pep(ctx: ServerUnderTest) -> Outcome:
    if ("pubsub", "pep") not in (await ctx.info(ctx.session.bare)).identities:
        raise Failure(f"{ctx.session.bare} has no pubsub/pep identity")
    node = f"urn:example:verify:{secrets.token_hex(6)}"
    await _publish(ctx, node, "<verify xmlns='urn:example:verify'/>", {})
    await _check_node(ctx, node, "presence")
    return passed("published to and read back from a PEP node (then deleted)")


async def private_pep(ctx: ServerUnderTest) -> Outcome:
    await _require(ctx, f"{PUBSUB}#publish-options", on="account")
    node = f"urn:example:verify:private:{secrets.token_hex(6)}"
    await _publish(ctx, node, "<verify xmlns='urn:example:verify'/>",
                   {"pubsub#persist_items": "true", "pubsub#access_model": "whitelist"})
    await _check_node(ctx, node, "whitelist")
    return passed("private (whitelist) node published with publish-options, read back, deleted")


async def omemo(ctx: ServerUnderTest) -> Outcome:
    await _require(ctx, f"{PUBSUB}#publish-options", on="account")
    # A bundle of a device id in no device list: no client will ever use it. The
    # device list itself is never touched, it belongs to the user's clients.
    node = f"{OMEMO_BUNDLES}:{secrets.randbelow(2**31 - 1) + 1}"
    await _publish(ctx, node, "<bundle xmlns='eu.siacs.conversations.axolotl'/>", {"pubsub#access_model": "open"})
    await _check_node(ctx, node, "open")
    return passed("OMEMO bundle node published with access model 'open', read back, deleted")


STUN_TYPES, TURN_TYPES = ("stun", "stuns"), ("turn", "turns")


def describe_service(service: ET.Element) -> str:
    return f"{service.get('type')}:{service.get('host')}:{service.get('port')}/{service.get('transport', 'udp')}"


def usable(service: ET.Element, types: tuple[str, ...]) -> bool:
    """caas's rule for a service: one of ``types``, a host, a port number, over TCP or UDP."""
    port = service.get("port", "")
    return (service.get("type") in types and bool(service.get("host")) and port.isdigit() and int(port) < 65536
            and service.get("transport") in ("tcp", "udp"))


async def external_services(ctx: ServerUnderTest) -> Outcome:
    """caas's 'stun': XEP-0215 announces a STUN service with host, port and transport."""
    services = [s for s in await announced_services(ctx) if usable(s, STUN_TYPES)]
    if not services:
        raise Failure("the server announces no STUN service (type stun or stuns, with host, port and transport)")
    return passed(", ".join(describe_service(s) for s in services))


async def announced_services(ctx: ServerUnderTest) -> list[ET.Element]:
    """Every external service announced by XEP-0215 (queried once)."""

    async def query() -> list[ET.Element]:
        await _require(ctx, "urn:xmpp:extdisco:2", on="server")
        services = await ctx.session.iq("get", ctx.domain, ET.fromstring("<services xmlns='urn:xmpp:extdisco:2'/>"),
                                        "external services")
        return list(services.iter("{urn:xmpp:extdisco:2}service"))

    return await ctx.once("external services", query)


async def stun_services(ctx: ServerUnderTest) -> list[ET.Element]:
    """The STUN services announced by XEP-0215."""
    found = [s for s in await announced_services(ctx) if s.get("type") in STUN_TYPES]
    if not found:
        raise Failure("the server announces no STUN service")
    return found
