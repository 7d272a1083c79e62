"""The plan: every file the deployment should have, compared with the disk and applied.

Nothing is written before the comparison has been shown. Applying writes each
file atomically (a temporary file in the same directory, fsync, ``os.replace``)
with its mode set before it appears, and keeps a copy of every file it replaces
under ``.backup/<time>/``.
"""

from __future__ import annotations

import difflib
import enum
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wizard.errors import InputError
from wizard.secrets import MASK

BACKUP_DIR = ".backup"
# Lines whose value is a secret even when the value itself is not known (an old password on disk).
_SECRET_LINE = re.compile(r"^(\s*sql_password:\s*).+$", re.MULTILINE)


@dataclass(frozen=True)
class PlannedFile:
    content: str
    mode: int = 0o644
    secrets: tuple[str, ...] = ()


class Status(enum.Enum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Change:
    path: str
    status: Status
    old: str | None
    planned: PlannedFile

    def masked_diff(self) -> str:
        """A unified diff with every secret replaced by a mask (new files in full)."""
        old = mask(self.old, self.planned.secrets) if self.old is not None else ""
        new = mask(self.planned.content, self.planned.secrets)
        if self.status is Status.CHANGED and old == new:
            return f"--- a/{self.path}\n+++ b/{self.path}\n# only a secret value changed (not shown)\n"
        lines = difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile="/dev/null" if self.old is None else f"a/{self.path}",
            tofile=f"b/{self.path}",
        )
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def mask(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return _SECRET_LINE.sub(lambda m: m.group(1) + f'"{MASK}"', text)


@dataclass
class Plan:
    files: dict[str, PlannedFile] = field(default_factory=dict)

    def compare(self, out: Path) -> list[Change]:
        """How each planned file differs from what is in ``out`` now."""
        check_output_dir(out)
        changes = []
        for path, planned in self.files.items():
            old = _read_existing(out, path)
            if old is None:
                status = Status.NEW
            elif old == planned.content:
                status = Status.UNCHANGED
            else:
                status = Status.CHANGED
            changes.append(Change(path, status, old, planned))
        return changes

    def apply(self, out: Path, changes: list[Change], on_written: Callable[[Change], None] | None = None) -> list[Change]:
        """Write the new and changed files; returns what was written."""
        to_write = [change for change in changes if change.status is not Status.UNCHANGED]
        if not to_write:
            return []
        try:
            out.mkdir(parents=True, exist_ok=True)
            backup_root = out / BACKUP_DIR / time.strftime("%Y%m%d-%H%M%S")
            for change in to_write:
                target = out / change.path
                if change.old is not None:
                    _backup(target, backup_root / change.path)
                write_atomically(target, change.planned.content, change.planned.mode)
                if on_written:
                    on_written(change)
        except OSError as error:
            raise InputError(f"--out {out}: cannot write {error.filename or out}: {error.strerror}") from None
        return to_write


def check_output_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file; expected a directory for the deployment")


def write_atomically(target: Path, content: str, mode: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            os.fchmod(stream.fileno(), mode)
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _backup(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, destination)
    os.chmod(destination, 0o600)


def _read_existing(out: Path, relative: str) -> str | None:
    path = out / relative
    if path.is_symlink() and not path.resolve().is_relative_to(out.resolve()):
        raise InputError(f"{path}: is a symlink to {path.resolve()}, outside the deployment directory; remove it")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; expected the file {relative}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: is not UTF-8 text; move it away so the wizard can write {relative}") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None
