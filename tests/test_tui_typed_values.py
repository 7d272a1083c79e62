"""The Textual wizard driven by Pilot: what was typed stays as typed, whatever happens around it."""

from __future__ import annotations

import io
from functools import partial
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input, ListView, Static

import presets
from screens.app import WizardApp
from screens.review import ANSWERS, ReviewScreen
from screens.work import ProposalReady
from tests.answers_helpers import ACCOUNT
from tests.support.tui import (
    HOST,
    MACHINE,
    all_taken,
    arch_app,
    error_under,
    field,
    go_to,
    mysql_password_where_uberspace_keeps_it,
    showing,
    shows,
    type_into,
)
from tests.support.waiting import Posted, focus, until
from wizard.answers.catalogue import by_path
from wizard.answers.given import Given

pytestmark = pytest.mark.usefixtures(mysql_password_where_uberspace_keeps_it.__name__)


async def test_what_was_typed_is_shown_as_typed_in_errors_never_read_as_markup(tmp_path: Path) -> None:
    app, posted = arch_app(tmp_path), Posted()
    async with app.run_test(size=(120, 40), message_hook=posted) as pilot:
        await go_to(pilot, app, "install")
        await type_into(pilot, app, "install.user", "[b]root")
        await until(pilot, lambda: "'[b]root' is not a valid user name" in error_under(app, "install.user"),
                    "the typed value, brackets and all, in the error under install.user")
        await pilot.press("ctrl+r")
        await posted.next(pilot, ProposalReady)
        status = str(app.screen.query_one("#status", Static).render())
        assert "“System user” (install.user): '[b]root' is not a valid user name" in status


async def test_choosing_another_preset_shows_its_answers_on_the_step_that_had_the_focus(tmp_path: Path) -> None:
    # The login given: off the Uberspace host the field asking for it would have the focus.
    given = Given({"domains": {"hosts": [HOST]}, "install": {"user": ACCOUNT["user"]}})
    app = WizardApp(tmp_path / "out", None, given, MACHINE, checks=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: showing(app, "preset"), "the preset screen")
        await pilot.press(*["down"] * presets.names().index("uberspace"), "enter")  # built from source
        await until(pilot, lambda: showing(app, "install"), "the installation step")
        method = field(app, "install.method")
        assert method.editor.value == "source" and method.has_focus_within
        await pilot.press("ctrl+b")
        await until(pilot, lambda: showing(app, "preset"), "the preset screen again")
        await pilot.press(*["up"] * presets.names().index("uberspace"), "enter")  # arch, the first: its package
        await until(pilot, lambda: showing(app, "install") and app.preset_name == "arch", "the installation step")
        assert app.session is not None and app.session.draft.value(method.question) == "package"
        await until(pilot, lambda: method.editor.value == "package", "the method of the arch preset on its field")
        # The review says the same (it said source while the step said package).
        await pilot.press("ctrl+r")
        review = await until(pilot, lambda: app.screen if isinstance(app.screen, ReviewScreen)
                             and app.screen.entry is not None else None, "the review")
        files = review.query_one("#files", ListView)
        files.index = [item.name for item in files.children].index(ANSWERS)
        await until(pilot, lambda: review.entry == ANSWERS, "the answers shown")
        shown = review.query_one("#diff", Static).content
        written = io.StringIO()
        Console(width=200, file=written, color_system=None).print(shown)
        summary = written.getvalue()
        assert "Installation method: package" in summary and "Installation method: source" not in summary


async def test_a_value_changed_elsewhere_never_replaces_what_was_typed_and_not_yet_taken(tmp_path: Path) -> None:
    app = arch_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await go_to(pilot, app, "ports")
        s2s_tls = field(app, "ports.s2s_tls")
        editor = s2s_tls.editor
        assert isinstance(editor, Input) and editor.value == "5270"
        # Typed, the editor's change not yet handled by the field (as while keys arrive quickly) ...
        with editor.prevent(Input.Changed):
            editor.value = "4013"
        # ... when the model's value changes elsewhere: the typed text stays.
        s2s_tls.show(5999)
        assert editor.value == "4013"


async def test_typing_fast_and_slowly_while_the_checks_run_and_the_steps_switch_keeps_every_value(
        tmp_path: Path) -> None:
    from textual import events

    typed = {"ports.c2s": "40222", "ports.s2s_tls": "40135", "ports.stun": "43478", "domains.ipv6": "2001:db8::10",
             "domains.ipv4": "192.0.2.10"}
    # The checks run as the answers change (ports asks the machine, domains asks DNS, which does not answer).
    app = WizardApp(tmp_path / "out", "arch", Given({"domains": {"hosts": [HOST]}}), MACHINE, nameserver="127.0.0.1:9")
    async with app.run_test(size=(100, 30)) as pilot:
        for number, (path, text) in enumerate(typed.items()):
            await go_to(pilot, app, by_path(path).step)
            editor = field(app, path).editor
            assert isinstance(editor, Input)
            await focus(pilot, editor)
            await pilot.press("end", "ctrl+u")
            if number % 2:  # all at once, as a terminal delivers a fast typist's keys
                for character in text:
                    app.post_message(events.Key(character, character))
            else:
                await pilot.press(*text)  # one key at a time
            # Straight on to the next step and back, before anything settles.
            await pilot.press("ctrl+n", "ctrl+b")
            so_far = dict(list(typed.items())[:number + 1])
            await until(pilot, partial(all_taken, app, so_far), f"the values typed up to {path}")
        for path, text in typed.items():
            await go_to(pilot, app, by_path(path).step)
            await until(pilot, partial(shows, app, path, text), f"{path} showing {text!r} as typed")
            assert app.session is not None
            assert by_path(path).format(app.session.draft.value(by_path(path))) == text
            assert path not in app.session.field_errors
