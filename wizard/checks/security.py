"""Security: the deployment's and the live ejabberd.yml keep the secure defaults the wizard writes.

The wizard writes TLS 1.2 and newer with forward-secret ciphers, STARTTLS required from
clients and servers, the web admin and the HTTP API on a loopback listener of their own,
hide_sensitive_log_data, no OS in version answers, registration closed (to loopback too) or
behind a CAPTCHA with a password strength, and no MQTT. A file edited by hand, or an older one
still live, can lose any of that: each loss is one finding, with the line that restores it.

Errors are what exposes passwords or the server's administration to the network (old TLS,
broken ciphers, clients without STARTTLS, the admin or the API on a public address); the
rest weakens privacy or invites abuse and is a warning. Like the other config checks, the
findings belong to the install step: they are about the file at install.config_dir.
A file that does not parse is left to the config check, which reports it.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.checks.config import config_files, located
from wizard.checks.core import Checker, Context, Finding, Severity, finder
from wizard.ejabberd_yml.audit import Rule, Seen
from wizard.ejabberd_yml.config_file import load_config, read_config_text
from wizard.ejabberd_yml.options import OPTIONS
from wizard.ejabberd_yml.parts import ABSENT, value_at
from wizard.errors import FileError

found = finder("config", "install")
SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING}

# The protocol options that switch off what is older than TLS 1.2.
OLD_PROTOCOLS = {"no_sslv3": "SSLv3", "no_tlsv1": "TLS 1.0", "no_tlsv1_1": "TLS 1.1"}
# OpenSSL's names (ssl.SSLContext.get_ciphers) of what is broken, not merely old.
BROKEN_SYMMETRIC = ("rc4", "des", "null", "idea", "seed")
FORWARD_SECRET_KEA = ("kx-ecdhe", "kx-dhe", "kx-any")  # kx-any: TLS 1.3, always forward secret
ADMIN_HANDLERS = {"ejabberd_web_admin": "the web admin", "mod_http_api": "the HTTP API",
                  "ejabberd_xmlrpc": "the XML-RPC API"}
# ejabberd listens on every address when a listener names none.
DEFAULT_IP = "::"


@dataclass
class Document:
    """One parsed ejabberd.yml: its options, its macros, and the findings about it."""

    path: Path
    options: Mapping[str, Any]
    # Ports the web server in front forwards the internet to: public whatever address they bind.
    forwarded: frozenset[int] = frozenset()
    findings: list[Finding] = field(default_factory=list)

    def value(self, node: Any) -> Any:
        """A value with a define_macro name replaced by the macro's value, as ejabberd reads it."""
        macros = self.options.get("define_macro")
        if isinstance(node, str) and isinstance(macros, Mapping) and node in macros:
            return macros[node]
        return node

    def get(self, mapping: Mapping[str, Any], key: str) -> Any:
        return self.value(mapping.get(key))

    def where(self, node: Any, key: Any, dotted: str) -> str:
        return located(self.path, node, key, dotted)

    def add(self, check: str, severity: Severity, subject: str, message: str, fix: str = "") -> None:
        self.findings.append(found(f"config.security.{check}", severity, subject, message, fix))

    def listeners(self) -> Iterator[tuple[int, Mapping[str, Any]]]:
        listeners = self.options.get("listen")
        for index, listener in enumerate(listeners if isinstance(listeners, list) else []):
            if isinstance(listener, Mapping):
                yield index, listener

    def module_sections(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Every ``modules:`` mapping with its dotted name: the global one and each host's."""
        if isinstance(self.options.get("modules"), Mapping):
            yield "modules", self.options["modules"]
        for section in ("host_config", "append_host_config"):
            hosts = self.options.get(section)
            for host, options in (hosts.items() if isinstance(hosts, Mapping) else ()):
                if isinstance(options, Mapping) and isinstance(options.get("modules"), Mapping):
                    yield f"{section}.{host}.modules", options["modules"]


def check(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    for path in config_files(ctx):
        findings += check_file(path, frozenset({ctx.answers.ports.http}))
    return findings


def check_file(path: Path, forwarded: frozenset[int] = frozenset()) -> list[Finding]:
    """The weakenings of one ejabberd.yml, or one OK finding when it keeps every secure default.

    ``forwarded`` are the ports of listeners the web server forwards every request to (ports.http).
    """
    try:
        options = load_config(read_config_text(path, "an ejabberd config"), path)
    except FileError:
        return []  # reported by the config check
    document = Document(path, options, forwarded)
    for judge in (_protocols, _ciphers, _starttls, _admin_listeners, _option_rules, _mqtt):
        judge(document)
    if not document.findings:
        document.add("defaults", Severity.OK, str(path),
                     "keeps the secure defaults: TLS 1.2+, forward-secret ciphers, STARTTLS required, admin and API "
                     "on loopback, no IP addresses in logs, no OS in version answers, registration guarded, no MQTT")
    return document.findings


def _protocols(document: Document) -> None:
    options = document.options
    for key, kind in (("c2s_protocol_options", "clients"), ("s2s_protocol_options", "servers")):
        _protocol_list(document, options, key, key, kind)
    for index, listener in document.listeners():
        # A listener's own protocol_options replace the global ones; an HTTPS listener has only its own.
        own_tls = listener.get("tls") is True and listener.get("module") == "ejabberd_http"
        if "protocol_options" in listener or own_tls:
            _protocol_list(document, listener, "protocol_options", f"listen[{index}].protocol_options",
                           f"listener {listener.get('port')}")


def _protocol_list(document: Document, node: Mapping[str, Any], key: str, dotted: str, kind: str) -> None:
    value = document.get(node, key)
    if isinstance(value, str):
        value = value.split("|")
    given = {str(item).strip() for item in value} if isinstance(value, list) else set()
    allowed = [name for option, name in OLD_PROTOCOLS.items() if option not in given]
    if not allowed:
        return
    what = "not set, so" if value is None else "without " + ", ".join(o for o in OLD_PROTOCOLS if o not in given) + ","
    document.add("protocols", Severity.ERROR, document.where(node, key, dotted),
                 f"{kind}: {what} {', '.join(allowed)} may be negotiated; only TLS 1.2 and newer are safe",
                 f"{key}: [no_sslv3, no_tlsv1, no_tlsv1_1, cipher_server_preference, no_compression] "
                 "(answers: tls.protocol_options)")


def _ciphers(document: Document) -> None:
    for key, answer in (("c2s_ciphers", "tls.c2s_ciphers"), ("s2s_ciphers", "tls.s2s_ciphers")):
        subject = document.where(document.options, key, key)
        value = document.get(document.options, key)
        fix = f"{key}: the list of the preset (answers: {answer}), e.g. ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM"
        if not isinstance(value, str):
            document.add("ciphers", Severity.WARNING, subject,
                         "not set: ejabberd's default list includes ciphers without forward secrecy", fix)
            continue
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.set_ciphers(value)
        except ssl.SSLError:
            document.add("ciphers", Severity.ERROR, subject,
                         f"{value!r} selects no cipher this machine's OpenSSL knows; TLS cannot start", fix)
            continue
        # TLS 1.3 suites are always offered and always strong: judge the TLS 1.2 ones. PSK and SRP
        # suites need keys ejabberd never sets up, so they are never negotiated.
        older = [cipher for cipher in context.get_ciphers() if cipher["protocol"] != "TLSv1.3"
                 and not any(kind in cipher["kea"] for kind in ("psk", "srp"))]
        broken = [c["name"] for c in older if c["symmetric"].split("-")[0] in BROKEN_SYMMETRIC
                  or c["digest"] == "md5" or c["auth"] == "auth-null" or c["strength_bits"] < 128]
        without_secrecy = [c["name"] for c in older if c["kea"] not in FORWARD_SECRET_KEA]
        if broken:
            document.add("ciphers", Severity.ERROR, subject,
                         f"allows broken ciphers: {', '.join(broken[:5])}{' ...' if len(broken) > 5 else ''}", fix)
        if without_secrecy:
            document.add("ciphers", Severity.WARNING, subject,
                         f"allows ciphers without forward secrecy: {', '.join(without_secrecy[:5])}"
                         f"{' ...' if len(without_secrecy) > 5 else ''}", fix)


def _starttls(document: Document) -> None:
    for index, listener in document.listeners():
        if listener.get("module") != "ejabberd_c2s" or document.get(listener, "tls") is True:
            continue  # direct TLS is encrypted from the first byte
        if document.get(listener, "starttls_required") is not True:
            document.add("starttls", Severity.ERROR,
                         document.where(listener, "starttls_required", f"listen[{index}].starttls_required"),
                         f"clients on port {listener.get('port')} may log in without encryption, "
                         "their passwords readable on the network",
                         "starttls_required: true on this ejabberd_c2s listener (answers: tls.starttls_required: true)")


def _admin_listeners(document: Document) -> None:
    for index, listener in document.listeners():
        ip = str(document.get(listener, "ip") or DEFAULT_IP)
        port = document.get(listener, "port")
        if port in document.forwarded:
            reached = f"port {port}, where the web server forwards requests from the internet"
        elif not _loopback(ip):
            reached = f"{ip} port {port}, a public address"
        else:
            continue
        exposed: list[tuple[str, str]] = []  # (what, option)
        handlers = document.get(listener, "request_handlers")
        for path, module in (handlers.items() if isinstance(handlers, Mapping) else ()):
            if str(module) in ADMIN_HANDLERS:
                exposed.append((f"{ADMIN_HANDLERS[str(module)]} ({path})", "request_handlers"))
        if listener.get("web_admin") is True:  # the option of releases before request_handlers
            exposed.append(("the web admin", "web_admin"))
        if str(listener.get("module")) in ADMIN_HANDLERS:
            exposed.append((ADMIN_HANDLERS[str(listener.get("module"))], "module"))
        for what, option in exposed:
            document.add("admin_exposed", Severity.ERROR,
                         document.where(listener, option, f"listen[{index}].{option}"),
                         f"{what} answers on {reached}: anyone may try to log in to the server's administration",
                         "move it to a listener of its own on another port with ip: 127.0.0.1 and reach it "
                         "through an SSH tunnel "
                         "(answers: security.admin_interface, ports.admin_http)")


def _loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False  # a name or a malformed address: not provably private


def _option_rules(document: Document) -> None:
    """The option map's rules: each option the wizard owns keeps its secure value. A module's options
    are judged in every ``modules:`` section that has the module, and told at the module."""
    for option in OPTIONS:
        if not option.rules:
            continue
        if not option.path.startswith("modules."):
            _judge(document, option.rules, value_at(document.options, option.path), document.options, option.path,
                   option.path)
            continue
        module, _, inside = option.path.removeprefix("modules.").partition(".")
        for dotted, modules in document.module_sections():
            if module in modules:
                _judge(document, option.rules, value_at(modules, f"{module}.{inside}" if inside else module), modules,
                       module, f"{dotted}.{module}")


def _judge(document: Document, rules: tuple[Rule, ...], value: Any, node: Mapping[str, Any], key: str,
           dotted: str) -> None:
    """A finding for each of ``rules`` that ``value`` (at ``key`` of ``node``; ABSENT: not set) breaks."""
    seen = Seen(None if value is ABSENT else value, document.options, document.value)
    for rule in rules:
        if not rule.keeps(seen):
            document.add(rule.check, SEVERITIES[rule.severity], document.where(node, key, dotted), rule.message(seen),
                         rule.fix)


def _mqtt(document: Document) -> None:
    """The broker is one weakening, whether it shows as the module, its listener or both."""
    places = [document.where(modules, "mod_mqtt", f"{dotted}.mod_mqtt")
              for dotted, modules in document.module_sections() if "mod_mqtt" in modules]
    ports = []
    for index, listener in document.listeners():
        if listener.get("module") == "mod_mqtt":
            places.append(document.where(listener, "module", f"listen[{index}].module"))
            ports.append(str(listener.get("port")))
    if places:
        on = f", listening on port {', '.join(ports)}" if ports else ""
        document.add("mqtt", Severity.WARNING, places[0],
                     f"the MQTT broker is on{on}: one more service open to the network",
                     "remove mod_mqtt and its listener unless you use MQTT (answers: security.mqtt: false)")


CHECKERS = (Checker("config", frozenset({"install"}), check),)
