"""A generated deployment running on loopback the way `verify` meets it in production.

Three real servers, each fed with the wizard's own output:

* ejabberd with the generated config (localized: see ejabberd_node.localize_config);
* nsd (tests/support/dns_server.NsdServer) serving the generated dns/records.zone,
  rewritten for the test only: the ports of the SRV records follow the node's
  port mapping and every address is 127.0.0.1 (``localize_zone``);
* a static web server serving the generated web/ directory, where the web server
  in front of ejabberd would serve host-meta.

`verify` then runs as a subprocess, exactly as a user runs it, told where the
test's nameserver and web servers are (EJABBERD_WIZARD_NAMESERVER and
EJABBERD_WIZARD_HTTP_BASE).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http.server
import io
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import slixmpp
from ruamel.yaml import YAML

from tests.answers_helpers import write_answers, write_secret
from tests.support.dns_server import NsdServer, zones_from_records
from tests.support.ejabberd_node import EjabberdNode
from tests.support.localize import config_yaml
from wizard.cli import main

LOOPBACK = "127.0.0.1"
USER, PASSWORD = "alice", "verify-test correct horse battery staple"
ADMIN_PASSWORD = "verify-test admin horse battery staple"
VERIFY_TIMEOUT = 180  # seconds for one whole verify run
RELAY_PORTS = 16  # TURN relay ports of one test node: a test allocates one at a time


# -- DNS ----------------------------------------------------------------------------------

_SRV = re.compile(r"^(?P<head>\S+\s+IN\s+SRV\s+\d+\s+\d+\s+)(?P<port>\d+)(?P<tail>\s+\S+)$")
_ADDRESS = re.compile(r"^(?P<head>\S+\s+IN\s+)(?P<kind>A|AAAA)\s+\S+$")


def localize_zone(records: str, ports: Mapping[int, int]) -> dict[str, str]:
    """The generated records as zones for a loopback test: ports remapped, every address 127.0.0.1."""
    lines: list[str] = []
    for line in records.splitlines():
        if srv := _SRV.match(line):
            port = int(srv["port"])
            line = f"{srv['head']}{ports.get(port, port)}{srv['tail']}"
        elif address := _ADDRESS.match(line):
            if address["kind"] == "AAAA":
                continue
            line = f"{address['head']}A {LOOPBACK}"
        lines.append(line)
    zones = zones_from_records("\n".join(lines))
    # Without domains.ipv4 the records leave the domain's own address to the user.
    return {origin: text if re.search(r"^@\s+IN\s+A\s", text, re.M) else text + f"@ IN A {LOOPBACK}\n"
            for origin, text in zones.items()}


# -- the web server in front ----------------------------------------------------------------


class StaticSite:
    """Serves a directory over HTTP on loopback, as the web server serves web_root.

    ``headers`` are added to every answer below a path prefix, as the generated web
    front adds them (the Caddy site's ``header`` lines, Uberspace's ``web header set``).
    """

    def __init__(self, root: Path, headers: Mapping[str, Mapping[str, str]] | None = None) -> None:
        handler = functools.partial(_QuietHandler, directory=str(root), added=dict(headers or {}))
        self.server = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.server.server_address[1]}"

    def start(self) -> StaticSite:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args: Any, added: Mapping[str, Mapping[str, str]], **kwargs: Any) -> None:
        self.added = added
        super().__init__(*args, **kwargs)

    def end_headers(self) -> None:
        for prefix, headers in self.added.items():
            if self.path.startswith(prefix):
                for name, value in headers.items():
                    self.send_header(name, value)
        super().end_headers()

    def log_message(self, *_args: Any) -> None:  # keep the test output clean
        pass


_CADDY_HANDLE = re.compile(r"^\s*handle\s+(?P<path>/\S*?)\*?\s*\{\s*$")
_CADDY_HEADER = re.compile(r'^\s*header\s+(?P<name>[\w-]+)\s+"(?P<value>[^"]*)"\s*$')
_UBERSPACE_HEADER = re.compile(
    r"""uberspace web header set "\$domain(?P<path>/\S*)" (?P<name>[\w-]+) '(?P<value>[^']*)'""")


