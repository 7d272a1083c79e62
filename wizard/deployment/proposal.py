"""The proposal: what a run would write from the answers, how it differs from the deployment directory, and writing it.

The core of ``generate``, ``diff``, ``upgrade`` and the front ends' review; it shows and asks
nothing (the command line prints a proposal and asks before writing it: wizard.cli_commands).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from wizard.answers.build import build_from, dump
from wizard.answers.given import ANSWERS_FILE, read_answers_file, saved_answers
from wizard.answers.model import Answers
from wizard.deployment import apply as applying
from wizard.deployment.plan import (
    APPLIED_ANSWERS,
    APPLIED_CONFIG,
    Change,
    Plan,
    Status,
    check_output_dir,
    private_where_secret,
    read_existing,
)
from wizard.deployment.render import CONFIG, deployment
from wizard.ejabberd_yml import read as importer
from wizard.ejabberd_yml.config_file import load_config
from wizard.ejabberd_yml.render import merge_base
from wizard.errors import FileError, InputError
from wizard.releases import capabilities
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

    def notes(self) -> list[str]:
        """What to tell before any diff, one ``# ...`` line each: what reading the answers changed,
        what an imported config keeps, the release's warning, and a secret a preview could not read."""
        lines = [f"# {line}" for line in (*self.migrated, *self.imported)]
        if release_note := capabilities(self.answers.install.version).note:
            lines.append(f"# warning: {release_note}")
        if self.unread_secret:
            lines.append(f"# {self.unread_secret}; the preview shows it as {MASK}")
        return lines

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


def held_while_writing(out: Path, *, preview: bool) -> contextlib.AbstractContextManager[object]:
    """The lock a run holds from reading the files to writing them: another run cannot change them
    between the diff shown and the write (apply checks them again, for a directory without a lock
    yet). A preview writes nothing and takes none."""
    return contextlib.nullcontext() if preview or not out.is_dir() else applying.locked(out, create=False)
