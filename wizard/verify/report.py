"""The verify report: PASS / FAIL / NOT TESTED per test, grouped by suite and level,
the share passed per suite, and for each FAIL the wizard setting that fixes it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from wizard.verify.caas import Score, Verdict, score
from wizard.verify.outcome import Outcome, ProbeStatus
from wizard.verify.suites import CONVERSATIONS, DEPLOYMENT, SUITES, Item, Suite, items_of

LABELS = {ProbeStatus.PASS: "PASS", ProbeStatus.FAIL: "FAIL", ProbeStatus.NOT_TESTED: "NOT TESTED HERE"}


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

    def count(self, results: list[Result], status: ProbeStatus) -> int:
        return sum(1 for result in results if result.outcome.status is status)

    def suite_results(self, suite: Suite, level: str | None = None) -> list[Result]:
        results = self.by_id()
        return [results[item.id] for item in items_of(suite.name, level) if item.id in results]

    def percent(self, results: list[Result]) -> int | None:
        """Passed share of the tests that ran; None when none could run here."""
        ran = self.count(results, ProbeStatus.PASS) + self.count(results, ProbeStatus.FAIL)
        return None if ran == 0 else 100 * self.count(results, ProbeStatus.PASS) // ran

    def caas(self) -> Score:
        return score({result.item.id: result.outcome.status for result in self.results})

    def missing(self, results: list[Result]) -> tuple[list[str], dict[str, dict[str, ProbeStatus]]]:
        """The specifications a level requires, and for those not shown to work the tests that did not pass."""
        required: set[str] = set()
        missing: dict[str, dict[str, ProbeStatus]] = {}
        for result in results:
            for spec in result.item.spec.split(", "):
                required.add(spec)
                if result.outcome.status is not ProbeStatus.PASS:
                    missing.setdefault(spec, {})[result.item.id] = result.outcome.status
        return sorted(required), dict(sorted(missing.items()))

    @property
    def failed(self) -> bool:
        return any(result.outcome.status is ProbeStatus.FAIL for result in self.results)


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
        if suite.name == CONVERSATIONS:
            lines += _caas_lines(report, suite, shown)
            continue
        lines.append(f"{suite.name}: {_share(report, report.suite_results(suite))}  ({suite.title})")
        listed: set[str] = set()
        for level in suite.levels:
            results = report.suite_results(suite, level)
            if len(suite.levels) > 1:
                lines.append(f"  {level}: {_share(report, results)}")
                if suite.name != DEPLOYMENT:
                    lines.append(f"    {_requirements(report, results)}")
                if listed:
                    lines.append("    (the tests above, and:)")
            for result in results:
                if result.item.id not in listed:
                    lines.append(_line(result, brief=result.item.id in shown))
                    listed.add(result.item.id)
                    shown.add(result.item.id)
        lines.append("")
    passed, failed, untested = (report.count(report.results, status)
                                for status in (ProbeStatus.PASS, ProbeStatus.FAIL, ProbeStatus.NOT_TESTED))
    lines.append(f"{len(report.results)} tests: {passed} passed, {failed} failed, {untested} not tested here")
    lines += [f"left behind, remove by hand: {what}" for what in report.left_behind]
    return "\n".join(lines) + "\n"


def _requirements(report: Report, results: list[Result]) -> str:
    required, missing = report.missing(results)
    text = f"requires {', '.join(required)}"
    if not missing:
        return text + ": all shown to work"
    named = {ProbeStatus.FAIL: "failed", ProbeStatus.NOT_TESTED: "not tested here"}
    return text + "; missing: " + ", ".join(
        f"{spec} ({', '.join(f'{item} {named[status]}' for item, status in tests.items())})"
        for spec, tests in missing.items())


def _caas_lines(report: Report, suite: Suite, shown: set[str]) -> list[str]:
    """caas's 25 tests by its names, scored as caas scores, each with the verify items it rests on."""
    caas = report.caas()
    lines = [f"{suite.name}: {caas.summary()}  ({suite.title})"]
    results = report.by_id()
    for informational in (False, True):
        if informational:
            lines.append("  informational:")
        for verdict in caas.verdicts:
            if verdict.test.informational is informational:
                lines += _verdict_lines(verdict, results, shown)
    lines.append("")
    return lines


def _verdict_lines(verdict: Verdict, results: dict[str, Result], shown: set[str]) -> list[str]:
    line = f"    {LABELS[verdict.status]:<15} {verdict.test.name:<18} {verdict.test.title}"
    if verdict.status is ProbeStatus.PASS:
        return [line]
    lines = [line + f" (caas checks: {verdict.test.rule})"]
    for item in verdict.failing:
        if item in results:
            lines.append(_line(results[item], brief=item in shown).replace("    ", "      ", 1))
            shown.add(item)
    return lines


def _share(report: Report, results: list[Result]) -> str:
    percent = report.percent(results)
    passed = report.count(results, ProbeStatus.PASS)
    ran = passed + report.count(results, ProbeStatus.FAIL)
    untested = report.count(results, ProbeStatus.NOT_TESTED)
    share = "nothing testable here" if percent is None else f"{percent}% ({passed}/{ran} passed)"
    return share + (f", {untested} not tested here" if untested else "")


def _line(result: Result, *, brief: bool) -> str:
    item, outcome = result.item, result.outcome
    line = f"    {LABELS[outcome.status]:<15} {item.spec:<18} {item.title}"
    if brief:
        return line + " (see above)"
    if outcome.detail:
        line += f": {outcome.detail}"
    if outcome.status is ProbeStatus.FAIL:
        line += f"\n    {'':<15} {'':<18} fix: {item.fix}"
    return line


def as_json(report: Report) -> str:
    suites: list[dict[str, Any]] = []
    for suite in SUITES:
        results = report.suite_results(suite)
        if suite.name == CONVERSATIONS:
            suites.append(_caas_json(suite, report.caas()))
            continue
        suites.append({
            "name": suite.name,
            "title": suite.title,
            "percent": report.percent(results),
            "passed": report.count(results, ProbeStatus.PASS),
            "failed": report.count(results, ProbeStatus.FAIL),
            "not_tested": report.count(results, ProbeStatus.NOT_TESTED),
            "levels": [
                {"name": level, "percent": report.percent(report.suite_results(suite, level)),
                 "tests": [r.item.id for r in report.suite_results(suite, level)],
                 "requires": report.missing(report.suite_results(suite, level))[0],
                 "missing": {spec: {item: status.value for item, status in tests.items()}
                             for spec, tests in report.missing(report.suite_results(suite, level))[1].items()}}
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


def _caas_json(suite: Suite, caas: Score) -> dict[str, Any]:
    return {
        "name": suite.name, "title": suite.title, "summary": caas.summary(),
        "counted": {"passed": caas.passed(), "total": caas.total(), "not_tested": caas.untested()},
        "informational": {"passed": caas.passed(True), "total": caas.total(True), "not_tested": caas.untested(True)},
        "listed": caas.listed,
        "tests": [{"name": v.test.name, "title": v.test.title, "informational": v.test.informational,
                   "status": v.status.value, "items": list(v.test.items), "failing": list(v.failing)}
                  for v in caas.verdicts],
    }
