"""Verify the live server from the compliance step: log in as a real client and run every test."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from screens.work import ReportsFailedWork, ServerVerified, WorkFailed, post_unless_cancelled
from wizard.errors import InputError

if TYPE_CHECKING:
    from wizard.verify.run import Settings


class VerifyDialog(ReportsFailedWork, ModalScreen[None]):
    """The same tests as `ejabberd-wizard verify`, against the deployed server."""

    CSS_PATH = ["questions.tcss", "verify_dialog.tcss"]

    BINDINGS = [("escape", "dismiss", "Close")]

    def __init__(self, jid: str) -> None:
        super().__init__()
        self.jid = jid

    def compose(self) -> ComposeResult:
        with Vertical(id="verify-dialog"):
            yield Static("Verify the live server", classes="step-heading")
            yield Static("Logs in as a real client and tests what clients need; it cleans up after itself.",
                         classes="step-intro")
            for name, label, value, password in (
                ("jid", "Account", self.jid, False),
                ("password", "Password", "", True),
                ("server", "Server (empty: DNS)", "", False),
                ("port", "Port (empty: DNS)", "", False),
                ("ca", "CA file (empty: system)", "", False),
            ):
                with Horizontal(classes="question-row"):
                    yield Label(label, classes="question-label")
                    yield Input(value=value, password=password, compact=True, id=f"verify-{name}")
            yield Button("Run the tests", id="verify-run", variant="primary")
            with VerticalScroll(id="verify-scroll"):
                yield Static("", id="verify-report")

    def _value(self, name: str) -> str:
        return self.query_one(f"#verify-{name}", Input).value.strip()

    @on(Button.Pressed, "#verify-run")
    def _run(self) -> None:
        report = self.query_one("#verify-report", Static)
        try:
            port = int(self._value("port")) if self._value("port") else None
        except ValueError:
            report.update("[b red]✗[/] Port: expected a whole number")
            return
        from wizard.verify.command import settings_for

        try:
            settings = settings_for(self._value("jid"), self.query_one("#verify-password", Input).value,
                                    server=self._value("server"), port=port,
                                    ca=Path(self._value("ca")) if self._value("ca") else None)
        except InputError as error:
            report.update(Text(f"✗ {error}", style="bold red"))
            return
        self.query_one("#verify-run", Button).disabled = True
        report.update("Testing ...")
        report.loading = True
        self._verify(settings)

    @work(exclusive=True, exit_on_error=False, group="verify", name="the tests of the live server")
    async def _verify(self, settings: Settings) -> None:
        from wizard.verify.report import text
        from wizard.verify.run import verify

        post_unless_cancelled(self, ServerVerified(text(await verify(settings))))

    @on(ServerVerified)
    def _verified(self, message: ServerVerified) -> None:
        # Plain text: the report's brackets are not markup.
        self._done().update(Text(message.report))

    @on(WorkFailed)
    def _failed(self, message: WorkFailed) -> None:
        error = message.error
        self._done().update(Text(f"✗ {error if isinstance(error, InputError) else repr(error)}", style="bold red"))

    def _done(self) -> Static:
        """The report, no longer loading, with the tests ready to run again."""
        report = self.query_one("#verify-report", Static)
        report.loading = False
        self.query_one("#verify-run", Button).disabled = False
        return report
