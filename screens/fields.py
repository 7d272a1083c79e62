"""One question of the catalogue as a form field: label, input, and the error under it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select, Static, Switch

from wizard.answers.catalogue import Question
from wizard.secrets import SecretQuestion


class FieldInput(Input):
    """An Input whose own keys (C-u, backspace, the arrows, End) act in the order they were typed.

    Textual runs a widget's key bindings only once the key has bubbled up to the screen, a
    few message hops later, while the characters typed after it are inserted at once: with
    keys arriving together (a terminal's burst, tmux send-keys), `C-u 40135` inserted 40135
    and then deleted it. Here the binding runs where the characters are inserted.
    """

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable:
            for binding in self._bindings.key_to_bindings.get(event.key, ()):
                if not binding.priority:
                    event.stop()
                    event.prevent_default()
                    await self.run_action(binding.action)
                    return
        await super()._on_key(event)


class QuestionField(Vertical):
    """Edits one answer; tells the screen with ``Edited`` when the user changes it."""

    class Edited(Message):
        def __init__(self, field: QuestionField, value: str | bool) -> None:
            super().__init__()
            self.field = field
            self.value = value

    class Submitted(Message):
        """Enter in the field's editor."""

        def __init__(self, field: QuestionField) -> None:
            super().__init__()
            self.field = field

    class Focused(Message):
        def __init__(self, question: Question) -> None:
            super().__init__()
            self.question = question

    def __init__(self, question: Question, value: Any) -> None:
        super().__init__(id="q-" + question.path.replace(".", "-"), classes="question")
        self.question = question
        # What the editor holds: editors also report the value they are given, which
        # is not an edit (it would pin a preset's value as if the user had typed it).
        self._held = self._as_held(value)
        # The model's value that the editor's text stands for: the value it was shown, or
        # the one the screen took from its last edit. Only a model value other than this
        # one changed elsewhere; the same value written otherwise (2001:db8:0::1 typed,
        # 2001:db8::1 held) is not shown over what was typed.
        self._model = value
        self._untold = 0  # edits posted that the screen has not taken yet
        self._error = ""  # the error shown under the editor
        self._revealing = False  # scrolled into view at its next size: its error just appeared
        self.editor = self._editor()

    def compose(self) -> ComposeResult:
        # A row and the error under it, not a grid: Textual's grid gave an error shown later a
        # row of no height (an auto row measured in one column), so it was never seen.
        with Horizontal(classes="question-row"):
            yield Label(self.question.label, classes="question-label")
            yield self.editor
        error = Static("", classes="question-error")
        error.display = False  # until there is one
        yield error

    def _as_held(self, value: Any) -> str | bool:
        """A value of the answers as its editor holds it."""
        if self.question.kind == "boolean":
            return bool(value)
        if self.question.kind == "choice":
            return str(value)
        return self.question.format(value)

    def _editor(self) -> Input | Switch | Select[str]:
        question, held = self.question, self._held
        if question.kind == "boolean":
            return Switch(value=bool(held))
        if question.kind == "choice":
            return Select([(choice, choice) for choice in question.choices], value=str(held), allow_blank=False,
                          compact=True)
        placeholder = "comma-separated" if question.kind == "list" else "empty: none" if question.optional else ""
        # Compact editors: one line per question, so a step fits an 80x24 terminal.
        return FieldInput(value=str(held), placeholder=placeholder, compact=True)

    def show(self, value: Any) -> None:
        """Show a value that changed elsewhere (a default that follows another answer, another preset).

        Never over what the user typed: while an edit of this field is on its way to the
        screen (typed and not yet told, or told and not yet taken), the typed text is what
        stays, and the model takes it next.
        """
        if value == self._model or self._untold or self.editor.value != self._held:
            return
        self._model = value
        held = self._as_held(value)
        if held == self._held:
            return
        self._held = held
        editor = self.editor
        with editor.prevent(Input.Changed, Switch.Changed, Select.Changed):
            editor.value = held

    def taken(self, value: Any) -> None:
        """The screen took an edit of this field: ``value`` is the model's value now (the
        older one when the text was refused)."""
        self._untold = max(0, self._untold - 1)
        self._model = value

    @property
    def error(self) -> str:
        """The error shown under the editor, or ``""``."""
        return self._error

    def show_error(self, message: str | None) -> bool:
        """Show ``message`` under the editor (None: no error); whether an error is shown that was not."""
        message = message or ""
        if message == self._error:  # updating a Static lays the screen out again
            return False
        self._error = message
        error = self.query_one(".question-error", Static)
        error.update(Text(message))  # plain text: it quotes what was typed, whose brackets are not markup
        error.display = bool(message)
        self.set_class(bool(message), "-invalid")
        return bool(message)

    def reveal(self) -> None:
        """Scroll the field, its error under the editor included, into view: now, and again once
        the error has its size (the layout is done after this, and may make the field taller)."""
        self._revealing = True
        self.call_after_refresh(self.scroll_visible, animate=False)

    def on_resize(self, event: events.Resize) -> None:
        if self._revealing:
            self._revealing = False
            self.scroll_visible(animate=False)

    @on(Input.Changed)
    @on(Switch.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Switch.Changed | Select.Changed) -> None:
        event.stop()
        value = event.value if isinstance(event.value, (str, bool)) else str(event.value)
        if value != self._held:
            self._held = value
            self._untold += 1
            self.post_message(self.Edited(self, value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter: on to the next question (what was typed is told as it is typed)."""
        event.stop()
        self.post_message(self.Submitted(self))

    def on_descendant_focus(self) -> None:
        self.post_message(self.Focused(self.question))


class SecretField(Vertical):
    """A secret answer (a password): masked as typed, never saved in the answers file."""

    class Edited(Message):
        def __init__(self, key: str, value: str) -> None:
            super().__init__()
            self.key = key
            self.value = value

    def __init__(self, secret: SecretQuestion) -> None:
        super().__init__(id=f"secret-{secret.key.replace('_', '-')}", classes="question")
        self.secret = secret

    def compose(self) -> ComposeResult:
        with Horizontal(classes="question-row"):
            yield Label(self.secret.label, classes="question-label")
            yield FieldInput(password=True, compact=True, placeholder=self.secret.help)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Edited(self.secret.key, event.value))
