"""Run generated ejabberd configurations on private, throwaway loopback nodes.

Two layers:

* ``localize_config`` rewrites a generated ``ejabberd.yml`` so that it can run
  on this machine next to other test nodes (loopback IPs, free ports, test
  certificate, temp paths) while leaving everything else untouched.
* ``EjabberdNode`` runs one ejabberd in the foreground with its own config,
  spool and log directories, Erlang node name and distribution port.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .certs import CertPair, make_self_signed
from .components import free_port, require, shared_tempdir
from .slow import starting

EJABBERDCTL = "/usr/sbin/ejabberdctl"
SYSTEM_INETRC = Path("/etc/ejabberd/inetrc")
DEFAULT_CAPTCHA_CMD = "/usr/share/ejabberd/captcha.sh"
EJABBERD_USER = "ejabberd"
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

ERROR_MARKERS = ("[critical]", "[error]")
# A port free_port() handed out can be taken by another program before ejabberd binds it:
# a listener then fails with "address already in use", the distribution with eaddrinuse.
PORT_TAKEN = re.compile(r"address already in use|\beaddrinuse\b")
START_ATTEMPTS = 3


# --------------------------------------------------------------------------
# Config localization
# --------------------------------------------------------------------------


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


def _yaml() -> YAML:
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
    document = _yaml().load(yaml_text)
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


def _localize_paths(doc: MutableMapping[str, Any], workdir: Path, cert_pem: Path) -> None:
    dhparam = workdir / "dhparams.pem"
    macros = doc.get("define_macro")
    macros = macros if isinstance(macros, MutableMapping) else {}
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
        if "captcha_cmd" in mapping and not Path(str(mapping["captcha_cmd"])).exists():
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
    _yaml().dump(doc, out)
    return out.getvalue()


def localize_config(
    yaml_text: str,
    workdir: Path,
    *,
    cert_pem: Path,
    sql: Mapping[str, Any] | None = None,
) -> LocalizedConfig:
    """Rewrite a generated ejabberd.yml to run on a private loopback node.

    Only machine-specific settings change: listener IPs/ports (and the ports
    of mod_proxy65 / mod_stun_disco that mirror them), certificate files,
    upload docroot, DH parameter files, a missing captcha_cmd and, when
    ``sql`` is given, the sql_* connection settings. Everything the wizard
    decides (modules, ACLs, hosts, ...) is kept as generated, so the test
    exercises the real output.
    """
    workdir = Path(workdir)
    doc = _load(yaml_text)
    ports = _PortMap()
    _localize_listeners(doc, ports)
    _localize_modules(doc, workdir, ports)
    _localize_paths(doc, workdir, Path(cert_pem))
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


# --------------------------------------------------------------------------
# Running a node
# --------------------------------------------------------------------------


class EjabberdError(RuntimeError):
    """ejabberd refused to start or a command failed."""


class EjabberdStartError(EjabberdError):
    """ejabberd exited or did not become ready; ``reason`` explains why."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(f"{message}\n{reason}")
        self.reason = reason


def _chown_tree(root: Path, user: str) -> None:
    shutil.chown(root, user, user)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            shutil.chown(os.path.join(dirpath, name), user, user)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


