"""Debian roots built with debootstrap and apt, kept in a cache directory for later runs.

``cached(name, key, build)`` is the one way a root comes to be: built once into a partial
directory, marked complete and renamed into place, under a file lock so that parallel test
workers share one build; a root of an older recipe (another key) is removed then. The helpers
below (debootstrap, apt in the root) are the steps the recipes share.

Only root can build or enter a root; elsewhere the tests that need one skip (fail in CI).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

import pytest

from .components import require
from .slow import starting

CACHE = Path(os.environ.get("EJABBERD_WIZARD_SANDBOX_CACHE", "/var/cache/ejabberd-wizard-tests"))
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
COMPLETE = ".complete"


def unavailable(purpose: str, reason: str) -> NoReturn:
    """Fail in CI (where a missing root means a broken machine), skip on a developer's."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{purpose} needs {reason} in CI", pytrace=False)
    pytest.skip(f"{purpose} needs {reason}")


def require_root(purpose: str) -> None:
    if os.geteuid() != 0:
        unavailable(purpose, "root (debootstrap, chroot and mount)")


def mirror() -> str:
    """The host's own Debian mirror (the machine may reach no other)."""
    for sources in (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list")):
        with contextlib.suppress(OSError):
            text = sources.read_text()
            found = re.search(r"^URIs:\s*(\S+/debian)/?\s*$", text, re.M) or re.search(
                r"^deb\s+(?:\[[^]]*\]\s+)?(\S+/debian)/?\s", text, re.M)
            if found:
                return found.group(1)
    return "http://deb.debian.org/debian"


def key(*recipe: object) -> str:
    """A short hash of what a root is built from: a new recipe is a new root."""
    return hashlib.sha256(repr(recipe).encode()).hexdigest()[:12]


def run(command: Sequence[str], what: str, timeout: float, env: Mapping[str, str] | None = None) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")


def clean_env(**extra: str) -> dict[str, str]:
    return {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", "TERM": "dumb", **extra}


def in_root(target: Path, *command: str, what: str, timeout: float) -> None:
    """Run ``command`` as root inside ``target`` while it is built (apt answers no questions)."""
    run(["chroot", str(target), *command], what, timeout, env=clean_env(DEBIAN_FRONTEND="noninteractive"))


@contextlib.contextmanager
def mounted_proc(target: Path) -> Iterator[None]:
    subprocess.run(["mount", "-t", "proc", "proc", str(target / "proc")], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(target / "proc")], check=False)


def debootstrap(target: Path, suite: str) -> None:
    """A minimal Debian ``suite`` in ``target`` from the host's mirror, where apt starts no service."""
    program = require("debootstrap", "apt-get install debootstrap")
    run([program, "--variant=minbase", suite, str(target), mirror()], f"debootstrap {suite}", 1800)
    policy = target / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    shutil.copy("/etc/resolv.conf", target / "etc/resolv.conf")  # for apt (and pip), while it is built


def apt_install(target: Path, packages: Sequence[str], *, release: str | None = None) -> None:
    """apt-get update and install ``packages`` (from ``release``, e.g. a backports suite) in ``target``."""
    in_root(target, "apt-get", "update", "-qq", what="apt-get update", timeout=900)
    chosen = ["-t", release] if release else []
    in_root(target, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *chosen, *packages,
            what=f"apt-get install {' '.join(packages)}", timeout=1800)


def _is_root_of(path: Path, name: str) -> bool:
    return path.is_dir() and re.fullmatch(re.escape(name) + r"-[0-9a-f]{12}", path.name) is not None


def cached(name: str, recipe_key: str, build: Callable[[Path], None], *, purpose: str) -> Path:
    """The root ``name`` of the recipe ``recipe_key``, built with ``build(directory)`` on first use."""
    require_root(purpose)
    CACHE.mkdir(parents=True, exist_ok=True)
    built = CACHE / f"{name}-{recipe_key}"
    with (CACHE / f"{built.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (built / COMPLETE).exists():
            starting(f"a Debian root ({name}, debootstrap)")
            partial = CACHE / f"{built.name}.partial"
            # A build that was killed may have left its /proc mounted: never delete through it.
            subprocess.run(["umount", "-l", str(partial / "proc")], check=False, capture_output=True)
            shutil.rmtree(partial, ignore_errors=True)
            build(partial)
            (partial / COMPLETE).touch()
            partial.rename(built)
            for stale in CACHE.iterdir():
                if stale != built and _is_root_of(stale, name):
                    shutil.rmtree(stale, ignore_errors=True)
    return built
