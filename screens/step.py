"""One step of the questions, generated from the catalogue: fields, help, findings."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.widgets import Button, Static

from screens.base import WizardScreen
from screens.fields import QuestionField, SecretField
from screens.work import ChecksFinished, WorkFailed, post_unless_cancelled
from wizard.answers.catalogue import by_path, questions_of
from wizard.errors import InputError
from wizard.secrets import SECRET_QUESTIONS

if TYPE_CHECKING:
    from wizard.answers.model import Answers
    from wizard.checks import Finding
    from wizard.session import Session


# Checks wait for typing to pause this long, so each keystroke does not start one.
CHECK_DELAY = 0.6


class StepScreen(WizardScreen):
    CSS_PATH = ["questions.tcss", "step.tcss"]

    def __init__(self, step: str, title: str, session: Session) -> None:
        super().__init__(name=step)
        self.step = step
        self.session = session
        self.title_text = title
        self._check_timer: Timer | None = None
        self._fault: str | None = None  # the question the button at the top leads to

    def compose_content(self) -> ComposeResult:
        yield Static(self.title_text, classes="step-heading")
        # An error on a question other than the focused one, which may be out of sight: said here, with the way to it.
        yield Button("", id="step-fault", variant="error", compact=True)
        draft = self.session.draft
        values = draft.values()
        with VerticalScroll(id="form"):
            if self.step == "ports":  # on Uberspace, the ports are opened first and numbered by Uberspace
                yield Static("", id="uberspace-note")
                yield Button("Take the numbers from `uberspace port list`", id="uberspace-take", compact=True)
            for question in questions_of(self.step):
                field = QuestionField(question, draft.value(question))
                field.display = question.applies(values)
                yield field
            for secret in SECRET_QUESTIONS:
                if secret.step == self.step:
                    yield SecretField(secret)
        # Scrolled, never cut: a step may have a dozen findings (ports held by other programs).
        with VerticalScroll(id="findings") as findings:
            findings.display = False  # shown when the first results arrive
            findings.border_title = "Checks of this machine"
            yield Static("", id="findings-text")
        if self.step == "compliance":
            yield Button("Verify the live server…", id="verify-open")
        with VerticalScroll(id="help-scroll"):
            yield Static("", id="help")

    def _show_uberspace_note(self, answers: Answers | None) -> None:
        from wizard.uberspace_ports import note

        on_uberspace = answers is not None and answers.service.web_server == "uberspace"
        for shown in self.query("#uberspace-note").results(Static):
            shown.display = on_uberspace
            if answers is not None and on_uberspace:
                shown.update(Text(note(answers)))
        for button in self.query("#uberspace-take"):
            # Only where the command is: anywhere else there is no list to take the numbers from.
            button.display = on_uberspace and shutil.which("uberspace") is not None

    @on(Button.Pressed, "#uberspace-take")
    def _take_uberspace_ports(self) -> None:
        self.query_one("#uberspace-take", Button).disabled = True
        self._read_opened_ports()

    @work(thread=True, exclusive=True, exit_on_error=False, group="uberspace", name="uberspace port list")
    def _read_opened_ports(self) -> None:
        from wizard.checks.ports import uberspace_opened_ports

        opened = uberspace_opened_ports()
        self.app.call_from_thread(self._opened_ports_read, opened)

    def _opened_ports_read(self, opened: list[int] | None) -> None:
        from wizard.uberspace_ports import assign

        self.query_one("#uberspace-take", Button).disabled = False
        try:
            answers = self.session.draft.answers()
        except InputError as error:
            self.notify(f"The ports cannot be taken while an answer is wrong: {error}", severity="warning",
                        markup=False)
            return
        if opened is None:
            self.notify("`uberspace port list` could not be run here.", severity="error", markup=False)
            return
        assignment = assign(answers, opened)
        self.session.take_ports(assignment.numbers)
        self.refresh_fields()
        self.refresh_states()
        self.wizard.answers_edited()
        self._findings_outdated()
        self._schedule_checks(CHECK_DELAY)
        self.notify(assignment.summary(), title="uberspace port list", severity="warning" if assignment.missing
                    else "information", timeout=15, markup=False)

    @on(Button.Pressed, "#verify-open")
    def _open_verify(self) -> None:
        from screens.verify_dialog import VerifyDialog

        try:
            jid = self.session.draft.answers().admin_jid
        except InputError:
            jid = ""
        self.app.push_screen(VerifyDialog(jid))

    def on_mount(self) -> None:
        # The errors and the rest are shown on resume, which follows.
        # The first question with an error (the Uberspace login off its host: asked for), else the first.
        shown = [field for field in self.query(QuestionField) if field.display]
        first = next((field for field in shown if self.session.error_of(field.question.path)), None) or next(
            iter(shown), None)
        if first:
            # Not focus(), which waits for the pending messages: by then the screen's
            # AUTO_FOCUS has given the step list the focus, and the screen and its
            # footer are restyled twice.
            self.set_focus(first.editor)

    def on_screen_resume(self) -> None:
        self.session.mark_visited([self.step])
        self.refresh_fields()
        super().on_screen_resume()
        self._schedule_checks(0)
        self._focus_requested()

    def _focus_requested(self) -> None:
        """The field the review's "Go to" named, when it is on this step."""
        path = self.wizard.focus_request
        for field in self.query(QuestionField) if path else ():
            if field.question.path == path:
                self.wizard.focus_request = None
                self.set_focus(field.editor)
                field.scroll_visible(animate=False)
                return

    def _show_fault(self) -> None:
        """The first error of this step on a question other than the focused one, or nothing."""
        fault = self.query_one("#step-fault", Button)
        elsewhere = next((field for field in self.query(QuestionField)
                          if field.display and field.error and self.focused is not field.editor), None)
        fault.display = elsewhere is not None
        if elsewhere is not None:
            fault.label = Text(f"✗ {elsewhere.question.label}: {elsewhere.error}  (go to it)")
        self._fault = elsewhere.question.path if elsewhere else None

    @on(Button.Pressed, "#step-fault")
    def _go_to_fault(self) -> None:
        for field in self.query(QuestionField):
            if field.question.path == self._fault:
                self.set_focus(field.editor)
                field.scroll_visible(animate=False)

    def refresh_fields(self, edited: QuestionField | None = None) -> None:
        """Show which questions apply, the values that follow other answers, and every error.

        The field just ``edited`` keeps its text as typed (the model may hold it written
        otherwise, ``05222`` as 5222), and so does a field whose text the model does not
        hold (it is shown with its error). Every other field shows the model's value, the
        focused one too: on coming back to a step, the answers may have changed elsewhere
        (another preset chosen).
        """
        session = self.session
        values = session.draft.values()
        for field in self.query(QuestionField):
            question = field.question
            field.display = question.applies(values)
            if field is not edited and question.path not in session.field_errors:
                field.show(session.draft.value(question))
            if field.show_error(session.error_of(question.path)) and field is edited:
                # A new error goes under the editor: at the bottom of the form it would be out of sight.
                field.reveal()
        self._show_fault()
        try:
            answers = session.draft.answers()
        except InputError:
            answers = None
        self._show_uberspace_note(answers)
        for secret_field in self.query(SecretField):
            secret_field.display = answers is not None and secret_field.secret.asked(answers, session.out)

    @on(QuestionField.Edited)
    def _edited(self, event: QuestionField.Edited) -> None:
        question = event.field.question
        self.session.edit(question, event.value)
        event.field.taken(self.session.draft.value(question))
        self.refresh_fields(edited=event.field)
        self.refresh_states()
        self.wizard.answers_edited()
        self._findings_outdated()
        self._schedule_checks(CHECK_DELAY)

    @on(QuestionField.Submitted)
    def _submitted(self, event: QuestionField.Submitted) -> None:
        """Enter: the next question shown, or on the last one the next step."""
        fields = [field for field in self.query(QuestionField) if field.display]
        later = fields[fields.index(event.field) + 1:] if event.field in fields else []
        if later:
            self.set_focus(later[0].editor)
            later[0].scroll_visible()
        else:
            self.wizard.action_next()

    # -- local-state checks (wizard.checks), in a worker -----------------------

    def _schedule_checks(self, delay: float) -> None:
        if not self.wizard.checks_enabled:
            return
        if self._check_timer is not None:
            self._check_timer.stop()
            self._check_timer = None
        if delay:
            self._check_timer = self.set_timer(delay, self._start_checks)
        else:  # a Textual timer of 0 s divides by zero when it fires
            self.call_after_refresh(self._start_checks)

    def _start_checks(self) -> None:
        session = self.session
        if unsettled := session.unsettled(self.step):
            # The model keeps the older values of these: checks now would describe them.
            labels = ", ".join(by_path(path).label for path in unsettled)
            self._show_findings_text(Text(f"The checks run once these hold a valid value: {labels}.", style="dim"))
            return
        try:
            answers = session.draft.answers()
        except InputError:  # shown on its field already
            self._show_findings_text(Text("Checks of this machine run once the answers are valid.", style="dim"))
            return
        self._run_checks(answers, session.draft.revision)

    @work(thread=True, exclusive=True, exit_on_error=False, group="checks", name="the checks of this machine")
    def _run_checks(self, answers: Answers, revision: tuple[int, int]) -> None:
        # Imported in the worker: the checks bring DNS, TLS and database clients, a tenth
        # of a second to import that the screen would otherwise freeze for.
        from wizard.checks import checks_for_step, run_checks

        findings = None
        if checks_for_step(self.step):
            self.app.call_from_thread(self._checking)
            findings = run_checks(answers, steps={self.step}, out=self.session.out, nameserver=self.wizard.nameserver)
        post_unless_cancelled(self, ChecksFinished(self.step, findings, revision))

    def _findings(self) -> VerticalScroll | None:
        """The findings panel; None once the screen is being taken down (the app quits while
        the checks run, and their result still arrives)."""
        try:
            return self.query_one("#findings", VerticalScroll)
        except NoMatches:
            return None

    def _show_findings_text(self, text: Text | str, *, title: str = "Checks of this machine") -> None:
        if (findings := self._findings()) is None:
            return
        findings.display = True
        findings.loading = False
        findings.border_title = title
        findings.remove_class("-outdated")
        self.query_one("#findings-text", Static).update(text)

    def _findings_outdated(self) -> None:
        """An answer changed: the findings shown describe the older answers until the new ones arrive."""
        findings = self._findings()
        if findings is not None and findings.display and self.wizard.checks_enabled:
            findings.add_class("-outdated")
            findings.border_title = "Checks of this machine: being recomputed for the values now in the fields"

    def _checking(self) -> None:
        if (findings := self._findings()) is not None:
            findings.display = True
            findings.loading = True

    @on(ChecksFinished)
    def _checks_finished(self, message: ChecksFinished) -> None:
        if (findings := self._findings()) is None:
            return
        if message.revision != self.session.draft.revision:
            return  # computed from answers changed since: the checks of the new ones are on their way
        findings.loading = False
        if message.findings is None:  # no checks for this step
            findings.display = False
            return
        self.show_findings(message.findings)

    @on(WorkFailed)
    def _checks_failed(self, message: WorkFailed) -> None:
        self._show_findings_text(Text(f"The checks could not run: {message.error}"))

    def show_findings(self, results: list[Finding]) -> None:
        from wizard.checks import Severity
        from wizard.checks.report import SYMBOLS

        styles = {Severity.OK: "green", Severity.INFO: "blue", Severity.WARNING: "yellow", Severity.ERROR: "red"}
        text = Text()
        for finding in sorted(results, key=lambda f: -f.severity.rank):
            text.append(f"{SYMBOLS[finding.severity]} ", style=f"bold {styles[finding.severity]}")
            text.append(f"{finding.subject}: {finding.message}\n")
            if finding.fix and finding.severity is not Severity.OK:
                text.append(f"    fix: {finding.fix}\n", style="dim")
        problems = [f.message for f in results if f.severity in (Severity.WARNING, Severity.ERROR)]
        count = f"{len(results)} finding{'s' if len(results) != 1 else ''}"
        self._show_findings_text(text if results else "Nothing to check here.",
                                 title=f"Checks of this machine: {count}" + (", scroll for all" if len(results) > 4
                                                                             else ""))
        self.session.warnings[self.step] = problems
        self.refresh_states()

    @on(SecretField.Edited)
    def _secret_edited(self, event: SecretField.Edited) -> None:
        self.session.secrets[event.key] = event.value

    @on(QuestionField.Focused)
    def _focused(self, event: QuestionField.Focused) -> None:
        question = event.question
        self._show_fault()
        # Plain text: a help text may name an INI section ([client]) that is not markup.
        help_text = Text.assemble((question.label, "bold"), f" ({question.path})\n{question.help}")
        self.query_one("#help", Static).update(help_text)