def front_headers(out: Path) -> dict[str, dict[str, str]]:
    """The headers the generated web front adds to the static files, by path prefix.

    Read from what the deployment sets up: the Caddy site's ``handle PATH { header ... }``
    (arch) or the platform script's ``uberspace web header set`` (Uberspace).
    """
    headers: dict[str, dict[str, str]] = {}
    caddyfile = out / "web" / "Caddyfile"
    if caddyfile.exists():
        path = None
        for line in caddyfile.read_text().splitlines():
            if handle := _CADDY_HANDLE.match(line):
                path = handle["path"]
            elif line.strip() == "}":
                path = None
            elif path and (header := _CADDY_HEADER.match(line)):
                headers.setdefault(path, {})[header["name"]] = header["value"]
    for script in sorted((out / "scripts").glob("*.sh")):
        for found in _UBERSPACE_HEADER.finditer(script.read_text()):
            headers.setdefault(found["path"], {})[found["name"]] = found["value"]
    return headers


# -- TURN on loopback ----------------------------------------------------------------------


def free_port_range(count: int) -> tuple[int, int]:
    """``count`` consecutive UDP ports of loopback that are free now (first, last)."""
    for _attempt in range(50):
        first = secrets.randbelow(20000) + 30000
        sockets = []
        try:
            for port in range(first, first + count):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(sock)
                sock.bind((LOOPBACK, port))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return first, first + count - 1
    raise RuntimeError(f"no {count} consecutive free UDP ports on loopback")


def dump_config(yaml: YAML, doc: Any) -> str:
    stream = io.StringIO()
    yaml.dump(doc, stream)
    return stream.getvalue()


def localize_turn(config_text: str, relay_ports: tuple[int, int]) -> str:
    """A config whose TURN relays on loopback, within ``relay_ports``, for a loopback test.

    The generated config names the public address (turn_ipv4_address) and a wide relay
    range; a test node relays from 127.0.0.1 in a small range of its own.
    """
    yaml = config_yaml()
    doc = yaml.load(config_text)
    relays = [listener for listener in doc.get("listen") or []
              if listener.get("module") == "ejabberd_stun" and listener.get("use_turn")]
    if not relays:
        return config_text
    for listener in relays:
        listener["turn_ipv4_address"] = LOOPBACK
        listener.pop("turn_ipv6_address", None)
        listener["turn_min_port"], listener["turn_max_port"] = relay_ports
    return dump_config(yaml, doc)


# -- a whole deployment ------------------------------------------------------------------------


