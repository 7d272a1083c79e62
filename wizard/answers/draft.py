"""The answers while a front end edits them: what the user changed, over the preset.

Only the values the user set are kept as given; every other value is the
preset's, filled in afresh each time, so a default that follows another answer
(the abuse address follows the domain) keeps following it until it is edited.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from presets import Preset
from wizard.answers.build import build, fill_preset, merge, plain_copy
from wizard.answers.catalogue import Question, model_defaults
from wizard.answers.given import Given
from wizard.answers.model import Answers
from wizard.errors import InputError
from wizard.machine import Machine

T = TypeVar("T")


@dataclass
class Draft:
    preset: Preset
    given: dict[str, Any] = field(default_factory=dict)
    machine: Machine = field(default_factory=Machine.current)
    # Front ends ask for the values and the validated answers many times per keystroke
    # (every field, every step's state): both are kept until the draft changes.
    _revision: int = field(default=0, init=False, repr=False)
    _cached: dict[str, tuple[tuple[int, int], Any]] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def start(cls, preset: Preset, saved: Given | None = None, machine: Machine | None = None) -> Draft:
        """A draft from a preset and, on a re-run, the saved answers (which then win)."""
        given = plain_copy(saved.values) if saved else {}
        given.pop("preset", None)
        given.pop("version", None)
        return cls(preset=preset, given=given, machine=machine or Machine.current())

    @property
    def revision(self) -> tuple[int, int]:
        """Changes whenever an answer or the preset does: what was computed from an older
        revision (the checks of a step) describes answers no longer there."""
        return self._revision, id(self.preset)

    def values(self) -> dict[str, Any]:
        """Every answer as it stands: the preset's, with the user's on top (read only)."""
        return self._memo("values", self._values)

    def _values(self) -> dict[str, Any]:
        preset = fill_preset(self.preset, Given(self.given), self.machine)
        return merge(merge(model_defaults(), preset), self.given)

    def value(self, question: Question) -> Any:
        section, name = question.path.split(".")
        return self.values().get(section, {}).get(name)

    def set(self, question: Question, value: Any) -> None:
        section, name = question.path.split(".")
        self.given.setdefault(section, {})[name] = copy.deepcopy(value)
        self._revision += 1

    def answers(self) -> Answers:
        """The validated answers, or ``InputError`` naming the first wrong field."""
        outcome = self._memo("answers", self._build)
        if isinstance(outcome, InputError):
            raise outcome
        return outcome

    def _build(self) -> Answers | InputError:
        try:
            return build(self.preset, Given(self.given), self.machine)
        except InputError as error:
            return error

    def _memo(self, name: str, compute: Callable[[], T]) -> T:
        # The preset is part of the key: a front end may switch it on the same draft.
        key = self.revision
        cached = self._cached.get(name)
        if cached is None or cached[0] != key:
            cached = self._cached[name] = (key, compute())
        return cast(T, cached[1])  # a name always comes with the same function: this is its result
