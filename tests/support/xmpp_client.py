"""A minimal real XMPP client (slixmpp): log in over TLS, run service discovery, upload a file."""

from __future__ import annotations

import asyncio
import concurrent.futures
import ssl
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

T = TypeVar("T")


class XMPPError(RuntimeError):
    """Login or discovery against the server failed."""


class XMPPAuthError(XMPPError):
    """The server rejected the credentials."""


class XMPPTimeoutError(XMPPError):
    """The server did not complete the login or a request in time."""


def login_and_discover(
    jid: str,
    password: str,
    host: str,
    port: int,
    ca_cert: Path | str | None = None,
    timeout: float = 15.0,
    *,
    direct_tls: bool = False,
) -> dict[str, Any]:
    """Log in as ``jid`` at host:port and discover the server's services.

    Uses STARTTLS (for 5222-style listeners; ``direct_tls=True`` for
    5223-style ones) and never falls back to plaintext. With ``ca_cert`` the
    server certificate must chain to it and match the JID's domain; without
    it the certificate is not verified at all.

    Returns ``{"items": [jid, ...], "features": {jid: [feature, ...]},
    "server_features": [...], "errors": {jid: condition}}`` where items and
    features come from disco#items / disco#info of the JID's domain, and
    errors lists items whose disco#info failed.
    Raises XMPPAuthError, XMPPTimeoutError or XMPPError.
    """
    return _run(_session(jid, password, host, port, ca_cert, timeout, direct_tls, "discovery", _discover))


@dataclass(frozen=True)
class Upload:
    """What an upload round trip saw: the slot's URLs and the bytes the GET URL gave back."""

    put_url: str
    get_url: str
    downloaded: bytes


def upload_round_trip(
    jid: str,
    password: str,
    host: str,
    port: int,
    *,
    service: str,
    data: bytes,
    web_server: Callable[[str], str],
    ca_cert: Path | str | None = None,
    timeout: float = 15.0,
) -> Upload:
    """Log in as ``jid``, ask ``service`` for an HTTP upload slot (XEP-0363), PUT ``data`` and GET it.

    The slot's URLs name the public web server; ``web_server(url)`` is the URL that web server
    would forward the request to (e.g. ejabberd's own HTTP listener on loopback).
    Raises XMPPError (also for an HTTP status of 400 or more) or XMPPTimeoutError.
    """

    async def upload(client: slixmpp.ClientXMPP, request_timeout: float) -> Upload:
        slot_iq = await client.plugin["xep_0363"].request_slot(
            slixmpp.JID(service), "round-trip.txt", len(data), "text/plain", timeout=request_timeout)
        slot = slot_iq["http_upload_slot"]
        put_url, get_url = str(slot["put"]["url"]), str(slot["get"]["url"])
        # A web server passes the Host a request was sent to on: ejabberd finds the virtual host by it.
        headers = {"Content-Type": "text/plain", "Host": urlsplit(put_url).netloc,
                   **{h["name"]: h["value"] for h in slot["put"]["headers"]}}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=request_timeout)) as http:
            async with http.put(web_server(put_url), data=data, headers=headers) as response:
                if response.status >= 400:
                    raise XMPPError(f"PUT {put_url}: HTTP {response.status} {await response.text()}")
            async with http.get(web_server(get_url), headers={"Host": urlsplit(get_url).netloc}) as response:
                if response.status >= 400:
                    raise XMPPError(f"GET {get_url}: HTTP {response.status} {await response.text()}")
                return Upload(put_url, get_url, await response.read())

    return _run(_session(jid, password, host, port, ca_cert, timeout, False, "upload", upload))


def forwarded_to(base: str) -> Callable[[str], str]:
    """A web server that forwards every request to ``base`` (scheme://host:port), path and query kept."""

    def forward(url: str) -> str:
        parts = urlsplit(url)
        return base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")

    return forward


