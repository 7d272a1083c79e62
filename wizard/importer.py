"""``--import``: a hand-written ejabberd.yml read into answers, and what stays as it is.

An existing config (Debian's, one from a guide, one grown by hand for years) is read
into answers as far as the answers model can say what it says. Only what is certain
is mapped; every part that could not be mapped is reported, one line each, and stays
in the file: the imported file becomes the file the three-way merge
(``wizard.render.merge``) starts from, with what the imported answers render to as
its base. Answers equal to the imported ones therefore change nothing, byte for
byte, and a changed answer changes only the options it renders.

What the file does not set is taken to be the preset's: the report names those answers
(ejabberd goes by its own defaults for them until one is changed), and an answer of the
user's own for one of them is written. One file no answers render is completed instead:
STUN announced without a listener gets the listeners, shown in the diff and the report.

Services that mod_stun_disco announces for hosts that are not the file's (a TURN server on
another machine) are the user's: no answer is read from them, the report says they are kept,
and the merge leaves them as they are when a STUN answer changes the server's own.

Secrets are never copied into answers: ``sql_password`` stays in the file and the
report says where the wizard reads the password from instead.

This module reads the file; the answers it gives and the start of the merge, where an
answer given wins over the file, are ``wizard.import_start``'s (with ``wizard.import_changes``
and ``wizard.web_front``); the parts they share are ``wizard.import_parts``'.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from wizard.answers import fill_preset, load_preset, merge, plain
from wizard.config_file import load_config, read_config_text
from wizard.errors import InputError
from wizard.given import Given
from wizard.import_parts import KEPT, ReportLine, Unmapped, UnservedStun, listener_role, lowercase_hosts, options_of
from wizard.import_parts import line_of as _line
from wizard.import_parts import plain_value as _value
from wizard.import_start import OUTSIDE_THE_CONFIG, Imported, Start
from wizard.machine import Machine
from wizard.model import Answers

# What the import's other modules define, as callers know it from here.
__all__ = ["KEPT", "LOOPBACK_REGISTRATION", "OUTSIDE_THE_CONFIG", "Imported", "ReportLine", "Start", "Unmapped",
           "UnservedStun", "import_config", "live_config", "read"]

# Where each role's host comes from, with ejabberd's default when the module names none.
SUBDOMAIN_MODULES = (("conference", "mod_muc"), ("pubsub", "mod_pubsub"), ("proxy", "mod_proxy65"))
# Modules whose presence is an answer.
SWITCHES = (
    ("compliance.mam", "mod_mam"),
    ("compliance.stream_management", "mod_stream_mgmt"),
    ("compliance.push", "mod_push"),
    ("compliance.carbons", "mod_carboncopy"),
    ("compliance.client_state_indication", "mod_client_state"),
    ("compliance.stun", "mod_stun_disco"),
    ("security.mqtt", "mod_mqtt"),
)
UPLOAD_OPTIONS = ("docroot", "file_mode", "dir_mode", "max_size", "thumbnail", "secret_length")
CONTACTS = {"abuse-addresses": "abuse", "admin-addresses": "admin", "security-addresses": "security",
            "support-addresses": "support"}
SQL_OPTIONS = (("sql_server", "server"), ("sql_port", "port"), ("sql_database", "name"),
               ("sql_username", "user"), ("sql_pool_size", "pool_size"))
SECRET = ("a secret is never an answer: put the password into database.password_file (mode 0600) "
          "or, for my_print_defaults, into ~/.my.cnf; " + KEPT)
LOOPBACK_REGISTRATION = ("modules.mod_register.ip_access: trusted_network lets every program on this machine register "
                         "accounts, and on shared hosting every user of the host; read as security.registration: "
                         "loopback, answer closed to close it")
CERTIFICATE_ANSWERS = ("tls.cert_file", "tls.key_file")


def read(source: Path | bool, preset_name: str | None, saved: Given, machine: Machine | None = None) -> Imported:
    """Import ``source``; ``True`` stands for the live config of the preset (install.config_dir)."""
    return import_config(source if isinstance(source, Path) else live_config(preset_name, saved, machine))


def live_config(preset_name: str | None, saved: Given, machine: Machine | None = None) -> Path:
    """The ejabberd.yml the server of these answers runs with, e.g. ~/etc/ejabberd/ejabberd.yml on Uberspace."""
    name = preset_name or saved.get("preset")
    if not isinstance(name, str):
        raise InputError("--import: without a file it imports the preset's live config; "
                         "pass --preset NAME or --import FILE")
    values = merge(fill_preset(load_preset(name), saved, machine or Machine.current()), plain(saved.values))
    return Path(values["install"]["config_dir"]) / "ejabberd.yml"


def import_config(path: Path) -> Imported:
    """Read ``path`` into answers; a file that cannot be read is an ``InputError`` naming file and line."""
    text = read_config_text(path, "an ejabberd.yml to import")
    config = load_config(text, path)
    reader = _Reader(config)
    reader.read()
    unserved = None
    if reader.announced_stun and not reader.stun_listeners:
        unserved = UnservedStun(tuple(reader.announced_stun), reader.announced_line, reader.other_hosts)
    return Imported(path, text, Given(values=reader.given, source=str(path)), reader.unmapped, config,
                    frozenset(reader.mapped), unserved, tuple(reader.cautions), reader.roles)


# -- reading -----------------------------------------------------------------------


# -- mapping -----------------------------------------------------------------------


@cache
def _adapter(answer: str) -> TypeAdapter[Any]:
    section, name = answer.split(".")
    info = Answers.model_fields[section].annotation.model_fields[name]  # type: ignore[union-attr]
    annotation: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(annotation)


def _options(node: Any) -> Mapping[str, Any]:
    return options_of(node)


class _Reader:
    """Walks one config and collects the answers it implies and the parts it cannot map."""

    def __init__(self, config: CommentedMap) -> None:
        self.config = config
        macros = config.get("define_macro")
        self.macros: Mapping[str, Any] = macros if isinstance(macros, Mapping) else {}
        self.given = CommentedMap()
        self.unmapped: list[Unmapped] = []
        self.cautions: list[tuple[int | None, str]] = []  # what the file does that weakens it, by line
        self.mapped: set[str] = set()
        self.labels: dict[str, str] = {}
        self.hosts: list[str] = []  # the file's hosts, when they are answers
        self.file_hosts: list[str] = []  # the file's hosts, whatever they are (e.g. 'localhost')
        self.c2s: Mapping[str, Any] | None = None  # the STARTTLS client listener
        self.announced_stun: list[str] = []  # "port/transport" that mod_stun_disco announces on the file's own hosts
        self.announced_line: int | None = None
        self.stun_listeners = False
        self.roles: dict[int, str] = {}  # listener index: the answer its port is, as far as it is one
        self.other_hosts = False  # mod_stun_disco announces services of other hosts

    # -- primitives

    def get(self, node: Any, key: str, default: Any = None) -> Any:
        """The value of ``key`` with a macro name replaced by the macro's value."""
        value = node.get(key, default) if isinstance(node, Mapping) else default
        if isinstance(value, str) and value in self.macros:
            return self.macros[value]
        return value

    def uses_macro(self, node: Any, key: str) -> bool:
        value = node.get(key) if isinstance(node, Mapping) else None
        return isinstance(value, str) and value in self.macros

    def put(self, answer: str, value: Any, node: Any = None, key: Any = None, where: str | None = None) -> bool:
        """Take ``value`` as the answer when the model accepts it; else report ``where`` as kept."""
        value = _value(value)
        line = _line(node, key) if key is not None else None
        try:
            value = _adapter(answer).validate_python(value, strict=True)
        except ValidationError as error:
            if where:
                message = str(error.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
                self.keep(where, f"{value!r} is not a value the wizard can write for {answer} ({message}); {KEPT}",
                          line, (answer,))
            return False
        section, name = answer.split(".")
        target = self.given.setdefault(section, CommentedMap())
        target[name] = CommentedSeq(value) if isinstance(value, list) else value
        if line is not None:
            self.given.lc.add_kv_line_col(section, [line - 1, 0, line - 1, 0])
            target.lc.add_kv_line_col(name, [line - 1, 0, line - 1, 0])
            if isinstance(value, list):
                for index in range(len(value)):
                    target[name].lc.add_idx_line_col(index, [line - 1, 0])
        if where:
            self.mapped.add(where)
        return True

    def keep(self, key: str, why: str, line: int | None = None, answers: tuple[str, ...] = ()) -> None:
        self.unmapped.append(Unmapped(key, why, line, answers))

    # -- the config

    def read(self) -> None:
        self.read_hosts()
        modules = self.config.get("modules")
        if isinstance(modules, Mapping):
            self.read_modules(modules)
        self.read_listeners()
        self.read_tls()
        self.read_certfiles()
        self.read_security()
        self.read_database()

    def read_hosts(self) -> None:
        hosts = self.get(self.config, "hosts")
        if hosts is None:
            return
        self.file_hosts = [str(host) for host in hosts if isinstance(host, str)] if isinstance(hosts, list) else []
        if self.put("domains.hosts", lowercase_hosts(hosts), self.config, "hosts", "hosts"):
            self.hosts = [str(host) for host in lowercase_hosts(hosts)]

    def label(self, host_option: Any) -> str | None:
        """'conference' from 'conference.@HOST@' (or from 'conference.<main domain>')."""
        value = host_option[0] if isinstance(host_option, list) and len(host_option) == 1 else host_option
        if not isinstance(value, str):
            return None
        suffixes = ["@HOST@", *self.hosts[:1]]
        for suffix in suffixes:
            if value.endswith("." + suffix):
                return value.removesuffix("." + suffix)
        return None

    def read_modules(self, modules: Mapping[str, Any]) -> None:
        for answer, module in SWITCHES:
            self.put(answer, module in modules, modules, module if module in modules else None)
        for role, module in SUBDOMAIN_MODULES:
            if module in modules:
                self.read_subdomain(role, modules, module)
        if "mod_proxy65" in modules:
            options = _options(modules["mod_proxy65"])
            # ejabberd's default port is 7777.
            self.put("ports.proxy65", self.get(options, "port", 7777), options, "port", "modules.mod_proxy65.port")
        self.read_upload(modules)
        self.read_disco(modules)
        self.read_stun_services(modules)
        if "mod_version" in modules:
            options = _options(modules["mod_version"])
            # ejabberd tells the OS unless show_os is false.
            self.put("security.show_os", self.get(options, "show_os", True), options, "show_os",
                     "modules.mod_version.show_os")
        self.read_registration(modules)

    def read_subdomain(self, role: str, modules: Mapping[str, Any], module: str) -> None:
        options = _options(modules[module])
        key = "hosts" if "hosts" in options else "host"
        if key not in options:
            # ejabberd's default: the role's name, e.g. conference.@HOST@.
            self.labels[role] = role
            self.put(f"domains.{role}", role, modules, module)
            return
        name = self.label(self.get(options, key))
        where = f"modules.{module}.{key}"
        if name is None:
            self.keep(where, f"not one name <subdomain>.@HOST@ as the wizard writes it; {KEPT}", _line(options, key),
                      (f"domains.{role}",))
        elif self.put(f"domains.{role}", name, options, key, where):
            self.labels[role] = name

    def read_upload(self, modules: Mapping[str, Any]) -> None:
        if "mod_http_upload" not in modules:
            self.put("upload.enabled", False, modules, None)
            return
        options = _options(modules["mod_http_upload"])
        self.put("upload.enabled", True, modules, "mod_http_upload")
        url = self.get(options, "put_url")
        match = re.fullmatch(r"https://([^./]+)\.(?:@HOST@|([^/]+))(/.*)", url) if isinstance(url, str) else None
        if match and match.group(2) in (None, *self.hosts[:1]):
            if self.put("domains.upload", match.group(1), options, "put_url", "modules.mod_http_upload.put_url"):
                self.labels["upload"] = match.group(1)
                self.put("upload.path", match.group(3), options, "put_url", "modules.mod_http_upload.put_url")
                for key in ("host", "hosts"):
                    # The service's own name, when it is the one the wizard writes.
                    if key in options and self.label(self.get(options, key)) == match.group(1):
                        self.mapped.add(f"modules.mod_http_upload.{key}")
        elif url is not None:
            self.keep("modules.mod_http_upload.put_url",
                      f"{url!r} is not https://<subdomain>.@HOST@/<path> as the wizard writes it; {KEPT}",
                      _line(options, "put_url"), ("domains.upload", "upload.path"))
        for option in UPLOAD_OPTIONS:
            if option in options:
                self.put(f"upload.{option}", self.get(options, option), options, option,
                         f"modules.mod_http_upload.{option}")
        headers = _options(self.get(options, "custom_headers"))
        origin = self.get(headers, "Access-Control-Allow-Origin")
        if origin is None:
            self.put("upload.cors_origin", None, options, "custom_headers")
        elif "@" in str(origin):
            self.keep("modules.mod_http_upload.custom_headers",
                      f"the origin {origin!r} is a template; the wizard writes one literal origin; {KEPT}",
                      _line(options, "custom_headers"), ("upload.cors_origin",))
        else:
            self.put("upload.cors_origin", origin, options, "custom_headers", "modules.mod_http_upload.custom_headers")
        quota = _options(modules.get("mod_http_upload_quota"))
        self.put("upload.quota_max_days", self.get(quota, "max_days"), quota, "max_days",
                 "modules.mod_http_upload_quota.max_days")

    def read_disco(self, modules: Mapping[str, Any]) -> None:
        if "mod_disco" not in modules:
            return
        options = _options(modules["mod_disco"])
        found: dict[str, Any] = {}
        entries = self.get(options, "server_info")
        for index, item in enumerate(entries if isinstance(entries, list) else []):
            entry = _options(item)
            kind = CONTACTS.get(str(self.get(entry, "name")))
            where = f"modules.mod_disco.server_info.{index}"
            if kind is None or self.get(entry, "modules", "all") != "all" or kind in found:
                self.keep(where, f"not a contact address list for all modules as the wizard writes it; {KEPT}",
                          _line(entries, index))
                continue
            found[kind] = entry
            self.put(f"compliance.{kind}_addresses", self.get(entry, "urls"), entry, "urls", where)
        for kind in set(CONTACTS.values()) - set(found):
            self.put(f"compliance.{kind}_addresses", [], modules, "mod_disco")

    def read_stun_services(self, modules: Mapping[str, Any]) -> None:
        """The STUN ports mod_stun_disco announces on the file's own hosts (the listeners, read
        later, say it too when there are any).

        A service on another host (a TURN server on another machine, such as a coturn) is not
        this ejabberd's: its ports are no answer, and it stays in the file as it is, reported in
        one line. The merge keeps such items too (``wizard.render.merge``): a changed STUN answer
        changes only the server's own services.
        """
        options = _options(modules.get("mod_stun_disco"))
        services = self.get(options, "services")
        services = services if isinstance(services, list) else []
        own_hosts = (*self.file_hosts, "@HOST@")
        seen: set[str] = set()
        announced_turn = False
        others: dict[str, list[str]] = {}  # host: "80/udp turn", as announced
        first_other: int | None = None
        for index, service in enumerate(services):
            if not isinstance(service, Mapping):
                continue
            # ejabberd's defaults: type stun, 3478 or 5349 (TLS), UDP or TCP (TLS).
            kind = str(self.get(service, "type", "stun"))
            tls = kind in ("stuns", "turns")
            port = self.get(service, "port", 5349 if tls else 3478)
            transport = self.get(service, "transport", "tcp" if tls else "udp")
            host = self.get(service, "host")
            if host not in own_hosts:
                others.setdefault(str(host), []).append(f"{port}/{transport} {kind}")
                first_other = first_other or _line(services, index)
                continue
            if kind in ("turn", "turns"):
                announced_turn = True
            if kind in ("stun", "stuns"):
                self.announced_stun.append(f"{port}/{transport}")
                self.announced_line = _line(options, "services")
                if kind not in seen:
                    seen.add(kind)
                    self.put(f"ports.{kind}", port, service, "port", "modules.mod_stun_disco.services")
        if seen:
            # What this server announces says whether it relays; its listeners, read later, say it better.
            self.put("compliance.turn", announced_turn, options, "services")
        self.other_hosts = bool(others)
        if others:
            announced = "; ".join(f"{host} {', '.join(items)}" for host, items in others.items())
            self.keep("modules.mod_stun_disco.services",
                      f"{announced}: not {'a host' if len(others) == 1 else 'hosts'} of this file, so taken to be "
                      "another server's: no answer takes their ports, a changed STUN answer leaves them alone, and "
                      "compliance.stun: false removes them with mod_stun_disco; kept as they are",
                      first_other or _line(options, "services"))

    def read_registration(self, modules: Mapping[str, Any]) -> None:
        if "mod_register" not in modules:
            # No in-band registration at all: accounts are made by the admin only.
            self.put("security.registration", "closed", modules, None)
            return
        options = _options(modules["mod_register"])
        self.put("security.password_strength", self.get(options, "password_strength", 0), options, "password_strength",
                 "modules.mod_register.password_strength")
        access, ip_access = self.get(options, "access", "all"), self.get(options, "ip_access")
        if self.get(options, "captcha_protected") is True:
            if "captcha_cmd" in self.config:
                self.put("security.registration", "captcha", options, "captcha_protected", "modules.mod_register")
            else:
                self.keep("modules.mod_register.captcha_protected", f"a CAPTCHA without captcha_cmd; {KEPT}",
                          _line(options, "captcha_protected"), ("security.registration",))
        elif access in ("none", "deny"):
            self.put("security.registration", "closed", modules, "mod_register", "modules.mod_register")
        elif access == "all" and ip_access == "trusted_network":
            if self.put("security.registration", "loopback", modules, "mod_register", "modules.mod_register"):
                self.cautions.append((_line(options, "ip_access"), LOOPBACK_REGISTRATION))
        elif access == "all" and ip_access in (None, "all"):
            self.put("security.registration", "open", modules, "mod_register", "modules.mod_register")
        else:
            self.keep("modules.mod_register",
                      f"who may register depends on access rules the wizard does not write; {KEPT}",
                      _line(modules, "mod_register"), ("security.registration",))

    def read_listeners(self) -> None:
        listen = self.get(self.config, "listen")
        if not isinstance(listen, list):
            return
        roles: dict[str, tuple[Any, Mapping[str, Any], int]] = {}  # port, listener, index
        for index, listener in enumerate(listen):
            options = _options(listener)
            module, port = self.get(options, "module"), self.get(options, "port")
            role = self._role(options)
            where = f"listen.{index}"
            if role is None:
                self.keep(where, f"port {port}, {module}: the wizard writes no such listener; {KEPT}",
                          _line(listen, index))
            elif role in roles and roles[role][0] != port:
                self.keep(where, f"port {port}: a second {role} listener; the wizard writes one; {KEPT}",
                          _line(listen, index))
            else:
                self.roles[index] = role
                if self.put(f"ports.{role}", port, options, "port", f"{where}.port"):
                    roles.setdefault(role, (port, options, index))
        self.stun_listeners = "stun" in roles or "stuns" in roles
        if self.stun_listeners:
            self._read_turn(*roles["stun" if "stun" in roles else "stuns"][1:])
        for optional in ("c2s_tls", "s2s_tls"):
            if optional not in roles:
                self.put(f"ports.{optional}", None, self.config, "listen")
        self.put("security.admin_interface", "admin_http" in roles, self.config, "listen")
        public = [(options, index) for role, (_, options, index) in roles.items() if role[:3] in ("c2s", "s2s")]
        if len({repr(_value(self.get(options, "ip"))) for options, _ in public}) == 1 and "ip" in public[0][0]:
            options, index = public[0]
            self.put("ports.listen_ip", self.get(options, "ip"), options, "ip", f"listen.{index}.ip")
        if "http" in roles and "ip" in roles["http"][1]:
            _, options, index = roles["http"]
            self.put("ports.http_ip", self.get(options, "ip"), options, "ip", f"listen.{index}.ip")
        if "c2s" in roles:
            self.c2s = roles["c2s"][1]
            self.put("tls.starttls_required", self.get(self.c2s, "starttls_required", False) is True,
                     self.c2s, "starttls_required")

    def _read_turn(self, options: Mapping[str, Any], index: int) -> None:
        """TURN is the STUN listeners' use_turn (ejabberd's default: off) and its relay range."""
        relays = self.get(options, "use_turn", False) is True
        self.put("compliance.turn", relays, options, "use_turn" if "use_turn" in options else None)
        if relays:
            # The relay's public addresses are those of the DNS records (the one place they are in the file).
            addresses = (("domains.ipv4", ("turn_ipv4_address", "turn_ip")), ("domains.ipv6", ("turn_ipv6_address",)))
            for answer, names in addresses:
                for name in names:
                    if name in options:
                        self.put(answer, self.get(options, name), options, name, f"listen.{index}.{name}")
            first, last = self.get(options, "turn_min_port", 49152), self.get(options, "turn_max_port", 65535)
            self.put("ports.turn_relay", str(first) if first == last else f"{first}-{last}", options,
                     "turn_min_port" if "turn_min_port" in options else None, f"listen.{index}.turn_min_port")

    def _role(self, listener: Mapping[str, Any]) -> str | None:
        return listener_role(listener, self.get)

    def read_tls(self) -> None:
        c2s = self.c2s
        places: dict[str, list[tuple[Mapping[str, Any] | None, str]]] = {
            "c2s_ciphers": [(self.config, "c2s_ciphers"), (c2s, "ciphers")],
            "s2s_ciphers": [(self.config, "s2s_ciphers")],
            "protocol_options": [(self.config, "c2s_protocol_options"), (c2s, "protocol_options"),
                                 (self.config, "s2s_protocol_options")],
            "dhfile": [(self.config, "c2s_dhfile"), (c2s, "dhfile"), (self.config, "s2s_dhfile")],
        }
        used = {answer: [(node, key) for node, key in keys if isinstance(node, Mapping) and key in node]
                for answer, keys in places.items()}
        for answer, found in used.items():
            values = [_value(self.get(node, key)) for node, key in found]
            if not values:
                if answer == "dhfile":
                    self.put("tls.dhfile", None, self.config, None)
                continue
            names = [key if node is self.config else f"listen.c2s.{key}" for node, key in found]
            if all(value == values[0] for value in values):
                self.mapped.update(names)
                self.put(f"tls.{answer}", values[0], *found[0], names[0])
            else:
                self.keep(names[-1], f"differs from {names[0]}; the wizard writes one value for both; {KEPT}",
                          _line(*found[-1]), (f"tls.{answer}",))
        options = [place for found in used.values() for place in found]
        if options:
            self.put("tls.use_macros", any(self.uses_macro(node, key) for node, key in options), *options[0])
        for macro in self.macros:
            if any(_value(node.get(key)) == macro for node, key in options):
                self.mapped.add(f"define_macro.{macro}")
        if "s2s_use_starttls" in self.config:
            self.put("tls.s2s_use_starttls", self.get(self.config, "s2s_use_starttls"), self.config, "s2s_use_starttls",
                     "s2s_use_starttls")
        acme = self.get(self.config, "acme")
        # ejabberd's ACME client requests missing certificates unless auto is false.
        self.put("tls.acme", self.get(_options(acme), "auto", True) is not False, self.config, "acme",
                 "acme" if acme is not None else None)

    def read_certfiles(self) -> None:
        files = self.get(self.config, "certfiles")
        if files is None:
            return
        line = _line(self.config, "certfiles")
        if not isinstance(files, list) or not all(isinstance(path, str) for path in files):
            self.keep("certfiles", f"expected a list of file names; {KEPT}", line, CERTIFICATE_ANSWERS)
            return
        if not self.hosts and self.file_hosts == ["localhost"]:
            # A distribution's shipped file (Debian's): its certificate is for localhost. Tied to the
            # domains answer, so that answering the real domain brings the certificates for it too.
            self.keep("certfiles", f"the certificate of localhost, the one domain the file serves; {KEPT}", line,
                      ("domains.hosts", *CERTIFICATE_ANSWERS))
            return
        templates = _certificate_templates([str(path) for path in files], self.hosts, self.labels)
        if templates is None:
            self.keep("certfiles", "the files follow no pattern of {name} (each domain and subdomain) or {host} "
                      f"(each domain) that the wizard can write; {KEPT}", line, CERTIFICATE_ANSWERS)
            return
        cert, key = templates
        if self.put("tls.cert_file", cert, self.config, "certfiles", "certfiles"):
            self.put("tls.key_file", key, self.config, "certfiles")

    def read_security(self) -> None:
        config = self.config
        if "loglevel" in config:
            self.put("security.loglevel", self.get(config, "loglevel"), config, "loglevel", "loglevel")
        # Absent options are ejabberd's defaults: IP addresses are logged, passwords kept in plain text.
        self.put("security.hide_sensitive_log_data", self.get(config, "hide_sensitive_log_data", False), config,
                 "hide_sensitive_log_data", "hide_sensitive_log_data")
        password_format = self.get(config, "auth_password_format", "plain")
        if password_format in ("scram", "plain"):
            self.put("security.scram", password_format == "scram", config, "auth_password_format",
                     "auth_password_format")
        else:
            self.keep("auth_password_format", f"{password_format!r}: the wizard writes scram or nothing; {KEPT}",
                      _line(config, "auth_password_format"), ("security.scram",))
        if "captcha_cmd" in config:
            self.put("security.captcha_cmd", self.get(config, "captcha_cmd"), config, "captcha_cmd", "captcha_cmd")
        self.read_admin()

    def read_admin(self) -> None:
        admin = _options(_options(self.config.get("acl")).get("admin"))
        if "user" not in admin:
            return
        users = self.get(admin, "user")
        users = users if isinstance(users, list) else [users]
        local, _, domain = str(users[0]).partition("@") if len(users) == 1 else ("", "", "")
        if domain and domain == next(iter(self.hosts), None):
            self.put("service.admin_user", local, admin, "user", "acl.admin.user")
        else:
            self.keep("acl.admin.user", f"the wizard writes one admin account on the main domain; {KEPT}",
                      _line(admin, "user"), ("service.admin_user",))

    def read_database(self) -> None:
        config = self.config
        sql_type = self.get(config, "sql_type")
        if sql_type is None:
            self.put("database.backend", "mnesia", config, None)
        elif sql_type == "mysql":
            self.put("database.backend", "mysql", config, "sql_type", "sql_type")
            for option, answer in SQL_OPTIONS:
                if option in config:
                    self.put(f"database.{answer}", self.get(config, option), config, option, option)
            schema = "sql_schema_multihost" if "sql_schema_multihost" in config else "new_sql_schema"
            # Without the option ejabberd expects the old, one-host-per-database schema.
            self.put("database.new_schema", self.get(config, schema, False), config, schema, schema)
        else:
            self.keep("sql_type", f"{sql_type!r}: the wizard writes MySQL/MariaDB or Mnesia only; {KEPT}",
                      _line(config, "sql_type"), ("database.backend",))
        if "sql_password" in config:
            self.keep("sql_password", SECRET, _line(config, "sql_password"))
        expected = "sql" if sql_type == "mysql" else "internal"
        method = _value(self.get(config, "auth_method", "internal"))
        if method == expected:
            self.mapped.add("auth_method")
        else:
            self.keep("auth_method", f"{method!r}: with this database the wizard writes {expected!r}; {KEPT}",
                      _line(config, "auth_method"))


def _certificate_templates(files: list[str], hosts: list[str],
                           labels: Mapping[str, str]) -> tuple[str, str | None] | None:
    """The (cert, key) path templates that give exactly ``files`` for these domains, if any do."""
    names = {host: [host, *(f"{label}.{host}" for label in labels.values())] for host in hosts}
    complete = len(labels) == 4

    def rendered(template: str) -> set[str]:
        if "{" not in template:
            return {template}
        return {template.format(name=name, host=host) for host in hosts for name in names[host]}

    candidates: dict[str, None] = {}
    for path in files:
        if "{" in path or "}" in path:
            return None
        candidates[path] = None
        for name in sorted({n for host in hosts for n in names[host]}, key=len, reverse=True):
            if name in path and complete:
                candidates[path.replace(name, "{name}")] = None
        for host in hosts:
            if host in path:
                candidates[path.replace(host, "{host}")] = None
    wanted = set(files)
    for cert in candidates:
        if rendered(cert) == wanted:
            return cert, None
    for cert in candidates:
        for key in candidates:
            if "key" in key.lower() and "key" not in cert.lower() and rendered(cert) | rendered(key) == wanted \
                    and not rendered(cert) & rendered(key):
                return cert, key
    return None
