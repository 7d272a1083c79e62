"""The Uberspace account (issue 15): on the Uberspace host it is the login running the wizard;
anywhere else only the user can name it, so it is asked for, with the reason, and never taken
from this machine (root, /root). The home and every path follow the login typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

import presets
from screens.app import WizardApp
from screens.fields import QuestionField
from screens.plain import _why_asked
from tests.answers_helpers import write_answers
from tests.support.waiting import focus, until
from wizard.answers.build import build
from wizard.answers.catalogue import by_path
from wizard.answers.draft import Draft
from wizard.answers.given import Given
from wizard.cli import main
from wizard.errors import InputError
from wizard.machine import Machine, Platform

HOST = "isabell.example"
HERE = Machine(login="root", home_dir="/root")  # not the Uberspace host: no uberspace command
UBERSPACE = Machine(login="isabell", home_dir="/home/isabell", platform=Platform("uberspace", "the uberspace command"))
WHY = "type your Uberspace login: this machine is not the Uberspace host"


def draft(machine: Machine, **install: str) -> Draft:
    given = Given({"domains": {"hosts": [HOST]}, **({"install": install} if install else {})})
    return Draft.start(presets.load("uberspace"), given, machine)


def test_off_the_host_the_login_and_what_follows_it_are_empty_and_asked_for() -> None:
    values = draft(HERE).values()["install"]
    assert {key: values[key] for key in ("user", "home", "prefix", "config_dir", "ejabberdctl")} == dict.fromkeys(
        ("user", "home", "prefix", "config_dir", "ejabberdctl"), "")
    with pytest.raises(InputError) as refused:
        draft(HERE).answers()
    assert refused.value.field == "install.user" and str(refused.value).startswith(f"install.user: {WHY}")
    # Plain mode says why before it asks.
    assert (_why_asked(draft(HERE), by_path("install.user")) or "").startswith(WHY)
    assert _why_asked(draft(HERE), by_path("install.home")) is None


def test_the_login_typed_off_the_host_gives_the_home_and_the_paths() -> None:
    answers = draft(HERE, user="isabell").answers()
    assert (answers.install.user, answers.install.home) == ("isabell", "/home/isabell")
    assert answers.install.config_dir == "/home/isabell/etc/ejabberd"
    assert answers.tls.cert_file == "/home/isabell/etc/certificates/{name}.crt"


def test_on_the_host_the_login_running_the_wizard_is_the_account() -> None:
    answers = build(presets.load("uberspace"), Given({"domains": {"hosts": [HOST]}}), UBERSPACE)
    assert (answers.install.user, answers.install.home) == ("isabell", "/home/isabell")
    assert _why_asked(draft(UBERSPACE), by_path("install.user")) is None
    # Other presets never take the account from the machine.
    assert build(presets.load("arch"), Given({"domains": {"hosts": [HOST]}}), HERE).install.user == "jabber"


def test_an_answers_file_without_the_login_off_the_host_is_one_line_naming_the_field(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"  # a machine with no uberspace command
    root.mkdir()
    monkeypatch.setenv("EJABBERD_WIZARD_PLATFORM_ROOT", str(root))
    answers = write_answers(tmp_path / "answers.yml", {"preset": "uberspace", "domains": {"hosts": [HOST]}})
    out = tmp_path / "d"
    assert main(["generate", "--out", str(out), "--answers", str(answers), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ejabberd-wizard: {answers}: install.user: {WHY}") and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(("machine", "shown"), [(HERE, ""), (UBERSPACE, "isabell")], ids=["elsewhere", "on-host"])
async def test_the_installation_step_asks_for_the_login_off_the_host(tmp_path: Path, machine: Machine,
                                                                    shown: str) -> None:
    app = WizardApp(tmp_path / "out", "uberspace", Given({"domains": {"hosts": [HOST]}}), machine, checks=False,
                    offer_draft=False)
    async with app.run_test(size=(80, 24)) as pilot:
        user = await until(pilot, lambda: app.screen.name == "install" and app.screen.query_one("#q-install-user",
                                                                                                 QuestionField),
                           "the installation step")
        home = app.screen.query_one("#q-install-home", QuestionField)
        assert isinstance(user.editor, Input) and isinstance(home.editor, Input)
        assert user.editor.value == shown and home.editor.value == ("/home/isabell" if shown else "")
        if shown:
            assert user.error == ""
            return
        await until(pilot, lambda: user.error.startswith(WHY), "the reason under the login field")
        await focus(pilot, user.editor)
        await pilot.press(*"isabell")
        await until(pilot, lambda: home.editor.value == "/home/isabell" and user.error == "",
                    "the home following the login typed")
        config_dir = app.screen.query_one("#q-install-config_dir", QuestionField).editor
        assert isinstance(config_dir, Input) and config_dir.value == "/home/isabell/etc/ejabberd"
