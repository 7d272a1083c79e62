"""The last step: every choice, then every file with its diff, and the one Write action."""

from __future__ import annotations

from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, ListItem, ListView, ProgressBar, Static

from screens.base import WizardScreen
from screens.work import FilesWritten, ProposalReady, WorkFailed, post_unless_cancelled
from wizard.catalogue import by_path, labelled, question_path, questions_of, step_of
from wizard.errors import InputError
from wizard.plan import Change, Status
from wizard.proposal import Proposal
from wizard.session import Session
from wizard.steps import STEPS
from wizard.upgrade import GUIDE, SCRIPT

TAKE_LABEL = "Take the wizard's version"
KEEP_LABEL = "Keep my version"
# Below this width the file list goes above the diff: side by side, the diff would get a
# third of an 80-column terminal.
SIDE_BY_SIDE_WIDTH = 110


class ReviewScreen(WizardScreen):
    CSS_PATH = "review.tcss"
    step = "review"
    BINDINGS = [("ctrl+w", "write", "Write"), ("ctrl+t", "take", "Keep/take file")]

    def __init__(self, session: Session) -> None:
        super().__init__(name="review")
        self.session = session
        self.proposal: Proposal | None = None
        self.upgrade_from: str | None = None  # the release the shown proposal upgrades from
        self.fault: str | None = None  # the answers path the "Go to" button leads to
        self.shown: Change | None = None
        # Hand-edited files whose wizard version the user chose: kept across proposals,
        # as going back to change an answer proposes again.
        self.taken: set[str] = set()

    def compose_content(self) -> ComposeResult:
        yield Static("Review", classes="step-heading")
        yield Static(id="status")
        yield Button("Go to the answer", id="fix", variant="error", compact=True)
        with VerticalScroll(id="review"):
            # With --import: what of the imported file stays as it is, and which answers it does not set.
            imported = self.session.imported
            yield Static(f"The imported configuration {imported.path if imported else ''}",
                         classes="step-subheading imported")
            yield Static(id="imported", classes="imported")
            yield Static("Files of the deployment directory", classes="step-subheading")
            with Horizontal(id="files-and-diff"):
                yield ListView(id="files")
                with VerticalScroll(id="diff-scroll"):
                    yield Button(TAKE_LABEL, id="take", variant="warning")
                    yield Static(id="diff")
            yield Static("Your answers", classes="step-subheading")
            yield Static(id="summary")
        yield ProgressBar(id="progress", show_eta=False)
        yield Button("Write", id="write", variant="success", disabled=True)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < SIDE_BY_SIDE_WIDTH, "-narrow")

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.query_one("#summary", Static).update(self._summary())
        if self.session.writing:  # back while the write runs: its end shows what it wrote
            return
        self.query_one("#progress").display = False
        # Until the proposal of the answers as they are now arrives, nothing can be written:
        # the one shown before may be of other answers.
        self.proposal = None
        self.query_one("#fix").display = False
        self.query_one("#take").display = False  # until a hand-edited file is shown
        button = self.query_one("#write", Button)
        button.disabled, button.label = True, "Write"
        self.query_one("#status", Static).update(Text("Working out what writing would change…", style="dim"))
        self._propose()

    def _summary(self) -> Table:
        session = self.session
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        values = session.draft.values()
        for step, title in STEPS:
            lines = [f"{q.label}: {q.format(session.draft.value(q))}" for q in questions_of(step) if q.applies(values)]
            table.add_row(title, "\n".join(lines))
        return table

    @work(thread=True, exclusive=True, exit_on_error=False, group="propose", name="the proposal")
    def _propose(self) -> None:
        proposal, upgrade_from = self.session.review()
        post_unless_cancelled(self, ProposalReady(proposal, upgrade_from))

    @on(ProposalReady)
    def _proposal_ready(self, message: ProposalReady) -> None:
        # Not when the screen is being taken down (the app quits meanwhile), nor during a write.
        if self.query("#files") and not self.session.writing:
            self._show(message.proposal, upgrade_from=message.upgrade_from)

    @on(FilesWritten)
    def _files_written(self, message: FilesWritten) -> None:
        self.session.end_write(len(message.changes))
        self.wizard.written(message.changes)

    @on(WorkFailed)
    def _blocked(self, failed: WorkFailed) -> None:
        error = failed.error
        message = labelled(str(error)) if isinstance(error, InputError) else f"unexpected error: {error!r}"
        if self.session.writing:
            self.session.end_write(None)
            self.query_one("#progress").display = False
            self._status(Text.assemble(("✗ The write failed: ", "bold red"), message))
        else:
            field = error.field if isinstance(error, InputError) else None
            self._status(Text.assemble(("✗ Cannot write yet: ", "bold red"), message), field)
        button = self.query_one("#write", Button)
        button.disabled = True
        button.label = "Write"

    def _status(self, text: Text, fault: str | None = None) -> None:
        """The status line (plain text: messages quote answers and paths, whose brackets are not
        markup), with the button to the answer at ``fault`` when there is one."""
        self.query_one("#status", Static).update(text)
        fix = self.query_one("#fix", Button)
        fix.display = fault is not None
        if fault is not None:
            step = step_of(fault)
            self.fault = fault
            fix.label = f"Go to {dict(STEPS).get(step or '', step)}: {by_path(question_path(fault)).label}"

    @on(Button.Pressed, "#fix")
    def _go_to_fault(self) -> None:
        if self.fault:
            self.wizard.go_to_question(self.fault)

    def _show(self, proposal: Proposal, *, keep_highlight: bool = False, upgrade_from: str | None = None) -> None:
        edited = {change.path for change in proposal.local_edits}
        self.proposal = proposal = proposal.taking(self.taken & edited)
        self.upgrade_from = upgrade_from
        files = self.query_one("#files", ListView)
        highlighted = files.index
        files.clear()
        for change in proposal.changes:
            files.append(ListItem(Static(Text(f"{change.status.value:>9}  {change.path}")), name=change.path))
        self.refresh_bindings()
        # The file is named in the heading; a bullet per line, as plain text: paths are not markup.
        self.query_one("#imported", Static).update(Text("\n".join(f"• {line.in_file()}" for line in proposal.imported)))
        self.query(".imported").set(display=bool(proposal.imported))
        pending = len(proposal.pending)
        button = self.query_one("#write", Button)
        blocking = self.session.blocking()
        button.label = f"Write {pending} file{'s' if pending != 1 else ''}" if pending else "Nothing to write"
        button.disabled = pending == 0 or blocking is not None
        notice = proposal.notice()
        session = self.session
        if blocking:
            self._status(Text.assemble(("✗ Cannot write yet: ", "bold red"), blocking[1]), blocking[0])
        elif notice:
            self._status(Text(f"! {notice}", style="bold yellow"))
        elif not pending and session.written_as_answered():
            self._status(Text(f"✓ Wrote {session.written} file(s) to {session.out}; nothing more to write.",
                              style="bold green"))
        elif not pending:
            self._status(Text("Nothing to write: the deployment directory is up to date."))
        else:
            upgrade = (f"Upgrade from ejabberd {upgrade_from} to {proposal.answers.install.version}: "
                       f"{SCRIPT} and {GUIDE} hold the steps, in order. ") if upgrade_from else ""
            self._status(Text(f"{upgrade}{pending} file(s) to write to {session.out}. Nothing is written until "
                              f"you press Write."))
        if keep_highlight and highlighted is not None:
            files.index = highlighted
            self._show_diff(proposal.changes[highlighted])
            return
        first = next((c for c in proposal.changes if c.pending), None)
        self._show_diff(first or (proposal.changes[0] if proposal.changes else None))

    def _show_diff(self, change: Change | None) -> None:
        self.shown = change
        take = self.query_one("#take", Button)
        take.display = change is not None and change.edited_by_hand
        take.label = KEEP_LABEL if change is not None and change.status is Status.OVERWRITE else TAKE_LABEL
        diff = self.query_one("#diff", Static)
        if change is None:
            diff.update("")
        elif change.status is Status.UNCHANGED:
            diff.update(Text(f"{change.path}: unchanged"))
        else:
            diff.update(Syntax(change.masked_diff(take=f"the button “{TAKE_LABEL}”"), "diff", theme="ansi_dark",
                               word_wrap=False))

    @on(ListView.Highlighted, "#files")
    def _file_highlighted(self, event: ListView.Highlighted) -> None:
        if self.proposal and event.item is not None:
            change = next(c for c in self.proposal.changes if c.path == event.item.name)
            self._show_diff(change)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "take":  # only offered when some file was edited by hand
            return self.proposal is not None and bool(self.proposal.local_edits)
        return super().check_action(action, parameters)

    @on(Button.Pressed, "#take")
    def action_take(self) -> None:
        """Switch the shown hand-edited file between the user's version and the wizard's;
        with another file shown, show the first hand-edited one (the key works from anywhere)."""
        if self.proposal is None or not self.proposal.local_edits:
            return
        if self.shown is None or not self.shown.edited_by_hand:
            files = self.query_one("#files", ListView)
            files.index = self.proposal.changes.index(self.proposal.local_edits[0])
            files.focus()
            files.scroll_visible()
            return
        self.taken ^= {self.shown.path}
        self._show(self.proposal, keep_highlight=True, upgrade_from=self.upgrade_from)

    @on(Button.Pressed, "#write")
    def action_write(self) -> None:
        button = self.query_one("#write", Button)
        if button.disabled or self.proposal is None:
            return
        button.disabled = True
        self.session.begin_write()
        progress = self.query_one("#progress", ProgressBar)
        progress.display = True
        progress.update(total=len(self.proposal.pending), progress=0)
        self._write(self.proposal)

    @work(thread=True, exclusive=True, exit_on_error=False, group="write", name="the write")
    def _write(self, proposal: Proposal) -> None:
        progress = self.query_one("#progress", ProgressBar)
        changes = proposal.write(on_written=lambda _: self.app.call_from_thread(progress.advance, 1))
        # Not cancellable: what was written is told, whatever else happened meanwhile.
        self.post_message(FilesWritten(changes))

