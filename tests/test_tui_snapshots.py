"""What each step looks like, at the smallest usual terminal and a roomy one."""

from __future__ import annotations

from pathlib import Path

import pytest

from screens.app import ALL_STEPS, WizardApp
from tests.answers_helpers import ACCOUNT
from wizard.answers import Given, Machine

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