class EjabberdNode:
    """One private ejabberd node: own config dir, spool, logs, node name and port.

    Use as a context manager, or call ``stop()`` (and ``cleanup()``) yourself::

        with EjabberdNode() as node:
            node.start(localized_config)
            node.register("alice", "example.test", "secret")
    """

    def __init__(self, workdir: Path | None = None, *, name: str | None = None) -> None:
        self.ejabberdctl = require(EJABBERDCTL)
        self.workdir = Path(workdir) if workdir else shared_tempdir("ejabberd-node-")
        self.conf_dir = self.workdir / "conf"
        self.spool_dir = self.workdir / "spool"
        self.logs_dir = self.workdir / "logs"
        self.stdout_path = self.workdir / "stdout.log"
        # Unique node name and cookie: nodes of parallel tests never talk to
        # each other, and no shared ~ejabberd/.erlang.cookie gets created.
        self.name = name or f"test_{secrets.token_hex(4)}"
        self.node = f"{self.name}@localhost"
        self.dist_port = free_port()
        self.cookie = secrets.token_hex(16)
        self.config: LocalizedConfig | None = None
        self.cert: CertPair | None = None
        self.process: subprocess.Popen[bytes] | None = None
        # What the last localize() was given and made, to localize again on other ports.
        self._localized: tuple[str, Mapping[str, Any] | None, LocalizedConfig] | None = None

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> EjabberdNode:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.stop()
        finally:
            self.cleanup()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def localize(
        self,
        config_text: str,
        *,
        sql: Mapping[str, Any] | None = None,
        cert_names: list[str] | None = None,
    ) -> LocalizedConfig:
        """Localize ``config_text`` into this node's directory.

        Also creates the test certificate (``self.cert``), by default for the
        config's hosts and their subdomains.
        """
        names = cert_names or cert_names_for(config_hosts(config_text))
        self.cert = make_self_signed(self.workdir / "certs", names)
        localized = localize_config(config_text, self.workdir, cert_pem=self.cert.combined, sql=sql)
        self._localized = (config_text, sql, localized)
        return localized

    def start(self, config: LocalizedConfig | str, *, timeout: float = 30.0) -> EjabberdNode:
        """Write the config, start ejabberd and wait until `status` succeeds.

        Raises EjabberdStartError with ejabberd's own explanation if it exits
        (e.g. invalid config) or is not ready within ``timeout`` seconds. A
        config from this node's ``localize()`` whose port was taken meanwhile
        is localized again on new ports (``self.config`` has them), up to
        ``START_ATTEMPTS`` starts in all.
        """
        if self.process is not None:
            raise EjabberdError("node already started")
        starting("a real ejabberd")
        attempt = 1
        while True:
            if isinstance(config, LocalizedConfig):
                self.config = config
                text = config.text
            else:
                text = config
            self._write_conf(text)
            self._launch()
            try:
                self._wait_ready(timeout)
                return self
            except EjabberdStartError as error:
                self.stop()
                if (attempt == START_ATTEMPTS or not PORT_TAKEN.search(error.reason)
                        or self._localized is None or config is not self._localized[2]):
                    raise
            except BaseException:
                self.stop()
                raise
            attempt += 1
            config = self._start_afresh()

    def _start_afresh(self) -> LocalizedConfig:
        """Forget a failed start: new ports (listeners and distribution), no logs or spool of it."""
        assert self._localized is not None
        config_text, sql, _ = self._localized
        self.process = None
        self.dist_port = free_port()
        for directory in (self.spool_dir, self.logs_dir):
            shutil.rmtree(directory, ignore_errors=True)
        self.stdout_path.unlink(missing_ok=True)
        assert self.cert is not None
        localized = localize_config(config_text, self.workdir, cert_pem=self.cert.combined, sql=sql)
        self._localized = (config_text, sql, localized)
        return localized

    def _write_conf(self, config_text: str) -> None:
        for directory in (self.conf_dir, self.spool_dir, self.logs_dir):
            directory.mkdir(parents=True, exist_ok=True)
        (self.conf_dir / "ejabberd.yml").write_text(config_text)
        shutil.copyfile(SYSTEM_INETRC, self.conf_dir / "inetrc")
        # ERL_DIST_PORT: the node listens on a fixed port and no epmd is
        # started, so several nodes run side by side without touching the
        # system's epmd. The distribution is bound to loopback with -kernel
        # directly: INET_DIST_INTERFACE would do the same but costs an extra
        # erl start in every ejabberdctl call.
        (self.conf_dir / "ejabberdctl.cfg").write_text(
            f"ERLANG_NODE={self.node}\n"
            f"ERL_DIST_PORT={self.dist_port}\n"
            f'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 -setcookie {self.cookie}'
            ' -kernel inet_dist_use_interface {127,0,0,1}"\n'
            f"EJABBERD_PID_PATH={self.spool_dir / 'ejabberd.pid'}\n"
            "EJABBERD_BYPASS_WARNINGS=true\n"
        )
        # ejabberdctl drops to the ejabberd user, which must own what it writes.
        _chown_tree(self.workdir, EJABBERD_USER)

    def _ctl_command(self, *args: str) -> list[str]:
        return [
            self.ejabberdctl,
            "--config-dir", str(self.conf_dir),
            "--spool", str(self.spool_dir),
            "--logs", str(self.logs_dir),
            *args,
        ]  # fmt: skip

    def _launch(self) -> None:
        with open(self.stdout_path, "wb") as stdout:
            # Own session: a Ctrl-C aimed at the test run does not hit the node
            # half-way; stop() shuts it down in order instead.
            self.process = subprocess.Popen(
                self._ctl_command("foreground"),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,
            )

    def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None, "called right after _launch"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise EjabberdStartError(
                    f"ejabberd exited with code {self.process.returncode} during start",
                    self.failure_reason(),
                )
            status = self.ctl("status", check=False, timeout=max(1.0, deadline - time.monotonic()))
            if status.returncode == 0:
                return
            time.sleep(0.3)
        raise EjabberdStartError(
            f"ejabberd not ready after {timeout:.0f}s", self.failure_reason() or self.log_tail()
        )

    def stop(self, timeout: float = 15.0, *, graceful: bool = True) -> None:
        """Stop the node and every process it started. Idempotent.

        Graceful: `ejabberdctl stop` (ejabberd takes ~2 s to shut down), then
        signals after ``timeout``. Not graceful: SIGKILL at once, for
        throwaway nodes whose state nobody will read again.
        """
        if self.process is None:
            return
        if graceful and self.running:
            try:
                self.ctl("stop", check=False, timeout=timeout / 2)
                self.process.wait(timeout=timeout / 2)
            except (EjabberdError, subprocess.TimeoutExpired):
                pass
        # Signal whatever is left in any case. `su -c` starts beam in a session
        # of its own, so a signal to the process group of the ejabberdctl we
        # started would not reach it. Only beam itself is signalled: its
        # parents (su, ejabberdctl) then exit on their own and reap it rather
        # than leaving an orphaned zombie for init to collect.
        signals = (signal.SIGTERM, signal.SIGKILL) if graceful else (signal.SIGKILL,)
        for sig in signals:
            _signal_pids(self._vm_pids(beam_only=True), sig)
            if self._wait_gone(deadline=time.monotonic() + 3.0):
                return
        # Last resort, e.g. the launcher hangs before beam started.
        with contextlib.suppress(subprocess.TimeoutExpired):
            _kill_launcher(self.process)
        _signal_pids(self._vm_pids(), signal.SIGKILL)

    def _vm_pids(self, *, beam_only: bool = False) -> list[int]:
        # Every process running an Erlang VM for this node (server, su
        # wrapper, ctl clients) has the node's unique cookie in its arguments.
        return _pids_with_argument(
            f"-setcookie {self.cookie}".encode(), name="beam.smp" if beam_only else None
        )

    def _wait_gone(self, deadline: float) -> bool:
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None and not self._vm_pids():
                return True
            time.sleep(0.02)
        return False

    def cleanup(self) -> None:
        """Remove the node's directory (config, spool, logs). Call after stop()."""
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- commands ----------------------------------------------------------

    def ctl(
        self, *args: str, check: bool = True, timeout: float = 30.0
    ) -> subprocess.CompletedProcess[str]:
        """Run ``ejabberdctl <args>`` against this node (bounded by ``timeout``)."""
        command = self._ctl_command(*args)
        with subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.workdir,
        ) as proc:
            try:
                stdout, stderr = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                # subprocess.run would kill only ejabberdctl itself; the client
                # VM below su would keep waiting for the node.
                _kill_launcher(proc)
                proc.communicate()
                raise EjabberdError(
                    f"ejabberdctl {' '.join(args)} timed out after {timeout:.0f}s"
                ) from None
        result = subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)
        if check and result.returncode != 0:
            raise EjabberdError(
                f"ejabberdctl {' '.join(args)} failed with code {result.returncode}:\n"
                f"{result.stdout}{result.stderr}"
            )
        return result

    def register(self, user: str, host: str, password: str) -> None:
        self.ctl("register", user, host, password)

    def check_sql(self, host: str, timeout: float = 10.0) -> None:
        """Fail fast if ejabberd cannot use its SQL database (needs auth_method: sql).

        With wrong sql_* credentials ejabberd starts, logs nothing and every
        SQL access (e.g. `register`) hangs; this turns that into a clear error.
        """
        try:
            self.ctl("registered_users", host, timeout=timeout)
        except EjabberdError as exc:
            raise EjabberdError(
                f"ejabberd's SQL backend for {host} does not answer: check the sql_* settings"
            ) from exc

    def port_for(self, original_port: int) -> int:
        if self.config is None:
            raise EjabberdError("node was started with raw config text: no port mapping known")
        return self.config.port_for(original_port)

    @property
    def hosts(self) -> list[str]:
        return self.config.hosts if self.config else []

    # -- logs --------------------------------------------------------------

    def _log_sources(self) -> list[Path]:
        return [
            self.logs_dir / "ejabberd.log",
            self.logs_dir / "error.log",
            self.logs_dir / "crash.log",
            self.stdout_path,
        ]

    def log_text(self) -> str:
        """ejabberd.log, error.log, crash.log and console output, concatenated."""
        return "".join(
            f"==> {path.name} <==\n{text}\n"
            for path in self._log_sources()
            if (text := _read(path))
        )

    def error_lines(self) -> list[str]:
        """Distinct log lines at level error or critical (each source may repeat them)."""
        seen: dict[str, str] = {}  # dedup key -> line as logged
        for path in self._log_sources():
            for line in _read(path).splitlines():
                if any(marker in line for marker in ERROR_MARKERS):
                    seen.setdefault(_error_key(line), _strip_timestamp(line))
        return list(seen.values())

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def failure_reason(self) -> str:
        """Why ejabberd stopped: its error/critical lines, else its console output."""
        reasons = dict.fromkeys(_error_key(line) for line in self.error_lines())
        if reasons:
            return "\n".join(reasons)
        return _read(self.stdout_path).strip()


