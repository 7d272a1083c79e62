"""Environment checks on this machine: the installed ejabberd (Debian's package), the programs
the preset needs, disk space, and a real MariaDB with right and wrong credentials."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.answers_helpers import defaults, write_secret
from tests.support.components import free_port, require
from tests.support.fixtures import EJABBERD_MYSQL_SCHEMA
from tests.support.mariadb import MariaDB
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.answers.model import Answers
from wizard.checks import Finding, Severity
from wizard.checks.core import Context
from wizard.checks.environment import check_database, check_disk, check_install, check_service_tools, check_target
from wizard.installation import find, find_program

EJABBERDCTL = "/usr/sbin/ejabberdctl"


def answers_with(preset: str = "arch", **overrides: Any) -> Answers:
    return build_from(None, Given(defaults(preset, **overrides)))


def one(findings: list[Finding], check: str) -> Finding:
    [finding] = [f for f in findings if f.check == check]
    return finding


@pytest.fixture(scope="module")
def installed(ejabberd_release: str) -> str:
    return ejabberd_release


def test_installed_ejabberd_is_the_release_the_config_targets(installed: str) -> None:
    answers = answers_with(install={"version": installed, "ejabberdctl": EJABBERDCTL})
    findings = check_install(Context(answers, Path("deploy")))
    assert one(findings, "env.ejabberdctl").severity is Severity.OK
    version = one(findings, "env.version")
    assert version.severity is Severity.OK and installed in version.message and version.step == "install"
    assert f"the Debian package ejabberd {installed}" in version.message  # which install, and how it is known
    found = find(answers)
    assert found is not None and found.version == installed and (found.ebin / "ejabberd_option.beam").is_file()


def test_other_release_installed_than_the_config_targets(installed: str) -> None:
    target = "26.07" if installed != "26.07" else "23.01"
    findings = check_install(Context(answers_with(install={"version": target, "ejabberdctl": EJABBERDCTL}), Path("d")))
    version = one(findings, "env.version")
    assert version.severity is Severity.ERROR
    assert f"written for ejabberd {target}, but {installed} is installed" in version.message
    assert version.fix == f'install.version: "{installed}"'


def test_a_release_between_two_known_ones_is_a_warning_naming_the_one_it_is_written_for() -> None:
    [finding] = check_target(Context(answers_with(install={"version": "25.09"}), Path("d")))
    assert finding.severity is Severity.WARNING and finding.step == "install"
    assert "25.09 is not a release the wizard knows" in finding.message and "what 25.08" in finding.message
    assert check_target(Context(answers_with(install={"version": "25.08"}), Path("d"))) == []


def test_ejabberdctl_elsewhere_than_the_answers_say(installed: str) -> None:
    answers = answers_with(install={"version": installed, "ejabberdctl": "/opt/nowhere/sbin/ejabberdctl"})
    finding = one(check_install(Context(answers, Path("d"))), "env.ejabberdctl")
    assert finding.severity is Severity.ERROR
    assert finding.fix == f"install.ejabberdctl: {find_program('ejabberdctl')}"


def test_source_install_not_built_yet_is_information() -> None:
    answers = answers_with("uberspace")  # built into /home/isabell, where there is no ejabberd
    assert not Path(answers.install.ejabberdctl).exists()
    [finding] = check_install(Context(answers, Path("deploy")))
    assert finding.severity is Severity.INFO and finding.fix == "sh deploy/scripts/install.sh"


def test_programs_the_preset_needs() -> None:
    caddy = require("caddy")
    findings = check_service_tools(Context(answers_with("arch"), Path("d")))
    assert one(findings, "env.tool.caddy").severity is Severity.OK and caddy in one(findings, "env.tool.caddy").message
    systemctl = one(findings, "env.tool.systemctl")
    assert (systemctl.severity is Severity.OK) == (find_program("systemctl") is not None)
    uberspace = check_service_tools(Context(answers_with("uberspace"), Path("d")))
    tool = one(uberspace, "env.tool.uberspace")
    if find_program("uberspace") is None:  # not an Uberspace host: say so, and what to do
        assert tool.severity is Severity.ERROR and "presets" in tool.fix
    assert {f.check for f in uberspace} == {"env.tool.supervisorctl", "env.tool.uberspace"}


def test_free_disk_for_the_upload_directory(tmp_path: Path) -> None:
    docroot = f"{tmp_path}/uploads/@HOST@"
    fine = one(check_disk(Context(answers_with(upload={"docroot": docroot}), Path("d"))), "env.disk")
    assert fine.severity is Severity.OK and str(tmp_path) in fine.message and fine.step == "upload"
    # More than any disk here has free: a single upload could not be stored.
    huge = answers_with(upload={"docroot": docroot, "max_size": 10**18})
    full = one(check_disk(Context(huge, Path("d"))), "env.disk")
    assert full.severity is Severity.ERROR and "upload.max_size" in full.fix


@pytest.fixture
def database(mariadb_server: MariaDB) -> dict[str, Any]:
    suffix = secrets.token_hex(4)
    name, user, password = f"check_{suffix}", f"check_{suffix}", secrets.token_urlsafe(12)
    mariadb_server.create_database_with_user(name, user, password)
    return {"backend": "mysql", "server": "127.0.0.1", "port": mariadb_server.port, "name": name, "user": user,
            "password_source": "file", "password_file": "db-password", "_password": password}


def database_findings(tmp_path: Path, database: dict[str, Any], password: str | None) -> list[Finding]:
    out = tmp_path / "deploy"
    if password is not None:
        write_secret(out / "db-password", password)
    settings = {key: value for key, value in database.items() if not key.startswith("_")}
    return check_database(Context(answers_with(database=settings), out, timeout=5))


@pytest.mark.slow
def test_database_reachable_with_the_given_credentials(tmp_path: Path, database: dict[str, Any],
                                                       mariadb_server: MariaDB) -> None:
    empty = one(database_findings(tmp_path, database, database["_password"]), "env.database")
    assert empty.severity is Severity.WARNING and "no ejabberd tables" in empty.message
    assert empty.fix.endswith("scripts/database.sh") and empty.step == "database"
    mariadb_server.import_schema(database["name"], require(EJABBERD_MYSQL_SCHEMA))
    ready = one(database_findings(tmp_path, database, database["_password"]), "env.database")
    assert ready.severity is Severity.OK


@pytest.mark.slow
def test_database_with_a_wrong_password(tmp_path: Path, database: dict[str, Any]) -> None:
    finding = one(database_findings(tmp_path, database, "not the password"), "env.database")
    assert finding.severity is Severity.ERROR and "access denied" in finding.message


@pytest.mark.slow
def test_database_that_does_not_exist(tmp_path: Path, database: dict[str, Any]) -> None:
    finding = one(database_findings(tmp_path, {**database, "name": database["name"] + "_missing"},
                                    database["_password"]),
                  "env.database")
    assert finding.severity is Severity.ERROR and "scripts/database.sh" in finding.fix


@pytest.mark.slow
def test_no_database_server_at_that_port(tmp_path: Path, database: dict[str, Any]) -> None:
    finding = one(database_findings(tmp_path, {**database, "port": free_port()}, database["_password"]), "env.database")
    assert finding.severity is Severity.ERROR and "no MySQL server answers" in finding.message


@pytest.mark.slow
def test_database_password_file_missing(tmp_path: Path, database: dict[str, Any]) -> None:
    finding = one(database_findings(tmp_path, database, None), "env.database")
    assert finding.severity is Severity.ERROR and "no database password" in finding.message
    assert "chmod 600" in finding.fix


def test_mnesia_needs_no_database_check(tmp_path: Path) -> None:
    assert check_database(Context(answers_with(), tmp_path)) == []


def test_root_is_no_uberspace_account() -> None:
    from wizard.checks.environment import check_uberspace_account

    # Off the host the login is asked for, not taken from this machine (tests/test_uberspace_account.py).
    assert check_uberspace_account(Context(answers_with("uberspace"), Path("out"))) == []  # install.user: isabell
    [root] = check_uberspace_account(Context(answers_with("uberspace", install={"user": "root", "home": "/root"}),
                                             Path("out")))
    assert root.severity is Severity.ERROR and "root is no Uberspace account" in root.message
    assert root.fix.startswith("install.user: your Uberspace login")
    assert check_uberspace_account(Context(answers_with("arch", install={"user": "root"}), Path("out"))) == []
