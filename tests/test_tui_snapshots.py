"""What each step looks like, at the smallest usual terminal and a roomy one."""

from __future__ import annotations

from pathlib import Path

import pytest

from screens.app import ALL_STEPS, WizardApp
from tests.answers_helpers import ACCOUNT, write_answers
from wizard.answers import Given, Machine
from wizard.cli import main

MACHINE = Machine(login=ACCOUNT["user"], home_dir=ACCOUNT["home"])
SIZES = [(80, 24), (120, 40)]


def make_app() -> WizardApp:
    # A relative, never-written directory: the screens show it, so it must be the same everywhere.
    return WizardApp(Path("snapshot-deploy"), None, Given({"domains": {"hosts": ["example.test"]}}), MACHINE,
                     checks=False)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("step", [name for name, _ in ALL_STEPS])
def test_step_snapshot(snap_compare, step: str, size: tuple[int, int]) -> None:
    async def go_to_step(pilot) -> None:
        app = pilot.app
        await pilot.pause()
        if step != "preset":
            await pilot.press("enter")  # the first preset: arch
            await pilot.pause()
            app.go_to(step)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=go_to_step)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_review_of_a_hand_edited_file_snapshot(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               size: tuple[int, int]) -> None:
    """The diff of a file edited by hand, with the button that takes the wizard's version."""
    monkeypatch.chdir(tmp_path)  # the screens show the relative directory: the same everywhere
    out = Path("snapshot-edited")
    answers = {"preset": "arch", "install": dict(ACCOUNT), "domains": {"hosts": ["example.test"]}}
    assert main(["generate", "--out", str(out), "--answers", str(write_answers(tmp_path / "a.yml", answers)),
                 "--yes"]) == 0
    deploy = out / "scripts" / "deploy.sh"
    deploy.write_text(deploy.read_text() + "echo my own step\n")
    changed = Given({**answers, "install": {**ACCOUNT, "config_dir": "/srv/etc"}})

    async def show_the_edited_file(pilot) -> None:
        app = pilot.app
        app.go_to("review")
        await app.workers.wait_for_complete()
        await pilot.pause()
        files = app.screen.query_one("#files")
        files.index = [item.name for item in files.children].index("scripts/deploy.sh")
        await pilot.pause()
        app.screen.query_one("#take").scroll_visible(animate=False)
        await pilot.pause()

    app = WizardApp(out, "arch", changed, MACHINE, checks=False)
    assert snap_compare(app, terminal_size=size, run_before=show_the_edited_file)
