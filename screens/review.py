"""The last step: every file with its diff, the answers, and the one Write action.

One scrolling region: the list on the left (above, when narrow) chooses what it shows —
a file's diff, the answers step by step, or what an imported config keeps — and the
status, the link to the answer at fault and the buttons stay where they are.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, ScrollableContainer
from textual.widgets import Button, ListItem, ListView, ProgressBar, Static

from screens.base import WizardScreen
from screens.work import FilesWritten, ProposalReady, WorkFailed, post_unless_cancelled
from wizard.answers.catalogue import by_path, labelled, question_path, questions_of, step_of
from wizard.deployment.plan import Change, Status
from wizard.deployment.proposal import Proposal
from wizard.deployment.upgrade import GUIDE, SCRIPT
from wizard.errors import InputError
from wizard.session import Session
from wizard.steps import STEPS

TAKE_LABEL = "Take the wizard's version"
KEEP_LABEL = "Keep my version"
# Below this width the list goes above the diff: side by side, the diff would get half
# of a 120-column terminal, and a diff's lines are long.
SIDE_BY_SIDE_WIDTH = 140
# The entries of the list that are no file (a path never starts with "#").
ANSWERS = "#answers"
IMPORTED = "#imported"


class ShownEntry(ScrollableContainer):
    """The one scrolling region: its title names what it shows and, unless it has the focus,
    how to give it the focus; with it, the arrows, PgUp/PgDn, Home and End scroll it."""

    def __init__(self) -> None:
        super().__init__(id="diff-scroll")
        self.what = ""

    def show(self, what: str) -> None:
        self.what = what
        self._title()

    def _title(self) -> None:
        keys = "↑↓←→ PgUp PgDn scroll" if self.has_focus else "Tab: scroll it"
        self.border_title = Text.assemble(self.what, (f"  ({keys})", "dim")) if self.what else ""

    def watch_has_focus(self, has_focus: bool) -> None:
        super().watch_has_focus(has_focus)
        self._title()


class ReviewScreen(WizardScreen):
    CSS_PATH = "review.tcss"
    step = "review"
    AUTO_FOCUS = "#files"
    BINDINGS = [("ctrl+w", "write", "Write"), ("ctrl+t", "take", "Keep/take file")]

    def __init__(self, session: Session) -> None:
        super().__init__(name="review")
        self.session = session
        self.proposal: Proposal | None = None
        self.upgrade_from: str | None = None  # the release the shown proposal upgrades from
        self.fault: str | None = None  # the answers path the "Go to" button leads to
        self.shown: Change | None = None  # the file whose diff is shown (None: another entry, or none)
        self.entry: str | None = None  # the entry of the list shown: a path, ANSWERS or IMPORTED
        # Hand-edited files whose wizard version the user chose: kept across proposals,
        # as going back to change an answer proposes again.
        self.taken: set[str] = set()

    def compose_content(self) -> ComposeResult:
        yield Static("Review", classes="step-heading")
        yield Static(id="status")
        yield Button("Go to the answer", id="fix", variant="error", compact=True)
        with Horizontal(id="files-and-diff"):
            yield ListView(id="files")
            with ShownEntry():  # the screen's one scrolling region
                yield Static(id="diff")
        with Horizontal(id="actions"):
            yield Button("Write", id="write", variant="success", disabled=True, compact=True)
            yield Button(TAKE_LABEL, id="take", variant="warning", compact=True)
            yield ProgressBar(id="progress", show_eta=False)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < SIDE_BY_SIDE_WIDTH, "-narrow")

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self.entry == ANSWERS:
            self._show_entry(ANSWERS)
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

    def summary(self) -> Table:
        """Every answer that applies, step by step, by its label."""
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
    async def _proposal_ready(self, message: ProposalReady) -> None:
        # Not when the screen is being taken down (the app quits meanwhile), nor during a write.
        if self.query("#files") and not self.session.writing:
            await self._show(message.proposal, upgrade_from=message.upgrade_from)

    @on(FilesWritten)
    def _files_written(self, message: FilesWritten) -> None:
        self.session.end_write(len(message.changes))
        self.wizard.written(message.changes)

    @on(WorkFailed)
    async def _blocked(self, failed: WorkFailed) -> None:
        error = failed.error
        message = labelled(str(error)) if isinstance(error, InputError) else f"unexpected error: {error!r}"
        if self.session.writing:
            self.session.end_write(None)
            self.query_one("#progress").display = False
            self._status(Text.assemble(("✗ The write failed: ", "bold red"), message))
        else:
            field = error.field if isinstance(error, InputError) else None
            self._status(Text.assemble(("✗ Cannot write yet: ", "bold red"), message), field)
            await self._list([ANSWERS], ANSWERS)  # no files to show: the answers, to see what to change
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

    async def _show(self, proposal: Proposal, *, upgrade_from: str | None = None) -> None:
        """Show a proposal: its files listed (the entry shown before stays shown), its status and Write."""
        edited = {change.path for change in proposal.local_edits}
        self.proposal = proposal = proposal.taking(self.taken & edited)
        self.upgrade_from = upgrade_from
        # The answers first: one line here, and at 80x24 the end of the list is out of sight.
        entries = [ANSWERS, *([IMPORTED] if proposal.imported else []), *(change.path for change in proposal.changes)]
        self.refresh_bindings()
        self._show_status(proposal, upgrade_from)
        first = next((c.path for c in proposal.changes if c.pending), entries[0])
        await self._list(entries, self.entry if self.entry in entries else first)

    async def _list(self, entries: list[str], shown: str) -> None:
        """List ``entries`` (paths of the proposal's files, ANSWERS, IMPORTED) and show ``shown``."""
        files = self.query_one("#files", ListView)
        await files.clear()
        await files.extend(ListItem(Static(self._entry_label(entry)), name=entry) for entry in entries)
        self._show_entry(shown)
        with files.prevent(ListView.Highlighted):
            files.index = entries.index(shown)

    def _entry_label(self, entry: str) -> Text:
        """One line of the list, as plain text (paths are not markup): what the entry is, and its name."""
        if entry == ANSWERS:
            return Text.assemble((f"{'answers':>9}  ", "bold"), "Your answers, step by step")
        if entry == IMPORTED:
            return Text.assemble((f"{'import':>9}  ", "bold"), "What the imported config keeps")
        change = next(c for c in self.proposal.changes if c.path == entry) if self.proposal else None
        if change is None:
            return Text(entry)
        return Text(f"{change.status.value:>9}  {change.path}")

    def _show_status(self, proposal: Proposal, upgrade_from: str | None) -> None:
        pending = len(proposal.pending)
        button = self.query_one("#write", Button)
        session = self.session
        blocking = session.blocking()
        button.label = f"Write {pending} file{'s' if pending != 1 else ''}" if pending else "Nothing to write"
        button.disabled = pending == 0 or blocking is not None
        notice = proposal.notice()
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

    def _show_entry(self, entry: str | None) -> None:
        """Show an entry of the list in the scrolling region, from its top."""
        proposal = self.proposal
        change = next((c for c in proposal.changes if c.path == entry), None) if proposal else None
        self.entry, self.shown = entry, change
        take = self.query_one("#take", Button)
        take.display = change is not None and change.edited_by_hand
        take.label = KEEP_LABEL if change is not None and change.status is Status.OVERWRITE else TAKE_LABEL
        title, content = self._content(entry, change)
        region = self.query_one(ShownEntry)
        region.show(title)
        self.query_one("#diff", Static).update(content)
        region.scroll_home(animate=False)

    def _content(self, entry: str | None, change: Change | None) -> tuple[str, RenderableType]:
        if entry == ANSWERS:
            return "Your answers", self.summary()
        if entry == IMPORTED:
            imported = self.session.imported
            lines = self.proposal.imported if self.proposal else []
            # The file is named in the title; a bullet per line, as plain text: paths are not markup.
            return (f"The imported configuration {imported.path if imported else ''}",
                    Text("\n".join(f"• {line.in_file()}" for line in lines)))
        if change is None:
            return "", ""
        if change.status is Status.UNCHANGED:
            return change.path, Text(f"{change.path}: unchanged")
        return change.path, Syntax(change.masked_diff(take=f"the button “{TAKE_LABEL}”"), "diff", theme="ansi_dark",
                                   word_wrap=False)

    @on(ListView.Highlighted, "#files")
    def _entry_highlighted(self, event: ListView.Highlighted) -> None:
        if self.proposal and event.item is not None and event.item.name != self.entry:
            self._show_entry(event.item.name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "take":  # only offered when some file was edited by hand
            return self.proposal is not None and bool(self.proposal.local_edits)
        return super().check_action(action, parameters)

    @on(Button.Pressed, "#take")
    async def action_take(self) -> None:
        """Switch the shown hand-edited file between the user's version and the wizard's;
        with another entry shown, show the first hand-edited file (the key works from anywhere)."""
        if self.proposal is None or not self.proposal.local_edits:
            return
        if self.shown is None or not self.shown.edited_by_hand:
            files = self.query_one("#files", ListView)
            first = self.proposal.local_edits[0].path
            files.index = [item.name for item in files.children].index(first)
            self._show_entry(first)
            files.focus()
            return
        self.taken ^= {self.shown.path}
        await self._show(self.proposal, upgrade_from=self.upgrade_from)

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
