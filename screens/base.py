"""What every screen of the wizard shares: the step list and the footer.

No title bar: the person typed the program's name, the footer says what each key
does, and at 80x24 the row is worth more to the questions. Where the files go is
said where it matters, on the first screen and the review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer

from screens.sidebar import StepList
from screens.work import ReportsFailedWork

if TYPE_CHECKING:
    from screens.app import WizardApp


class WizardScreen(ReportsFailedWork, Screen[None]):
    step: str = ""

    @property
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            if self.wizard.session is not None:
                # Before a preset is chosen there is no step to go to, so no list of them:
                # the first screen names the steps in its introduction instead.
                yield StepList(self.wizard.step_titles(), self.step, self.wizard.step_states())
            with Vertical(id="content"):
                yield from self.compose_content()
        # The keys, and beside them the same moves as buttons for the mouse (and Tab, Enter).
        with Horizontal(id="bottom-bar"):
            yield Footer()
            if self.wizard.session is not None:  # before a preset is chosen there is nothing to move to
                yield Button("◂ Back", id="nav-back", compact=True)
                if self.step != "review":  # the last step: nothing after it
                    yield Button("Next ▸", id="nav-next", compact=True)

    def compose_content(self) -> ComposeResult:
        yield from ()

    def on_screen_resume(self) -> None:
        self.refresh_states()

    def refresh_states(self) -> None:
        for step_list in self.query(StepList):
            step_list.show_states(self.wizard.step_states())

    @on(Button.Pressed, "#nav-back")
    async def _back_pressed(self) -> None:
        await self.run_action("app.back")

    @on(Button.Pressed, "#nav-next")
    async def _next_pressed(self) -> None:
        await self.run_action("app.next")

    def on_step_list_jump(self, message: StepList.Jump) -> None:
        self.wizard.go_to(message.step)
