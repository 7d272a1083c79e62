"""Answers files of other versions: older ones are brought up to date with a message, newer ones refused.

Version 1 is the first format, so the tests register a migration from a version 0
of their own, as a later format change will register its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import defaults, deployment_files, write_answers
from tests.support.waiting import until
from wizard.answers import migrations
from wizard.cli import main


def renamed_admin_switch(values: dict[str, Any]) -> list[str]:
    """A version 0 called the admin interface switch 'admin_web'."""
    security = values.get("security") or {}
    if "admin_web" not in security:
        return []
    security["admin_interface"] = security.pop("admin_web")
    return ["security.admin_web is now security.admin_interface"]


@pytest.fixture
def version_0(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", {0: renamed_admin_switch})


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_an_older_wizard_yml_is_migrated_with_a_message_and_saved_in_the_current_version(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], version_0: None) -> None:
    out = tmp_path / "d"
    assert run(capsys, "generate", "--out", str(out), "--answers",
               str(write_answers(tmp_path / "a.yml", defaults("arch", security={"admin_interface": False}))),
               "--yes")[0] == 0
    saved = out / "wizard.yml"
    written = deployment_files(out)
    # The same deployment, as a version 0 wizard would have saved it.
    saved.write_text(saved.read_text().replace("version: 1", "version: 0").replace("admin_interface:", "admin_web:"))

    code, printed, _ = run(capsys, "diff", "--out", str(out))
    assert code == 1
    assert printed.splitlines()[0] == f"# {saved}: version 0 to 1: security.admin_web is now security.admin_interface"
    # Only wizard.yml changes: the answers are the same.
    assert "+++ b/wizard.yml" in printed and "+++ b/config/ejabberd.yml" not in printed

    assert run(capsys, "generate", "--out", str(out), "--yes")[0] == 0
    assert deployment_files(out) == written
    assert YAML(typ="safe").load(saved.read_text())["version"] == 1
    assert run(capsys, "diff", "--out", str(out)) == (0, "", "")


@pytest.mark.parametrize(("version", "expected"), [
    ("2", "version: 2 was written by a newer ejabberd-wizard, which this one cannot read (it reads versions up to 1); "
          "update ejabberd-wizard"),
    ("0", "version: 0 is not a version of the answers format; expected 1"),
    ("'1'", "version: '1' is not a version of the answers format; expected 1"),
    ("true", "version: True is not a version of the answers format; expected 1"),
])
def test_a_version_this_wizard_cannot_read_is_refused_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str, expected: str) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text(f"version: {version}\npreset: arch\ndomains:\n  hosts: [example.test]\n")
    code, out, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(answers), "--yes")
    assert (code, out, err) == (2, "", f"ejabberd-wizard: {answers}:1: {expected}\n")
    assert not (tmp_path / "d").exists()


def test_a_migration_applies_to_the_record_of_the_last_write_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], version_0: None) -> None:
    """The answers the files were last written from (the base of the merge) may be older as well."""
    out = tmp_path / "d"
    answers = write_answers(tmp_path / "a.yml", defaults("arch", security={"admin_interface": True}))
    assert run(capsys, "generate", "--out", str(out), "--answers", str(answers), "--yes")[0] == 0
    record = out / ".wizard-applied.yml"
    record.write_text(record.read_text().replace("version: 1", "version: 0").replace("admin_interface:", "admin_web:"))
    config = out / "config" / "ejabberd.yml"
    mine = "  - port: 5222  # clients, STARTTLS\n    backlog: 50  # mine\n"
    config.write_text(config.read_text().replace("  - port: 5222  # clients, STARTTLS\n", mine, 1))
    # Without the admin interface its listener goes; the listener edited by hand keeps the edit,
    # which only a merge that knows the base can tell apart from the wizard's own lines.
    changed = write_answers(tmp_path / "b.yml", defaults("arch", security={"admin_interface": False}))
    assert run(capsys, "generate", "--out", str(out), "--answers", str(changed), "--yes")[0] == 0
    text = config.read_text()
    assert mine in text and "/admin: ejabberd_web_admin" not in text


async def test_the_wizard_tells_what_migrating_its_answers_changed(tmp_path: Path, version_0: None) -> None:
    from screens.app import WizardApp
    from wizard.answers.given import saved_answers
    from wizard.machine import Machine

    out = tmp_path / "d"
    assert main(["generate", "--out", str(out), "--answers",
                 str(write_answers(tmp_path / "a.yml", defaults("arch"))), "--yes"]) == 0
    saved = out / "wizard.yml"
    saved.write_text(saved.read_text().replace("version: 1", "version: 0").replace("admin_interface:", "admin_web:"))
    app = WizardApp(out, None, saved_answers(out, None), Machine("isabell", "/home/isabell"), checks=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        [toast] = await until(pilot, lambda: [toast for screen in app.screen_stack for toast in screen.query("Toast")],
                              "the notification of the migration")
        shown = " ".join(str(toast.render()).split())
        assert "Answers file of an older version" in shown \
            and "security.admin_web is now security.admin_interface" in shown
        assert app.session is not None
        assert app.session.draft.answers().security.admin_interface is True
