"""What the TUI's screens offer and tell besides the questions (issue 15): Back and Next buttons,
errors never out of sight and naming fields by label, Uberspace's ports, a screenshot anywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Static

from screens.app import WizardApp
from screens.fields import QuestionField
from tests.answers_helpers import ACCOUNT
from tests.support.waiting import focus, screen_text, until
from wizard.answers.given import Given
from wizard.machine import Machine

MACHINE = Machine(login=ACCOUNT["user"], home_dir=ACCOUNT["home"])
HOST = "example.test"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of the test's own, without ~/Downloads; the MySQL password where Uberspace keeps it."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".my.cnf").write_text("[client]\npassword=guidance-test\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    return home


def app_for(tmp_path: Path, preset: str = "arch", **given: Any) -> WizardApp:
    answers = {"domains": {"hosts": [HOST]}, **given}
    return WizardApp(tmp_path / "out", preset, Given(answers), MACHINE, checks=False, offer_draft=False)


def field(app: WizardApp, path: str) -> QuestionField:
    return app.screen.query_one(f"#q-{path.replace('.', '-')}", QuestionField)


async def on_step(pilot: Any, app: WizardApp, step: str) -> None:
    await until(pilot, lambda: app.screen.name == step and app.screen.is_current
                and bool(app.screen.query("#content > *")), f"the step {step!r}")


async def type_over(pilot: Any, app: WizardApp, path: str, text: str) -> None:
    editor = field(app, path).editor
    assert isinstance(editor, Input)
    await focus(pilot, editor)
    editor.value = ""
    await pilot.press(*text)


async def test_back_and_next_buttons_beside_the_footer_move_between_steps(tmp_path: Path) -> None:
    app = app_for(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_step(pilot, app, "install")
        bar = app.screen.query_one("#bottom-bar")
        assert {child.id for child in bar.children} >= {"nav-back", "nav-next"}
        assert app.screen.query_one("#nav-next", Button).region.y == app.size.height - 1  # the footer's row
        await pilot.click("#nav-next")
        await on_step(pilot, app, "domains")
        await pilot.click("#nav-back")
        await on_step(pilot, app, "install")
        app.go_to("review")
        await on_step(pilot, app, "review")
        assert app.screen.query("#nav-back") and not app.screen.query("#nav-next")  # nothing after the review
        await pilot.click("#nav-back")
        await on_step(pilot, app, "service")


async def test_an_error_appearing_under_the_last_field_in_sight_is_scrolled_into_view(tmp_path: Path) -> None:
    """At 80x24 the admin port is the form's last line: its error, three lines long, would be below it."""
    app = app_for(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.go_to("ports")
        await on_step(pilot, app, "ports")
        admin = field(app, "ports.admin_http")
        admin.scroll_visible(animate=False)
        await type_over(pilot, app, "ports.admin_http", "5222")
        await until(pilot, lambda: admin.error, "the error under the admin port")
        assert "“Client port (STARTTLS)” (ports.c2s)" in admin.error  # the other field, by its label
        await until(pilot, lambda: "needs its own port" in " ".join(screen_text(app).split()),
                    "the whole error on the screen")


async def test_an_error_on_another_field_of_the_step_is_told_at_the_top_with_the_way_to_it(tmp_path: Path) -> None:
    app = app_for(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.go_to("ports")
        await on_step(pilot, app, "ports")
        await type_over(pilot, app, "ports.c2s", "5270")  # the direct-TLS server port's, further down
        later = field(app, "ports.s2s_tls")
        fault = app.screen.query_one("#step-fault", Button)
        await until(pilot, lambda: fault.display and later.error, "the error told at the top of the step")
        told = str(fault.label)
        assert told.startswith("✗ Server port (direct TLS): port 5270 is already used by “Client port (STARTTLS)”")
        assert fault.region.y < field(app, "ports.listen_ip").region.y  # above the first question
        await pilot.click("#step-fault")
        await until(pilot, lambda: app.screen.focused is later.editor, "the focus on the field at fault")
        await until(pilot, lambda: not fault.display, "the top line gone: the field at fault has the focus")
        assert "Server port (direct TLS)" in screen_text(app)


async def test_the_review_names_the_field_at_fault_by_its_label(tmp_path: Path) -> None:
    app = app_for(tmp_path, ports={"s2s": 5222})
    async with app.run_test(size=(120, 40)) as pilot:
        app.go_to("review")
        status = await until(pilot, lambda: app.screen.query_one("#fix").display and app.screen.query_one("#status"),
                             "the review's link to the answer at fault")
        shown = str(status.render())
        assert "“Server port” (ports.s2s): port 5222 is already used by “Client port (STARTTLS)” (ports.c2s)" in shown


def _fake_uberspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[int]) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "uberspace"
    listing = "".join(f"{port}\n" for port in opened)
    tool.write_text(f"#!/bin/sh\n[ \"$1 $2\" = 'port list' ] && printf '{listing}'\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path('/usr/bin')}:{Path('/bin')}")


async def test_the_ports_step_on_uberspace_says_to_open_them_first_and_takes_the_listed_numbers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = [41001, 41002, 41003, 41004, 41005, 41006, 41007, 41008]
    _fake_uberspace(tmp_path, monkeypatch, opened)
    app = app_for(tmp_path, "uberspace", install=dict(ACCOUNT))  # the account, as on the host
    async with app.run_test(size=(80, 24)) as pilot:
        app.go_to("ports")
        await on_step(pilot, app, "ports")
        note = app.screen.query_one("#uberspace-note", Static)
        assert note.display and "`uberspace port add` 8 times" in str(note.render())
        await pilot.click("#uberspace-take")
        await until(pilot, lambda: field(app, "ports.c2s").editor.value == "41001", "the listed numbers in the fields")
        shown = {path: field(app, f"ports.{path}").editor.value
                 for path in ("c2s", "s2s", "proxy65", "c2s_tls", "s2s_tls", "stun", "stuns", "turn_relay")}
        assert shown == {"c2s": "41001", "s2s": "41002", "proxy65": "41003", "c2s_tls": "41004",
                         "s2s_tls": "41005", "stun": "41006", "stuns": "41007", "turn_relay": "41008"}
        assert app.session is not None and app.session.draft.answers().ports.c2s == 41001


async def test_the_ports_step_off_uberspace_has_neither_note_nor_button(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_uberspace(tmp_path, monkeypatch, [41001])
    app = app_for(tmp_path, "arch")
    async with app.run_test(size=(80, 24)) as pilot:
        app.go_to("ports")
        await on_step(pilot, app, "ports")
        assert not app.screen.query_one("#uberspace-note").display
        assert not app.screen.query_one("#uberspace-take").display


async def test_a_screenshot_without_a_downloads_directory_is_saved_beside_the_deployment(tmp_path: Path,
                                                                                      home: Path) -> None:
    app = app_for(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await on_step(pilot, app, "install")
        assert not (home / "Downloads").exists()
        app.deliver_screenshot()  # what Ctrl+P → Screenshot calls
        # Written in a thread: whole once it ends in the SVG's closing tag.
        saved = await until(pilot, lambda: [path for path in tmp_path.glob("*.svg")
                                            if path.read_text().rstrip().endswith("</svg>")],
                            "the screenshot beside the deployment")
        assert "Installation" in saved[0].read_text()
