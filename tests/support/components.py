"""Locate the external programs the tests drive and hand out free ports."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import pytest

# Debian packages that provide the programs/files the harness needs; used only
# to make skip/fail messages actionable.
_INSTALL_HINTS: dict[str, str] = {
    "ejabberdctl": "apt-get install ejabberd",
    "mariadbd": "apt-get install mariadb-server",
    "mariadb-install-db": "apt-get install mariadb-server",
    "mariadb": "apt-get install mariadb-client",
    "caddy": "apt-get install caddy",
    "nsd": "apt-get install nsd",
    "nsd-checkconf": "apt-get install nsd",
    "nsd-checkzone": "apt-get install nsd",
}

# root's PATH normally has the sbin directories, but pytest may be started
# from an environment that does not (e.g. a minimal CI shell).
_EXTRA_BIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def _install_hint(name: str) -> str:
    if name in _INSTALL_HINTS:
        return _INSTALL_HINTS[name]
    if "/ejabberd/" in name:
        return "apt-get install ejabberd"
    return f"the package providing {name}"


def _locate(binary_or_path: str) -> str | None:
    if os.sep in binary_or_path:
        return binary_or_path if Path(binary_or_path).exists() else None
    found = shutil.which(binary_or_path)
    if found:
        return found
    extra_path = os.pathsep.join(_EXTRA_BIN_DIRS)
    return shutil.which(binary_or_path, path=extra_path)


def require(binary_or_path: str, install: str | None = None) -> str:
    """Return the path of a program (looked up on PATH) or of a file.

    When it is missing the test is skipped on a developer machine, but fails in
    CI (env CI=true): there a missing component means the CI image is broken,
    and a silent skip would hide that the real-component tests never ran.
    """
    found = _locate(binary_or_path)
    if found:
        return found
    name = Path(binary_or_path).name if os.sep in binary_or_path else binary_or_path
    hint = install or _install_hint(binary_or_path)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{name} is required in CI: install {hint}", pytrace=False)
    pytest.skip(f"{name} not installed on this machine (install {hint})")


_handed_out: set[int] = set()
_handed_out_lock = threading.Lock()


def _bindable(port: int, kind: socket.SocketKind) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """Return a loopback port that is currently free for both TCP and UDP.

    The kernel picks the port (bind to 0), which already makes collisions
    between pytest-xdist workers unlikely: Linux starts its search for a free
    port at a random offset. Within one process we additionally never hand out
    the same port twice, because a port handed out but not yet bound by the
    server that will use it still looks free to the kernel.
    Both protocols are checked since listeners such as ejabberd_stun use UDP.
    """
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        with _handed_out_lock:
            if port in _handed_out or not _bindable(port, socket.SOCK_DGRAM):
                continue
            _handed_out.add(port)
            return port
    raise RuntimeError("could not find a free loopback port")


def _world_traversable(directory: Path) -> bool:
    return all(os.stat(p).st_mode & 0o001 for p in [directory, *directory.parents])


def shared_tempdir(prefix: str) -> Path:
    """Create a fresh directory that services running as other users can use.

    Servers started as root drop privileges (ejabberd, mysql), so every parent
    directory must be traversable by them; pytest's own tmp_path (0700) is not.
    The caller is responsible for chown-ing and removing it.
    """
    base = Path(tempfile.gettempdir())
    if not _world_traversable(base):
        base = Path("/tmp")
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    path.chmod(0o755)
    return path
