"""The list of steps with the state of each; selecting one jumps to it.

One OptionList rather than a widget per step: it is a single widget to style and
lay out, which keeps the first screen quick to paint.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from wizard.steps import StepState

MARKS = {StepState.NOT_VISITED: "·", StepState.VALID: "✓", StepState.WARNINGS: "!", StepState.ERRORS: "✗"}
STYLES = {StepState.NOT_VISITED: "", StepState.VALID: "green", StepState.WARNINGS: "yellow",
          StepState.ERRORS: "bold red"}


class StepList(OptionList):
    class Jump(Message):
        def __init__(self, step: str) -> None:
            super().__init__()
            self.step = step

    def __init__(self, steps: list[tuple[str, str]], current: str, states: dict[str, StepState]) -> None:
        self._steps = steps
        self.current = current  # the step of the screen: marked ▸, whatever the cursor
        # What each label shows: replacing one re-renders the whole list, so the
        # labels start as they are and only those whose state changed are replaced.
        self._shown = {name: states.get(name) for name, _ in steps}
        super().__init__(*(Option(_label(title, self._shown[name], name == current), id=name) for name, title in steps),
                         id="steps")
        self.highlighted = [name for name, _ in steps].index(current)

    def show_states(self, states: dict[str, StepState]) -> None:
        """The state of each step, and the cursor back on the screen's step (moved with f2 and
        the arrows, and left without choosing)."""
        for name, title in self._steps:
            state = states.get(name)
            if state is not self._shown[name]:
                self._shown[name] = state
                self.replace_option_prompt(name, _label(title, state, name == self.current))
        if not self.has_focus:
            self.highlighted = [name for name, _ in self._steps].index(self.current)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Jump(event.option.id))


def _label(title: str, state: StepState | None, current: bool) -> Text:
    """Only the mark is coloured: the title stays readable on the cursor's background."""
    mark = Text(MARKS[state], style=STYLES[state]) if state else Text(" ")
    return Text.assemble("▸" if current else " ", mark, " ", (title, "bold" if current else ""))
