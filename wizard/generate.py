"""``generate`` and ``diff``: answers in, a reviewed and atomically written deployment out."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from wizard.answers import build_from
from wizard.given import saved_answers
from wizard.errors import InputError
from wizard.model import Answers
from wizard.plan import Change, Plan, Status, check_output_dir
from wizard.render import deployment
from wizard.secrets import resolve


@dataclass(frozen=True)
class Proposal:
    """What a run would do: the answers, the plan, and how it differs from the disk."""

    answers: Answers
    plan: Plan
    changes: list[Change]

    @property
    def pending(self) -> list[Change]:
        return [change for change in self.changes if change.status is not Status.UNCHANGED]

    def diff_text(self) -> str:
        return "".join(change.masked_diff() for change in self.pending)

    def summary(self) -> str:
        return "\n".join(f"{change.status.value:>9}  {change.path}" for change in self.changes)


def propose(out: Path, preset: str | None, answers_path: Path | None) -> Proposal:
    check_output_dir(out)
    answers = build_from(preset, saved_answers(out, answers_path))
    plan = deployment(answers, resolve(answers, out))
    return Proposal(answers, plan, plan.compare(out))


def diff(out: Path, preset: str | None, answers_path: Path | None) -> int:
    proposal = propose(out, preset, answers_path)
    sys.stdout.write(proposal.diff_text())
    return 1 if proposal.pending else 0


def generate(out: Path, preset: str | None, answers_path: Path | None, *, dry_run: bool, assume_yes: bool) -> int:
    proposal = propose(out, preset, answers_path)
    pending = proposal.pending
    if not pending:
        print(f"{out}: up to date, nothing to write.")
        return 0
    sys.stdout.write(proposal.diff_text())
    print(proposal.summary())
    if dry_run:
        print(f"dry run: {len(pending)} file(s) would be written to {out}; nothing was written.")
        return 0
    if not assume_yes and not _confirmed(f"Write {len(pending)} file(s) to {out}? [y/N] "):
        print("Nothing was written.")
        return 0
    written = proposal.plan.apply(out, proposal.changes)
    print(f"Wrote {len(written)} file(s) to {out}. Next steps: {out / 'README.md'}")
    return 0


def _confirmed(question: str) -> bool:
    if not sys.stdin.isatty():
        raise InputError("generate: no terminal to confirm on; pass --yes to write, or --dry-run to only look")
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False
