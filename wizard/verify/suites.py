"""The tests of ``verify``: one declaration per item, with its suites, its XEP and its fix.

Suites: the server categories of the XMPP Compliance Suites (XEP-0479, the
same as XEP-0459) at both levels, the Conversations compliance tester, and
what a deployment must get right around ejabberd (DNS, web server, ports).
An item runs once and counts in every suite and level it is declared for.
``fix`` is the wizard setting that makes it pass.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from wizard.verify import probes_account as account
from wizard.verify import probes_caas as caas
from wizard.verify import probes_services as services
from wizard.verify import probes_stream as stream
from wizard.verify import probes_web as web
from wizard.verify.context import ServerUnderTest
from wizard.verify.outcome import Outcome

CORE, WEB, IM, MOBILE, AV = "Core", "Web", "IM", "Mobile", "A/V"
CONVERSATIONS, DEPLOYMENT = "Conversations", "Deployment"
SERVER, ADVANCED = "Server", "Advanced Server"

Level = tuple[str, str]  # (suite, level)


@dataclass(frozen=True)
class Suite:
    name: str
    title: str
    levels: tuple[str, ...]


SUITES: tuple[Suite, ...] = (
    Suite(CORE, "XMPP Compliance Suites 2023 (XEP-0479/XEP-0459): Core", (SERVER, ADVANCED)),
    Suite(WEB, "XMPP Compliance Suites 2023: Web", (SERVER, ADVANCED)),
    Suite(IM, "XMPP Compliance Suites 2023: IM", (SERVER, ADVANCED)),
    Suite(MOBILE, "XMPP Compliance Suites 2023: Mobile", (SERVER, ADVANCED)),
    Suite(AV, "XMPP Compliance Suites 2023: A/V Calling", (SERVER, ADVANCED)),
    Suite(CONVERSATIONS, "the Conversations compliance tester (caas), counted as caas counts", (CONVERSATIONS,)),
    Suite(DEPLOYMENT, "what clients find and reach around ejabberd: DNS, web server, ports", (DEPLOYMENT,)),
)


def both(suite: str) -> tuple[Level, ...]:
    return ((suite, SERVER), (suite, ADVANCED))


def advanced(suite: str) -> tuple[Level, ...]:
    return ((suite, ADVANCED),)


CONV: tuple[Level, ...] = ((CONVERSATIONS, CONVERSATIONS),)
DEPLOY: tuple[Level, ...] = ((DEPLOYMENT, DEPLOYMENT),)


def always(module: str) -> str:
    return f"{module} is always in the wizard's config: generate and deploy config/ejabberd.yml"


DNS = "add the records of dns/records.zone at your DNS provider"
WEB_FRONT = "compliance.alternative_connections: true; the web server forwards to ports.http"
HOST_META_CORS = ("the web front sends 'Access-Control-Allow-Origin: *' with /.well-known/host-meta* "
                  "(scripts/deploy.sh installs the Caddy site; on Uberspace scripts/setup-platform.sh sets it)")


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    spec: str  # the XEP or RFC
    probe: Callable[[ServerUnderTest], Awaitable[Outcome]]
    fix: str
    levels: tuple[Level, ...]


ITEMS: tuple[Item, ...] = (
    # Core
    Item("login", "Core features: STARTTLS, SASL, resource binding", "RFC 6120", stream.login,
         "ports.c2s, tls.cert_file", both(CORE)),
    Item("tls", "TLS 1.2 or later, certificate valid for the domain", "RFC 7590", stream.tls,
         "tls.cert_file, tls.protocol_options", both(CORE)),
    Item("federation_in", "Federation: servers reach the domain (SRV, STARTTLS)", "RFC 6120", stream.federation_inbound,
         f"ports.s2s; {DNS}", both(CORE)),
    Item("federation_out", "Federation: the server reaches other domains", "RFC 6120", stream.federation_outbound,
         "ports.s2s (outgoing connections allowed)", both(CORE)),
    Item("disco", "Service discovery of server, account and services", "XEP-0030", stream.disco,
         always("mod_disco"), both(CORE)),
    Item("component", "Server extensibility (component protocol)", "XEP-0114", stream.component_protocol,
         "not configured by the wizard (an ejabberd_service listener)", both(CORE)),
    Item("direct_tls", "Direct TLS (_xmpps-client SRV record)", "XEP-0368", stream.direct_tls,
         f"ports.c2s_tls; {DNS}", advanced(CORE) + CONV),
    Item("caps", "Entity capabilities of the server", "XEP-0115",
         stream.stream_feature("http://jabber.org/protocol/caps", "c", "entity capabilities"),
         always("mod_caps"), advanced(CORE) + CONV),
    Item("pep", "Personal eventing: publish and retrieve", "XEP-0163", account.pep,
         always("mod_pubsub (plugin pep)"), advanced(CORE) + CONV),
    # Web
    Item("websocket", "XMPP over WebSocket", "RFC 7395", web.websocket, WEB_FRONT, both(WEB) + CONV),
    Item("bosh", "XMPP over BOSH, CORS for browsers", "XEP-0206", web.bosh, WEB_FRONT, both(WEB) + CONV),
    # IM
    Item("roster", "Roster", "RFC 6121", stream.roster, always("mod_roster"), both(IM)),
    Item("vcard", "vcard-temp", "XEP-0054", account.vcard, always("mod_vcard"), both(IM)),
    Item("carbons", "Message carbons", "XEP-0280", account.carbons, "compliance.carbons: true", both(IM) + CONV),
    Item("muc", "Group chat: create a room", "XEP-0045", services.muc,
         always("mod_muc (domains.conference)"), both(IM) + CONV),
    Item("upload", "HTTP file upload: slot request", "XEP-0363", services.upload_slot,
         "upload.enabled: true", both(IM) + CONV),
    Item("avatars", "User avatar to vCard conversion", "XEP-0398, XEP-0153",
         account.announces("urn:xmpp:pep-vcard-conversion:0", on="account"), always("mod_avatar"), advanced(IM) + CONV),
    Item("blocking", "Blocking command", "XEP-0191", account.blocking, always("mod_blocking"), advanced(IM) + CONV),
    Item("muc_mam", "Group chat history: a room's archive", "XEP-0313", services.muc_archive,
         "compliance.mam: true", advanced(IM) + CONV),
    Item("bookmarks", "Bookmarks in private storage", "XEP-0048",
         account.private_storage("storage", "storage:bookmarks"), always("mod_private"), advanced(IM)),
    Item("bookmarks2", "PEP native bookmarks, compatible with XEP-0048", "XEP-0402",
         account.announces("urn:xmpp:bookmarks:1#compat", on="account"),
         "install.version: 23.10 or later (ejabberd has XEP-0402 since 23.10)", advanced(IM)),
    Item("muc_self_ping", "Group chat self-ping", "XEP-0410", services.muc_self_ping, always("mod_muc"), advanced(IM)),
    Item("pubsub_private", "Private data in PEP (publish-options)", "XEP-0223", account.private_pep,
         always("mod_pubsub (plugin pep)"), advanced(IM)),
    Item("private_storage", "Private XML storage", "XEP-0049",
         account.private_storage("verify", "urn:example:ejabberd-wizard:verify"), always("mod_private"), advanced(IM)),
    Item("mam", "Message archive of the account", "XEP-0313", account.archive,
         "compliance.mam: true", advanced(IM) + CONV),
    Item("sm", "Stream management with resumption", "XEP-0198", stream.stream_management,
         "compliance.stream_management: true", advanced(IM) + both(MOBILE) + CONV),
    # Mobile
    Item("csi", "Client state indication", "XEP-0352",
         stream.stream_feature("urn:xmpp:csi:0", "csi", "client state indication"),
         "compliance.client_state_indication: true", both(MOBILE) + CONV),
    Item("push", "Push notifications: enable and disable", "XEP-0357", account.push,
         "compliance.push: true", advanced(MOBILE) + CONV),
    # A/V
    Item("stun_disco", "STUN discovery (external services)", "XEP-0215", account.external_services,
         "compliance.stun: true", both(AV) + CONV),
    Item("turn", "TURN with credentials: an allocation succeeds", "XEP-0215, RFC 8656", caas.turn,
         "compliance.turn: true (use_turn in ejabberd_stun, a restricted turn service); ports.stun and "
         "ports.turn_relay open", both(AV) + CONV),
    # Conversations compliance tester, beyond the above
    Item("roster_versioning", "Roster versioning", "RFC 6121", stream.roster_versioning,
         always("mod_roster (versioning)"), CONV),
    Item("omemo", "OMEMO: PEP node with access model 'open'", "XEP-0384", account.omemo,
         always("mod_pubsub (force_node_config)"), CONV),
    Item("proxy65", "File transfer proxy discovery", "XEP-0065", services.proxy65,
         always("mod_proxy65 (domains.proxy)"), CONV),
    Item("contact", "Contact addresses (abuse)", "XEP-0157", account.contact_addresses,
         "compliance.abuse_addresses: [mailto:abuse@<domain>]", CONV),
    Item("offline", "Offline messages: kept, delivered at the next login", "XEP-0160", caas.offline,
         always("mod_offline"), CONV),
    Item("bookmarks_conversion", "Bookmarks conversion (private XML and PEP)", "XEP-0411",
         account.announces("urn:xmpp:bookmarks-conversion:0", on="account"),
         "mod_private and mod_pubsub (plugin pep), always in the wizard's config", CONV),
    Item("vcard_muc", "vCard of group chat rooms (room avatars)", "XEP-0153", caas.vcard_muc,
         always("mod_muc"), CONV),
    Item("ibr", "In-band registration offered before login", "XEP-0077", caas.in_band_registration,
         "security.registration: captcha (caas lists only servers that offer in-band registration)", CONV),
    # Deployment
    Item("client_srv", "_xmpp-client SRV record", "RFC 6120", web.client_srv, DNS, DEPLOY),
    Item("upload_transfer", "Upload: PUT and GET through the web server", "XEP-0363", services.upload_transfer,
         "upload.enabled: true; the web server forwards upload.path to ports.http", DEPLOY),
    Item("upload_cors", "Upload: CORS headers for web clients", "XEP-0363", services.upload_cors,
         "upload.cors_origin: '*' (with upload.enabled: true)", DEPLOY + CONV),
    Item("proxy65_reachable", "File transfer proxy answers (SOCKS5)", "XEP-0065", services.proxy65_reachable,
         f"ports.proxy65 open; {DNS}", DEPLOY),
    Item("stun", "STUN server answers a binding request", "RFC 5389", services.stun_answers,
         "compliance.stun: true; ports.stun open", DEPLOY),
    Item("stun_srv", "STUN SRV records", "RFC 5389", web.stun_srv, f"compliance.stun: true; {DNS}", DEPLOY),
    Item("host_meta", "host-meta names WebSocket and BOSH, readable by browsers", "XEP-0156", web.host_meta_served,
         f"compliance.alternative_connections: true; deploy web/.well-known to service.web_root; {HOST_META_CORS}",
         DEPLOY + CONV),
    Item("host_meta_json", "host-meta.json names WebSocket and BOSH, readable by browsers", "XEP-0156",
         web.host_meta_json_served,
         f"compliance.alternative_connections: true; deploy web/.well-known to service.web_root; {HOST_META_CORS}",
         DEPLOY + CONV),
    Item("xmppconnect", "_xmppconnect TXT records", "XEP-0156", web.xmppconnect,
         f"compliance.alternative_connections: true; {DNS}", DEPLOY),
)


def items_of(suite: str, level: str | None = None) -> list[Item]:
    return [item for item in ITEMS if any(s == suite and (level is None or lv == level) for s, lv in item.levels)]
