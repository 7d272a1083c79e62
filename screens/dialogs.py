"""The two questions the app asks outside the steps: resume a draft, and quit with answers not written."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

RESUME, START_OVER = "resume", "start-over"
QUIT, QUIT_DISCARD, STAY = "quit", "quit-discard", "stay"


class Choice(ModalScreen[str]):
    """A message and a row of buttons; dismissed with the id of the button pressed (Esc: the last one)."""

    DEFAULT_CSS = """
    Choice { align: center middle; }
    #choice { width: 72; max-width: 95%; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    #choice-text { height: auto; margin-bottom: 1; }
    #choice-buttons { height: auto; }
    #choice-buttons Button { margin-right: 1; }
    """
    BINDINGS = [("escape", "cancel", "Cancel")]

    def __init__(self, text: str, buttons: list[tuple[str, str]]) -> None:
        super().__init__()
        self.text, self.buttons = text, buttons

    def compose(self) -> ComposeResult:
        with Vertical(id="choice"):
            yield Static(self.text, id="choice-text", markup=False)
            with Horizontal(id="choice-buttons"):
                for number, (key, label) in enumerate(self.buttons):
                    yield Button(label, id=key, variant="primary" if number == 0 else "default", compact=True)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(str(event.button.id))

    def action_cancel(self) -> None:
        self.dismiss(self.buttons[-1][0])


def resume_draft(path: str, saved_at: str, out: str) -> Choice:
    return Choice(f"The answers of an earlier session, not written to {out}, were kept in {path} "
                  f"(last changed {saved_at}). Go on with them?",
                  [(RESUME, "Resume those answers"), (START_OVER, "Start over")])


def quit_unsaved(path: str, out: str) -> Choice:
    return Choice(f"Your answers are not written to {out} yet. Quitting keeps them in {path}, and the wizard "
                  f"offers them when it starts again.",
                  [(QUIT, "Quit, keep the draft"), (QUIT_DISCARD, "Quit, discard them"), (STAY, "Back")])