_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T][\d:.]+(?:[+-]\d\d:?\d\d|Z)?\s*")


# The log file prefixes messages with "<0.124.0>@module:function/2:72 ", the
# console does not; the same message appears in both.
_ERLANG_LOCATION = re.compile(r"<[\d.]+>@\S+ ")


def _strip_timestamp(line: str) -> str:
    return _TIMESTAMP.sub("", line)


def _error_key(line: str) -> str:
    return _ERLANG_LOCATION.sub("", _strip_timestamp(line)).strip()


def _pids_with_argument(needle: bytes, *, name: str | None = None) -> list[int]:
    """Pids of processes whose command line contains ``needle`` (and named ``name``)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        proc = Path("/proc", entry)
        try:
            if name is not None and (proc / "comm").read_text().strip() != name:
                continue
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:  # exited meanwhile
            continue
        if needle in cmdline:
            pids.append(int(entry))
    return pids


def _children(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name: state, ppid, ...
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry))
    return children


def _descendants(root: int) -> list[int]:
    """``root`` and all processes below it, parents before children.

    Follows parent links rather than process groups, because `su` moves the
    command it runs into a session of its own.
    """
    tree = [root]
    for pid in tree:  # grows while iterating: breadth-first walk
        tree.extend(_children(pid))
    return tree


def _process_name(pid: int) -> str:
    try:
        return Path("/proc", str(pid), "comm").read_text().strip()
    except OSError:
        return ""


def _kill_launcher(proc: subprocess.Popen[Any], wait: float = 3.0) -> None:
    """SIGKILL an ejabberdctl process and everything it started.

    The Erlang VM goes first: su and ejabberdctl then exit on their own and
    reap it. Killing the whole chain at once would orphan the VM, leaving a
    zombie beam.smp for init to collect.
    """
    tree = _descendants(proc.pid)
    _signal_pids([pid for pid in tree if _process_name(pid) == "beam.smp"], signal.SIGKILL)
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        _signal_pids(_descendants(proc.pid)[::-1], signal.SIGKILL)
        proc.wait(timeout=wait)


def _signal_pids(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


# --------------------------------------------------------------------------
# Convenience entry points
# --------------------------------------------------------------------------


def start_node(
    config_text: str,
    *,
    sql: Mapping[str, Any] | None = None,
    cert_names: list[str] | None = None,
    timeout: float = 30.0,
) -> EjabberdNode:
    """Localize a generated config and start it; the caller must stop() and cleanup()."""
    node = EjabberdNode()
    try:
        node.start(node.localize(config_text, sql=sql, cert_names=cert_names), timeout=timeout)
    except BaseException:
        node.cleanup()
        raise
    return node


def start_expect_failure(config_text: str, *, localize: bool = True, timeout: float = 30.0) -> str:
    """Start ejabberd with a config it should refuse; return its reason.

    Raises AssertionError if ejabberd starts anyway. With ``localize`` the
    config is first made runnable on this machine, so that the refusal is
    about the config itself rather than about missing certificates or busy
    ports; text that is not even YAML is passed on for ejabberd to reject.
    """
    with EjabberdNode() as node:
        config: LocalizedConfig | str = config_text
        if localize:
            with contextlib.suppress(YAMLError):
                config = node.localize(config_text)
        try:
            node.start(config, timeout=timeout)
        except EjabberdStartError as exc:
            return exc.reason
        raise AssertionError("ejabberd accepted a config that was expected to fail")