def _run(session: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        # Normal case in pytest: no loop in this thread, use a fresh one.
        return asyncio.run(session)
    # Called from async code (e.g. a pytest-asyncio test): a second loop
    # cannot run in this thread, so give it one of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, session).result()


def _make_client(
    jid: str, password: str, ca_cert: Path | str | None, direct_tls: bool
) -> slixmpp.ClientXMPP:
    client = slixmpp.ClientXMPP(jid, password)
    client.enable_direct_tls = direct_tls
    client.enable_starttls = not direct_tls
    client.enable_plaintext = False
    if ca_cert is not None:
        # Hostname is checked against the JID's domain, not the connect address.
        client.ca_certs = Path(ca_cert)
    else:
        client.ssl_context.check_hostname = False
        client.ssl_context.verify_mode = ssl.CERT_NONE
    client.register_plugin("xep_0030")  # service discovery
    client.register_plugin("xep_0363")  # HTTP file upload
    return client


def _watch_login(client: slixmpp.ClientXMPP, jid: str) -> asyncio.Future[None]:
    """A future that resolves when the session starts or fails with the first error."""
    outcome: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def settle(error: XMPPError | None) -> None:
        if outcome.done():
            return
        if error is None:
            outcome.set_result(None)
        else:
            outcome.set_exception(error)

    client.add_event_handler("session_start", lambda _event: settle(None))
    client.add_event_handler(
        "failed_auth",
        lambda stanza: settle(
            XMPPAuthError(f"authentication failed for {jid}: {_condition(stanza)}")
        ),
    )
    client.add_event_handler(
        "ssl_invalid_chain", lambda exc: settle(XMPPError(f"TLS certificate rejected: {exc}"))
    )
    client.add_event_handler(
        "connection_failed", lambda exc: settle(XMPPError(f"cannot connect: {exc}"))
    )
    client.add_event_handler(
        "stream_error", lambda stanza: settle(XMPPError(f"stream error: {_condition(stanza)}"))
    )
    client.add_event_handler(
        "disconnected",
        lambda reason: settle(XMPPError(f"connection closed before login: {reason}")),
    )
    return outcome


def _condition(stanza: Any) -> str:
    try:
        return str(stanza["condition"]) or "unknown"
    except (KeyError, TypeError):
        return str(stanza)


async def _discover(client: slixmpp.ClientXMPP, request_timeout: float) -> dict[str, Any]:
    disco = client.plugin["xep_0030"]
    domain = slixmpp.JID(client.boundjid.domain)
    server_info, items_iq = await asyncio.gather(
        disco.get_info(jid=domain, timeout=request_timeout),
        disco.get_items(jid=domain, timeout=request_timeout),
    )
    items = [str(item[0]) for item in items_iq["disco_items"]["items"]]
    infos = await asyncio.gather(
        *(disco.get_info(jid=slixmpp.JID(item), timeout=request_timeout) for item in items),
        return_exceptions=True,
    )
    features: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for item, info in zip(items, infos, strict=True):
        if isinstance(info, IqError):
            errors[item] = str(info.condition)
            features[item] = []
        elif isinstance(info, BaseException):
            raise info
        else:
            features[item] = sorted(info["disco_info"]["features"])
    return {
        "items": items,
        "features": features,
        "server_features": sorted(server_info["disco_info"]["features"]),
        "errors": errors,
    }


async def _session(
    jid: str,
    password: str,
    host: str,
    port: int,
    ca_cert: Path | str | None,
    timeout: float,
    direct_tls: bool,
    what: str,
    work: Callable[[slixmpp.ClientXMPP, float], Awaitable[T]],
) -> T:
    """Log in, then ``work(client, request_timeout)`` (named ``what`` in errors); always disconnect."""
    client = _make_client(jid, password, ca_cert, direct_tls)
    logged_in = _watch_login(client, jid)
    client.connect(host, port)
    stage = "login"
    try:
        async with asyncio.timeout(timeout):
            await logged_in
            stage = what
            return await work(client, timeout)
    except (TimeoutError, IqTimeout) as exc:
        raise XMPPTimeoutError(
            f"{stage} as {jid} at {host}:{port} took longer than {timeout:.0f}s"
        ) from exc
    except IqError as exc:
        raise XMPPError(f"{what} failed: {exc.condition} {exc.text}") from exc
    finally:
        await _disconnect(client)


async def _disconnect(client: slixmpp.ClientXMPP) -> None:
    # Stop slixmpp's reconnect attempts and close the stream; bounded so that
    # an unresponsive server cannot hang the test.
    client.cancel_connection_attempt()
    try:
        await asyncio.wait_for(client.disconnect(wait=1.0), timeout=3.0)
    except (TimeoutError, asyncio.CancelledError):
        client.abort()
