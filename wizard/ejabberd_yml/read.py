"""``--import``: a hand-written ejabberd.yml read into answers, and what stays as it is.

An existing config (Debian's, one from a guide, one grown by hand for years) is read
into answers as far as the answers model can say what it says. Only what is certain
is mapped; every part that could not be mapped is reported, one line each, and stays
in the file: the imported file becomes the file the three-way merge
(``wizard.ejabberd_yml.merge``) starts from, with what the imported answers render to as
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

The import is the option map's inverse fold (``wizard.ejabberd_yml.options``): each entry says how
it is read back, the ``Read`` and ``Presence`` entries by one generic walk (``read_owned``), the
composite ones by the walk their ``Walked`` names (``read_<name>``); ``_Reader.read`` runs each walk
the map names once, in ``WALK_ORDER``. This module has the walks of the hosts, the modules, the
listeners, TLS and the certificates (those of the calls are ``wizard.ejabberd_yml.read_calls``', of
security and database ``wizard.ejabberd_yml.read_security``', with the primitives of
``wizard.ejabberd_yml.reader``); the answers it gives and the start of the merge, where an answer
given wins over the file, are ``wizard.ejabberd_yml.start``'s (with ``wizard.ejabberd_yml.changes`` and
``wizard.ejabberd_yml.web_front``); the parts they share are ``wizard.ejabberd_yml.parts``'.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wizard.answers.build import fill_preset, load_preset, merge, plain_copy
from wizard.answers.given import Given
from wizard.ejabberd_yml.blocks import parsed_put_url
from wizard.ejabberd_yml.config_file import load_config, read_config_text
from wizard.ejabberd_yml.options import OPTIONS, NotRead, Presence, Read, Walked
from wizard.ejabberd_yml.parts import (
    ABSENT,
    KEPT,
    ReportLine,
    Unmapped,
    UnservedStun,
    listener_role,
    lowercase_hosts,
    value_at,
)
from wizard.ejabberd_yml.parts import line_of as _line
from wizard.ejabberd_yml.parts import options_of as _options
from wizard.ejabberd_yml.parts import plain_value as _value
from wizard.ejabberd_yml.read_calls import CallsReading
from wizard.ejabberd_yml.read_security import LOOPBACK_REGISTRATION, SecurityReading
from wizard.ejabberd_yml.start import OUTSIDE_THE_CONFIG, Imported, Start
from wizard.errors import InputError
from wizard.machine import Machine

# What the import's other modules define, as callers know it from here.
__all__ = ["KEPT", "LOOPBACK_REGISTRATION", "OUTSIDE_THE_CONFIG", "Imported", "ReportLine", "Start", "Unmapped",
           "UnservedStun", "import_config", "live_config", "read"]

# Where each role's host comes from, with ejabberd's default when the module names none.
SUBDOMAIN_MODULES = (("conference", "mod_muc"), ("pubsub", "mod_pubsub"), ("proxy", "mod_proxy65"))
SUBDOMAIN_ROLES = ("conference", "proxy", "pubsub", "upload")
CONTACTS = {"abuse-addresses": "abuse", "admin-addresses": "admin", "security-addresses": "security",
            "support-addresses": "support"}
CERTIFICATE_ANSWERS = ("tls.cert_file", "tls.key_file")
OWNED = "owned"  # the generic walk of the Read and Presence entries
# The walks in the order they run, each after those whose findings it uses: the hosts first (the
# subdomain labels, the STUN services' own hosts, the admin and the certificates are the hosts');
# the subdomains and upload before the certificates (the labels in the file names); the STUN
# services before the listeners (whose use_turn says better whether the server relays); the
# listeners before TLS (the client listener's options). The others, the generic one too, need
# nothing read before them: they keep the order the answers and the report have had.
WALK_ORDER = (
    "hosts", OWNED, "subdomains", "upload", "disco", "stun_services", "registration", "listeners", "tls",
    "certfiles", "password_format", "admin", "database",
)


def read(source: Path | bool, preset_name: str | None, saved: Given, machine: Machine | None = None) -> Imported:
    """Import ``source``; ``True`` stands for the live config of the preset (install.config_dir)."""
    return import_config(source if isinstance(source, Path) else live_config(preset_name, saved, machine))


def live_config(preset_name: str | None, saved: Given, machine: Machine | None = None) -> Path:
    """The ejabberd.yml the server of these answers runs with, e.g. ~/etc/ejabberd/ejabberd.yml on Uberspace."""
    name = preset_name or saved.get("preset")
    if not isinstance(name, str):
        raise InputError("--import: without a file it imports the preset's live config; "
                         "pass --preset NAME or --import FILE")
    values = merge(fill_preset(load_preset(name), saved, machine or Machine.current()), plain_copy(saved.values))
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



class _Reader(CallsReading, SecurityReading):
    """Walks one config and collects the answers it implies and the parts it cannot map."""

    def read(self) -> None:
        """The option map folded back: each walk its entries name, once, in ``WALK_ORDER``."""
        named = {_walk_of(option.read) for option in OPTIONS}
        for walk in WALK_ORDER:
            if walk in named:
                getattr(self, f"read_{walk}")()

    def read_hosts(self) -> None:
        hosts = self.get(self.config, "hosts")
        if hosts is None:
            return
        self.file_hosts = [str(host) for host in hosts if isinstance(host, str)] if isinstance(hosts, list) else []
        if self.put("domains.hosts", lowercase_hosts(hosts), self.config, "hosts", "hosts"):
            self.hosts = [str(host) for host in lowercase_hosts(hosts)]

    def read_owned(self) -> None:
        """The options whose value, or presence, is an answer: the option map's ``Read`` and ``Presence``."""
        for option in OPTIONS:
            *parents, name = option.path.split(".")
            parent = value_at(self.config, ".".join(parents))
            if isinstance(option.read, Presence) and isinstance(parent, Mapping):
                self.put(option.read.answer, name in parent, parent, name if name in parent else None)
            elif isinstance(option.read, Read) and parent is not ABSENT:
                options = _options(parent)
                value = self.get(options, name, option.read.default)
                if value is not ABSENT:
                    self.put(option.read.answer, value, options, name, option.path)

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

    def read_subdomains(self) -> None:
        for role, module in SUBDOMAIN_MODULES:
            if self.modules is not None and module in self.modules:
                self._read_subdomain(role, self.modules, module)

    def _read_subdomain(self, role: str, modules: Mapping[str, Any], module: str) -> None:
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

    def read_upload(self) -> None:
        modules = self.modules
        if modules is None:
            return
        if "mod_http_upload" not in modules:
            self.put("upload.enabled", False, modules, None)
            return
        options = _options(modules["mod_http_upload"])
        self.put("upload.enabled", True, modules, "mod_http_upload")
        url = self.get(options, "put_url")
        service = parsed_put_url(url, next(iter(self.hosts), None))
        if service is not None:
            label, path = service
            if self.put("domains.upload", label, options, "put_url", "modules.mod_http_upload.put_url"):
                self.labels["upload"] = label
                self.put("upload.path", path, options, "put_url", "modules.mod_http_upload.put_url")
                for key in ("host", "hosts"):
                    # The service's own name, when it is the one the wizard writes.
                    if key in options and self.label(self.get(options, key)) == label:
                        self.mapped.add(f"modules.mod_http_upload.{key}")
        elif url is not None:
            self.keep("modules.mod_http_upload.put_url",
                      f"{url!r} is not https://<subdomain>.@HOST@/<path> as the wizard writes it; {KEPT}",
                      _line(options, "put_url"), ("domains.upload", "upload.path"))
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

    def read_disco(self) -> None:
        modules = self.modules
        if modules is None or "mod_disco" not in modules:
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
        # A subdomain whose module is off has the certificate of its answer's default label all the same
        # (the wizard writes upload.<host>'s without mod_http_upload).
        labels = {role: role for role in SUBDOMAIN_ROLES} | self.labels
        templates = _certificate_templates([str(path) for path in files], self.hosts, labels)
        if templates is None:
            self.keep("certfiles", "the files follow no pattern of {name} (each domain and subdomain) or {host} "
                      f"(each domain) that the wizard can write; {KEPT}", line, CERTIFICATE_ANSWERS)
            return
        cert, key = templates
        if self.put("tls.cert_file", cert, self.config, "certfiles", "certfiles"):
            self.put("tls.key_file", key, self.config, "certfiles")

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


def _walk_of(read: Read | Presence | Walked | NotRead) -> str | None:
    """The walk that reads an entry back: its own, the generic one (``OWNED``) or none."""
    if isinstance(read, Walked):
        return read.name
    return None if isinstance(read, NotRead) else OWNED
