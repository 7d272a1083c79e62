"""One logged-in XMPP session (slixmpp) with what the probes need: raw IQs,
the stream features the server offered, and waiting for incoming stanzas.

Everything is bounded by the session's timeout, and every way a login can
fail becomes a one-line ``LoginError``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from xml.etree import ElementTree as ET

# slixmpp logs to the root logger (a warning at import, errors on bad certificates);
# the verify report is the only output the user should see.
logging.getLogger("slixmpp").addHandler(logging.NullHandler())
logging.getLogger("slixmpp").propagate = False

import slixmpp  # noqa: E402  (after the logging set-up above)
from slixmpp.exceptions import IqError, IqTimeout  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

STREAM_FEATURES = "{http://etherx.jabber.org/streams}features"
REGISTER_FEATURE = "{http://jabber.org/features/iq-register}register"  # XEP-0077 §8
SASL_MECHANISMS = "{urn:ietf:params:xml:ns:xmpp-sasl}mechanisms"


class LoginError(Exception):
    """Connecting, TLS or authentication failed: the command cannot test anything."""


class IqFailure(Exception):
    """The server answered an IQ with an error (``condition``) or not at all."""

    def __init__(self, what: str, condition: str, text: str = "") -> None:
        super().__init__(f"{what}: {condition}" + (f" ({text})" if text else ""))
        self.condition = condition


@dataclass(frozen=True)
class TlsTrust:
    """How certificates are checked: against ``ca`` only, the system's CAs, or not at all."""

    ca: Path | None = None
    insecure: bool = False

    def context(self) -> ssl.SSLContext:
        if self.insecure:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        return ssl.create_default_context(cafile=str(self.ca) if self.ca else None)


Predicate = Callable[[ET.Element], bool]


