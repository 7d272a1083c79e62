"""What the probes share: the session, lookups done once, and the clean-up of what they create.

Everything a probe creates on the server (a PEP node, a room, a throwaway
account) is registered with ``defer`` and removed after the last test, also
when a test fails half-way.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from xml.etree import ElementTree as ET

from wizard.verify.client import ClientSession, IqFailure, LoginError, TlsTrust
from wizard.verify.outcome import Failure, Untestable
from wizard.verify.resolver import Resolver, system_address
from wizard.verify.web import Web

T = TypeVar("T")

DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
DATA_FORMS = "jabber:x:data"
COMMANDS = "http://jabber.org/protocol/commands"


@dataclass(frozen=True)
class DiscoInfo:
    identities: frozenset[tuple[str, str]]  # (category, type)
    features: frozenset[str]
    forms: dict[str, dict[str, list[str]]]  # FORM_TYPE -> field -> values

    @classmethod
    def parse(cls, query: ET.Element) -> DiscoInfo:
        identities = frozenset(
            (i.get("category", ""), i.get("type", "")) for i in query.iter(f"{{{DISCO_INFO}}}identity")
        )
        features = frozenset(f.get("var", "") for f in query.iter(f"{{{DISCO_INFO}}}feature"))
        return cls(identities, features, parse_forms(query))


def parse_forms(parent: ET.Element) -> dict[str, dict[str, list[str]]]:
    """The data forms (XEP-0004) below ``parent``, by their FORM_TYPE."""
    forms: dict[str, dict[str, list[str]]] = {}
    for form in parent.iter(f"{{{DATA_FORMS}}}x"):
        fields = {
            f.get("var", ""): [v.text or "" for v in f.iter(f"{{{DATA_FORMS}}}value")]
            for f in form.iter(f"{{{DATA_FORMS}}}field")
        }
        forms[(fields.get("FORM_TYPE") or [""])[0]] = fields
    return forms


@dataclass(frozen=True)
class Connection:
    """Where and how sessions connect: the main one and the throwaway account's."""

    address: tuple[str, int]
    tls: TlsTrust
    timeout: float


@dataclass
class Account:
    """A throwaway account and its current session (a test may log it out and in again)."""

    jid: str
    password: str
    session: ClientSession


