"""The answers while a front end edits them: what the user changed, over the preset.

Only the values the user set are kept as given; every other value is the
preset's, filled in afresh each time, so a default that follows another answer
(the abuse address follows the domain) keeps following it until it is edited.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from presets import Preset
from wizard.answers import Given, Machine, build, fill_preset, merge, plain
from wizard.catalogue import Question, model_defaults
from wizard.model import Answers


@dataclass
class Draft:
    preset: Preset
    given: dict[str, Any] = field(default_factory=dict)
    machine: Machine = field(default_factory=Machine.current)

    @classmethod
    def start(cls, preset: Preset, saved: Given | None = None, machine: Machine | None = None) -> Draft:
        """A draft from a preset and, on a re-run, the saved answers (which then win)."""
        given = plain(saved.values) if saved else {}
        given.pop("preset", None)
        given.pop("version", None)
        return cls(preset=preset, given=given, machine=machine or Machine.current())

    def values(self) -> dict[str, Any]:
        """Every answer as it stands: the preset's, with the user's on top."""
        preset = fill_preset(self.preset, Given(self.given), self.machine)
        return merge(merge(model_defaults(), preset), self.given)

    def value(self, question: Question) -> Any:
        section, name = question.path.split(".")
        return self.values().get(section, {}).get(name)

    def set(self, question: Question, value: Any) -> None:
        section, name = question.path.split(".")
        self.given.setdefault(section, {})[name] = copy.deepcopy(value)

    def answers(self) -> Answers:
        """The validated answers, or ``InputError`` naming the first wrong field."""
        return build(self.preset, Given(self.given), self.machine)
