"""The audit's rules as the option map holds them: an option's secure value, and what a weaker one risks.

A rule judges the value of its option as ejabberd reads it (a macro's name replaced by its value,
None when it is not set) in the document it is in; the security check (``wizard.checks.security``)
turns each rule a file breaks into a finding at the option's place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Seen:
    """An option's value as a rule judges it, with the document around it (access rules, acls)."""

    value: Any
    document: Mapping[str, Any]
    expand: Callable[[Any], Any]


@dataclass(frozen=True)
class Rule:
    check: str  # the finding's name: config.security.<check>
    severity: Literal["error", "warning"]
    keeps: Callable[[Seen], bool]  # whether the value keeps the secure default
    risk: str | Callable[[Seen], str]  # what the weaker value risks
    fix: str  # the secure value, as the user writes it, and the answer that writes it

    def message(self, seen: Seen) -> str:
        return self.risk(seen) if callable(self.risk) else self.risk


def is_true(seen: Seen) -> bool:
    return seen.expand(seen.value) is True


def is_false(seen: Seen) -> bool:
    return seen.expand(seen.value) is False
