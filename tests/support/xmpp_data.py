"""What users leave on a server, made and read back by a real XMPP client (slixmpp).

For tests that keep a server's data across a change (an upgrade): a persistent MUC room
with a name of its own, a message sent to a user who is offline, and reading both back.
The session (login over STARTTLS with the test CA, bounded waits, disconnect) is the one of
tests/support/xmpp_client.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import slixmpp

from .xmpp_client import XMPPError, _run, _session

ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"


@dataclass(frozen=True)
class Account:
    """A user and where to reach the server (loopback, the node's c2s port, its test CA)."""

    jid: str
    password: str
    port: int
    ca_cert: Path
    host: str = "127.0.0.1"
    timeout: float = 20.0


@dataclass(frozen=True)
class Room:
    """What a user sees of a room: disco#info's name and features, and whether disco#items lists it."""

    name: str
    features: frozenset[str]
    listed: bool


def create_persistent_room(account: Account, room: str, name: str) -> None:
    """Join ``room`` (which creates it, locked) and submit its configuration: persistent, named ``name``."""

    async def create(client: slixmpp.ClientXMPP, timeout: float) -> None:
        client.register_plugin("xep_0045")  # after login: the session's client has only discovery and upload
        muc = client.plugin["xep_0045"]
        await muc.join_muc_wait(slixmpp.JID(room), slixmpp.JID(account.jid).user, maxstanzas=0, timeout=timeout)
        form = client.plugin["xep_0004"].make_form(ftype="submit")
        form.add_field(var="FORM_TYPE", value=ROOMCONFIG, ftype="hidden")
        form.add_field(var="muc#roomconfig_persistentroom", value=True, ftype="boolean")
        form.add_field(var="muc#roomconfig_publicroom", value=True, ftype="boolean")
        form.add_field(var="muc#roomconfig_roomname", value=name, ftype="text-single")
        await muc.set_room_config(slixmpp.JID(room), form, timeout=timeout)

    _run(_session(account.jid, account.password, account.host, account.port, account.ca_cert, account.timeout,
                  False, "creating a room", create))


def look_at_room(account: Account, room: str) -> Room:
    """Log in and ask the room's service about ``room``: disco#info of the room, disco#items of its service."""

    async def look(client: slixmpp.ClientXMPP, timeout: float) -> Room:
        disco = client.plugin["xep_0030"]
        jid = slixmpp.JID(room)
        info, items = await asyncio.gather(disco.get_info(jid=jid, timeout=timeout),
                                           disco.get_items(jid=slixmpp.JID(jid.domain), timeout=timeout))
        identities = info["disco_info"]["identities"]
        names = [str(identity[3]) for identity in identities if identity[0] == "conference"]
        listed = {str(item[0]) for item in items["disco_items"]["items"]}
        return Room(name=names[0] if names else "", features=frozenset(info["disco_info"]["features"]),
                    listed=jid.bare in listed)

    return _run(_session(account.jid, account.password, account.host, account.port, account.ca_cert,
                         account.timeout, False, "room discovery", look))


def send_message(account: Account, to: str, body: str) -> None:
    """Log in and send ``body`` to ``to``; a ping to the server after it means the server has routed it."""

    async def send(client: slixmpp.ClientXMPP, timeout: float) -> None:
        client.send_message(mto=slixmpp.JID(to), mbody=body, mtype="chat")
        # The session's stanzas are handled in order: the answer to this comes after the message's routing.
        await client.plugin["xep_0030"].get_info(jid=slixmpp.JID(client.boundjid.domain), timeout=timeout)

    _run(_session(account.jid, account.password, account.host, account.port, account.ca_cert, account.timeout,
                  False, "sending a message", send))


def receive_waiting(account: Account, body: str) -> list[str]:
    """Log in, send the initial presence (which brings the messages kept offline) and wait for ``body``.

    Returns the bodies of the chat messages that came until ``body`` did, in order; raises
    XMPPError when it did not come within the account's timeout.
    """

    async def receive(client: slixmpp.ClientXMPP, timeout: float) -> list[str]:
        bodies: list[str] = []
        arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_message(message: slixmpp.Message) -> None:
            if message["type"] in ("chat", "normal") and message["body"]:
                bodies.append(str(message["body"]))
                if bodies[-1] == body and not arrived.done():
                    arrived.set_result(None)

        client.add_event_handler("message", on_message)
        client.send_presence()
        try:
            # Half the session's time: the login had its share, and this error says what came instead.
            await asyncio.wait_for(arrived, timeout / 2)
        except TimeoutError:
            raise XMPPError(f"{account.jid} did not get the message kept for it ({body!r}); it got {bodies}") from None
        return bodies

    return _run(_session(account.jid, account.password, account.host, account.port, account.ca_cert,
                         account.timeout, False, "waiting for offline messages", receive))
