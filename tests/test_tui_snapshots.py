"""What each step looks like, at the smallest usual terminal and a roomy one."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, ListView

from screens.app import ALL_STEPS, WizardApp
from screens.review import ReviewScreen
from tests.answers_helpers import ACCOUNT, write_answers
from tests.support.waiting import until
from wizard.answers.given import Given
from wizard.cli import main
from wizard.machine import Machine

MACHINE = Machine(login=ACCOUNT["user"], home_dir=ACCOUNT["home"])
SIZES = [(80, 24), (120, 40)]


async def steady(pilot: Pilot[int]) -> None:
    """The screen with its focus given, and no blinking cursor: it shows and hides every half
    second, and a snapshot must not depend on the moment it is taken."""
    app = pilot.app
    await until(pilot, lambda: app.screen.focused is not None, "the focus on the screen")
    await pilot.pause()  # the Focus event handled: it would show the cursor again
    for editor in app.screen.query(Input):
        editor.cursor_blink = False
    # What a worker still computes, then a repaint that has not happened yet: the snapshot is of a
    # screen at rest. The styles are brought up to date first: a focus given while the review listed
    # its files anew left the list's cursor coloured as unfocused (1 run in about 10 on a busy machine).
    await app.workers.wait_for_complete()
    app.update_styles(app.screen, animate=False)
    frames: list[str] = []

    def at_rest() -> bool:
        frames.append(app.export_screenshot())
        return len(frames) > 1 and frames[-1] == frames[-2]

    await until(pilot, at_rest, "the screen to stay the same from one frame to the next")


def make_app() -> WizardApp:
    # A relative, never-written directory: the screens show it, so it must be the same everywhere.
    return WizardApp(Path("snapshot-deploy"), None, Given({"domains": {"hosts": ["example.test"]}}), MACHINE,
                     checks=False)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("step", [name for name, _ in ALL_STEPS])
def test_step_snapshot(snap_compare, step: str, size: tuple[int, int]) -> None:
    async def go_to_step(pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: app.screen.name == "preset", "the preset screen")
        if step != "preset":
            await pilot.press("enter")  # the first preset: arch
            await until(pilot, lambda: app.screen.name == "install", "the first step")
            app.go_to(step)
        await until(pilot, lambda: app.screen.name == step, f"the step {step!r}")
        if step == "review":
            await until(pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen.proposal is not None,
                        "the review's proposal")
        await steady(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=go_to_step)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_review_of_a_hand_edited_file_snapshot(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               size: tuple[int, int]) -> None:
    """The diff of a file edited by hand, with the button that takes the wizard's version."""
    monkeypatch.chdir(tmp_path)  # the screens show the relative directory: the same everywhere
    out = Path("snapshot-edited")
    # The release is given: generate would otherwise take the installed package's, and the app's MACHINE has none.
    answers = {"preset": "arch", "install": {**ACCOUNT, "version": "26.07"}, "domains": {"hosts": ["example.test"]}}
    assert main(["generate", "--out", str(out), "--answers", str(write_answers(tmp_path / "a.yml", answers)),
                 "--yes"]) == 0
    deploy = out / "scripts" / "deploy.sh"
    deploy.write_text(deploy.read_text() + "echo my own step\n")
    changed = Given({**answers, "install": {**ACCOUNT, "version": "26.07", "config_dir": "/srv/etc"}})

    async def show_the_edited_file(pilot) -> None:
        app = pilot.app
        app.go_to("review")
        review = await until(pilot, lambda: app.screen if isinstance(app.screen, ReviewScreen)
                             and app.screen.proposal is not None else None, "the review's proposal")
        files = review.query_one("#files", ListView)
        files.index = [item.name for item in files.children].index("scripts/deploy.sh")
        await until(pilot, lambda: review.shown is not None and review.shown.path == "scripts/deploy.sh",
                    "the diff of scripts/deploy.sh")
        review.query_one("#take").scroll_visible(animate=False)
        # The list of files has the focus, as after choosing in it: where the focus lands as the review
        # fills in (the list, the region or a button) is a matter of timing, and colours the snapshot.
        files.focus()
        await until(pilot, lambda: review.focused is files, "the focus on the list of files")
        await steady(pilot)
        await pilot.pause()

    app = WizardApp(out, "arch", changed, MACHINE, checks=False)
    assert snap_compare(app, terminal_size=size, run_before=show_the_edited_file)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ports_step_with_twelve_findings_snapshot(snap_compare, size: tuple[int, int]) -> None:
    """The checks panel with more findings than it shows: titled with their number, scrolled."""
    from screens.step import StepScreen
    from wizard.checks import Finding, Severity

    findings = [Finding("ports.free", "ports", "ports", Severity.OK, f"{port} (ports.p{port})",
                        f"port {port} (TCP on ::) is free") for port in range(5220, 5230)]
    findings += [Finding("ports.held", "ports", "ports", Severity.ERROR, "5280 (ports.admin_http)",
                         "port 5280 is held by an ejabberd running as ejabberd", "stop it: systemctl stop ejabberd"),
                 Finding("ports.held", "ports", "ports", Severity.WARNING, "3478 (ports.stun)",
                         "port 3478 (UDP) is held by coturn", "choose another port, or stop coturn")]

    async def show_findings(pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: app.screen.name == "install", "the first step")
        app.go_to("ports")
        screen = await until(pilot, lambda: app.screen if isinstance(app.screen, StepScreen)
                             and app.screen.name == "ports" and app.screen.query("#findings-text") else None,
                             "the ports step")
        screen.show_findings(findings)
        await steady(pilot)

    app = WizardApp(Path("snapshot-deploy"), "arch", Given({"domains": {"hosts": ["example.test"]}}), MACHINE,
                    checks=False)
    assert snap_compare(app, terminal_size=size, run_before=show_findings)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_review_that_cannot_write_yet_snapshot(snap_compare, size: tuple[int, int]) -> None:
    """Two services on one port: the review says why and offers the way to the field at fault."""

    async def open_review(pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: app.screen.name == "install", "the first step")
        app.go_to("review")
        await until(pilot, lambda: app.screen.name == "review" and app.screen.query_one("#fix").display,
                    "the review's link to the answer at fault")
        await steady(pilot)

    given = Given({"domains": {"hosts": ["example.test"]}, "ports": {"c2s": 5269}})
    app = WizardApp(Path("snapshot-deploy"), "arch", given, MACHINE, checks=False)
    assert snap_compare(app, terminal_size=size, run_before=open_review)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_quit_with_answers_not_written_snapshot(snap_compare, monkeypatch: pytest.MonkeyPatch,
                                               size: tuple[int, int]) -> None:
    """^q with answers not written: the question, over the step."""
    from screens.dialogs import Choice

    # The draft's path as the relative directory gives it: the absolute one differs between machines.
    monkeypatch.setattr("wizard.deployment.draft_file.draft_path", lambda out: Path(f"{out}.draft.yml"))

    async def quit_half_way(pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: app.screen.name == "install", "the first step")
        app.session.unsaved = True  # as after an edit
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, Choice) and app.screen.focused is not None, "the question")

    app = WizardApp(Path("snapshot-deploy"), "arch", Given({"domains": {"hosts": ["example.test"]}}), MACHINE,
                    checks=False, offer_draft=False)
    assert snap_compare(app, terminal_size=size, run_before=quit_half_way)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_written_snapshot(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          size: tuple[int, int]) -> None:
    """After Write: what was written, and the next steps."""
    from screens.done import DoneScreen

    monkeypatch.chdir(tmp_path)  # the screens show the relative directory: the same everywhere

    async def write(pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: app.screen.name == "install", "the first step")
        app.go_to("review")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen.proposal is not None
                    and not app.screen.query_one("#write").disabled, "the review's proposal")
        await pilot.press("ctrl+w")
        await until(pilot, lambda: isinstance(app.screen, DoneScreen) and app.screen.query("Markdown *"),
                    "the screen after the write")
        await pilot.pause()

    answers = {"install": {**ACCOUNT, "version": "26.07"}, "domains": {"hosts": ["example.test"]}}
    app = WizardApp(Path("snapshot-written"), "arch", Given(answers), MACHINE, checks=False, offer_draft=False)
    assert snap_compare(app, terminal_size=size, run_before=write)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_resume_a_draft_snapshot(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 size: tuple[int, int]) -> None:
    """The start after quitting half-way: the draft offered."""
    import os
    import time

    from screens.dialogs import Choice

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("wizard.deployment.draft_file.draft_path", lambda out: Path(f"{out}.draft.yml"))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    draft = write_answers(tmp_path / "snapshot-deploy.draft.yml",
                          {"preset": "arch", "domains": {"hosts": ["resumed.example"]}})
    os.utime(draft, (1_800_000_000, 1_800_000_000))  # its time is shown: always the same one

    async def offered(pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: isinstance(app.screen, Choice) and app.screen.focused is not None, "the offer")

    try:
        assert snap_compare(WizardApp(Path("snapshot-deploy"), None, Given(), MACHINE, checks=False),
                            terminal_size=size, run_before=offered)
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_verify_the_live_server_snapshot(snap_compare, size: tuple[int, int]) -> None:
    """The compliance step's dialog that tests the live server, before it runs."""
    from screens.verify_dialog import VerifyDialog

    async def open_dialog(pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: app.screen.name == "install", "the first step")
        app.go_to("compliance")
        await until(pilot, lambda: app.screen.name == "compliance" and app.screen.query("#verify-open"),
                    "the compliance step")
        await pilot.click("#verify-open")
        await until(pilot, lambda: isinstance(app.screen, VerifyDialog), "the dialog")
        await steady(pilot)

    app = WizardApp(Path("snapshot-deploy"), "arch", Given({"domains": {"hosts": ["example.test"]}}), MACHINE,
                    checks=False, offer_draft=False)
    assert snap_compare(app, terminal_size=size, run_before=open_dialog)