@dataclass
class Deployment:
    out: Path  # the generated deployment directory
    answers: dict[str, Any]  # wizard.yml as written
    node: EjabberdNode
    dns: NsdServer
    site: StaticSite
    password_file: Path

    @property
    def domain(self) -> str:
        return self.answers["domains"]["hosts"][0]

    @property
    def jid(self) -> str:
        return f"{USER}@{self.domain}"

    @property
    def admin_jid(self) -> str:
        return f"{self.answers['service']['admin_user']}@{self.domain}"

    @property
    def c2s_port(self) -> int:
        return self.node.port_for(self.answers["ports"]["c2s"])

    def env(self) -> dict[str, str]:
        web_host = f"{self.answers['domains']['upload']}.{self.domain}"
        http_port = self.node.port_for(self.answers["ports"]["http"])
        return {
            "EJABBERD_WIZARD_NAMESERVER": self.dns.address,
            "EJABBERD_WIZARD_HTTP_BASE": f"https://{web_host}=http://{LOOPBACK}:{http_port} https://{self.domain}={self.site.base}",
        }

    def verify(self, *args: str, jid: str | None = None, password_file: Path | None = None,
               trust: tuple[str, ...] | None = None) -> subprocess.CompletedProcess[str]:
        """Run `ejabberd-wizard verify` as a user would; trusts the node's certificate by default."""
        assert self.node.cert is not None
        command = [sys.executable, "-m", "wizard", "verify", "--jid", jid or self.jid,
                   "--password-file", str(password_file or self.password_file),
                   *(trust if trust is not None else ("--ca", str(self.node.cert.cert))), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=VERIFY_TIMEOUT,
                                env={**_base_env(), **self.env()}, check=False)
        # Whatever else a run shows, it never shows a password.
        assert PASSWORD not in result.stdout + result.stderr and ADMIN_PASSWORD not in result.stdout + result.stderr
        return result

    def pep_nodes(self, timeout: float = 15.0) -> list[str]:
        """The PEP nodes of the test user (disco#items of its own address), by a client of its own."""
        assert self.node.cert is not None
        return asyncio.run(_pep_nodes(self.jid, PASSWORD, self.c2s_port, self.node.cert.cert, timeout))

    def report(self, *args: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """verify --format json: its exit code and its report."""
        result = self.verify("--format", "json", *args, **kwargs)
        assert result.returncode in (0, 1), result.stdout + result.stderr
        return result.returncode, json.loads(result.stdout)


async def _pep_nodes(jid: str, password: str, port: int, ca: Path, timeout: float) -> list[str]:
    client = slixmpp.ClientXMPP(jid, password)
    client.enable_direct_tls, client.enable_plaintext, client.ca_certs = False, False, ca
    client.register_plugin("xep_0030")
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_start(_event: object) -> None:
        if not started.done():
            started.set_result(None)

    client.add_event_handler("session_start", on_start)
    client.connect(LOOPBACK, port)
    try:
        async with asyncio.timeout(timeout):
            await started
            items = await client.plugin["xep_0030"].get_items(jid=slixmpp.JID(jid), timeout=timeout)
        return sorted(node for _jid, node, _name in items["disco_items"]["items"] if node)
    finally:
        client.cancel_connection_attempt()
        try:
            await asyncio.wait_for(client.disconnect(wait=1.0), timeout=3.0)
        except TimeoutError:
            client.abort()


def _base_env() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("EJABBERD_WIZARD_")}


def generate(workdir: Path, answers: dict[str, Any], sql_password: str | None = None) -> Path:
    out = workdir / "deploy"
    if sql_password is not None:
        write_secret(out / "db-password", sql_password)
    path = write_answers(workdir / "answers.yml", answers)
    assert main(["generate", "--out", str(out), "--answers", str(path), "--yes"]) == 0
    return out


@contextlib.contextmanager
def running_deployment(
    workdir: Path, answers: dict[str, Any], sql: Mapping[str, Any] | None = None, *, admin: bool = False,
    edit_config: Callable[[str], str] | None = None,
    edit_front: Callable[[dict[str, dict[str, str]]], None] | None = None, root: Path | None = None,
) -> Iterator[Deployment]:
    """Generate the deployment from ``answers`` and run it: ejabberd, nsd and the static site.

    The test user is registered, and with ``admin`` the preset's admin account too.
    ``edit_config`` changes the generated config text before it runs (a hand edit: a
    module removed), ``edit_front`` the headers the web front adds (``front_headers``);
    ``root`` is the Debian root of the ejabberd release to run (tests/support/releases.py).
    """
    out = generate(workdir, answers, sql["sql_password"] if sql else None)
    saved = YAML(typ="safe").load((out / "wizard.yml").read_text())
    config = (out / "config" / "ejabberd.yml").read_text()
    if edit_config is not None:
        config = edit_config(config)
    relay = free_port_range(RELAY_PORTS)
    config = localize_turn(config, relay)
    headers = front_headers(out)
    if edit_front is not None:
        edit_front(headers)
    with contextlib.ExitStack() as stack:
        node = EjabberdNode(root=root)
        stack.callback(node.cleanup)
        stack.callback(node.stop, graceful=False)
        node.start(node.localize(config, sql=sql))
        domain = saved["domains"]["hosts"][0]
        node.register(USER, domain, PASSWORD)
        if admin:
            node.register(saved["service"]["admin_user"], domain, ADMIN_PASSWORD)
        assert node.config is not None
        zones = localize_zone((out / "dns" / "records.zone").read_text(), node.config.ports)
        nameserver = stack.enter_context(NsdServer(zones))
        (out / "web").mkdir(exist_ok=True)
        site = StaticSite(out / "web", headers).start()
        stack.callback(site.stop)
        yield Deployment(out, saved, node, nameserver, site, write_secret(workdir / "password", PASSWORD))
