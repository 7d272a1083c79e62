"""The listener the web front forwards to, and whether an imported file's agrees with the front.

Caddy, or Uberspace's web backend, serves HTTPS itself and forwards upload, WebSocket and
BOSH to ejabberd's web listener (``ports.http`` on ``ports.http_ip``) in plain HTTP. A
listener with ``tls: true`` there (Debian's on 5443) answers that with a TLS handshake the
front does not expect: every request fails. An imported file's listener is made plain HTTP
in the diff (``plain_http``), and what else disagrees is named with what to change
(``disagreement``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from wizard.answers.model import Answers
from wizard.ejabberd_yml.parts import listener_role, options_of, reading

# Caddy forwards to loopback where ejabberd listens on every address (wizard.files.web).
LOOPBACK_FOR = {"::": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::1": "[::1]"}
Get = Callable[[Mapping[str, Any], str], Any]


def front(answers: Answers) -> str:
    return "Caddy" if answers.service.web_server == "caddy" else "Uberspace's web backend"


def forwards_to(answers: Answers) -> str:
    """Where the front sends its requests, as a reader would write it."""
    ports = answers.ports
    if answers.service.web_server == "caddy":
        return f"{LOOPBACK_FOR.get(ports.http_ip, ports.http_ip)}:{ports.http}"
    return f"port {ports.http}"


def plain_http(listen: Any, get: Get) -> str | None:
    """The dotted option that makes the file's web listener speak TLS (``listen.3.tls``), if it does."""
    index = _web_listener(listen, get)
    if index is None or get(listen[index], "tls") is not True:
        return None
    return f"listen.{index}.tls"


def reason(answers: Answers) -> str:
    """Why the listener's TLS goes, as the report says it."""
    return f"as {front(answers)} forwards to it in plain HTTP ({forwards_to(answers)})"


def disagreement(config: Mapping[str, Any], answers: Answers) -> tuple[str, str | None] | None:
    """What keeps the front from reaching the web listener of ``config`` (the file as it will be
    written), and the dotted option it is about (None for a missing listener); None when they agree."""
    get = reading(config)
    listen = config.get("listen")
    index = _web_listener(listen, get)
    ports = answers.ports
    if index is None or not isinstance(listen, list):
        return ("listen: no ejabberd_http listener with mod_bosh, ejabberd_http_ws or mod_http_upload, where "
                f"{front(answers)} forwards upload, WebSocket and BOSH ({forwards_to(answers)}); add one there "
                f"(port: {ports.http}, ip: \"{ports.http_ip}\", tls: false)", None)
    listener = options_of(listen[index])
    port, ip, tls = get(listener, "port"), get(listener, "ip"), get(listener, "tls") is True
    # A listener on every address (or on none named: ejabberd's "::") serves the front's loopback too.
    reached = ip in (None, "::", ports.http_ip) or (ip == "0.0.0.0" and ports.http_ip in ("0.0.0.0", "127.0.0.1"))
    wrong = [(answer, option) for answer, option, agrees in (
        ("ports.http", f"port: {ports.http}", port == ports.http),
        ("ports.http_ip", f'ip: "{ports.http_ip}"', reached),
        (None, "tls: false", not tls)) if not agrees]
    if not wrong:
        return None
    answered = [answer for answer, _ in wrong if answer]
    instead = f"answer {' and '.join(answered)} to have it written there, or " if answered else ""
    return (f"{front(answers)} forwards to {forwards_to(answers)} in plain HTTP, but this listener is "
            f"{'TLS ' if tls else ''}on {ip or '::'}:{port}; {instead}change it to "
            f"{', '.join(option for _, option in wrong)}", f"listen.{index}")


def _web_listener(listen: Any, get: Get) -> int | None:
    if not isinstance(listen, list):
        return None
    return next((index for index, listener in enumerate(listen)
                 if listener_role(options_of(listener), get) == "http"), None)
