"""The Debian preset's drop-in for the package's ejabberd unit, judged by systemd-analyze with the package's unit.

The package's unit runs ejabberd as it is; a drop-in is written only where an answer needs one. MySQL on
this machine (Debian's MariaDB) is one: ejabberd is started with MariaDB and after it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.answers_helpers import generate_deployment
from tests.support.components import require

PACKAGE_UNIT = "/lib/systemd/system/ejabberd.service"
DROPIN = "service/ejabberd-wizard.conf"


def generate(tmp_path: Path, **overrides: Any) -> Path:
    return generate_deployment(tmp_path, "debian", **overrides)


def verify(tmp_path: Path, dropin: str) -> str:
    """What systemd-analyze verify says of the package's unit with ``dropin`` beside it (warnings included)."""
    analyze = require("systemd-analyze", "apt-get install systemd")
    units = tmp_path / "units"
    (units / "ejabberd.service.d").mkdir(parents=True)
    shutil.copy(require(PACKAGE_UNIT, "apt-get install ejabberd"), units / "ejabberd.service")
    (units / "ejabberd.service.d" / "ejabberd-wizard.conf").write_text(dropin)
    # The directory first, then the system's (mariadb.service is there): as in /etc/systemd/system.
    result = subprocess.run([analyze, "verify", "--man=no", str(units / "ejabberd.service")], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "SYSTEMD_UNIT_PATH": f"{units}:"})
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


@pytest.mark.parametrize("server", ["localhost", "127.0.0.1"])
def test_mysql_on_this_machine_starts_ejabberd_after_mariadb(tmp_path: Path, server: str) -> None:
    out = generate(tmp_path, database={"backend": "mysql", "server": server})
    dropin = (out / DROPIN).read_text()
    assert dropin.splitlines()[1:] == [
        "[Unit]", "# ejabberd keeps its data in MariaDB on this machine: started with it, after it.",
        "Wants=mariadb.service", "After=mariadb.service"]
    # deploy.sh installs it where systemd reads the package unit's drop-ins; the unit itself stays the package's.
    deploy = (out / "scripts/deploy.sh").read_text()
    assert f"service_file={DROPIN}\n" in deploy
    assert "unit_path=/etc/systemd/system/ejabberd.service.d/ejabberd-wizard.conf\n" in deploy
    assert "ejabberd.service.d/ejabberd-wizard.conf" in (out / "README.md").read_text()
    assert verify(tmp_path, dropin) == ""


def test_systemd_analyze_reads_the_dropin(tmp_path: Path) -> None:
    """The judge above can fail: a misspelled key in the drop-in is reported, naming the drop-in."""
    said = verify(tmp_path, "[Unit]\nAftr=mariadb.service\n")
    assert "ejabberd-wizard.conf" in said and "Unknown key" in said


def test_another_directory_and_mysql_are_one_dropin(tmp_path: Path) -> None:
    out = generate(tmp_path, database={"backend": "mysql"}, install={"log_dir": "/var/log/xmpp"})
    dropin = (out / DROPIN).read_text()
    assert "[Unit]" in dropin and "[Service]" in dropin and '--logs /var/log/xmpp' in dropin
    assert verify(tmp_path, dropin) == ""


@pytest.mark.parametrize("database", [{"backend": "mnesia"}, {"backend": "mysql", "server": "db.example.test"}],
                         ids=["mnesia", "mysql-elsewhere"])
def test_no_dropin_without_mariadb_on_this_machine(tmp_path: Path, database: dict[str, str]) -> None:
    out = generate(tmp_path, database=database)
    assert not (out / "service").exists()
    assert "service_file=''" in (out / "scripts/deploy.sh").read_text()
