"""`ejabberd-wizard upgrade --to RELEASE`: the deployment re-written for a newer release, with its steps."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import defaults, snapshot, write_answers
from wizard.cli import main

CONFIG = "config/ejabberd.yml"
MYSQL = {"backend": "mysql", "password_source": "file"}


def deployment(tmp_path: Path, version: str, preset: str = "arch", **overrides: Any) -> Path:
    out = tmp_path / "deploy"
    out.mkdir()
    (out / "db-password").write_text("pw\n")
    os.chmod(out / "db-password", 0o600)
    answers = write_answers(tmp_path / "answers.yml", defaults(preset, install={"version": version}, **overrides))
    assert main(["generate", "--out", str(out), "--answers", str(answers), "--yes"]) == 0
    return out


def saved_version(out: Path) -> str:
    return YAML(typ="safe").load((out / "wizard.yml").read_text())["install"]["version"]


def test_the_config_is_rewritten_for_the_new_release_keeping_hand_edits_and_the_steps_are_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = deployment(tmp_path, "23.01", database=MYSQL)
    config = out / CONFIG
    lines = config.read_text().splitlines(keepends=True)
    at = next(index for index, line in enumerate(lines) if line.startswith("modules:")) + 1
    config.write_text("".join([*lines[:at], "  mod_pres_counter: {count: 5}  # mine\n", *lines[at:]]))
    capsys.readouterr()
    assert main(["upgrade", "--to", "26.07", "--out", str(out), "--yes"]) == 0
    shown = capsys.readouterr().out
    assert "# ejabberd 23.01 -> 26.07" in shown
    assert "-new_sql_schema: true" in shown and "+sql_schema_multihost: true" in shown  # the rename, in the diff
    text = config.read_text()
    assert "sql_schema_multihost: true" in text and "new_sql_schema" not in text
    assert "mod_pres_counter: {count: 5}  # mine" in text
    assert "for ejabberd 26.07" in text and saved_version(out) == "26.07"
    guide = (out / "UPGRADE.md").read_text()
    assert guide.startswith("# Upgrade from ejabberd 23.01 to 26.07")
    for release in ("24.02", "25.03", "26.01", "26.03"):  # every schema change between them, in order
        assert f"MySQL, {release}:" in guide
    script = (out / "scripts" / "upgrade.sh").read_text()
    order = ['sh "$here/scripts/backup.sh"', "systemctl stop ejabberd", "pacman -Syu --needed --noconfirm ejabberd",
             'sh "$here/scripts/deploy.sh"', "ctl status"]
    assert [script.index(step) for step in order] == sorted(script.index(step) for step in order)
    assert os.access(out / "scripts" / "upgrade.sh", os.X_OK)


def test_debians_package_is_upgraded_by_apt_keeping_the_live_config(tmp_path: Path) -> None:
    out = deployment(tmp_path, "23.01", preset="debian", database={"backend": "mnesia"})
    assert main(["upgrade", "--to", "24.12", "--out", str(out), "--yes"]) == 0
    script = (out / "scripts" / "upgrade.sh").read_text()
    order = ["systemctl stop ejabberd", "DEBIAN_FRONTEND=noninteractive apt-get install -y --only-upgrade ejabberd",
             'sh "$here/scripts/deploy.sh"']
    assert [script.index(step) for step in order] == sorted(script.index(step) for step in order)
    assert "pacman" not in script
    assert "`apt-cache policy ejabberd` shows which" in (out / "UPGRADE.md").read_text()


def test_a_source_build_builds_the_new_release_and_mnesia_needs_no_schema_step(tmp_path: Path) -> None:
    out = deployment(tmp_path, "23.01", preset="uberspace", database={"backend": "mnesia"})
    assert main(["upgrade", "--to", "24.12", "--out", str(out), "--yes"]) == 0
    script = (out / "scripts" / "upgrade.sh").read_text()
    assert 'sh "$here/scripts/install.sh"' in script and "supervisorctl stop ejabberd" in script
    assert "version=24.12" in (out / "scripts" / "install.sh").read_text()
    assert "Mnesia: ejabberd converts its tables itself" in (out / "UPGRADE.md").read_text()


def test_releases_that_update_the_schema_only_when_asked_are_asked(tmp_path: Path) -> None:
    out = deployment(tmp_path, "23.04", database=MYSQL)
    assert main(["upgrade", "--to", "24.02", "--out", str(out), "--yes"]) == 0
    assert "update_sql_schema: true" in (out / CONFIG).read_text()
    assert main(["upgrade", "--to", "24.12", "--out", str(out), "--yes"]) == 0
    assert "update_sql_schema" not in (out / CONFIG).read_text()  # on by default since 24.06


@pytest.mark.parametrize(("to", "message"), [
    ("23.01", "--to 23.01: older than 24.12, the release this deployment is written for"),
    ("26.10", "--to: ejabberd 26.10 is newer than 26.07, the newest release the wizard knows"),
    ("26.13", "--to: '26.13' is not an ejabberd version"),
])
def test_a_downgrade_or_an_unknown_release_is_refused_and_nothing_changes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], to: str, message: str) -> None:
    out = deployment(tmp_path, "24.12")
    before = snapshot(out)
    capsys.readouterr()
    assert main(["upgrade", "--to", to, "--out", str(out), "--yes"]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
    assert snapshot(out) == before


def test_the_same_release_is_nothing_to_do_and_a_dry_run_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = deployment(tmp_path, "24.12")
    before = snapshot(out)
    assert main(["upgrade", "--to", "24.12", "--out", str(out), "--yes"]) == 0
    assert "already written for ejabberd 24.12; nothing to upgrade" in capsys.readouterr().out
    assert main(["upgrade", "--to", "26.07", "--out", str(out), "--dry-run"]) == 0
    assert "+sql_schema_multihost" not in capsys.readouterr().out  # Mnesia: no SQL options
    assert snapshot(out) == before


def test_upgrade_needs_a_deployment_the_wizard_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upgrade", "--to", "26.07", "--out", str(tmp_path / "none")]) == 2
    assert "wizard.yml: no such file; upgrade works on a deployment the wizard wrote" in capsys.readouterr().err
