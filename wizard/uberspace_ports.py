"""The ports of an Uberspace deployment: Uberspace chooses their numbers, the answers take them.

An Uberspace account cannot listen on a port it picks: `uberspace port add` opens one and
says which, and `uberspace port list` shows those opened. The Ports step says so first, and
on the host can fill its fields from the list (``assign``), as scripts/open-ports.sh does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wizard.answers.model import Answers

# Reached through Uberspace's own web front end, not opened with `uberspace port add`.
WEB_PORTS = frozenset({"http", "admin_http"})


def opened_needed(answers: Answers) -> dict[str, int]:
    """The ports the world connects to and Uberspace must open, by their field, in the step's order."""
    return {name: number for name, number in answers.ports.services(answers).items() if name not in WEB_PORTS}


def note(answers: Answers) -> str:
    """What the Ports step tells an Uberspace user before the numbers (no other preset needs it)."""
    count = len(opened_needed(answers))
    return (f"On Uberspace, open these {count} ports first: run `uberspace port add` {count} times, then enter "
            "the numbers `uberspace port list` shows (on the host, the button below takes them).")


@dataclass(frozen=True)
class Assignment:
    """The opened port each field takes, and the fields left without one (too few opened)."""

    numbers: dict[str, int] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    def summary(self) -> str:
        taken = ", ".join(f"ports.{name}: {number}" for name, number in self.numbers.items()) or "none"
        if not self.missing:
            return f"Took the opened ports: {taken}."
        return (f"Took the opened ports: {taken}. {len(self.missing)} more must be opened for "
                f"{', '.join('ports.' + name for name in self.missing)}: run `uberspace port add` "
                f"{len(self.missing)} more time{'s' if len(self.missing) != 1 else ''}, then take them again.")


def assign(answers: Answers, opened: list[int]) -> Assignment:
    """The opened ports for the fields that need one: a field already holding an opened port keeps
    it, the others take the remaining opened ports in the order `uberspace port list` shows them."""
    needed = opened_needed(answers)
    kept: dict[str, int] = {}
    for name, number in needed.items():
        if number in opened and number not in kept.values():
            kept[name] = number
    free = [number for number in dict.fromkeys(opened) if number not in kept.values()]
    numbers: dict[str, int] = {}
    missing = []
    for name in needed:
        if name in kept:
            numbers[name] = kept[name]
        elif free:
            numbers[name] = free.pop(0)
        else:
            missing.append(name)
    return Assignment(numbers, tuple(missing))
