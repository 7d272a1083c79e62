"""The platform is recognised from files under a root: the preset the wizard preselects, and why."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import presets
from wizard.machine import Machine, Platform, detect_platform

UBUNTU = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n'
DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nVERSION_ID="13"\nID=debian\n'
ALMA = 'NAME="AlmaLinux"\nVERSION_ID="9.4"\nID="almalinux"\nID_LIKE="rhel centos fedora"\n'
ARCH = 'NAME="Arch Linux"\nID=arch\n'


def fake_root(tmp_path: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    return tmp_path


@pytest.mark.parametrize(("files", "preset", "reason"), [
    # Uberspace 7 is AlmaLinux: its own command is what tells it.
    ({"etc/os-release": ALMA, "usr/bin/uberspace": "#!/bin/sh\n"}, "uberspace", "/usr/bin/uberspace"),
    ({"etc/arch-release": "", "etc/os-release": ARCH}, "arch", "/etc/arch-release"),
    ({"etc/os-release": DEBIAN, "etc/debian_version": "13.1\n"}, "debian", "ID=debian"),
    ({"etc/os-release": UBUNTU, "etc/debian_version": "trixie/sid\n"}, "debian", "ID=ubuntu"),
    ({"usr/lib/os-release": UBUNTU}, "debian", "ID=ubuntu"),  # /etc/os-release is a link there, may be absent
    ({"etc/debian_version": "12.7\n"}, "debian", "/etc/debian_version"),
], ids=["uberspace", "arch", "debian", "ubuntu", "os-release-in-usr-lib", "debian_version-alone"])
def test_each_platform_is_recognised_from_its_files(tmp_path: Path, files: dict[str, str], preset: str,
                                                   reason: str) -> None:
    found = detect_platform(fake_root(tmp_path, files))
    assert found is not None and found.preset == preset and reason in found.reason
    assert found.preset in presets.names()  # a preset the wizard has


@pytest.mark.parametrize("files", [{}, {"etc/os-release": ALMA}, {"etc/os-release": 'ID="fedora"\n'},
                                   {"usr/share/doc/uberspace/README": "not the command"}],
                         ids=["empty", "almalinux", "fedora", "no-command"])
def test_another_platform_preselects_nothing(tmp_path: Path, files: dict[str, str]) -> None:
    assert detect_platform(fake_root(tmp_path, files)) is None


def test_the_root_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EJABBERD_WIZARD_PLATFORM_ROOT", str(fake_root(tmp_path, {"etc/arch-release": ""})))
    assert detect_platform() == Machine.current().platform == Platform("arch", "/etc/arch-release is there")


@pytest.mark.parametrize("platform", ["arch", "debian", "uberspace", None])
def test_the_preset_screen_preselects_the_machine_s_preset_and_says_why(tmp_path: Path,
                                                                       platform: str | None) -> None:
    from screens.app import WizardApp

    found = Platform(platform, f"{platform} was recognised") if platform else None
    machine = Machine("isabell", "/home/isabell", platform=found)

    async def run() -> tuple[str | None, list[str]]:
        app = WizardApp(tmp_path / "deploy", None, None, machine, checks=False)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(50):
                if app.screen.name == "preset":
                    break
                await pilot.pause(0.1)
            await pilot.pause()
            from textual.widgets import OptionList

            option_list = app.screen.query_one("#presets", OptionList)
            highlighted = option_list.highlighted
            chosen = presets.names()[highlighted] if highlighted is not None else None
            shown = [str(notice.message) for notice in app._notifications]
            # The user can still choose another: the next one down is taken with Enter.
            await pilot.press("down", "enter")
            await pilot.pause(0.2)
            return chosen, shown + [str(app.preset_name)]

    chosen, shown = asyncio.run(run())
    taken = shown.pop()
    if platform is None:
        assert chosen in (None, presets.names()[0]) and shown == []
    else:
        assert chosen == platform
        assert shown == [f"{platform} is preselected: {platform} was recognised."]
        names = presets.names()
        assert taken == names[(names.index(platform) + 1) % len(names)]  # the list wraps round


@pytest.mark.parametrize(("os_release", "offered"), [
    (DEBIAN, "24.12"), (DEBIAN.replace('"13"', '"12"').replace("13 (trixie)", "12 (bookworm)"), "23.01"),
    (UBUNTU, "23.10"), (ARCH, None)], ids=["debian-13", "debian-12", "ubuntu-24.04", "arch"])
def test_before_ejabberd_is_installed_debian_targets_the_release_its_apt_will_install(
        tmp_path: Path, os_release: str, offered: str | None) -> None:
    from wizard.answers.build import build_from
    from wizard.answers.given import Given
    from wizard.machine import offered_ejabberd

    root = fake_root(tmp_path, {"etc/os-release": os_release})
    package = offered_ejabberd(root)
    assert (package.release if package else None) == offered
    machine = Machine("isabell", "/home/isabell", platform=detect_platform(root), ejabberd_offered=package)
    answers = {"domains": {"hosts": ["example.test"]}, "install": {"user": "isabell", "home": "/home/isabell"}}
    debian = build_from("debian", Given(answers), machine)
    assert debian.install.version == (offered or presets.load("debian").answers["install"]["version"])
    # Another preset on this machine keeps its own release: it is not what this machine's apt installs.
    arch = build_from("arch", Given(answers), machine)
    assert arch.install.version == presets.load("arch").answers["install"]["version"]


def ubuntu(version: str) -> str:
    return UBUNTU.replace("24.04.1 LTS", f"{version} LTS").replace('"24.04"', f'"{version}"')


@pytest.mark.parametrize(("version", "offered", "said"), [
    ("22.04", "21.12", "Ubuntu 22.04's ejabberd package (21.12)"),
    ("24.04", "23.10", "Ubuntu 24.04's ejabberd package (23.10)"),
    ("26.04", "24.12", "Ubuntu 26.04's ejabberd package (24.12)"),
    # Not known: the release of the Ubuntu before it, never a newer one (its config could fail to start).
    ("24.10", "23.10", "the ejabberd package of Ubuntu 24.04 (23.10)"),
    ("25.04", "23.10", "the ejabberd package of Ubuntu 24.04 (23.10)"),
    ("28.04", "24.12", "the ejabberd package of Ubuntu 26.04 (24.12)"),
    ("20.04", None, None), ("noble", None, None)])
def test_ubuntu_targets_its_packaged_release_or_the_older_one_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str, offered: str | None, said: str | None) -> None:
    from wizard.answers.build import build_from
    from wizard.answers.given import Given
    from wizard.machine import offered_ejabberd

    # As the wizard reads it on start: the root from the environment, /etc/os-release being a link.
    root = fake_root(tmp_path, {"usr/lib/os-release": ubuntu(version)})
    monkeypatch.setenv("EJABBERD_WIZARD_PLATFORM_ROOT", str(root))
    package = offered_ejabberd()
    assert (package.release if package else None) == offered
    assert (package.source if package else None) == (said and said + (", which apt installs" if "'s" in said else
                                                                       ": Ubuntu " + version + "'s is not known to the "
                                                                       "wizard, and a config for an older release "
                                                                       "runs on a newer one"))
    # (Not Machine.current(): it also reads the ejabberd installed on the machine running the tests.)
    machine = Machine("isabell", "/home/isabell", platform=detect_platform(), ejabberd_offered=package)
    assert machine.platform == Platform("debian", "/etc/os-release says ID=ubuntu")
    answers = {"domains": {"hosts": ["example.test"]}, "install": {"user": "isabell", "home": "/home/isabell"}}
    version_written = build_from("debian", Given(answers), machine).install.version
    assert version_written == (offered or presets.load("debian").answers["install"]["version"])


DPKG_WITH_EJABBERD = ("Package: ejabberd\nStatus: install ok installed\nVersion: 24.12-1\n\n"
                      "Package: tmux\nStatus: install ok installed\nVersion: 3.3a-3\n")


@pytest.mark.parametrize(("files", "release"), [
    ({"var/lib/dpkg/status": DPKG_WITH_EJABBERD, "etc/os-release": DEBIAN}, "24.12"),
    ({}, None),  # an empty root: nothing installed, whatever this machine has
], ids=["its-own-package", "empty-root"])
def test_the_current_machine_reads_its_package_from_the_platform_root(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], release: str | None) -> None:
    monkeypatch.setenv("EJABBERD_WIZARD_PLATFORM_ROOT", str(fake_root(tmp_path, files)))
    package = Machine.current().ejabberd_package
    assert (package.release if package else None) == release
