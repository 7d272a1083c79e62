"""The plan: every file the deployment should have, compared with what is on disk.

Nothing is written before the comparison has been shown (``wizard.deployment.apply`` writes).
A file that differs from what the wizard last wrote there has been edited by
hand: it is a *local edit*, kept unless the user asks to overwrite it (as ucf
and dpkg do with configuration files). config/ejabberd.yml is the exception: its
renderer merges the new answers into the edited file itself.
"""

from __future__ import annotations

import difflib
import enum
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

from wizard.errors import InputError
from wizard.secrets import MASK

BACKUP_DIR = ".backup"
# What the wizard wrote last, by path: the content's SHA-256.
WRITTEN_RECORD = ".wizard-written.json"
# The answers the files on disk were last written from: the base of the next merge.
# wizard.yml cannot serve, since the user may edit it before running the wizard again.
APPLIED_ANSWERS = ".wizard-applied.yml"
# The config those answers rendered to, before it was merged into the file: what the next merge
# starts from. Rendering the applied answers again would give it only while the renderer stays
# the same; a newer wizard's rendering differs (a fixed default, say), and against a base of its
# own those differences would look like the user's edits and never reach the file.
APPLIED_CONFIG = ".wizard-applied-config.yml"
# Records of the last write, saved and restored with the files it replaced.
RECORDS = (WRITTEN_RECORD, APPLIED_ANSWERS, APPLIED_CONFIG)
# Lines whose value is a secret even when the value itself is not known: an old password on
# disk, a component's or TURN's secret written by hand (any key ending in password or secret).
_SECRET_LINE = re.compile(r"^(\s*(?:- )?[\w.-]*(?:password|secret):\s*)(?![\s#]|$).+$", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class PlannedFile:
    content: str
    mode: int = 0o644
    secrets: tuple[str, ...] = ()
    merged: bool = False  # the renderer already merged local edits in


class Status(enum.Enum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    LOCAL_EDIT = "edited"  # changed by hand since the wizard wrote it: kept unless overwritten
    OVERWRITE = "overwrite"  # changed by hand, and the wizard's version chosen instead (the edit is backed up)


@dataclass(frozen=True)
class Change:
    path: str
    status: Status
    old: str | None
    planned: PlannedFile

    @property
    def pending(self) -> bool:
        """Whether applying writes this file."""
        return self.status in (Status.NEW, Status.CHANGED, Status.OVERWRITE)

    @property
    def edited_by_hand(self) -> bool:
        return self.status in (Status.LOCAL_EDIT, Status.OVERWRITE)

    def taking(self, take: bool) -> Change:
        """For a hand-edited file: the wizard's version (``take``) or the user's, kept."""
        if not self.edited_by_hand:
            return self
        return replace(self, status=Status.OVERWRITE if take else Status.LOCAL_EDIT)

    def masked_diff(self, take: str | None = None) -> str:
        """A unified diff with every secret replaced by a mask (new files in full).

        ``take``: how the front end takes the wizard's version of a hand-edited file.
        """
        old = mask(self.old, self.planned.secrets) if self.old is not None else ""
        new = mask(self.planned.content, self.planned.secrets)
        header = ""
        if self.status is Status.LOCAL_EDIT:
            header = (f"# {self.path}: edited by hand since the wizard wrote it; kept as it is"
                      f"; to replace it with the version below: {take or f'--take {self.path}'}\n")
        elif self.status is Status.OVERWRITE:
            header = (f"# {self.path}: edited by hand since the wizard wrote it; replaced by the version below "
                      f"(yours goes to {BACKUP_DIR}/)\n")
        if self.old is not None and old == new and self.status is not Status.UNCHANGED:
            return f"--- a/{self.path}\n+++ b/{self.path}\n{header}# only a secret value changed (not shown)\n"
        lines = difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile="/dev/null" if self.old is None else f"a/{self.path}",
            tofile=f"b/{self.path}",
        )
        return header + "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                                for line in lines)


def mask(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
        if " " in secret:
            # A long value is folded at its spaces (YAML reads a line break and the indentation
            # after it as one space): each piece would otherwise show on a line of its own.
            folded = r"(?: |[ \t]*\n[ \t]*)".join(re.escape(part) for part in secret.split(" "))
            text = re.sub(folded, MASK, text)
    return _SECRET_LINE.sub(lambda m: m.group(1) + f'"{MASK}"', text)


def private_where_secret(plan: Plan) -> Plan:
    """Every planned file with a password or secret in it readable by its owner only: an
    imported config can hold one the answers do not know of (a host_config's sql_password)."""
    files = {path: replace(planned, mode=planned.mode & ~0o077)
             if path.endswith(".yml") and planned.mode & 0o077 and _SECRET_LINE.search(planned.content) else planned
             for path, planned in plan.files.items()}
    return Plan(files)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Plan:
    files: dict[str, PlannedFile] = field(default_factory=dict)

    def compare(self, out: Path, *, overwrite_local_edits: bool = False) -> list[Change]:
        """How each planned file differs from what is in ``out`` now; hand-edited files are
        kept, or all replaced with ``overwrite_local_edits`` (see also ``Change.taking``)."""
        check_output_dir(out)
        written = read_written_record(out)
        changes = []
        for path, planned in self.files.items():
            old = read_existing(out, path)
            if old is None:
                status = Status.NEW
            elif old == planned.content:
                status = Status.UNCHANGED
            elif not planned.merged and path in written and written[path] != digest(old):
                status = Status.OVERWRITE if overwrite_local_edits else Status.LOCAL_EDIT
            else:
                status = Status.CHANGED
            changes.append(Change(path, status, old, planned))
        return changes


# Directories of the system, or that hold others': a deployment's wizard.yml, config/ and scripts/
# written straight into them would mix with what is there (a symlinked --out to / did).
SYSTEM_DIRECTORIES = frozenset({
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/media", "/mnt", "/opt", "/proc",
    "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/lib", "/usr/local", "/usr/sbin",
    "/usr/share", "/var", "/var/lib", "/var/log", "/var/tmp",
})


def check_output_dir(out: Path) -> None:
    """``out`` can be a deployment directory: a directory (or nothing yet) of its own, reachable.

    Where it resolves to (through a symlink, say) is what counts: a symlink to a directory
    of its own elsewhere is fine, one to / or /etc is not.
    """
    shown = str(out) if len(str(out)) <= 120 else str(out)[:117] + "..."
    try:
        info = os.stat(out)
    except FileNotFoundError:
        info = None
    except OSError as error:  # too long a name, a directory on the way that is not ours to enter, a loop
        raise InputError(f"--out {shown}: cannot use it: {error.strerror}; expected a directory you can write") \
            from None
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise InputError(f"--out {shown}: is a file; expected a directory for the deployment")
    resolved = os.path.realpath(out)
    if resolved in SYSTEM_DIRECTORIES or resolved == os.path.realpath(Path.home()):
        via = f" (it leads to {resolved})" if resolved != os.path.abspath(out) else ""
        raise InputError(f"--out {shown}: is a system or home directory{via}; expected a directory of its "
                         "own for the deployment, such as ./ejabberd-deploy")


def read_written_record(out: Path) -> dict[str, str]:
    try:
        record = json.loads((out / WRITTEN_RECORD).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        # A damaged record only costs the local-edit detection: every file then
        # counts as the wizard's own, which the diff still shows before writing.
        return {}
    return {str(k): str(v) for k, v in record.items()} if isinstance(record, dict) else {}


def read_existing(out: Path, relative: str) -> str | None:
    path = out / relative
    if not path.resolve().is_relative_to(out.resolve()):
        raise InputError(f"{path}: leads to {path.resolve()}, outside the deployment directory (a symlink?); remove it")
    try:
        # Only a regular file is read: opening a FIFO put there would wait for a writer, forever.
        if path.exists() and not path.is_file() and not path.is_dir():
            raise InputError(f"{path}: is not a regular file (a FIFO or device?); move it away so the wizard "
                             f"can write {relative}")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; expected the file {relative}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: is not UTF-8 text; move it away so the wizard can write {relative}") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None
