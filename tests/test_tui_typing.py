"""What is typed stays exactly as typed: fast or one key at a time, while the checks run and
the screen is refreshed, across step switches (issue 15, bug 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.message import Message
from textual.widgets import Input

from screens.app import WizardApp
from screens.fields import QuestionField
from screens.step import StepScreen
from tests.answers_helpers import ACCOUNT
from tests.support.waiting import Posted, focus, until
from wizard.answers.catalogue import by_path
from wizard.answers.given import Given
from wizard.machine import Machine

MACHINE = Machine(login=ACCOUNT["user"], home_dir=ACCOUNT["home"])
HOST = "example.test"
# As a person typed them in the issue: an IPv6 address written out (the model holds it as
# 2a00:d0c0:200::b9:1a:9c:10), ports typed after C-u, and a list.
TYPED = {"domains.ipv6": "2a00:d0c0:200:0:b9:1a:9c:10", "ports.s2s_tls": "40135", "ports.c2s": "40222",
         "domains.ipv4": "192.0.2.10", "ports.stun": "43478", "domains.hosts": "example.test, chat.example.test"}


@pytest.fixture(autouse=True)
def mysql_password_where_uberspace_keeps_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".my.cnf").write_text("[client]\npassword=tui-test-password\n")
    monkeypatch.setenv("HOME", str(tmp_path))


def field(app: WizardApp, path: str) -> QuestionField:
    return app.screen.query_one(f"#q-{path.replace('.', '-')}", QuestionField)


class RefreshWhileTold(Posted):
    """Records the messages, and refreshes the step each time a field has told its edit and
    before the screen has taken it: as coming back to the step, or another answer changing,
    does when it falls between the two."""

    def __init__(self) -> None:
        super().__init__()
        self.refreshes = 0

    def __call__(self, message: Message) -> None:
        first = id(message) not in self._seen
        super().__call__(message)
        if first and isinstance(message, QuestionField.Edited):
            screen = message.field.screen
            if isinstance(screen, StepScreen):
                self.refreshes += 1
                screen.call_next(screen.on_screen_resume)


def held_by_model(app: WizardApp, path: str, text: str) -> bool:
    """Whether the session holds ``text`` parsed, with no error on the field."""
    assert app.session is not None
    question = by_path(path)
    return path not in app.session.field_errors and app.session.draft.value(question) == question.parse(text)


async def show_step(pilot: Any, app: WizardApp, step: str) -> None:
    app.go_to(step)
    await until(pilot, lambda: app.screen.name == step and app.screen.is_current
                and bool(app.screen.query(QuestionField)), f"the step {step!r}")


async def test_every_typed_value_stays_exactly_as_typed_fast_slow_and_across_steps(tmp_path: Path) -> None:
    hook = RefreshWhileTold()
    # Checks on: ports asks this machine, domains asks DNS (where nothing answers).
    app = WizardApp(tmp_path / "out", "arch", Given({"domains": {"hosts": [HOST]}}), MACHINE,
                    nameserver="127.0.0.1:9")
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        for number, (path, text) in enumerate(TYPED.items()):
            await show_step(pilot, app, by_path(path).step)
            editor = field(app, path).editor
            assert isinstance(editor, Input)
            await focus(pilot, editor)
            if number % 2:
                # All at once, as a terminal delivers a fast typist's keys (tmux send-keys End C-u 40135):
                # C-u and End are the Input's bindings, which Textual runs later than the characters
                # that follow them; with a typo put right with backspace.
                keys = ["end", "ctrl+u", *text[:-1], "x", "backspace", text[-1]]
                for key in keys:
                    app.post_message(events.Key(key, key if len(key) == 1 else None))
            else:
                await pilot.press("end", "ctrl+u")
                await until(pilot, lambda: editor.value == "", f"ctrl+u to empty {path}")  # noqa: B023
                # One key at a time, each seen on the screen before the next is typed.
                for count, character in enumerate(text, start=1):
                    await pilot.press(character)
                    assert editor.value == text[:count], f"{path} after {count} keys"
            await until(pilot, lambda: held_by_model(app, path, text), f"the session to take {path}")  # noqa: B023
            assert editor.value == text, f"{path} shows {editor.value!r} once taken"
            # Leaving the field backwards, and the step both ways, before anything settles.
            await pilot.press("shift+tab")
            assert editor.value == text, f"{path} after shift+tab"
            await pilot.press("ctrl+n", "ctrl+b")
            await until(pilot, lambda: app.screen.is_current and app.screen.name == by_path(path).step,  # noqa: B023
                        f"the step of {path} again")
            assert field(app, path).editor.value == text, f"{path} after ctrl+n ctrl+b"
        assert hook.refreshes >= sum(len(text) for text in TYPED.values())
        for path, text in TYPED.items():
            await show_step(pilot, app, by_path(path).step)
            await pilot.pause()
            assert field(app, path).editor.value == text, path
            assert held_by_model(app, path, text), path
