"""``ejabberd-wizard check``: the answers of a deployment against this machine; exit 1 on any error."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wizard import DEFAULT_OUT
from wizard.answers import build_from
from wizard.checks import report
from wizard.checks.core import GROUPS, Nameserver
from wizard.checks.runner import run_checks
from wizard.errors import InputError
from wizard.given import ANSWERS_FILE, saved_answers
from wizard.model import Answers


def run_check(args: argparse.Namespace) -> int:
    only = parse_only(args.only)
    nameserver = Nameserver.parse(args.nameserver) if args.nameserver else None
    out, answers = load(args.out, args.answers, args.preset)
    findings = run_checks(answers, only=only, nameserver=nameserver, out=out)
    if args.format == "json":
        sys.stdout.write(report.as_json(findings))
    else:
        sys.stdout.write(report.text(findings, ascii_only=not _can_show("✓✗")))
    return report.exit_code(findings)


def parse_only(text: str | None) -> set[str] | None:
    if text is None:
        return None
    groups = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(groups - set(GROUPS))
    if unknown or not groups:
        raise InputError(f"--only {text!r}: expected a comma-separated list of {','.join(GROUPS)}"
                         + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
    return groups


def load(out: Path | None, answers_path: Path | None, preset: str | None) -> tuple[Path, Answers]:
    """The deployment directory and its answers: --answers FILE, else DIR/wizard.yml, which must exist."""
    directory = out or DEFAULT_OUT
    if answers_path is None and not (directory / ANSWERS_FILE).is_file():
        raise InputError(f"{directory / ANSWERS_FILE}: no such file; run `ejabberd-wizard generate --out {directory}` "
                         "first, or pass --answers FILE")
    return directory, build_from(preset, saved_answers(directory, answers_path))


def _can_show(characters: str) -> bool:
    try:
        characters.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
