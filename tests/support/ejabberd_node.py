"""Run generated ejabberd configurations on private, throwaway loopback nodes.

Two layers:

* ``localize_config`` (tests/support/localize.py) rewrites a generated ``ejabberd.yml`` so
  that it can run on this machine next to other test nodes (loopback IPs, free ports, test
  certificate, temp paths) while leaving everything else untouched.
* ``EjabberdNode`` runs one ejabberd in the foreground with its own config, spool and log
  directories, Erlang node name and distribution port: the host's ejabberd, or the one of a
  Debian root (tests/support/releases.py), run there as the root's ejabberd user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from .certs import CertPair, make_self_signed
from .components import free_port, require, shared_tempdir
from .localize import DEFAULT_CAPTCHA_CMD as DEFAULT_CAPTCHA_CMD
from .localize import LocalizedConfig, cert_names_for, config_hosts, localize_config
from .node_logs import NodeLogs
from .processes import kill_launcher, pids_with_argument, signal_pids
from .roots import clean_env
from .slow import starting

__all__ = ["DEFAULT_CAPTCHA_CMD", "EJABBERDCTL", "EjabberdError", "EjabberdNode", "EjabberdStartError",
           "LocalizedConfig", "localize_config", "start_expect_failure"]

EJABBERDCTL = "/usr/sbin/ejabberdctl"
SYSTEM_INETRC = "/etc/ejabberd/inetrc"
EJABBERD_USER = "ejabberd"
# Where in a Debian root its nodes keep their directories.
NODES_IN_ROOT = "var/lib/ejabberd-wizard-tests"

# A port free_port() handed out can be taken by another program before ejabberd binds it:
# a listener then fails with "address already in use", the distribution with eaddrinuse.
PORT_TAKEN = re.compile(r"address already in use|\beaddrinuse\b")
START_ATTEMPTS = 3


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


def _chown_tree(top: Path, uid: int, gid: int) -> None:
    os.chown(top, uid, gid)
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid)


def _user_ids(root: Path | None, user: str) -> tuple[int, int]:
    """uid and gid of ``user`` on the host or in ``root`` (whose package made its own)."""
    if root is None:
        entry = pwd.getpwnam(user)
        return entry.pw_uid, entry.pw_gid
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise EjabberdError(f"{root} has no user {user}")


class EjabberdNode(NodeLogs):
    """One private ejabberd node: own config dir, spool, logs, node name and port.

    Use as a context manager, or call ``stop()`` (and ``cleanup()``) yourself::

        with EjabberdNode() as node:
            node.start(localized_config)
            node.register("alice", "example.test", "secret")

    With ``root`` (a Debian root of tests/support/releases.py) the node is that root's
    ejabberd: its directory is inside the root, and every command (ejabberdctl, hence the
    captcha script) runs chrooted there as the root's ejabberd user.
    """

    def __init__(self, workdir: Path | None = None, *, name: str | None = None, root: Path | None = None) -> None:
        self.root = root
        if root is None:
            self.ejabberdctl = require(EJABBERDCTL)
            self.workdir = Path(workdir) if workdir else shared_tempdir("ejabberd-node-")
        else:
            self.ejabberdctl = EJABBERDCTL
            if not (root / EJABBERDCTL.lstrip("/")).exists():
                raise EjabberdError(f"{root} has no {EJABBERDCTL}")
            (root / NODES_IN_ROOT).mkdir(parents=True, exist_ok=True)
            self.workdir = Path(workdir or tempfile.mkdtemp(prefix="node-", dir=root / NODES_IN_ROOT))
        self.uid, self.gid = _user_ids(root, EJABBERD_USER)
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
        # The spool of another node this one starts from (adopt_spool), copied again after a failed start.
        self._adopted_spool: Path | None = None

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
        localized = localize_config(config_text, self.workdir, cert_pem=self.cert.combined, sql=sql, root=self.root)
        self._localized = (config_text, sql, localized)
        return localized

    def adopt_spool(self, spool: Path) -> None:
        """Start from a copy of ``spool`` (another node's, e.g. of an older release): its Mnesia data.

        Mnesia opens it only under the node name that wrote it: give this node the same ``name``.
        The copy is owned by this node's ejabberd user when it starts (``_write_conf``).
        """
        self._adopted_spool = spool
        self._copy_adopted_spool()

    def _copy_adopted_spool(self) -> None:
        if self._adopted_spool is not None:
            shutil.rmtree(self.spool_dir, ignore_errors=True)
            # Not the pid file: it is of the node that wrote the spool.
            shutil.copytree(self._adopted_spool, self.spool_dir, symlinks=True,
                            ignore=shutil.ignore_patterns("ejabberd.pid"))

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
        self._copy_adopted_spool()
        assert self.cert is not None
        localized = localize_config(config_text, self.workdir, cert_pem=self.cert.combined, sql=sql, root=self.root)
        self._localized = (config_text, sql, localized)
        return localized

    def _write_conf(self, config_text: str) -> None:
        for directory in (self.conf_dir, self.spool_dir, self.logs_dir):
            directory.mkdir(parents=True, exist_ok=True)
        (self.conf_dir / "ejabberd.yml").write_text(config_text)
        shutil.copyfile(self._host_path(SYSTEM_INETRC), self.conf_dir / "inetrc")
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
            f"EJABBERD_PID_PATH={self.seen(self.spool_dir / 'ejabberd.pid')}\n"
            "EJABBERD_BYPASS_WARNINGS=true\n"
        )
        # ejabberdctl drops to the ejabberd user, which must own what it writes.
        _chown_tree(self.workdir, self.uid, self.gid)

    def _host_path(self, path: str) -> Path:
        """Where the host finds ``path`` of the node's system (the host's own, or the root's)."""
        return Path(path) if self.root is None else self.root / path.lstrip("/")

    def seen(self, path: Path) -> str:
        """``path`` (a host path in the node's directory) as the node sees it."""
        return str(path) if self.root is None else "/" + str(path.relative_to(self.root))

    def _ctl_command(self, *args: str) -> list[str]:
        command = [
            self.ejabberdctl,
            "--config-dir", self.seen(self.conf_dir),
            "--spool", self.seen(self.spool_dir),
            "--logs", self.seen(self.logs_dir),
            *args,
        ]  # fmt: skip
        if self.root is None:
            return command
        # /proc is mounted in a mount namespace of the command's own: the mount goes when the
        # command ends, and never shows to other nodes of the same root (parallel workers). As
        # the ejabberd user itself ejabberdctl runs erl directly: no su, whose session would
        # take beam out of the process group.
        return ["unshare", "--mount", "--propagation", "private", f"--mount-proc={self.root / 'proc'}",
                "chroot", f"--userspec={self.uid}:{self.gid}", str(self.root), *command]

    def _env(self) -> dict[str, str] | None:
        """The root's commands get a clean environment of the root's ejabberd user, not the test's."""
        return None if self.root is None else clean_env(HOME="/var/lib/ejabberd", USER=EJABBERD_USER)

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
                env=self._env(),
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
        # Signal whatever is left in any case. `su -c` (the host's ejabberdctl,
        # run as root) starts beam in a session of its own, so a signal to the
        # process group of the ejabberdctl we started would not reach it. Only beam itself is signalled: its
        # parents (su, ejabberdctl) then exit on their own and reap it rather
        # than leaving an orphaned zombie for init to collect.
        signals = (signal.SIGTERM, signal.SIGKILL) if graceful else (signal.SIGKILL,)
        for sig in signals:
            signal_pids(self._vm_pids(beam_only=True), sig)
            if self._wait_gone(deadline=time.monotonic() + 3.0):
                return
        # Last resort, e.g. the launcher hangs before beam started.
        with contextlib.suppress(subprocess.TimeoutExpired):
            kill_launcher(self.process)
        signal_pids(self._vm_pids(), signal.SIGKILL)

    def _vm_pids(self, *, beam_only: bool = False) -> list[int]:
        # Every process running an Erlang VM for this node (server, su
        # wrapper, ctl clients) has the node's unique cookie in its arguments.
        return pids_with_argument(
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
            env=self._env(),
        ) as proc:
            try:
                stdout, stderr = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                # subprocess.run would kill only ejabberdctl itself; the client
                # VM below su would keep waiting for the node.
                kill_launcher(proc)
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


# --------------------------------------------------------------------------
# Convenience entry points
# --------------------------------------------------------------------------


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