class ClientSession:
    """A logged-in client. Create with ``await ClientSession.open(...)``, end with ``close()``."""

    def __init__(self, client: slixmpp.ClientXMPP, timeout: float) -> None:
        self.client = client
        self.timeout = timeout
        self.features: list[ET.Element] = []  # the stream features after authentication
        self._waiters: list[tuple[Predicate, asyncio.Future[ET.Element]]] = []
        self.lost: str | None = None  # why the server ended the session, once it has
        client.add_filter("in", self._dispatch)
        client.add_event_handler("disconnected", lambda reason: setattr(self, "lost", reason or "connection closed"))

    # -- opening -------------------------------------------------------------

    @classmethod
    async def open(
        cls, jid: str, password: str, address: tuple[str, int], tls: TlsTrust, timeout: float, *, register: bool = False
    ) -> ClientSession:
        """Log in as ``jid`` at ``address`` over STARTTLS (never in plain text).

        With ``register`` the account is first created by in-band registration
        (XEP-0077) on the same, not yet authenticated stream.
        """
        client = slixmpp.ClientXMPP(jid, password)
        client.enable_direct_tls = False  # STARTTLS on the client port (RFC 6120)
        client.enable_starttls = True
        client.enable_plaintext = False
        client.ssl_context = tls.context()
        client.register_plugin("xep_0199")  # answers pings: the MUC self-ping test needs it
        client.register_plugin("xep_0198")  # stream management, enabled when the server offers it
        client.register_plugin("xep_0077")  # in-band registration and account removal
        session = cls(client, timeout)
        seen: list[ET.Element] = []
        client.register_handler(Callback("verify features", MatchXPath(STREAM_FEATURES), lambda s: seen.append(s.xml)))
        outcome = _watch_login(client, jid)
        if register:
            client.add_event_handler("register", _registration(client, jid, password, timeout, outcome))
        client.connect(*address)
        try:
            async with asyncio.timeout(timeout):
                await outcome
        except TimeoutError:
            await session.close()
            raise LoginError(f"no login as {jid} at {address[0]}:{address[1]} within {timeout:.0f}s") from None
        except LoginError:
            await session.close()
            offered = {child.tag for child in seen[-1]} if seen else set()
            if register and SASL_MECHANISMS in offered and REGISTER_FEATURE not in offered:
                # Ready to log in, without registration: slixmpp went on to log in, and failed
                # as the unknown account it is.
                raise LoginError("the server offers no in-band registration") from None
            raise
        session.features = list(seen[-1]) if seen else []
        return session

    # -- what the server offered ----------------------------------------------

    def stream_feature(self, namespace: str, name: str | None = None) -> ET.Element | None:
        for element in self.features:
            tag_ns, _, tag = element.tag[1:].partition("}")
            if tag_ns == namespace and (name is None or tag == name):
                return element
        return None

    @property
    def sm_enabled(self) -> bool:
        return bool(self.client.plugin["xep_0198"].enabled_in)

    def tls_version(self) -> str | None:
        transport = self.client.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport else None
        return ssl_object.version() if ssl_object else None

    @property
    def bare(self) -> str:
        return str(self.client.boundjid.bare)

    @property
    def full(self) -> str:
        return str(self.client.boundjid.full)

    # -- talking ---------------------------------------------------------------

    async def iq(self, kind: Literal["get", "set"], to: str | None, payload: ET.Element, what: str) -> ET.Element:
        """Send an IQ and return the result's first child (or the IQ itself when empty)."""
        iq = self.client.make_iq(itype=kind, ito=to)
        iq.append(payload)
        try:
            # slixmpp's Iq.send is untyped: it resolves to the answering Iq.
            result: slixmpp.Iq = await iq.send(timeout=self.timeout)  # type: ignore[no-untyped-call]
        except IqError as error:
            raise IqFailure(what, str(error.condition), str(error.text or "")) from None
        except IqTimeout:
            raise IqFailure(what, f"no answer within {self.timeout:.0f}s") from None
        children = list(result.xml)
        return children[0] if children else result.xml

    def send(self, element: ET.Element) -> None:
        """Send a stanza given as XML (jabber:client namespace is implied)."""
        self.client.send_raw(ET.tostring(element, encoding="unicode"))

    def expect(self, predicate: Predicate) -> asyncio.Future[ET.Element]:
        """A future for the next incoming stanza matching ``predicate``; call before sending."""
        future: asyncio.Future[ET.Element] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        return future

    async def wait(self, future: asyncio.Future[ET.Element], what: str) -> ET.Element:
        try:
            async with asyncio.timeout(self.timeout):
                return await future
        except TimeoutError:
            raise IqFailure(what, f"no answer within {self.timeout:.0f}s") from None
        finally:
            self.discard(future)

    def discard(self, future: asyncio.Future[ET.Element]) -> None:
        """Stop waiting for a stanza ``expect`` asked for."""
        self._waiters = [(p, f) for p, f in self._waiters if f is not future]

    def _dispatch(self, stanza: slixmpp.xmlstream.StanzaBase) -> slixmpp.xmlstream.StanzaBase:
        for predicate, future in self._waiters:
            if not future.done() and predicate(stanza.xml):
                future.set_result(stanza.xml)
        return stanza

    async def remove_account(self) -> None:
        """Cancel this account (XEP-0077 §3.2); the server may close the stream instead of answering."""
        iq = self.client.make_iq_set()
        iq["register"]["remove"] = True
        # slixmpp's Iq.send is untyped.
        answer = asyncio.ensure_future(iq.send(timeout=self.timeout))  # type: ignore[no-untyped-call]
        closed = asyncio.ensure_future(self.client.wait_until("disconnected", self.timeout))
        done, pending = await asyncio.wait({answer, closed}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        error = answer.exception() if answer in done else None
        if isinstance(error, IqError):
            raise IqFailure("account removal", str(error.condition))
        if not done:
            raise IqFailure("account removal", f"no answer within {self.timeout:.0f}s")

    async def close(self) -> None:
        # Stop slixmpp's reconnect attempts, then end the stream; bounded so that an
        # unresponsive server cannot hang the command.
        self.client.cancel_connection_attempt()
        try:
            await asyncio.wait_for(self.client.disconnect(wait=1.0), timeout=3.0)
        except (TimeoutError, asyncio.CancelledError):
            self.client.abort()


def _watch_login(client: slixmpp.ClientXMPP, jid: str) -> asyncio.Future[None]:
    """A future that resolves when the session starts, or fails with the first error."""
    outcome: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def settle(error: str | None) -> None:
        if outcome.done():
            return
        if error is None:
            outcome.set_result(None)
        else:
            outcome.set_exception(LoginError(error))

    client.add_event_handler("session_start", lambda _event: settle(None))
    client.add_event_handler(
        "failed_auth", lambda stanza: settle(f"authentication as {jid} failed ({stanza['condition']}): "
                                             "wrong password or unknown account")
    )
    client.add_event_handler("ssl_invalid_chain", lambda exc: settle("the server's certificate is not trusted: "
                                                                     f"{_reason(exc)} (see --ca / --insecure)"))
    client.add_event_handler("connection_failed", lambda exc: settle(f"cannot connect: {_reason(exc)}"))
    client.add_event_handler("stream_error",
                             lambda stanza: settle(f"the server closed the stream: {stanza['condition']}"))
    client.add_event_handler("disconnected",
                             lambda reason: settle(f"connection closed before login{': ' + reason if reason else ''}"))
    return outcome


def _reason(exc: object) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message or str(exc)
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno)
    return str(exc)


def _registration(
    client: slixmpp.ClientXMPP, jid: str, password: str, timeout: float, outcome: asyncio.Future[None]
) -> Callable[[object], Coroutine[None, None, None]]:
    """The handler of slixmpp's 'register' event: asks for the account, before authentication."""

    async def register(_form: object) -> None:
        iq = client.make_iq_set()
        # Through slixmpp's stanza plugin: only such IQs may pass before authentication.
        iq["register"]["username"] = slixmpp.JID(jid).user
        iq["register"]["password"] = password
        try:
            await iq.send(timeout=timeout)  # type: ignore[no-untyped-call]  # slixmpp's Iq.send is untyped
        except (IqError, IqTimeout) as error:
            condition = error.condition if isinstance(error, IqError) else "no answer"
            if not outcome.done():
                outcome.set_exception(LoginError(f"in-band registration refused: {condition}"))

    return register
