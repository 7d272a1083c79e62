"""``generate`` and ``diff``: answers in, a reviewed and atomically written deployment out."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from wizard import apply as applying
from wizard import importer
from wizard.answers import build_from, dump
from wizard.config_file import load_config
from wizard.errors import FileError, InputError
from wizard.given import ANSWERS_FILE, read_answers_file, saved_answers
from wizard.model import Answers
from wizard.plan import (
    APPLIED_ANSWERS,
    APPLIED_CONFIG,
    Change,
    Plan,
    Status,
    check_output_dir,
    private_where_secret,
    read_existing,
)
from wizard.releases import capabilities
from wizard.render import CONFIG, deployment
from wizard.render.ejabberd_config import merge_base
from wizard.secrets import MASK, Secrets, resolve


@dataclass(frozen=True)
class Proposal:
    """What a run would do: the answers, the plan, and how it differs from the disk."""

    answers: Answers
    plan: Plan
    changes: list[Change]
    out: Path
    interrupted: dict[str, Any] | None = None  # the journal of an earlier apply that did not finish
    imported: tuple[importer.ReportLine, ...] = ()  # with --import: the import report
    migrated: tuple[str, ...] = ()  # what reading an older answers file changed
    # In a preview: why a secret could not be read here (it is shown as ******** and nothing can be written).
    unread_secret: str | None = None

    @property
    def pending(self) -> list[Change]:
        return [change for change in self.changes if change.pending]

    @property
    def local_edits(self) -> list[Change]:
        """Files edited by hand since the wizard wrote them, whether kept or taken."""
        return [change for change in self.changes if change.edited_by_hand]

    def taking(self, paths: Collection[str]) -> Proposal:
        """This proposal with the wizard's version of the hand-edited files ``paths``, and the user's of the others."""
        unknown = sorted(set(paths) - {change.path for change in self.local_edits})
        if unknown:
            edited = ", ".join(change.path for change in self.local_edits) or "none"
            raise InputError(f"--take {unknown[0]}: not a file edited by hand in {self.out}; those are: {edited}")
        return replace(self, changes=[change.taking(change.path in paths) for change in self.changes])

    def diff_text(self, take: str | None = None) -> str:
        """Every change's masked diff; ``take`` as in ``Change.masked_diff``."""
        return "".join(change.masked_diff(take) for change in self.changes if change.status is not Status.UNCHANGED)

    def summary(self) -> str:
        return "\n".join(f"{change.status.value:>9}  {change.path}" for change in self.changes)

    def notice(self) -> str | None:
        """What the user should know before writing: an interrupted earlier run."""
        if not self.interrupted:
            return None
        return (f"An earlier write (started {self.interrupted.get('started')}) was interrupted; writing now "
                f"completes it. The files it replaced are in {self.out}/.backup/{self.interrupted.get('backup')} "
                f"(`ejabberd-wizard rollback --out {self.out}` restores them).")

    def write(self, on_written: Callable[[Change], None] | None = None) -> list[Change]:
        if self.unread_secret is not None:  # a preview's placeholder must never reach the disk
            raise InputError(self.unread_secret)
        return applying.apply(self.out, self.changes, on_written, applied_answers=dump(self.answers),
                              applied_config=merge_base(self.answers))


def proposal_for(answers: Answers, out: Path, *, overwrite_local_edits: bool = False,
                 typed_secrets: Mapping[str, str] | None = None, start: importer.Start | None = None,
                 preview: bool = False) -> Proposal:
    """The plan for ``answers``, merged with and compared to what ``out`` holds.

    ``start`` is an imported config: while ``out`` has no config/ejabberd.yml yet, the
    new config is merged into the imported file, as if its answers had written it. A
    ``preview`` (``--dry-run``, ``diff``) needs no secret: one that cannot be read here
    (Uberspace's ~/.my.cnf, off the host) is shown masked, as every secret is, and the
    proposal cannot be written.
    """
    check_output_dir(out)
    unread = None
    try:
        secrets = resolve(answers, out, typed_secrets)
    except InputError as error:
        if not preview:
            raise
        secrets, unread = Secrets(database_password=MASK), f"{error}; writing needs it, where ejabberd runs"
    config, (previous, previous_config) = read_existing(out, CONFIG), _previous(out)
    if config is not None:
        _check_config_on_disk(out, config)
    if start is not None and config is None:
        # The base is what the file's answers render to, with the file's own values where an
        # answer has to win over it (wizard.import_changes): the merge then writes those answers.
        config, previous, previous_config = start.text, start.answers, start.base_config
    plan = private_where_secret(deployment(answers, secrets, config_on_disk=config, previous=previous,
                                           previous_config=previous_config))
    return Proposal(answers, plan, plan.compare(out, overwrite_local_edits=overwrite_local_edits), out,
                    applying.interrupted(out), start.report if start else (), unread_secret=unread)


