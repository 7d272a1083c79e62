"""A wizard session: the draft, what the user has seen, and the state of each step.

Front ends show this; they keep no state of their own beyond their widgets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.answers.catalogue import Question, by_path, labelled, question_path, step_of
from wizard.answers.draft import Draft
from wizard.answers.field_messages import without_own_path
from wizard.answers.given import Given
from wizard.errors import InputError
from wizard.steps import StepState

if TYPE_CHECKING:
    from wizard.deployment.proposal import Proposal
    from wizard.ejabberd_yml.read import Imported


@dataclass
class Session:
    draft: Draft
    out: Path
    field_errors: dict[str, str] = field(default_factory=dict)
    visited: set[str] = field(default_factory=set)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # typed answers to SECRET_QUESTIONS, by key
    imported: Imported | None = None  # with --import: the hand-written config the new one merges into
    unsaved: bool = False  # an answer was edited since the start or the last write
    writing: bool = False  # a write of this session is under way: no proposal reads its journal meanwhile
    written: int | None = None  # how many files this session's last write wrote, once it finished
    written_revision: tuple[int, int] | None = None  # the draft's revision that write was proposed from

    def edit(self, question: Question, text: str | bool) -> str | None:
        """Take a value the user entered; returns the error to show, or None when it is taken."""
        self.unsaved = True
        try:
            value = text if isinstance(text, bool) else question.parse(text)
        except ValueError as error:
            self.field_errors[question.path] = str(error)
            return str(error)
        self.field_errors.pop(question.path, None)
        self.draft.set(question, value)
        return None

    def take_ports(self, numbers: dict[str, int]) -> None:
        """Set the ports fields to ``numbers`` (by field name: the opened ports wizard.uberspace_ports assigned)."""
        for name, number in numbers.items():
            self.edit(by_path(f"ports.{name}"), str(number))

    def unsettled(self, step: str) -> list[str]:
        """The questions of ``step`` whose text the model does not hold (refused as typed).

        The model keeps their older values: checks computed now would describe values no
        longer in the fields (a half-typed address), so they wait for these.
        """
        return [path for path in self.field_errors if step_of(path) == step]

    def answers_error(self) -> InputError | None:
        """The first problem that spans fields (e.g. two services on one port), if any."""
        try:
            self.draft.answers()
        except InputError as error:
            return error
        return None

    def error_of(self, path: str) -> str | None:
        """The error to show on the field of the question ``path``: its text refused as typed, or
        a problem spanning fields that the model reports on it (the other fields named by label)."""
        if path in self.field_errors:
            return self.field_errors[path]
        error = self.answers_error()
        if error and error.field and question_path(error.field) == path:
            return labelled(without_own_path(str(error), path))
        return None

    def state(self, step: str) -> StepState:
        if step not in self.visited:
            return StepState.NOT_VISITED
        if any(step_of(path) == step for path in self.field_errors):
            return StepState.ERRORS
        error = self.answers_error()
        if error and error.field and step_of(error.field) == step:
            return StepState.ERRORS
        if self.warnings.get(step):
            return StepState.WARNINGS
        return StepState.VALID

    def blocking(self) -> tuple[str | None, str] | None:
        """Why nothing can be written yet: the answers path at fault (when one is) and the
        message, the questions it names by label; None when everything is valid."""
        if self.field_errors:
            path, message = next(iter(self.field_errors.items()))
            return path, labelled(f"{path}: {message}")
        error = self.answers_error()
        return (question_path(error.field) if error.field else None, labelled(str(error))) if error else None

    def blocking_error(self) -> str | None:
        """Why nothing can be written yet, or None when everything is valid."""
        blocking = self.blocking()
        return blocking[1] if blocking else None

    def propose(self) -> Proposal:
        return self.review()[0]

    def review(self) -> tuple[Proposal, str | None]:
        """What writing would do, and the release it upgrades the deployment from (None when it
        does not change the release); ``InputError`` when the answers or the secrets are not ready,
        or when they move the deployment to an older ejabberd release.

        When the answers change the release the deployment is written for, the proposal
        holds the upgrade's steps too, as ``ejabberd-wizard upgrade`` writes them.
        """
        # The renderers and the diff are the review's, not needed to show the questions.
        from wizard.deployment.proposal import proposal_for
        from wizard.deployment.rerun_upgrade import with_upgrade_steps

        if self.writing:
            raise InputError(f"{self.out}: a write is under way; the review is proposed again once it is done")
        start = None
        if self.imported is not None:
            draft = self.draft
            start = self.imported.start(draft.preset.name, Given(draft.given), draft.machine)
        proposal = proposal_for(self.draft.answers(), self.out, typed_secrets=self.secrets, start=start)
        current, proposal = with_upgrade_steps(proposal)
        return proposal, current if current != proposal.answers.install.version else None

    def begin_write(self) -> None:
        self.writing = True

    def end_write(self, written: int | None) -> None:
        """The write ended: ``written`` files, or None when it failed."""
        self.writing = False
        if written is not None:
            self.written, self.written_revision = written, self.draft.revision
            self.unsaved = False

    def written_as_answered(self) -> bool:
        """Whether this session wrote the deployment and no answer changed since."""
        return self.written is not None and self.written_revision == self.draft.revision

    def mark_visited(self, steps: Iterable[str]) -> None:
        self.visited.update(steps)
