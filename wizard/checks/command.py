"""What ``ejabberd-wizard check`` reads: the groups of ``--only`` and the deployment's answers.

The command line runs the checks on them and prints the report (wizard.cli_commands).
"""

from __future__ import annotations

from pathlib import Path

from wizard import DEFAULT_OUT
from wizard.answers.build import build_from
from wizard.answers.given import ANSWERS_FILE, saved_answers
from wizard.answers.model import Answers
from wizard.checks.core import GROUPS
from wizard.errors import InputError


def parse_only(text: str | None) -> set[str] | None:
    if text is None:
        return None
    groups = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(groups - set(GROUPS))
    if unknown or not groups:
        raise InputError(f"--only {text!r}: expected a comma-separated list of {','.join(GROUPS)}"
                         + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
    return groups


def deployment_answers(out: Path | None, answers_path: Path | None, preset: str | None) -> tuple[Path, Answers]:
    """The deployment directory and its answers: --answers FILE, else DIR/wizard.yml, which must exist."""
    directory = out or DEFAULT_OUT
    if answers_path is None and not (directory / ANSWERS_FILE).is_file():
        raise InputError(f"{directory / ANSWERS_FILE}: no such file; run `ejabberd-wizard generate --out {directory}` "
                         "first, or pass --answers FILE")
    return directory, build_from(preset, saved_answers(directory, answers_path))

