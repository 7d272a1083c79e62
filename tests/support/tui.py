"""What the Pilot tests of the TUI share: the app on a preset, its fields, typing and waiting for a step."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from screens.app import WizardApp
from screens.fields import QuestionField
from screens.work import ProposalReady
from tests.answers_helpers import ACCOUNT
from tests.support.waiting import Posted, focus, until
from wizard.answers.catalogue import by_path
from wizard.answers.given import Given
from wizard.machine import Machine
from wizard.steps import STEPS

MACHINE = Machine(login=ACCOUNT["user"], home_dir=ACCOUNT["home"])
HOST = "example.test"


@pytest.fixture
def mysql_password_where_uberspace_keeps_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".my.cnf").write_text("[client]\npassword=tui-test-password\n")
    monkeypatch.setenv("HOME", str(tmp_path))


def arch_app(tmp_path: Path) -> WizardApp:
    """The wizard on the arch preset with the domain answered and no checks running."""
    return WizardApp(tmp_path / "out", "arch", Given({"domains": {"hosts": [HOST]}}), MACHINE, checks=False)


def field(app: WizardApp, path: str) -> QuestionField:
    return app.screen.query_one(f"#q-{path.replace('.', '-')}", QuestionField)


def taken(app: WizardApp, path: str, text: str) -> bool:
    """Whether the session has taken ``text`` typed into the question ``path``: as its value, or as an error."""
    assert app.session is not None
    question = by_path(path)
    return path in app.session.field_errors or question.format(app.session.draft.value(question)) == text


def all_taken(app: WizardApp, typed: dict[str, str]) -> bool:
    return all(taken(app, path, text) for path, text in typed.items())


def shows(app: WizardApp, path: str, text: str) -> bool:
    """Whether the field of ``path`` holds ``text``."""
    return field(app, path).editor.value == text


async def type_into(pilot, app: WizardApp, path: str, text: str) -> None:
    """Type ``text`` into a question's field (replacing what it holds) and wait until the session has it."""
    editor = field(app, path).editor
    assert isinstance(editor, Input)
    await focus(pilot, editor)
    editor.value = ""
    await pilot.press(*text) if text else None
    await until(pilot, lambda: editor.value == text and taken(app, path, text), f"{path} to take {text!r}")


def showing(app: WizardApp, step: str) -> bool:
    """Whether the screen of ``step`` is shown, its questions in place."""
    screen = app.screen
    return screen.name == step and screen.is_current and bool(screen.query("#content > *"))


async def go_to(pilot, app: WizardApp, step: str) -> None:
    app.go_to(step)
    await until(pilot, lambda: showing(app, step), f"the step {step!r}")


async def walk_to_review(pilot, app: WizardApp, posted: Posted) -> list[str]:
    """Press Next through every step, typing the domain on the way; returns the steps seen."""
    seen = [app.current]
    if app.current == "install" and field(app, "install.user").editor.value == "":
        # Uberspace off its host: the login is asked for (tests/test_uberspace_account.py).
        await type_into(pilot, app, "install.user", ACCOUNT["user"])
    while app.current != "review" and len(seen) <= len(STEPS):
        await pilot.press("ctrl+n")
        await until(pilot, lambda: app.current != seen[-1] and showing(app, app.current), f"the step after {seen[-1]}")
        seen.append(app.current)
        if app.current == "domains":
            await type_into(pilot, app, "domains.hosts", HOST)
    await posted.next(pilot, ProposalReady)
    return seen




def error_under(app: WizardApp, path: str) -> str:
    return str(field(app, path).query_one(".question-error", Static).render())

