"""Moving through the wizard as a person does (issue 15): Enter and Esc, the step list, the
review's link to the answer at fault, writing once, quitting with answers not written and
resuming them from the draft."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Static

from screens.app import WizardApp
from screens.dialogs import Choice
from screens.fields import QuestionField
from screens.sidebar import StepList
from screens.work import FilesWritten, ProposalReady
from tests.answers_helpers import ACCOUNT
from tests.support.waiting import Posted, focus, until
from wizard.answers.given import Given
from wizard.deployment.draft_file import draft_path
from wizard.machine import Machine
from wizard.session import Session

MACHINE = Machine(login=ACCOUNT["user"], home_dir=ACCOUNT["home"])
HOST = "example.test"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))


def app_for(out: Path, given: dict[str, Any] | None = None, preset: str | None = "arch") -> WizardApp:
    return WizardApp(out, preset, Given(given if given is not None else {"domains": {"hosts": [HOST]}}), MACHINE,
                     checks=False)


def field(app: WizardApp, path: str) -> QuestionField:
    return app.screen.query_one(f"#q-{path.replace('.', '-')}", QuestionField)


def status(app: WizardApp) -> str:
    return str(app.screen.query_one("#status", Static).render())


async def showing(pilot: Any, app: WizardApp, step: str) -> None:
    await until(pilot, lambda: app.screen.name == step and app.screen.is_current
                and bool(app.screen.query("#content > *")), f"the step {step!r}")


async def test_enter_moves_to_the_next_question_then_the_next_step_and_esc_goes_back(tmp_path: Path) -> None:
    app = app_for(tmp_path / "out")
    async with app.run_test(size=(80, 24)) as pilot:
        app.go_to("domains")
        await showing(pilot, app, "domains")
        shown = [f for f in app.screen.query(QuestionField) if f.display and isinstance(f.editor, Input)]
        await focus(pilot, shown[0].editor)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.focused is not None and shown[1].has_focus_within,
                    "Enter to give the next question the focus")
        last = [f for f in app.screen.query(QuestionField) if f.display][-1]
        await focus(pilot, last.editor)
        await pilot.press("enter")
        await showing(pilot, app, "ports")
        steps = app.screen.query_one(StepList)
        assert steps.current == "ports" and steps.highlighted == [n for n, _ in app.step_titles()].index("ports")
        await pilot.press("escape")
        await showing(pilot, app, "domains")
        assert app.screen.query_one(StepList).current == "domains"


async def test_cannot_write_yet_links_to_the_answer_at_fault(tmp_path: Path) -> None:
    app, posted = app_for(tmp_path / "out"), Posted()
    async with app.run_test(size=(80, 24), message_hook=posted) as pilot:
        app.go_to("ports")
        await showing(pilot, app, "ports")
        editor = field(app, "ports.stun").editor
        await focus(pilot, editor)
        await pilot.press("end", "ctrl+u", *"70000")
        await until(pilot, lambda: app.session is not None and "ports.stun" in app.session.field_errors,
                    "the error of ports.stun")
        app.go_to("review")
        await until(pilot, lambda: "Cannot write yet" in status(app), "the review's reason")
        fix = app.screen.query_one("#fix", Button)
        assert fix.display and "Ports" in str(fix.label) and "STUN" in str(fix.label)
        assert app.screen.query_one("#write", Button).disabled
        await pilot.click("#fix")
        await showing(pilot, app, "ports")
        await until(pilot, lambda: field(app, "ports.stun").has_focus_within, "the focus on the field at fault")


async def test_the_write_waits_for_the_proposal_of_the_answers_now_and_is_told_once(tmp_path: Path,
                                                                                    monkeypatch: pytest.MonkeyPatch
                                                                                    ) -> None:
    out = tmp_path / "out"
    app, posted = app_for(out), Posted()
    release = threading.Event()
    review = Session.review

    def held_back(self: Session) -> Any:
        release.wait(60)
        return review(self)

    async with app.run_test(size=(100, 30), message_hook=posted) as pilot:
        app.go_to("review")
        await posted.next(pilot, ProposalReady)  # the first proposal, not held back
        monkeypatch.setattr(Session, "review", held_back)
        app.go_to("service")
        await showing(pilot, app, "service")
        app.go_to("review")
        await until(pilot, lambda: app.screen.name == "review" and app.screen.is_current, "the review again")
        # The proposal shown before is of other answers, maybe: nothing is written with it.
        await pilot.press("ctrl+w")
        await pilot.pause()
        assert app.screen.query_one("#write", Button).disabled
        assert "Working out what writing would change" in status(app)
        assert not posted.of(FilesWritten) and not out.exists()
        release.set()
        await posted.next(pilot, ProposalReady)
        await pilot.press("ctrl+w")
        written = await posted.next(pilot, FilesWritten)
        assert written.changes
        # Back to the review (as ctrl+b from the last screen allows): written, not "Write 0 files",
        # and no word of an interrupted write.
        app.go_to("service")
        await showing(pilot, app, "service")
        app.go_to("review")
        await posted.next(pilot, ProposalReady)
        button = app.screen.query_one("#write", Button)
        assert button.disabled and str(button.label) == "Nothing to write"
        assert f"Wrote {len(written.changes)} file(s)" in status(app)
        assert "interrupted" not in status(app)


async def test_quitting_with_answers_not_written_asks_and_the_draft_is_offered_next_time(tmp_path: Path) -> None:
    out = tmp_path / "out"
    app = app_for(out)
    async with app.run_test(size=(80, 24)) as pilot:
        app.go_to("domains")
        await showing(pilot, app, "domains")
        await focus(pilot, field(app, "domains.ipv6").editor)
        await pilot.press(*"2001:db8::7")
        await until(pilot, lambda: field(app, "domains.ipv6").editor.value == "2001:db8::7", "the typed address")
        await pilot.press("ctrl+q")
        dialog = await until(pilot, lambda: app.screen if isinstance(app.screen, Choice) else None, "the question")
        assert str(draft_path(out)) in dialog.text
        await pilot.press("escape")  # back, nothing lost
        await until(pilot, lambda: app.screen.name == "domains", "the step again")
        assert app.is_running and field(app, "domains.ipv6").editor.value == "2001:db8::7"
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, Choice), "the question again")
        await pilot.click("#quit")
        await until(pilot, lambda: not app.is_running, "the app to quit")
    saved = draft_path(out).read_text()
    assert "2001:db8::7" in saved and "preset: arch" in saved and not out.exists()

    again, posted = WizardApp(out, None, Given(), MACHINE, checks=False), Posted()
    async with again.run_test(size=(80, 24), message_hook=posted) as pilot:
        offer = await until(pilot, lambda: again.screen if isinstance(again.screen, Choice) else None, "the offer")
        assert str(draft_path(out)) in offer.text
        await pilot.click("#resume")
        await showing(pilot, again, "install")
        assert again.preset_name == "arch"
        again.go_to("domains")
        await showing(pilot, again, "domains")
        assert field(again, "domains.ipv6").editor.value == "2001:db8::7"
        assert field(again, "domains.hosts").editor.value == HOST
        again.go_to("review")
        await posted.next(pilot, ProposalReady)
        await pilot.press("ctrl+w")
        await posted.next(pilot, FilesWritten)
        assert not draft_path(out).exists()  # written: the deployment's wizard.yml holds the answers
        await pilot.press("ctrl+q")  # nothing unsaved: no question
        await until(pilot, lambda: not again.is_running, "the app to quit")
    assert "2001:db8::7" in (out / "wizard.yml").read_text()


async def type_into(pilot: Any, app: WizardApp, path: str, text: str) -> None:
    editor = field(app, path).editor
    await focus(pilot, editor)
    await pilot.press("end", "ctrl+u", *text)
    await until(pilot, lambda: app.session is not None and app.session.draft.value(field(app, path).question)
                == text, f"{path} to take {text!r}")


async def test_a_changed_release_on_a_rerun_reviews_the_upgrade_command_s_plan_and_refuses_a_downgrade(
        tmp_path: Path) -> None:
    from tests.answers_helpers import write_answers
    from wizard.answers.given import read_answers_file
    from wizard.cli import main
    from wizard.deployment.upgrade import GUIDE, SCRIPT, propose_upgrade

    out = tmp_path / "out"
    answers = {"preset": "arch", "install": {**ACCOUNT, "version": "24.12"}, "domains": {"hosts": [HOST]}}
    assert main(["generate", "--out", str(out), "--answers", str(write_answers(tmp_path / "a.yml", answers)),
                 "--yes"]) == 0
    _, command = propose_upgrade(out, "26.07")
    planned = {change.path: change.planned.content for change in command.changes if change.pending}
    assert SCRIPT in planned and GUIDE in planned

    app, posted = WizardApp(out, None, read_answers_file(out / "wizard.yml"), MACHINE, checks=False), Posted()
    async with app.run_test(size=(100, 30), message_hook=posted) as pilot:
        await showing(pilot, app, "install")
        await type_into(pilot, app, "install.version", "26.07")
        app.go_to("review")
        ready = await posted.next(pilot, ProposalReady)
        assert ready.upgrade_from == "24.12"
        shown = {change.path: change.planned.content for change in ready.proposal.changes if change.pending}
        assert shown == planned  # the same files, with the same content, as `ejabberd-wizard upgrade --to 26.07`
        assert "Upgrade from ejabberd 24.12 to 26.07" in status(app)
        assert not app.screen.query_one("#write", Button).disabled

        app.go_to("install")
        await showing(pilot, app, "install")
        await type_into(pilot, app, "install.version", "23.01")
        app.go_to("review")
        await until(pilot, lambda: "Cannot write yet" in status(app), "the downgrade refused")
        assert "(install.version): 23.01 is older than 24.12" in status(app)
        assert app.screen.query_one("#write", Button).disabled
        assert "Installation" in str(app.screen.query_one("#fix", Button).label)
