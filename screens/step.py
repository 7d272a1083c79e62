"""One step of the questions, generated from the catalogue: fields, help, findings."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from screens.base import WizardScreen
from screens.fields import QuestionField
from wizard.catalogue import questions_of


def question_of(path: str | None) -> str | None:
    """'domains.hosts.0' -> 'domains.hosts': the question an error path is about."""
    return ".".join(path.split(".")[:2]) if path else None


class StepScreen(WizardScreen):
    def __init__(self, step: str, title: str) -> None:
        super().__init__(name=step)
        self.step = step
        self.title_text = title

    def compose_content(self) -> ComposeResult:
        yield Static(self.title_text, classes="step-heading")
        session = self.wizard.session
        with VerticalScroll(id="form"):
            for question in questions_of(self.step):
                yield QuestionField(question, session.draft.value(question))
        yield Static("", id="help")

    def on_mount(self) -> None:
        self.refresh_fields()
        first = next((field for field in self.query(QuestionField) if field.display), None)
        if first:
            first.editor.focus()

    def on_screen_resume(self) -> None:
        self.wizard.session.mark_visited([self.step])
        self.refresh_fields()
        super().on_screen_resume()

    def refresh_fields(self) -> None:
        """Show which questions apply, the values that follow other answers, and every error."""
        session = self.wizard.session
        values = session.draft.values()
        cross_field = session.answers_error()
        for field in self.query(QuestionField):
            question = field.question
            field.display = question.applies(values)
            edited_here = field.has_focus_within or question.path in session.field_errors
            if not edited_here:
                field.show(session.draft.value(question))
            error = session.field_errors.get(question.path)
            if error is None and cross_field and question_of(cross_field.field) == question.path:
                error = str(cross_field).split(": ", 1)[-1]
            field.show_error(error)

    @on(QuestionField.Edited)
    def _edited(self, event: QuestionField.Edited) -> None:
        self.wizard.session.edit(event.field.question, event.value)
        self.refresh_fields()
        self.refresh_states()

    @on(QuestionField.Focused)
    def _focused(self, event: QuestionField.Focused) -> None:
        question = event.question
        self.query_one("#help", Static).update(f"[b]{question.label}[/b] ({question.path})\n{question.help}")
