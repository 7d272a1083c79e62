"""What the wizard knows of the machine it runs on: the account, and the ejabberd package installed.

Read from files, never by running a program: the first screen is painted before this
is asked, and a test (or a future platform check) can point it at a fake root.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# dpkg's record of installed packages, and pacman's (one directory per package and version).
DPKG_STATUS = "var/lib/dpkg/status"
PACMAN_LOCAL = "var/lib/pacman/local"
# A package version as the distributions write it ("1:23.01-1+deb12u1", "26.07-1"): the release.
_RELEASE = re.compile(r"^(?:\d+:)?(\d{2}\.\d{2})(?![\d.])")


@dataclass(frozen=True)
class InstalledPackage:
    """The ejabberd a package manager installed: its release and how the wizard knows it."""

    release: str  # "23.01"
    source: str  # "the Debian package ejabberd 23.01-1+deb12u1"


@dataclass(frozen=True)
class Machine:
    """What the preset's defaults may take from the machine the wizard runs on."""

    login: str
    home_dir: str
    ejabberd_package: InstalledPackage | None = None
    platform: Platform | None = None  # the preset of this machine, when it is recognised
    # What the distribution would install, before it is installed (Debian's release of its suite).
    ejabberd_offered: InstalledPackage | None = None

    def account(self, preset: str) -> tuple[str, str] | None:
        """The login and home a preset's ``${login}`` and ``${home_dir}`` stand for: this machine's
        where the machine is the preset's own platform (on the Uberspace host the deployment runs as
        the login running the wizard); None elsewhere, where only the user can name that account."""
        if self.platform is not None and self.platform.preset == preset:
            return self.login, self.home_dir
        return None

    def account_unknown(self, preset: str) -> str | None:
        """Why the account is asked for (None when ``account`` knows it): one line, for the field."""
        if self.account(preset) is not None:
            return None
        host = preset.capitalize()
        return (f"type your {host} login: this machine is not the {host} host, so the account ejabberd runs as "
                f"there cannot be taken from the login here; the home directory and the paths follow it")

    @classmethod
    def current(cls) -> Machine:
        return cls(login=getpass.getuser(), home_dir=str(Path.home()), ejabberd_package=installed_ejabberd(),
                   platform=detect_platform(), ejabberd_offered=offered_ejabberd())


def platform_root() -> Path:
    """Where the machine's own files are: $EJABBERD_WIZARD_PLATFORM_ROOT, else /. A test points it at a
    fake root (or an empty one), and then every answer read from the machine is read from there."""
    return Path(os.environ.get("EJABBERD_WIZARD_PLATFORM_ROOT") or "/")


def installed_ejabberd(root: Path | None = None) -> InstalledPackage | None:
    """The ejabberd package dpkg or pacman installed below ``root`` (default: the platform root), if any."""
    root = platform_root() if root is None else root
    for record, reader in ((root / DPKG_STATUS, _from_dpkg), (root / PACMAN_LOCAL, _from_pacman)):
        try:
            stamp = record.stat().st_mtime_ns
        except OSError:
            continue
        found = reader(record, stamp)
        if found:
            return found
    return None


@lru_cache(maxsize=4)
def _from_dpkg(status: Path, _stamp: int) -> InstalledPackage | None:
    # _stamp (the file's mtime) is part of the cache key: a package installed meanwhile is seen.
    try:
        text = status.read_text(errors="replace")
    except OSError:
        return None
    for stanza in text.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z-]+): ?(.*)$", stanza, re.M))
        if fields.get("Package") == "ejabberd" and fields.get("Status", "").endswith(" installed"):
            return _package(fields.get("Version", ""), "the Debian package")
    return None


@lru_cache(maxsize=4)
def _from_pacman(local: Path, _stamp: int) -> InstalledPackage | None:
    for desc in local.glob("ejabberd-*/desc"):
        try:
            fields = re.findall(r"^%([A-Z]+)%\n(.*)$", desc.read_text(errors="replace"), re.M)
        except OSError:
            continue
        values = dict(fields)
        if values.get("NAME") == "ejabberd":
            return _package(values.get("VERSION", ""), "the pacman package")
    return None


