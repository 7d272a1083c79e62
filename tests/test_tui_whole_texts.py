"""Texts shown whole and as written (issue 15): the help of a question, never cut at the pane's
height; the review's notes at 80x24, never cut; brackets in them ([client]) never read as markup."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from screens.app import WizardApp
from screens.fields import QuestionField
from screens.review import ReviewScreen
from tests.answers_helpers import ACCOUNT, defaults
from tests.support.components import require
from tests.support.waiting import focus, screen_text, until
from wizard.answers.catalogue import questions_of
from wizard.answers.given import Given
from wizard.machine import Machine

MACHINE = Machine(login=ACCOUNT["user"], home_dir=ACCOUNT["home"])


def flat(text: str) -> str:
    """The words of ``text`` in one line: a text wrapped over lines, scroll bars taken out."""
    return " ".join(word for word in text.split() if word.strip("▁▂▃▄▅▆▇█▔▏▎"))


def content(app: WizardApp) -> str:
    """What the screen shows right of the step list, in one line."""
    return flat("\n".join(line.partition("▎")[2] for line in screen_text(app).splitlines()))


async def test_the_longest_help_is_shown_whole_at_80x24_scrolled_when_longer_than_its_pane(tmp_path: Path) -> None:
    question = max(questions_of("compliance"), key=lambda q: len(q.help))
    app = WizardApp(tmp_path / "out", "arch", Given(defaults("arch")), MACHINE, checks=False, offer_draft=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.name == "install", "the first step")
        app.go_to("compliance")
        field = await until(pilot, lambda: app.screen.name == "compliance"
                            and app.screen.query_one(f"#q-{question.path.replace('.', '-')}", QuestionField),
                            "the compliance step")
        await focus(pilot, field.editor)
        help_text = app.screen.query_one("#help", Static)
        await until(pilot, lambda: question.help in str(help_text.render()), "the whole help in its pane")
        pane = app.screen.query_one("#help-scroll", VerticalScroll)
        pane.scroll_end(animate=False)
        last_words = " ".join(question.help.split()[-3:])
        await until(pilot, lambda: last_words in content(app), "the end of the help, scrolled to")


async def test_the_review_s_reason_is_shown_whole_at_80x24_with_its_brackets(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    require("my_print_defaults", install="apt-get install mariadb-client")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".my.cnf").write_text("[client]\nuser=isabell\n")  # no password: the preview says where it goes
    monkeypatch.setenv("HOME", str(home))
    given = Given(defaults("uberspace", database={"backend": "mysql", "password_source": "my_print_defaults"}))
    app = WizardApp(tmp_path / "out", "uberspace", given, MACHINE, checks=False, offer_draft=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.screen.name == "install", "the first step")
        app.go_to("review")
        status = await until(pilot, lambda: app.screen.query_one("#status", Static) if isinstance(
            app.screen, ReviewScreen) and "my_print_defaults client" in str(app.screen.query_one(
                "#status", Static).render()) else None, "the review's reason")
        assert isinstance(status.content, Text)  # plain text, never markup
        note = str(status.render())
        assert note.startswith("✗ Cannot write yet: ") and note.rstrip().endswith(
            "printed no --password; add password= to [client] in ~/.my.cnf")
        assert flat(note) in content(app)  # every word of it on the screen
