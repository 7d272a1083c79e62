"""What every screen of the wizard shares: header, the step list, the footer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header

from screens.sidebar import StepList

if TYPE_CHECKING:
    from screens.app import WizardApp


class WizardScreen(Screen[None]):
    step: str = ""

    @property
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield StepList(self.wizard.step_titles(), self.step, self.wizard.step_states())
            with Vertical(id="content"):
                yield from self.compose_content()
        yield Footer()

    def compose_content(self) -> ComposeResult:
        yield from ()

    def on_screen_resume(self) -> None:
        self.refresh_states()

    def refresh_states(self) -> None:
        self.query_one(StepList).show_states(self.wizard.step_states())

    def on_step_list_jump(self, message: StepList.Jump) -> None:
        self.wizard.go_to(message.step)
