"""Findings for people (grouped ✓ / ! / ✗ lines with the fix under each) and for programs (JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from wizard.checks.core import GROUPS, Finding, Severity

TITLES = {"ports": "Ports", "certs": "Certificates", "dns": "DNS", "env": "Environment", "config": "Configuration"}
SYMBOLS = {Severity.OK: "✓", Severity.INFO: "i", Severity.WARNING: "!", Severity.ERROR: "✗"}
# For terminals that cannot show the symbols above.
ASCII_SYMBOLS = {Severity.OK: "ok", Severity.INFO: "i", Severity.WARNING: "!", Severity.ERROR: "x"}


def exit_code(findings: Sequence[Finding]) -> int:
    """0 when nothing is an error, 1 otherwise (2, bad input, never gets this far)."""
    return 1 if any(finding.severity is Severity.ERROR for finding in findings) else 0


def summary(findings: Sequence[Finding]) -> str:
    counts = {severity: 0 for severity in Severity}
    for finding in findings:
        counts[finding.severity] += 1
    parts = [f"{counts[Severity.OK]} ok", f"{counts[Severity.INFO]} info",
             _plural(counts[Severity.WARNING], "warning"), _plural(counts[Severity.ERROR], "error")]
    return ", ".join(parts)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def text(findings: Sequence[Finding], *, ascii_only: bool = False) -> str:
    symbols = ASCII_SYMBOLS if ascii_only else SYMBOLS
    lines: list[str] = []
    for group in GROUPS:
        of_group = [finding for finding in findings if finding.group == group]
        if not of_group:
            continue
        if lines:
            lines.append("")
        lines.append(TITLES[group])
        for finding in of_group:
            lines.append(f"  {symbols[finding.severity]} {finding.subject}: {finding.message}")
            if finding.fix and finding.severity is not Severity.OK:
                # A fix of several lines (DNS records) stays indented under its finding.
                lines.append("      fix: " + finding.fix.replace("\n", "\n           "))
    if lines:
        lines.append("")
    lines.append(summary(findings))
    return "\n".join(lines) + "\n"


def as_json(findings: Sequence[Finding]) -> str:
    """A list of findings, each with the keys check, group, step, severity, subject, message, fix."""
    return json.dumps([finding.to_dict() for finding in findings], indent=2, ensure_ascii=False) + "\n"