def _package(version: str, kind: str) -> InstalledPackage | None:
    match = _RELEASE.match(version)
    return InstalledPackage(match.group(1), f"{kind} ejabberd {version}") if match else None


# Where a platform's own command lives; the wizard looks in the usual places, under a root.
_COMMAND_DIRS = ("usr/local/bin", "usr/bin", "bin", "usr/local/sbin", "usr/sbin", "sbin")


@dataclass(frozen=True)
class Platform:
    """The preset of the machine the wizard runs on, and what shows it."""

    preset: str  # "debian"
    reason: str  # "/etc/debian_version is there"


def detect_platform(root: Path | None = None) -> Platform | None:
    """The platform below ``root``, from its files: Uberspace's command, Arch's release file, Debian's
    or Ubuntu's. None when it is none of them (the user chooses). ``root`` defaults to the platform root."""
    root = platform_root() if root is None else root
    for directory in _COMMAND_DIRS:
        if (root / directory / "uberspace").is_file():
            return Platform("uberspace", f"the uberspace command is installed (/{directory}/uberspace)")
    if (root / "etc/arch-release").exists():
        return Platform("arch", "/etc/arch-release is there")
    fields = _os_release(root)
    if fields.get("ID") in ("debian", "ubuntu"):
        return Platform("debian", f"/etc/os-release says ID={fields['ID']}")
    if (root / "etc/debian_version").exists():
        return Platform("debian", "/etc/debian_version is there")
    return None


# The ejabberd each Debian release packages (its suite's, without backports): what `apt-get install
# ejabberd` gives before anything is installed.
DEBIAN_SUITE_RELEASES = {"12": "23.01", "13": "24.12"}
# Ubuntu's (universe), as packages.ubuntu.com lists them (ejabberd-contrib's modules depend on exactly that
# ejabberd): 22.04 21.12-1, 24.04 23.10-1, 25.10 24.12-3, 26.04 24.12-4. Not checked here: no Ubuntu archive
# is reachable from where the wizard is tested, so none of it is rehearsed. A config written for an older
# release runs on a newer one, the reverse fails: a release not listed takes the one of the Ubuntu before it.
UBUNTU_RELEASES = {"22.04": "21.12", "24.04": "23.10", "25.10": "24.12", "26.04": "24.12"}


def offered_ejabberd(root: Path | None = None) -> InstalledPackage | None:
    """The ejabberd release this machine's distribution installs, from its os-release (Debian, Ubuntu)."""
    fields = _os_release(root or platform_root())
    version = fields.get("VERSION_ID", "")
    if fields.get("ID") == "debian" and version in DEBIAN_SUITE_RELEASES:
        release = DEBIAN_SUITE_RELEASES[version]
        return InstalledPackage(release, f"Debian {version}'s ejabberd package ({release}), which apt installs")
    if fields.get("ID") == "ubuntu" and (known := _ubuntu_at_or_before(version)):
        release = UBUNTU_RELEASES[known]
        if known == version:
            return InstalledPackage(release, f"Ubuntu {version}'s ejabberd package ({release}), which apt installs")
        return InstalledPackage(release, f"the ejabberd package of Ubuntu {known} ({release}): Ubuntu {version}'s "
                                         "is not known to the wizard, and a config for an older release runs on a "
                                         "newer one")
    return None


def _ubuntu_at_or_before(version: str) -> str | None:
    """The newest Ubuntu of ``UBUNTU_RELEASES`` that is ``version`` or older ("24.10" -> "24.04")."""
    def number(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in text.split("."))
    if not re.fullmatch(r"\d+\.\d+", version):
        return None
    older = [known for known in UBUNTU_RELEASES if number(known) <= number(version)]
    return max(older, key=number) if older else None


def _os_release(root: Path) -> dict[str, str]:
    for name in ("etc/os-release", "usr/lib/os-release"):
        try:
            text = (root / name).read_text(errors="replace")
        except OSError:
            continue
        return {key: value.strip().strip("\"'") for key, value in re.findall(r"^([A-Z_]+)=(.*)$", text, re.M)}
    return {}
