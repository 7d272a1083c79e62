"""The Textual wizard driven by Pilot: every step, errors, going back, review and write."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from textual.widgets import Button, Input, ListView, Static

import presets
from screens.app import WizardApp
from screens.review import ANSWERS, IMPORTED, ReviewScreen, ShownEntry
from screens.work import ChecksFinished, FilesWritten, ProposalReady, ServerVerified, WorkFailed
from tests.answers_helpers import deployment_files, installed_ejabberd_version, snapshot
from tests.support.tui import (
    HOST,
    MACHINE,
    arch_app,
    error_under,
    field,
    go_to,
    mysql_password_where_uberspace_keeps_it,
    showing,
    type_into,
    walk_to_review,
)
from tests.support.waiting import Posted, focus, until
from wizard.answers.build import dump
from wizard.answers.given import Given
from wizard.cli import main
from wizard.errors import InputError
from wizard.steps import STEPS, StepState

pytestmark = pytest.mark.usefixtures(mysql_password_where_uberspace_keeps_it.__name__)


@pytest.mark.parametrize("preset", ["uberspace", "arch"])
async def test_walking_every_step_ends_in_a_review_that_writes_what_generate_writes(tmp_path: Path,
                                                                                    preset: str) -> None:
    out = tmp_path / "tui"
    app, posted = WizardApp(out, preset, Given(), MACHINE, checks=False), Posted()
    async with app.run_test(size=(120, 40), message_hook=posted) as pilot:
        seen = await walk_to_review(pilot, app, posted)
        assert seen == [step for step, _ in STEPS] + ["review"]
        review = app.screen
        assert isinstance(review, ReviewScreen) and review.proposal is not None
        button = review.query_one("#write", Button)
        assert not button.disabled and str(button.label) == f"Write {len(review.proposal.pending)} files"

        # The same answers through the command line: the same diff.
        assert app.session is not None
        answers = tmp_path / "answers.yml"
        answers.write_text(dump(app.session.draft.answers()))
        assert review.proposal.diff_text() == _cli_diff(out, answers)

        await pilot.press("ctrl+w")
        written = await posted.next(pilot, FilesWritten)
        assert app.written_files == len(written.changes) == len(review.proposal.pending)
    generated = tmp_path / "generated"
    assert main(["generate", "--out", str(generated), "--answers", str(answers), "--yes"]) == 0
    assert deployment_files(out) == deployment_files(generated)


def _cli_diff(out: Path, answers: Path) -> str:
    import contextlib

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["diff", "--out", str(out), "--answers", str(answers)]) == 1
    return buffer.getvalue()



async def test_invalid_values_show_their_error_mark_the_step_and_block_writing(tmp_path: Path) -> None:
    app, posted = arch_app(tmp_path), Posted()
    async with app.run_test(size=(120, 40), message_hook=posted) as pilot:
        await go_to(pilot, app, "ports")
        await type_into(pilot, app, "ports.c2s", "70000")
        await until(pilot, lambda: "70000 is not a port" in error_under(app, "ports.c2s"), "the error under ports.c2s")
        assert app.step_states()["ports"] is StepState.ERRORS

        # A value valid on its own but clashing with another field: shown on that field.
        await type_into(pilot, app, "ports.c2s", "5269")
        await until(pilot, lambda: any("5269 is already used" in error_under(app, path)
                                       for path in ("ports.s2s", "ports.c2s")), "the clash shown on a port")
        await pilot.press("ctrl+r")
        failed = await posted.next(pilot, WorkFailed)  # no proposal: the answers are not valid
        assert isinstance(failed.error, InputError) and "already used" in str(failed.error)
        assert app.screen.query_one("#write", Button).disabled
        assert "already used" in str(app.screen.query_one("#status", Static).render())

        await go_to(pilot, app, "ports")
        await type_into(pilot, app, "ports.c2s", "5222")
        assert app.step_states()["ports"] is StepState.VALID
        await pilot.press("ctrl+r")
        await posted.next(pilot, ProposalReady)
        assert not app.screen.query_one("#write", Button).disabled


async def test_going_back_and_forth_keeps_what_was_typed(tmp_path: Path) -> None:
    app = WizardApp(tmp_path / "out", "arch", Given(), MACHINE, checks=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, app, "domains")
        await type_into(pilot, app, "domains.hosts", "kept.example")
        for key, step in (("ctrl+n", "ports"), ("ctrl+n", "tls"), ("ctrl+b", "ports"), ("ctrl+b", "domains")):
            await pilot.press(key)
            await until(pilot, lambda: showing(app, step), f"{key} to show the step {step!r}")  # noqa: B023
        assert field(app, "domains.hosts").editor.value == "kept.example"
        # A default that follows the domain follows it on the compliance step.
        await go_to(pilot, app, "compliance")
        assert field(app, "compliance.abuse_addresses").editor.value == "mailto:abuse@kept.example"
        # Jumping through the sidebar.
        await pilot.press("f2")
        await until(pilot, lambda: app.screen.focused is not None and app.screen.focused.id == "steps",
                    "the step list to have the focus")


async def test_conditional_questions_appear_when_they_apply(tmp_path: Path) -> None:
    app = arch_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await go_to(pilot, app, "database")
        assert not field(app, "database.server").display
        select = field(app, "database.backend").editor
        select.value = "mysql"
        mysql_questions = ("database.server", "database.password_file")
        await until(pilot, lambda: all(field(app, path).display for path in mysql_questions),
                    "the MySQL questions to be shown")


async def test_quitting_before_writing_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    app, posted = WizardApp(out, "arch", Given({"domains": {"hosts": [HOST]}}), MACHINE, checks=False), Posted()
    async with app.run_test(size=(80, 24), message_hook=posted) as pilot:
        await pilot.press("ctrl+r")
        await posted.next(pilot, ProposalReady)
        await pilot.press("ctrl+c")
        await until(pilot, lambda: not app.is_running, "the app to quit")
    assert app.written_files == 0 and app.return_code == 0
    assert snapshot(out) == {"mine.txt": b"keep me"}


async def test_the_preset_step_lists_every_preset_and_starts_the_questions(tmp_path: Path) -> None:
    app = WizardApp(tmp_path / "out", None, Given(), MACHINE, checks=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.name == "preset", "the preset screen")
        assert app.current == "preset"
        await pilot.press(*["down"] * presets.names().index("uberspace"), "enter")
        await until(pilot, lambda: showing(app, "install"), "the installation step")
        assert app.preset_name == "uberspace" and app.current == "install"
        assert field(app, "install.method").editor.value == "source"


async def test_the_first_screen_offers_only_what_works_before_a_preset_is_chosen(tmp_path: Path) -> None:
    from textual.widgets import Footer

    from screens.sidebar import StepList

    def footer_keys() -> set[str]:
        return {binding.action for _, binding, enabled, _ in app.screen.active_bindings.values() if enabled
                and binding.show} if app.screen.query(Footer) else set()

    out = tmp_path / "out"
    app = WizardApp(out, None, Given(), MACHINE, checks=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.name == "preset", "the preset screen")
        intro = str(app.screen.query_one(".step-intro", Static).render())
        assert str(out) in intro and "Installation" in intro
        assert not app.screen.query(StepList)  # no step to go to yet
        assert footer_keys() == {"quit"}
        await pilot.press("ctrl+n", "f2", "ctrl+r", "ctrl+b")  # hidden, and doing nothing
        await pilot.pause()
        assert app.current == "preset" and app.session is None

        await pilot.press("enter")
        await until(pilot, lambda: showing(app, "install") and app.screen.query(StepList), "the installation step")
        assert {"next", "back", "jump", "review", "quit"} <= footer_keys()
        await pilot.press("ctrl+b")  # back to the preset screen: now with the steps to go to
        await until(pilot, lambda: app.screen.name == "preset", "the preset screen again")
        assert app.current == "preset" and app.screen.query(StepList)
        await until(pilot, lambda: "next" in footer_keys(), "the key to the next step in the footer")
    assert not out.exists()


async def test_each_step_shows_the_findings_of_its_checks_as_they_arrive(tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        given = Given({"domains": {"hosts": [HOST]}, "ports": {"c2s": port},
                       "tls": {"cert_file": str(tmp_path / "missing-{name}.crt"),
                               "key_file": str(tmp_path / "missing-{name}.key")}})
        app, posted = WizardApp(tmp_path / "out", "arch", given, MACHINE, nameserver="127.0.0.1:9"), Posted()
        async with app.run_test(size=(120, 40), message_hook=posted) as pilot:
            for step, expected in (("ports", [f"{port}", "python"]), ("tls", ["missing-example.test.crt", "fix:"])):
                app.go_to(step)
                finished = await posted.next(pilot, ChecksFinished, lambda message: message.step == step)  # noqa: B023
                assert finished.findings
                shown = str(app.screen.query_one("#findings-text", Static).render())
                assert all(text in shown for text in expected), shown
                assert app.step_states()[step] is StepState.WARNINGS


async def test_a_typed_database_password_is_written_to_its_own_file_and_masked(tmp_path: Path) -> None:
    out = tmp_path / "out"
    given = Given({"domains": {"hosts": [HOST]}, "database": {"backend": "mysql", "password_source": "file"}})
    app, posted = WizardApp(out, "arch", given, MACHINE, checks=False), Posted()
    async with app.run_test(size=(120, 40), message_hook=posted) as pilot:
        await go_to(pilot, app, "database")
        secret = app.screen.query_one("#secret-database-password")
        assert secret.display
        await focus(pilot, secret.query_one(Input))
        await pilot.press(*"s3cret-typed")
        await until(pilot, lambda: app.session is not None and app.session.secrets.get("database_password")
                    == "s3cret-typed", "the typed password in the session")
        await pilot.press("ctrl+r")
        review = (await posted.next(pilot, ProposalReady)).proposal
        assert "s3cret-typed" not in review.diff_text()
        assert "db-password" in [change.path for change in review.pending]
        await pilot.press("ctrl+w")
        await posted.next(pilot, FilesWritten)
    assert (out / "db-password").read_text() == "s3cret-typed\n"
    assert (out / "db-password").stat().st_mode & 0o077 == 0
    assert "s3cret-typed" not in (out / "wizard.yml").read_text()
    assert "s3cret-typed" in (out / "config" / "ejabberd.yml").read_text()


@pytest.mark.slow
async def test_the_compliance_step_verifies_the_live_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.verify_helpers import PASSWORD, running_deployment
    from tests.test_verify import answers as verify_answers

    version = installed_ejabberd_version() or "23.01"
    (tmp_path / "live").mkdir()
    with running_deployment(tmp_path / "live", verify_answers("arch", version)) as live:
        for name, value in live.env().items():
            monkeypatch.setenv(name, value)
        given = Given({"domains": {"hosts": [live.domain]}})
        app, posted = WizardApp(tmp_path / "out", "arch", given, MACHINE, checks=False), Posted()
        async with app.run_test(size=(120, 40), message_hook=posted) as pilot:
            await go_to(pilot, app, "compliance")
            await pilot.click("#verify-open")
            dialog = await until(pilot, lambda: app.screen if app.screen.query("#verify-run") else None,
                                 "the verify dialog")
            assert dialog.query_one("#verify-jid", Input).value == f"admin@{live.domain}"
            assert live.node.cert is not None
            for name, value in (("jid", live.jid), ("password", PASSWORD), ("server", "127.0.0.1"),
                                ("port", str(live.c2s_port)), ("ca", str(live.node.cert.cert))):
                dialog.query_one(f"#verify-{name}", Input).value = value
            await pilot.click("#verify-run")
            verified = await posted.next(pilot, ServerVerified)
            report = str(dialog.query_one("#verify-report", Static).render())
    assert report == verified.report
    assert "Stream management" in report and "PASS" in report
    assert "%" in report  # the percentage of each suite


async def test_the_wizard_started_from_an_imported_config_writes_it_back_unchanged(tmp_path: Path) -> None:
    from wizard.ejabberd_yml.read import read as read_import

    imported_file = Path(__file__).parent / "data" / "configs" / "comments.yml"
    imported = read_import(imported_file, "arch", Given())
    out = tmp_path / "out"
    app, posted = WizardApp(out, "arch", imported.under(Given()), MACHINE, checks=False, imported=imported), Posted()
    async with app.run_test(size=(120, 40), message_hook=posted) as pilot:
        await pilot.press("ctrl+r")
        proposal = (await posted.next(pilot, ProposalReady)).proposal
        config = next(change for change in proposal.changes if change.path == "config/ejabberd.yml")
        assert config.planned.content == imported_file.read_text()
        # The import report, as generate and plain mode print it, is on the review too, an entry of its
        # list: the file named once in the title of the region showing it, each line of it a bullet.
        review = app.screen
        assert isinstance(review, ReviewScreen)
        files = review.query_one("#files", ListView)
        names = [item.name for item in files.children]
        assert names[:2] == [ANSWERS, IMPORTED]
        files.index = names.index(IMPORTED)
        await until(pilot, lambda: review.entry == IMPORTED, "the import report shown")
        region = review.query_one(ShownEntry)
        assert str(imported_file) in str(region.border_title)
        shown = str(review.query_one("#diff", Static).render()).splitlines()
        assert len(shown) == len(proposal.imported) == 4
        lines = imported_file.read_text().splitlines()
        for shown_line, option in zip(shown, ("normal", "fast"), strict=False):
            number = next(n for n, text in enumerate(lines, start=1) if text.lstrip().startswith(f"{option}:"))
            assert shown_line.startswith(f"• line {number}: shaper.{option}: ") and shown_line.endswith("kept as it is")
        assert shown[2].startswith("• line ") and "trusted_network lets every program" in shown[2]
        assert any(line.startswith("• not set in the file") for line in shown)
