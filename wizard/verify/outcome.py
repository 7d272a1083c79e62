"""What one test found: PASS, FAIL or NOT TESTED HERE, with the detail that explains it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProbeStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_TESTED = "not-tested"


@dataclass(frozen=True)
class Outcome:
    status: ProbeStatus
    detail: str = ""


def passed(detail: str = "") -> Outcome:
    return Outcome(ProbeStatus.PASS, detail)


def failed(detail: str) -> Outcome:
    return Outcome(ProbeStatus.FAIL, detail)


def not_tested(reason: str) -> Outcome:
    return Outcome(ProbeStatus.NOT_TESTED, reason)


class Failure(Exception):
    """Raised by a probe: the server lacks what the test needs (a FAIL with this message)."""


class Untestable(Exception):
    """Raised by a probe: the test cannot be run from here (NOT TESTED HERE, with this reason)."""