@dataclass
class ServerUnderTest:
    """The server a verify run tests, as every probe sees it: the client session logged in to it,
    its DNS and web, what was looked up once, and what the probes created there to clean up."""

    connection: Connection
    session: ClientSession
    resolver: Resolver
    web: Web
    server: str | None  # --server: where the domain's own services are reached
    _cache: dict[str, asyncio.Future[Any]] = field(default_factory=dict)
    _cleanups: list[tuple[str, Callable[[], Awaitable[object]]]] = field(default_factory=list)
    left_behind: list[str] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return self.session.client.boundjid.domain

    @property
    def timeout(self) -> float:
        return self.connection.timeout

    # -- doing things once -------------------------------------------------------

    async def once(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        """``make()``'s result, computed by the first caller; later callers share it (or its error)."""
        if key not in self._cache:
            self._cache[key] = asyncio.ensure_future(make())
        return await asyncio.shield(self._cache[key])

    def defer(self, what: str, cleanup: Callable[[], Awaitable[object]]) -> None:
        """Run ``cleanup`` after the last test; ``what`` names the leftover if it fails."""
        self._cleanups.append((what, cleanup))

    async def clean_up(self) -> None:
        for what, cleanup in reversed(self._cleanups):
            try:
                async with asyncio.timeout(self.timeout):
                    await cleanup()
            except Exception as error:  # noqa: BLE001  (every leftover is reported, none stops the rest)
                self.left_behind.append(f"{what}: {error or type(error).__name__}")
        self._cleanups.clear()

    # -- service discovery --------------------------------------------------------

    async def info(self, jid: str) -> DiscoInfo:
        async def query() -> DiscoInfo:
            result = await self.session.iq("get", jid, ET.Element(f"{{{DISCO_INFO}}}query"), f"disco#info of {jid}")
            return DiscoInfo.parse(result)

        return await self.once(f"info {jid}", query)

    async def items(self, jid: str) -> list[str]:
        """The addresses among ``jid``'s disco#items, each once (items of one address may differ by node)."""

        async def query() -> list[str]:
            result = await self.session.iq("get", jid, ET.Element(f"{{{DISCO_ITEMS}}}query"), f"disco#items of {jid}")
            return list(dict.fromkeys(item.get("jid", "") for item in result.iter(f"{{{DISCO_ITEMS}}}item")))

        return await self.once(f"items {jid}", query)

    async def component(self, *, feature: str | None = None, identity: tuple[str, str] | None = None) -> str:
        """The first service of the domain (disco#items) with ``feature`` or ``identity``."""
        for jid in await self.items(self.domain):
            try:
                info = await self.info(jid)
            except IqFailure:
                continue
            if (feature is None or feature in info.features) and (identity is None or identity in info.identities):
                return jid
        wanted = feature or "/".join(identity or ())
        raise Failure(f"no service of {self.domain} offers {wanted}")

    # -- addresses -----------------------------------------------------------------

    async def address_of(self, host: str) -> str:
        """Where to reach ``host``: --server for the domain itself, else its DNS address."""
        if self.server and host == self.domain:
            return await system_address(self.server)
        return await self.resolver.address(host)

    # -- throwaway account -----------------------------------------------------------

    async def throwaway(self) -> ClientSession:
        """The session of a fresh account for tests that leave data only removing the account removes."""
        return (await self.throwaway_account()).session

    async def throwaway_account(self) -> Account:
        """A fresh account, made once and shared by the tests that need one.

        Created by in-band registration where the server allows it (not with the
        wizard's registration 'closed', which is closed to every address), or, when
        the tester is an admin, by the XEP-0133 add-user command; removed again after
        the last test, through whatever session it has then.
        """
        return await self.once("throwaway", self._make_throwaway)

    async def log_in(self, account: Account) -> ClientSession:
        """A new session of ``account`` (the caller closed the last one), kept for the clean-up."""
        main = self.connection
        account.session = await ClientSession.open(account.jid, account.password, main.address, main.tls, main.timeout)
        return account.session

    async def _make_throwaway(self) -> Account:
        jid = f"verify-{secrets.token_hex(6)}@{self.domain}"
        password = secrets.token_urlsafe(24)
        main = self.connection
        try:
            session = await ClientSession.open(jid, password, main.address, main.tls, main.timeout, register=True)
        except LoginError as registration:
            try:
                await self._admin_command("add-user", accountjid=jid, password=password,
                                          **{"password-verify": password})
            except IqFailure as admin:
                raise Untestable(
                    f"needs a throwaway account, and none could be made ({registration}; "
                    f"as an admin: {admin.condition}); run verify as an admin account, which makes one "
                    "with the add-user command"
                ) from None
            try:
                session = await ClientSession.open(jid, password, main.address, main.tls, main.timeout)
            except LoginError as error:
                await self._admin_command("delete-user", accountjids=jid)
                raise Failure(f"the throwaway account {jid} made by add-user cannot log in: {error}") from None
        account = Account(jid, password, session)
        self.defer(f"throwaway account {jid}", lambda: _cancel_account(account.session))
        return account

    async def _admin_command(self, name: str, **fields: str) -> None:
        """An XEP-0133 admin command (add-user, delete-user), run by the tester's own account."""
        node = f"http://jabber.org/protocol/admin#{name}"
        start = await self.session.iq("set", self.domain,
                                      ET.Element(f"{{{COMMANDS}}}command", node=node, action="execute"), name)
        submit = ET.Element(f"{{{COMMANDS}}}command", node=node, sessionid=start.get("sessionid", ""))
        form = ET.SubElement(submit, f"{{{DATA_FORMS}}}x", type="submit")
        for var, value in {"FORM_TYPE": "http://jabber.org/protocol/admin", **fields}.items():
            field = ET.SubElement(form, f"{{{DATA_FORMS}}}field", var=var)
            ET.SubElement(field, f"{{{DATA_FORMS}}}value").text = value
        done = await self.session.iq("set", self.domain, submit, name)
        if done.get("status") != "completed":
            raise IqFailure(name, f"the command ended '{done.get('status')}'")


async def _cancel_account(session: ClientSession) -> None:
    try:
        await session.remove_account()
    finally:
        await session.close()
