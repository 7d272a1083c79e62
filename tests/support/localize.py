"""Rewrite a generated ``ejabberd.yml`` so that it runs on this machine next to other test nodes.

Loopback IPs, free ports, a test certificate, paths of the node's own directory: everything
else stays as generated, so that the test exercises the real output.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from .components import free_port

DEFAULT_CAPTCHA_CMD = "/usr/share/ejabberd/captcha.sh"
LOOPBACK = "127.0.0.1"

# RFC 7919 ffdhe2048 group. A fixed, well-known group: generating DH
# parameters would take seconds to minutes per test.
FFDHE2048_PEM = """\
-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
"""

DHFILE_KEYS = ("dhfile", "c2s_dhfile", "s2s_dhfile")
SQL_KEYS = ("sql_server", "sql_port", "sql_database", "sql_username", "sql_password")
# mod_proxy65 listens on its own, outside of `listen:`; 7777 is its default.
PROXY65_DEFAULT_PORT = 7777



@dataclass(frozen=True)
class LocalizedConfig:
    """A config rewritten for a throwaway node, plus what the rewrite chose."""

    text: str
    ports: dict[int, int] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)

    def port_for(self, original_port: int) -> int:
        """The loopback port that replaced ``original_port`` of the generated config."""
        try:
            return self.ports[original_port]
        except KeyError:
            raise KeyError(
                f"port {original_port} is not used by this config (known: {sorted(self.ports)})"
            ) from None


def config_yaml() -> YAML:
    """ruamel set up to write an ejabberd config back as ejabberd reads it."""
    yaml = YAML(typ="rt")
    # Without preserve_quotes, quoted scalars such as "::1/128" inside flow
    # sequences are re-emitted unquoted, which ejabberd then rejects.
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    # ejabberd's YAML loader does not resolve anchors/aliases, so a value we
    # insert twice must be written out twice rather than as an alias.
    yaml.representer.ignore_aliases = lambda *_args: True
    return yaml


def _load(yaml_text: str) -> Any:
    document = config_yaml().load(yaml_text)
    return document if document is not None else {}


def config_hosts(yaml_text: str) -> list[str]:
    """The virtual hosts (``hosts:``) of an ejabberd config."""
    return [str(host) for host in _load(yaml_text).get("hosts") or []]


def _walk_mappings(node: Any) -> Iterator[MutableMapping[str, Any]]:
    """Every mapping in a loaded YAML tree, depth first."""
    if isinstance(node, MutableMapping):
        yield node
        for value in node.values():
            yield from _walk_mappings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_mappings(item)


def _module_sections(doc: Mapping[str, Any]) -> Iterator[MutableMapping[str, Any]]:
    """The `modules:` mappings: global and per host (host_config/append_host_config)."""
    if isinstance(doc.get("modules"), MutableMapping):
        yield doc["modules"]
    for section in ("host_config", "append_host_config"):
        for host_opts in (doc.get(section) or {}).values():
            if isinstance(host_opts, Mapping) and isinstance(host_opts.get("modules"), MutableMapping):
                yield host_opts["modules"]


class _PortMap:
    """Hands out one fresh loopback port per original port number.

    The same original number maps to the same new port everywhere, so e.g. a
    TCP and a UDP STUN listener on 3478 and mod_stun_disco's advertised 3478
    stay consistent.
    """

    def __init__(self) -> None:
        self.mapping: dict[int, int] = {}

    def __call__(self, original: int) -> int:
        if original not in self.mapping:
            self.mapping[original] = free_port()
        return self.mapping[original]


def _is_port_number(value: Any) -> bool:
    # Ports may also be define_macro names (strings); those are left alone.
    return isinstance(value, int) and not isinstance(value, bool)


def _localize_listeners(doc: MutableMapping[str, Any], ports: _PortMap) -> None:
    for listener in doc.get("listen") or []:
        listener["ip"] = LOOPBACK
        if _is_port_number(listener.get("port")):
            listener["port"] = ports(listener["port"])


def _localize_modules(doc: MutableMapping[str, Any], workdir: Path, ports: _PortMap) -> None:
    for modules in _module_sections(doc):
        proxy65 = modules.get("mod_proxy65")
        if isinstance(proxy65, MutableMapping):
            # Even without an explicit port it would bind 7777 on a public
            # address, clashing with the host and with parallel test nodes.
            original = proxy65.get("port", PROXY65_DEFAULT_PORT)
            if _is_port_number(original):
                proxy65["port"] = ports(original)
            proxy65["ip"] = LOOPBACK

        stun_disco = modules.get("mod_stun_disco")
        if isinstance(stun_disco, Mapping):
            for service in stun_disco.get("services") or []:
                if _is_port_number(service.get("port")) and service["port"] in ports.mapping:
                    service["port"] = ports.mapping[service["port"]]

        upload = modules.get("mod_http_upload")
        if isinstance(upload, MutableMapping):
            upload["docroot"] = str(workdir / "upload")


def _localize_paths(doc: MutableMapping[str, Any], workdir: Path, cert_pem: Path, root: Path) -> None:
    dhparam = workdir / "dhparams.pem"
    macros = doc.get("define_macro")
    macros = macros if isinstance(macros, MutableMapping) else {}
    if "certfiles" not in doc:
        # Without certfiles ejabberd asks Let's Encrypt for the hosts' certificates (upstream's
        # example config on a real domain): the node has the test certificate instead.
        doc["certfiles"] = [str(cert_pem)]
    for mapping in _walk_mappings(doc):
        if "certfiles" in mapping:
            mapping["certfiles"] = [str(cert_pem)]
        # `certfile` on a listener is the older per-listener form of certfiles.
        if "certfile" in mapping:
            mapping["certfile"] = str(cert_pem)
        for key in DHFILE_KEYS:
            # A macro reference stays: the macro's own value is rewritten below.
            if key in mapping and mapping[key] not in macros:
                mapping[key] = str(dhparam)
        if "captcha_cmd" in mapping and not (root / str(mapping["captcha_cmd"]).lstrip("/")).exists():
            mapping["captcha_cmd"] = DEFAULT_CAPTCHA_CMD

    for name, value in macros.items():
        if isinstance(value, str) and value.startswith("/") and value.endswith(".pem"):
            macros[name] = str(dhparam)


def _localize_sql(doc: MutableMapping[str, Any], sql: Mapping[str, Any]) -> None:
    given = {key: sql[key] for key in SQL_KEYS if key in sql}
    unknown = set(sql) - set(SQL_KEYS)
    if unknown:
        raise ValueError(f"unsupported sql settings: {sorted(unknown)} (allowed: {SQL_KEYS})")
    doc.update(given)
    for host_opts in (doc.get("host_config") or {}).values():
        if isinstance(host_opts, MutableMapping):
            for key in given.keys() & host_opts.keys():
                host_opts[key] = given[key]


def _dump(doc: Any) -> str:
    out = io.StringIO()
    config_yaml().dump(doc, out)
    return out.getvalue()


def localize_config(
    yaml_text: str,
    workdir: Path,
    *,
    cert_pem: Path,
    sql: Mapping[str, Any] | None = None,
    root: Path | None = None,
) -> LocalizedConfig:
    """Rewrite a generated ejabberd.yml to run on a private loopback node.

    Only machine-specific settings change: listener IPs/ports (and the ports
    of mod_proxy65 / mod_stun_disco that mirror them), certificate files,
    upload docroot, DH parameter files, a missing captcha_cmd and, when
    ``sql`` is given, the sql_* connection settings. Everything the wizard
    decides (modules, ACLs, hosts, ...) is kept as generated, so the test
    exercises the real output.

    With ``root`` the node runs chrooted there: ``workdir`` and ``cert_pem`` are
    host paths inside it, the config names them as seen from the root, and a
    captcha_cmd is looked for in the root.
    """
    workdir = Path(workdir)

    def seen(path: Path) -> Path:
        return path if root is None else Path("/", path.relative_to(root))

    doc = _load(yaml_text)
    ports = _PortMap()
    _localize_listeners(doc, ports)
    _localize_modules(doc, seen(workdir), ports)
    _localize_paths(doc, seen(workdir), seen(Path(cert_pem)), Path(root or "/"))
    if sql is not None:
        _localize_sql(doc, sql)

    (workdir / "dhparams.pem").write_text(FFDHE2048_PEM)
    (workdir / "upload").mkdir(exist_ok=True)
    return LocalizedConfig(
        text=_dump(doc),
        ports=dict(ports.mapping),
        hosts=[str(host) for host in doc.get("hosts") or []],
    )


def cert_names_for(hosts: list[str]) -> list[str]:
    """Names a test certificate needs to cover the hosts and their services.

    The wildcard covers the conference./upload./pubsub. service domains;
    without it ejabberd warns "No certificate found matching ...".
    (ACME is never attempted on a localized node: it needs a listener on
    port 80, and all ports are remapped.)
    """
    names = list(hosts) or ["localhost"]
    return names + [f"*.{host}" for host in hosts]

