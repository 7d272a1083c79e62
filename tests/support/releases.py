"""A Debian root for each ejabberd release Debian packages: the judges of the generated configs.

Each release runs from its own root, whatever the host runs, so that every one of them judges
every test run:

* 23.01 (Debian 12) is the rehearsal's root of tests/support/sandbox.py, as it is.
* 24.12 (Debian 12's backports) is a copy of that root with ejabberd from bookworm-backports:
  a copy and an upgrade take a fraction of a second debootstrap.
* 26.07 (Debian unstable) is a debootstrap of sid of its own.

Each root has ejabberd, erlang-p1-mysql (the MySQL backend) and ImageMagick (captcha.sh
draws with it; 26.07 refuses a captcha_cmd it cannot run). ``EjabberdNode(root=...)`` runs
a node in one (tests/support/ejabberd_node.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wizard.machine import installed_ejabberd

from . import roots, sandbox
from .ejabberd_node import NODES_IN_ROOT

PACKAGES = ("ejabberd", "erlang-p1-mysql", "imagemagick")
# Raise to rebuild the roots of this module after a change to how they are built.
BUILD_VERSION = 1
PURPOSE = "a test on every ejabberd release"
SCHEMA = "usr/share/ejabberd/sql/mysql.new.sql"
BACKPORTS = "bookworm-backports"
SID = "sid"


@dataclass(frozen=True)
class Judge:
    """One ejabberd release and the root it runs from."""

    release: str
    root: Path

    @property
    def mysql_schema(self) -> Path:
        """The release's own MySQL schema: 26.07's tables differ from 23.01's."""
        return self.root / SCHEMA


def _backports(target: Path) -> None:
    # Copied, not overlaid: the copy needs no mount to be used, and outlives a rebuilt original.
    # The files of 23.01's nodes that run meanwhile come and go: they stay behind.
    _copy_without(sandbox.root(PURPOSE), target, Path(NODES_IN_ROOT))
    (target / roots.COMPLETE).unlink()
    (target / "etc/apt/sources.list.d/backports.list").write_text(f"deb {roots.mirror()} {BACKPORTS} main\n")
    shutil.copy("/etc/resolv.conf", target / "etc/resolv.conf")
    with roots.mounted_proc(target):
        roots.apt_install(target, PACKAGES, release=BACKPORTS)
        roots.in_root(target, "apt-get", "clean", what="apt-get clean", timeout=300)


def _copy_without(source: Path, target: Path, left_out: Path) -> None:
    """``cp -a`` of ``source`` to ``target``, but for ``left_out`` (a path relative to both)."""
    target.mkdir()
    shutil.copystat(source, target)
    first, rest = left_out.parts[0], Path(*left_out.parts[1:])
    entries = [str(entry) for entry in source.iterdir() if entry.name != first]
    if entries:
        roots.run(["cp", "-a", "--reflink=auto", *entries, str(target)], f"copying {source}", 900)
    if rest.parts and (source / first).is_dir():
        _copy_without(source / first, target / first, rest)


def _sid(target: Path) -> None:
    roots.debootstrap(target, SID)
    # Unstable's Release file on the mirror may have expired: apt would refuse it.
    (target / "etc/apt/apt.conf.d/99valid-until").write_text('Acquire::Check-Valid-Until "false";\n')
    with roots.mounted_proc(target):
        roots.apt_install(target, PACKAGES)
        roots.in_root(target, "apt-get", "clean", what="apt-get clean", timeout=300)


def _bookworm() -> Path:
    return sandbox.root(PURPOSE)


def _backports_root() -> Path:
    recipe = roots.key(BACKPORTS, PACKAGES, BUILD_VERSION, sandbox.recipe_key())
    return roots.cached(BACKPORTS, recipe, _backports, purpose=PURPOSE)


def _sid_root() -> Path:
    return roots.cached(SID, roots.key(SID, PACKAGES, BUILD_VERSION), _sid, purpose=PURPOSE)


# The release each root brings, and how to have it.
ROOTS: dict[str, Callable[[], Path]] = {"23.01": _bookworm, "24.12": _backports_root, "26.07": _sid_root}
RELEASES = tuple(ROOTS)


def judge(release: str) -> Judge:
    """The root of ``release``, built on first use; fails when its ejabberd is another release."""
    root = ROOTS[release]()
    # Read as the wizard reads a machine's package (dpkg's record), so no host tool is needed.
    package = installed_ejabberd(root)
    assert package is not None and package.release == release, (
        f"the root for ejabberd {release} has {package.source if package else 'no ejabberd'} "
        "(its suite has moved on: update tests/support/releases.py)")
    return Judge(release, root)
