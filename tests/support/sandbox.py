"""A Debian 12 root in a network namespace of its own, to follow a deployment's README in.

* ``root()`` builds the root once with debootstrap (``--variant=minbase``) and apt, and keeps it
  in the cache of tests/support/roots.py for later runs; parallel test workers share one build.
  The wizard's own dependencies go into a venv inside it, so the README's ``ejabberd-wizard``
  commands run there too. Its ejabberd (23.01) is also a judge of tests/support/releases.py.
* ``Sandbox`` lays a fresh writable layer over that root (overlayfs, so nothing a rehearsal does
  reaches the cache), gives it a network namespace with only ``lo`` plus the server's public
  addresses, installs the stand-ins of ``standins/`` and runs commands in it as a user would.

Only root can do this; without debootstrap or as another user the tests skip (fail in CI).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path

from . import roots
from .components import require
from .roots import clean_env
from .slow import starting

SUITE = "bookworm"
# What the README's commands need that a Debian root has as real packages; imagemagick draws
# the CAPTCHAs of the configs its ejabberd judges.
PACKAGES = ("ejabberd", "erlang-p1-mysql", "caddy", "curl", "acl", "sudo", "openssl", "python3", "python3-venv",
            "ca-certificates", "procps", "iproute2", "diffutils", "xz-utils", "mariadb-server", "mariadb-client",
            "supervisor", "cron", "imagemagick")
# Raise to rebuild every cached root after a change to how it is built.
BUILD_VERSION = 1
WIZARD_VENV = "/opt/ejabberd-wizard"
WIZARD_SOURCE = "/opt/ejabberd-wizard-src"
PROJECT = Path(__file__).resolve().parents[2]
STANDINS = Path(__file__).resolve().parent / "standins"
PURPOSE = "the README rehearsal"


def _wizard_dependencies() -> list[str]:
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    return list(project["project"]["dependencies"])


def recipe_key() -> str:
    """What the root is built from (roots derived from it include it in their own key)."""
    return roots.key(SUITE, PACKAGES, BUILD_VERSION, _wizard_dependencies())


def _install_wizard_dependencies(target: Path) -> None:
    # The host may reach PyPI only through a proxy that it trusts: so does the root.
    shutil.copy("/etc/ssl/certs/ca-certificates.crt", target / "etc/ssl/certs/ca-certificates.crt")
    roots.in_root(target, "python3", "-m", "venv", WIZARD_VENV, what="python3 -m venv", timeout=300)
    roots.in_root(target, f"{WIZARD_VENV}/bin/pip", "install", "-q", *_wizard_dependencies(),
                  what="pip install (the wizard's dependencies)", timeout=1800)


def _build(target: Path) -> None:
    roots.debootstrap(target, SUITE)
    with roots.mounted_proc(target):
        roots.apt_install(target, PACKAGES)
        _install_wizard_dependencies(target)
        roots.in_root(target, "apt-get", "clean", what="apt-get clean", timeout=300)


def root(purpose: str = PURPOSE) -> Path:
    """The cached Debian 12 root, built on first use (about 2 to 6 minutes)."""
    return roots.cached(SUITE, recipe_key(), _build, purpose=purpose)


# The Debian preset's README installs with the real apt, in a sandbox that reaches no mirror: its root
# is a fresh Debian 12 server (what the README's commands and the rehearsal itself need), with the
# packages the README installs already fetched into apt's cache, where apt installs them from.
FRESH_SERVER = ("sudo", "curl", "openssl", "python3", "python3-venv", "ca-certificates", "procps", "iproute2",
                "diffutils", "xz-utils")
FETCHED = ("ejabberd", "erlang-p1-mysql", "caddy", "certbot", "acl", "imagemagick", "mariadb-server",
           "mariadb-client", "ufw", "nftables")  # the firewalls scripts/firewall.sh is rehearsed with
APT_ROOT = f"{SUITE}-apt"


def _build_fresh_server(target: Path) -> None:
    roots.debootstrap(target, SUITE)
    with roots.mounted_proc(target):
        roots.apt_install(target, FRESH_SERVER)
        _install_wizard_dependencies(target)
        roots.in_root(target, "apt-get", "install", "-y", "-qq", "--download-only", *FETCHED,
                      what="apt-get install --download-only", timeout=1800)


def fresh_server_root(purpose: str = PURPOSE) -> Path:
    """The cached fresh Debian 12 server (nothing of ejabberd installed yet), built on first use."""
    recipe = roots.key(SUITE, FRESH_SERVER, FETCHED, BUILD_VERSION, _wizard_dependencies())
    return roots.cached(APT_ROOT, recipe, _build_fresh_server, purpose=purpose)


# What each platform has that a Debian root has not: stand-ins (tests/support/standins). Debian has
# it all but a running systemd and an ACME server.
PLATFORM_TOOLS = {"arch": ("pacman", "systemctl"), "uberspace": ("uberspace",), "debian": ("systemctl", "certbot")}


class Sandbox:
    """A writable copy of the root in a network namespace with ``addresses`` on its ``lo``, with the
    stand-ins of ``platform`` (arch, uberspace, debian: a fresh Debian server)."""

    def __init__(self, platform: str, addresses: Sequence[str] = ()) -> None:
        assert platform in PLATFORM_TOOLS, platform
        self.platform = platform
        if os.geteuid() != 0:
            roots.unavailable(PURPOSE, "root (ip netns, overlayfs)")
        require("ip", "apt-get install iproute2")
        self.lower = fresh_server_root() if platform == "debian" else root()
        starting("a sandbox (chroot in a network namespace)")
        self.name = f"ejw-{secrets.token_hex(4)}"
        self.base = Path(tempfile.mkdtemp(prefix="ejw-sandbox-", dir="/var/tmp"))
        self.base.chmod(0o755)
        self.path = self.base / "root"
        self.addresses = list(addresses)
        self._mounts: list[Path] = []
        self._spawned: list[subprocess.Popen[bytes]] = []
        self._netns = False

    def __enter__(self) -> Sandbox:
        try:
            self._assemble()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _mount(self, *args: str, at: Path) -> None:
        subprocess.run(["mount", *args, str(at)], check=True, capture_output=True, text=True)
        self._mounts.append(at)

    def _assemble(self) -> None:
        for part in ("upper", "work", "root"):
            (self.base / part).mkdir()
        self._mount("-t", "overlay", "overlay", "-o",
                    f"lowerdir={self.lower},upperdir={self.base / 'upper'},workdir={self.base / 'work'}", at=self.path)
        self._mount("-t", "proc", "proc", at=self.path / "proc")
        if self.platform == "debian":
            self._own_dev()
        else:
            self._mount("--rbind", "/dev", at=self.path / "dev")
            subprocess.run(["mount", "--make-rslave", str(self.path / "dev")], check=True)
        self._mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", at=self.path / "run")
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self._netns = True
        self.host("ip", "link", "set", "lo", "up")
        for address in self.addresses:
            self.host("ip", "addr", "add", address + ("/128" if ":" in address else "/32"), "dev", "lo")
        # The namespace shares the host's name (no UTS namespace): sudo looks it up.
        name = socket.gethostname()
        (self.path / "etc/hosts").write_text(f"127.0.0.1 localhost {name}\n::1 localhost ip6-localhost\n")
        (self.path / "etc/resolv.conf").write_text("nameserver 127.0.0.1\n")
        self._install_standins()
        self._install_wizard()
        if self.platform == "debian":
            # As on a Debian server, packages start their services as they are installed: through
            # systemctl (the stand-in), which maintainer scripts use where /run/systemd/system is.
            # apt runs them with its own PATH (DPkg::Path, no /usr/local): systemctl is where Debian's is.
            (self.path / "usr/sbin/policy-rc.d").unlink(missing_ok=True)
            (self.path / "run/systemd/system").mkdir(parents=True)
            for program in ("systemctl", "systemd-tmpfiles"):  # and /run/<service> is made as systemd would
                (self.path / "usr/bin" / program).symlink_to(f"/usr/local/lib/standins/{program}")
            # /dev/log, the syslog socket of journald, which logger (in maintainer scripts) writes to.
            self.spawn("/usr/local/lib/standins/journald", log=str(self.base / "journald.log"))
            self.wait_until("test -S /dev/log", "the syslog socket (the stand-in of journald)", timeout=30)

    def _own_dev(self) -> None:
        """/dev as on a Debian server: the host's devices and ptys, and /dev/log (which the host may lack,
        or have as a link into its own /run): a /dev of its own, so nothing is made in the host's."""
        dev = self.path / "dev"
        self._mount("-t", "tmpfs", "-o", "mode=0755,nosuid", "tmpfs", at=dev)
        for node in ("null", "zero", "full", "random", "urandom", "tty"):
            (dev / node).touch()
            self._mount("--bind", f"/dev/{node}", at=dev / node)
        for directory in ("pts", "shm"):
            (dev / directory).mkdir()
        self._mount("--bind", "/dev/pts", at=dev / "pts")
        (dev / "shm").chmod(0o1777)
        # A bound /dev/ptmx finds no pts beside it: the link is what a devpts of one's own has.
        links = {"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
                 "stderr": "/proc/self/fd/2", "log": "/run/systemd/journal/dev-log"}
        for name, target in links.items():
            (dev / name).symlink_to(target)

    def _install_standins(self) -> None:
        shelf = self.path / "usr/local/lib/standins"
        shutil.copytree(STANDINS, shelf)
        # Each platform's own tools, there from the start.
        for program in PLATFORM_TOOLS[self.platform]:
            (self.path / "usr/local/bin" / program).symlink_to(f"/usr/local/lib/standins/{program}")

    def _install_wizard(self) -> None:
        source = self.path / WIZARD_SOURCE.lstrip("/")
        source.mkdir(parents=True)
        for package in ("wizard", "screens", "presets"):
            shutil.copytree(PROJECT / package, source / package,
                            ignore=shutil.ignore_patterns("__pycache__"))
        wrapper = self.path / "usr/local/bin/ejabberd-wizard"
        wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={WIZARD_SOURCE} exec {WIZARD_VENV}/bin/python -m wizard "$@"\n')
        wrapper.chmod(0o755)

    def host(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """A host program (e.g. ``ip``) inside the namespace, outside the root."""
        return subprocess.run(["ip", "netns", "exec", self.name, *command], capture_output=True, text=True,
                              timeout=timeout, check=True)

    def command(self, shell_line: str, *, cwd: str = "/root", user: str | None = None) -> list[str]:
        """argv that runs ``shell_line`` with sh in ``cwd`` inside the sandbox, as root or ``user`` (with
        that user's HOME), in a clean environment."""
        identity: list[str] = []
        variables = clean_env()
        if user is not None:
            identity = ["setpriv", "--reuid", user, "--regid", user, "--init-groups"]
            variables |= {"HOME": f"/home/{user}", "USER": user, "LOGNAME": user}
        return ["ip", "netns", "exec", self.name, "chroot", str(self.path), *identity, "/usr/bin/env", "-i",
                *(f"{name}={value}" for name, value in variables.items()),
                "/bin/sh", "-c", f"cd {shlex.quote(cwd)} && {shell_line}"]

    def spawn(self, shell_line: str, *, user: str | None = None, log: str) -> subprocess.Popen[bytes]:
        """A long-running program of the platform (a daemon), its output in ``log`` (a host path)."""
        return self._daemon(self.command(shell_line, cwd="/", user=user), log)

    def spawn_host(self, *command: str, log: str) -> subprocess.Popen[bytes]:
        """A long-running host program (e.g. nsd) inside the namespace, outside the root."""
        return self._daemon(["ip", "netns", "exec", self.name, *command], log)

    def _daemon(self, argv: list[str], log: str) -> subprocess.Popen[bytes]:
        # Stopped with everything else in the namespace when the sandbox closes, and reaped there.
        with open(log, "ab") as output:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self._spawned.append(process)
        return process

    def run(self, shell_line: str, *, cwd: str = "/root", timeout: float = 600,
            user: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(shell_line, cwd=cwd, user=user), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def wait_until(self, shell_line: str, what: str, *, timeout: float = 60,
                   user: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``shell_line`` until it succeeds (its last run is returned); fail naming ``what`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        while (done := self.run(shell_line, timeout=timeout, user=user)).returncode != 0:
            assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s; last: {done.stdout}{done.stderr}"
            time.sleep(0.2)
        return done

    def inside(self, path: str) -> Path:
        """The host path of ``path`` in the root."""
        return self.path / path.lstrip("/")

    def processes(self) -> list[int]:
        if not self._netns:
            return []
        listed = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True, check=False)
        return [int(pid) for pid in listed.stdout.split()]

    def close(self) -> None:
        for _ in range(50):  # every process the rehearsal started lives in the namespace
            pids = self.processes()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
            time.sleep(0.1)
            for process in self._spawned:  # our own children stay listed until reaped
                process.poll()
        for process in self._spawned:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        self._spawned.clear()
        if self._netns:
            subprocess.run(["ip", "netns", "del", self.name], check=False)
            self._netns = False
        for mount in reversed(self._mounts):
            subprocess.run(["umount", "-R", "-l", str(mount)], check=False, capture_output=True)
        self._mounts.clear()
        # Never delete through a mount that is still there: /dev is the host's own.
        if not any(point.startswith(str(self.base)) for point in _mount_points()):
            shutil.rmtree(self.base, ignore_errors=True)


def _mount_points() -> list[str]:
    with open("/proc/self/mounts") as mounts:
        return [line.split()[1] for line in mounts]

