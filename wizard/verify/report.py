"""The verify report: PASS / FAIL / NOT TESTED per test, grouped by suite and level,
the share passed per suite, and for each FAIL the wizard setting that fixes it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from wizard.verify.outcome import Outcome, Status
from wizard.verify.suites import SUITES, Item, Suite, items_of

LABELS = {Status.PASS: "PASS", Status.FAIL: "FAIL", Status.NOT_TESTED: "NOT TESTED HERE"}


@dataclass(frozen=True)
class Result:
    item: Item
    outcome: Outcome


@dataclass(frozen=True)
class Report:
    jid: str
    server: str  # host:port the session used
    results: list[Result]
    left_behind: list[str]

    def by_id(self) -> dict[str, Result]:
        return {result.item.id: result for result in self.results}

    def count(self, results: list[Result], status: Status) -> int:
        return sum(1 for result in results if result.outcome.status is status)

    def suite_results(self, suite: Suite, level: str | None = None) -> list[Result]:
        results = self.by_id()
        return [results[item.id] for item in items_of(suite.name, level) if item.id in results]

    def percent(self, results: list[Result]) -> int | None:
        """Passed share of the tests that ran; None when none could run here."""
        ran = self.count(results, Status.PASS) + self.count(results, Status.FAIL)
        return None if ran == 0 else 100 * self.count(results, Status.PASS) // ran

    @property
    def failed(self) -> bool:
        return any(result.outcome.status is Status.FAIL for result in self.results)


def text(report: Report) -> str:
    """Each test in full the first time it is listed; again in later suites as one short line.

    A level repeats the tests of the level before it (Advanced Server includes
    Server), so it lists only the tests it adds.
    """
    lines = [f"ejabberd-wizard verify: {report.jid} at {report.server}", ""]
    shown: set[str] = set()
    for suite in SUITES:
        if not report.suite_results(suite):
            continue
        lines.append(f"{suite.name}: {_share(report, report.suite_results(suite))}  ({suite.title})")
        listed: set[str] = set()
        for level in suite.levels:
            results = report.suite_results(suite, level)
            if len(suite.levels) > 1:
                lines.append(f"  {level}: {_share(report, results)}")
                if listed:
                    lines.append("    (the tests above, and:)")
            for result in results:
                if result.item.id not in listed:
                    lines.append(_line(result, brief=result.item.id in shown))
                    listed.add(result.item.id)
                    shown.add(result.item.id)
        lines.append("")
    passed, failed, untested = (report.count(report.results, s) for s in (Status.PASS, Status.FAIL, Status.NOT_TESTED))
    lines.append(f"{len(report.results)} tests: {passed} passed, {failed} failed, {untested} not tested here")
    lines += [f"left behind, remove by hand: {what}" for what in report.left_behind]
    return "\n".join(lines) + "\n"


def _share(report: Report, results: list[Result]) -> str:
    percent = report.percent(results)
    passed = report.count(results, Status.PASS)
    ran = passed + report.count(results, Status.FAIL)
    untested = report.count(results, Status.NOT_TESTED)
    share = "nothing testable here" if percent is None else f"{percent}% ({passed}/{ran} passed)"
    return share + (f", {untested} not tested here" if untested else "")


def _line(result: Result, *, brief: bool) -> str:
    item, outcome = result.item, result.outcome
    line = f"    {LABELS[outcome.status]:<15} {item.spec:<18} {item.title}"
    if brief:
        return line + " (see above)"
    if outcome.detail:
        line += f": {outcome.detail}"
    if outcome.status is Status.FAIL:
        line += f"\n    {'':<15} {'':<18} fix: {item.fix}"
    return line


def as_json(report: Report) -> str:
    suites: list[dict[str, Any]] = []
    for suite in SUITES:
        results = report.suite_results(suite)
        suites.append({
            "name": suite.name,
            "title": suite.title,
            "percent": report.percent(results),
            "passed": report.count(results, Status.PASS),
            "failed": report.count(results, Status.FAIL),
            "not_tested": report.count(results, Status.NOT_TESTED),
            "levels": [
                {"name": level, "percent": report.percent(report.suite_results(suite, level)),
                 "tests": [r.item.id for r in report.suite_results(suite, level)]}
                for level in suite.levels
            ],
        })
    tests = [
        {"id": r.item.id, "title": r.item.title, "spec": r.item.spec, "status": r.outcome.status.value,
         "detail": r.outcome.detail, "fix": r.item.fix, "levels": [list(level) for level in r.item.levels]}
        for r in report.results
    ]
    document = {"jid": report.jid, "server": report.server, "ok": not report.failed, "suites": suites,
                "tests": tests, "left_behind": report.left_behind}
    return json.dumps(document, indent=2) + "\n"
