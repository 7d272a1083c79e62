"""The first step: which kind of host, one line each."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

import presets
from screens.base import WizardScreen
from wizard.machine import detect_platform
from wizard.steps import STEPS


class PresetScreen(WizardScreen):
    step = "preset"
    AUTO_FOCUS = "#presets"

    def compose_content(self) -> ComposeResult:
        yield Static("Where will ejabberd run?", classes="step-heading")
        # The steps are named here as well as in the step list: before a preset is chosen
        # there is no step list.
        steps = ", ".join(title for _, title in STEPS)
        yield Static(f"The preset fills in every answer for that kind of host; you can change each one in the steps "
                     f"that follow: {steps}, Review. Nothing is written before the review, and then only to "
                     f"{self.wizard.out}. Choose with the arrow keys and Enter.", classes="step-intro")
        # With their descriptions from the start: filled in after the first paint, they
        # cost as much to read and then a second layout and paint of the screen.
        yield OptionList(*(Option(f"{name}\n  {presets.describe(name)}", id=name) for name in presets.names()),
                         id="presets")

    def on_mount(self) -> None:
        chosen = self.wizard.preset_name
        option_list = self.query_one("#presets", OptionList)
        found = None if chosen else (self.wizard.machine.platform if self.wizard.machine else detect_platform())
        if found and found.preset in presets.names():  # this machine's preset, and why; another can be chosen
            chosen = found.preset
            self.notify(f"{chosen} is preselected: {found.reason}.", title="This machine")
        if chosen:
            option_list.highlighted = presets.names().index(chosen)

    @on(OptionList.OptionSelected, "#presets")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.wizard.choose_preset(str(event.option.id))
