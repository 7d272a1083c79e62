"""The release table: the config is written for the target release, and only for releases the
table can speak for; with the package method the target is the release of the installed package."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import defaults, everything_on, installed_ejabberd_version, write_answers
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.cli import main
from wizard.ejabberd_yml import render as ejabberd_config
from wizard.errors import InputError
from wizard.files import scripts
from wizard.machine import InstalledPackage, Machine, installed_ejabberd
from wizard.releases import NEWEST, OLDEST, PACKAGED_BY_DEBIAN, TABLE, VERSIONS, Release, capabilities

NO_PACKAGE = Machine(login="isabell", home_dir="/home/isabell")


def config_for(version: str, preset: str = "uberspace") -> dict:
    answers = build_from(None, Given(everything_on(preset, install={"version": version})), NO_PACKAGE)
    return YAML(typ="safe").load(ejabberd_config.render(answers, "pw"))


def test_the_table_is_in_release_order_and_holds_every_release_debian_packages() -> None:
    releases = [entry.release for entry in TABLE]
    assert releases == sorted(set(releases))
    assert set(PACKAGED_BY_DEBIAN) <= set(VERSIONS)
    assert {"20.04", "23.01", "23.10", "24.12", "25.10", "26.07"} <= set(VERSIONS)
    otp = [tuple(map(int, entry.otp.split("."))) for entry in TABLE]
    assert otp == sorted(otp), "a later release never needs an older Erlang/OTP"


@pytest.mark.parametrize("version", VERSIONS)
def test_the_sql_schema_option_has_the_name_of_the_release(version: str) -> None:
    config = config_for(version)
    renamed = Release.parse(version) >= Release(25, 10)
    assert ("sql_schema_multihost" in config) is renamed
    assert ("new_sql_schema" in config) is not renamed


def test_20_04_gets_an_ipv4_stun_listener_and_later_releases_keep_ipv6() -> None:
    def stun_ips(version: str) -> set[str]:
        return {listener["ip"] for listener in config_for(version)["listen"] if listener["module"] == "ejabberd_stun"}

    assert stun_ips("20.04") == {"0.0.0.0"}
    assert stun_ips("20.07") == {"::"} == stun_ips("26.07")


def test_stun_services_and_upload_headers_never_rely_on_host_expansion() -> None:
    # Releases before 25.03 leave @HOST@ literal in these options.
    config = config_for("20.04")
    assert {s["host"] for s in config["modules"]["mod_stun_disco"]["services"]} == {"example.test"}
    assert "@HOST@" not in str(config["modules"]["mod_http_upload"]["custom_headers"])


@pytest.mark.parametrize(("version", "flag"), [("20.04", "--enable-new-sql-schema"),
                                               ("25.08", "--enable-new-sql-schema"),
                                               ("25.10", "--enable-multihost-sql-schema")])
def test_the_build_uses_the_schema_flag_of_the_release(version: str, flag: str) -> None:
    answers = build_from(None, Given(everything_on("uberspace", install={"version": version})), NO_PACKAGE)
    assert flag in scripts.install(answers)


@pytest.mark.parametrize(("version", "message"), [
    ("19.08", f"install.version: ejabberd 19.08 is older than {OLDEST}, the oldest release"),
    ("26.10", f"install.version: ejabberd 26.10 is newer than {NEWEST}, the newest release the wizard knows; "
              f"write for {NEWEST}"),
    ("99.99", "install.version: '99.99' is not an ejabberd version: expected YY.MM"),
    ("26.13", "install.version: '26.13' is not an ejabberd version"),
    ("26.07.1", "install.version: '26.07.1' is not an ejabberd version"),
    ("latest", "install.version: 'latest' is not an ejabberd version"),
])
def test_a_release_the_table_cannot_speak_for_is_refused(version: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace(".", r"\.").replace("(", r"\(")):
        build_from(None, Given(everything_on("uberspace", install={"version": version})), NO_PACKAGE)


def test_a_refused_release_from_the_command_line_is_one_line_exit_2_and_nothing_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = write_answers(tmp_path / "answers.yml", defaults("arch", install={"version": "26.13"}))
    assert main(["generate", "--out", str(tmp_path / "out"), "--answers", str(answers), "--yes"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"ejabberd-wizard: {answers}:") and "install.version: '26.13'" in error
    assert "\n" not in error
    assert not (tmp_path / "out").exists()


def test_a_release_between_two_known_ones_is_written_with_the_older_ones_options_and_says_so() -> None:
    between = capabilities("25.09")
    assert not between.known and between.entry.version == "25.08"
    assert between.sql_schema_option == "new_sql_schema"  # 25.10's name would be refused by 25.08
    answers = build_from(None, Given(everything_on("arch", install={"version": "25.09"})), NO_PACKAGE)
    text = ejabberd_config.render(answers, "pw")
    assert "for ejabberd 25.09" in text
    header = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    assert "ejabberd 25.09 is not a release the wizard knows; the config holds only what 25.08" in header
    assert capabilities("24.12").note is None


def test_generate_warns_before_its_diff_about_a_release_between_two_known_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for version, warned in (("25.09", True), ("25.08", False)):
        answers = write_answers(tmp_path / f"{version}.yml", defaults("arch", install={"version": version}))
        assert main(["generate", "--out", str(tmp_path / version), "--answers", str(answers), "--dry-run"]) == 0
        first = capsys.readouterr().out.splitlines()[0]
        assert (first == "# warning: ejabberd 25.09 is not a release the wizard knows; the config holds only "
                         "what 25.08, the known release before it, accepts") is warned, first


def test_upgrade_notes_name_every_schema_change_between_two_releases_in_order() -> None:
    notes = capabilities("26.07").upgrade_notes(Release(23, 1))
    assert [version for version, _ in notes] == ["24.02", "25.03", "26.01", "26.03"]
    assert "origin_id" in notes[0][1] and "type column" in notes[1][1]
    assert capabilities("24.12").upgrade_notes(Release(24, 12)) == []


# -- the target follows the installed package ------------------------------------------------

def _dpkg_root(tmp_path: Path, version: str, status: str = "install ok installed") -> Path:
    record = tmp_path / "var/lib/dpkg/status"
    record.parent.mkdir(parents=True)
    record.write_text(f"Package: caddy\nStatus: install ok installed\nVersion: 2.6.2-5\n\n"
                      f"Package: ejabberd\nStatus: {status}\nPriority: optional\nVersion: {version}\n\n")
    return tmp_path


def _pacman_root(tmp_path: Path, version: str) -> Path:
    desc = tmp_path / f"var/lib/pacman/local/ejabberd-{version}/desc"
    desc.parent.mkdir(parents=True)
    desc.write_text(f"%NAME%\nejabberd\n\n%VERSION%\n{version}\n\n%BASE%\nejabberd\n")
    return tmp_path


def test_the_installed_package_is_read_from_dpkg_and_pacman(tmp_path: Path) -> None:
    assert installed_ejabberd(_dpkg_root(tmp_path / "debian", "24.12-1~bpo12+1")) == InstalledPackage(
        "24.12", "the Debian package ejabberd 24.12-1~bpo12+1")
    assert installed_ejabberd(_pacman_root(tmp_path / "arch", "26.07-1")) == InstalledPackage(
        "26.07", "the pacman package ejabberd 26.07-1")
    assert installed_ejabberd(_dpkg_root(tmp_path / "removed", "23.01-1", "deinstall ok config-files")) is None
    assert installed_ejabberd(tmp_path / "nothing") is None


def test_the_package_this_machine_has_is_the_one_its_ejabberd_app_names() -> None:
    found = installed_ejabberd()
    if found is None:
        pytest.skip("no ejabberd package on this machine")
    assert found.release == installed_ejabberd_version()


def _machine(release: str) -> Machine:
    return Machine(login="isabell", home_dir="/home/isabell",
                   ejabberd_package=InstalledPackage(release, f"the Debian package ejabberd {release}-1"))


@pytest.mark.parametrize("release", PACKAGED_BY_DEBIAN)
def test_with_the_package_method_the_config_is_written_for_the_installed_release(release: str) -> None:
    answers = build_from(None, Given(defaults("arch")), _machine(release))
    assert answers.install.version == release


def test_a_release_the_user_gave_wins_and_a_source_build_keeps_the_presets() -> None:
    given = build_from(None, Given(defaults("arch", install={"version": "26.07"})), _machine("23.01"))
    assert given.install.version == "26.07"
    source = build_from(None, Given(defaults("uberspace")), _machine("23.01"))
    assert source.install.version == NEWEST


@pytest.mark.parametrize("release", ["19.08", "27.01"])
def test_an_installed_release_outside_the_table_leaves_the_presets(release: str) -> None:
    assert build_from(None, Given(defaults("arch")), _machine(release)).install.version == NEWEST