def propose(out: Path, preset: str | None, answers_path: Path | None, *, overwrite_local_edits: bool = False,
            import_from: Path | bool | None = None, preview: bool = False) -> Proposal:
    """``import_from``: an ejabberd.yml to start from (``True``: the preset's live config), under the answers file."""
    check_output_dir(out)
    saved = saved_answers(out, answers_path)
    if import_from is None:
        proposal = proposal_for(build_from(preset, saved), out, overwrite_local_edits=overwrite_local_edits,
                                preview=preview)
    else:
        imported = importer.read(import_from, preset, saved)
        answers, answered = imported.answers(preset, saved)
        proposal = proposal_for(answers, out, overwrite_local_edits=overwrite_local_edits,
                                start=imported.start(preset, answered), preview=preview)
    return replace(proposal, migrated=saved.migrated)


def _check_config_on_disk(out: Path, config: str) -> None:
    """A config/ejabberd.yml that does not parse is the user's to mend: replacing it would lose
    whatever it holds (a half-finished edit, say), so it is named with its line instead."""
    try:
        load_config(config, out / CONFIG)
    except FileError as error:
        raise FileError(error.where, f"{error.problem}; fix it, or move it away for the wizard to write "
                                     "a new one") from None


def _previous(out: Path) -> tuple[Answers | None, str | None]:
    """The answers the deployment was last written from, when they can be read, and the
    config they rendered to then, when it was recorded with them.

    The records apply keeps; wizard.yml for deployments written before there were any.
    """
    for record in (out / APPLIED_ANSWERS, out / ANSWERS_FILE):
        if record.is_file():
            try:
                answers = build_from(None, read_answers_file(record))
            except InputError:
                # Only the merge base is lost: the config is then merged two-way.
                return None, None
            return answers, _recorded_config(out) if record.name == APPLIED_ANSWERS else None
    return None, None


def _recorded_config(out: Path) -> str | None:
    try:
        return read_existing(out, APPLIED_CONFIG)
    except InputError:
        return None  # unreadable: the merge base is rendered again instead


def diff(out: Path, preset: str | None, answers_path: Path | None, import_from: Path | bool | None = None) -> int:
    proposal = propose(out, preset, answers_path, import_from=import_from, preview=True)
    _print_notes(proposal)
    sys.stdout.write(proposal.diff_text())
    return 1 if proposal.pending else 0


def generate(out: Path, preset: str | None, answers_path: Path | None, *, dry_run: bool, assume_yes: bool,
             overwrite_local_edits: bool = False, take: Collection[str] = (),
             import_from: Path | bool | None = None) -> int:
    check_output_dir(out)
    # Lock, then read, plan, confirm and write: another run cannot change the files between the
    # diff shown and the write (apply checks them again, for a directory without a lock yet).
    with contextlib.nullcontext() if dry_run or not out.is_dir() else applying.locked(out, create=False):
        proposal = propose(out, preset, answers_path, overwrite_local_edits=overwrite_local_edits,
                           import_from=import_from, preview=dry_run)
        if take:
            proposal = proposal.taking(take)
        return offer(proposal, dry_run=dry_run, assume_yes=assume_yes, then=f"Next steps: {out / 'README.md'}")


def offer(proposal: Proposal, *, dry_run: bool, assume_yes: bool, then: str) -> int:
    """Show a proposal's notes, diff and files; write them when the user agrees (``then``: what to do next)."""
    out = proposal.out
    _print_notes(proposal)
    if notice := proposal.notice():
        print(notice)
    pending = proposal.pending
    if not pending and proposal.interrupted and not dry_run:
        # The interrupted write had written every file but not its records: finish those.
        proposal.write()
        print(f"{out}: completed the interrupted write; nothing else to write.")
        return 0
    if not pending:
        kept = f" ({len(proposal.local_edits)} file(s) with local edits kept)" if proposal.local_edits else ""
        print(f"{out}: up to date, nothing to write{kept}.")
        return 0
    sys.stdout.write(proposal.diff_text())
    print(proposal.summary())
    if dry_run:
        print(f"dry run: {len(pending)} file(s) would be written to {out}; nothing was written.")
        return 0
    if not assume_yes and not _confirmed(f"Write {len(pending)} file(s) to {out}? [y/N] "):
        print("Nothing was written.")
        return 0
    written = proposal.write()
    print(f"Wrote {len(written)} file(s) to {out}. {then}")
    return 0


def _print_notes(proposal: Proposal) -> None:
    """What reading the answers changed, what an imported config keeps, and a secret a preview
    could not read, before any diff."""
    for line in (*proposal.migrated, *proposal.imported):
        print(f"# {line}")
    if release_note := capabilities(proposal.answers.install.version).note:
        print(f"# warning: {release_note}")
    if proposal.unread_secret:
        print(f"# {proposal.unread_secret}; the preview shows it as {MASK}")


def rollback(out: Path) -> int:
    check_output_dir(out)
    undone = applying.rollback(out)
    for path in undone["restored"]:
        print(f" restored  {path}")
    for path in undone["removed"]:
        print(f"  removed  {path}")
    print(f"Rolled back the last write to {out}.")
    return 0


def _confirmed(question: str) -> bool:
    if not sys.stdin.isatty():
        raise InputError("generate: no terminal to confirm on; pass --yes to write, or --dry-run to only look")
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False
