"""The list of steps with the state of each; selecting one jumps to it."""

from __future__ import annotations

from textual import on
from textual.message import Message
from textual.widgets import ListItem, ListView, Static

from wizard.session import StepState

MARKS = {StepState.NOT_VISITED: "·", StepState.VALID: "✓", StepState.WARNINGS: "!", StepState.ERRORS: "✗"}


class StepList(ListView):
    class Jump(Message):
        def __init__(self, step: str) -> None:
            super().__init__()
            self.step = step

    def __init__(self, steps: list[tuple[str, str]], current: str) -> None:
        self._steps = steps
        items = [ListItem(Static(f"  {title}", classes="step-title"), id=f"step-{name}") for name, title in steps]
        super().__init__(*items, initial_index=[name for name, _ in steps].index(current), id="steps")

    def show_states(self, states: dict[str, StepState]) -> None:
        for name, title in self._steps:
            state = states.get(name)
            mark = MARKS[state] if state else " "
            item = self.query_one(f"#step-{name}", ListItem)
            item.query_one(Static).update(f"{mark} {title}")
            for candidate in StepState:
                item.set_class(state is candidate, f"-{candidate.name.lower()}")

    @on(ListView.Selected)
    def _selected(self, event: ListView.Selected) -> None:
        event.stop()
        if event.item.id:
            self.post_message(self.Jump(event.item.id.removeprefix("step-")))
