"""After writing: what was written, and the next steps from the deployment's README."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static


class DoneScreen(Screen[None]):
    CSS_PATH = "done.tcss"
    BINDINGS = [("ctrl+q", "app.quit", "Quit"), ("escape", "app.quit", "Quit")]

    def __init__(self, out: Path, written: int) -> None:
        super().__init__(name="done")
        self.out = out
        self.written = written

    def compose(self) -> ComposeResult:
        # Plain text: the directory's name may hold brackets, which are no markup.
        yield Static(Text(f"✓ Wrote {self.written} file(s) to {self.out}", style="bold green"), id="done-status")
        with VerticalScroll(id="next-steps"):
            yield Markdown((self.out / "README.md").read_text(encoding="utf-8"))
        yield Footer()
