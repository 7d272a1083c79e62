"""Writing the plan so that no file is ever lost.

- One writer at a time: a lock file in the deployment directory names its holder.
- Every file it replaces is copied to ``.backup/<time>/`` before anything is
  written, with a manifest that ``rollback`` uses to undo the whole apply.
- Each file is written atomically (temporary file in the same directory, mode
  set, fsync, ``os.replace``): at any moment it is either the old or the new one.
- A journal marks an apply in progress; if the process dies (kill -9, full disk),
  the next run finds it, says so, and completing the plan finishes the job.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wizard.errors import InputError
from wizard.given import ANSWERS_FILE
from wizard.plan import (
    APPLIED_ANSWERS,
    APPLIED_CONFIG,
    BACKUP_DIR,
    RECORDS,
    WRITTEN_RECORD,
    Change,
    Status,
    digest,
    read_written_record,
)

LOCK_FILE = ".wizard.lock"
JOURNAL = ".wizard-apply.json"
MANIFEST = "manifest.json"
# A test hook: die (as kill -9 would) after writing this many files.
_CRASH_AFTER = "EJABBERD_WIZARD_TEST_CRASH_AFTER"


def apply(out: Path, changes: list[Change], on_written: Callable[[Change], None] | None = None,
          applied_answers: str | None = None, applied_config: str | None = None) -> list[Change]:
    """Write the new and changed files of ``changes`` into ``out``; returns what was written.

    ``applied_answers`` (the answers as wizard.yml text) and ``applied_config`` (what they
    render to, unmerged) are recorded as what the files were written from, for the
    three-way merge of the next run.
    """
    # The answers go last: until every file is written, wizard.yml still holds the
    # answers the files on disk came from, which a re-run merges against.
    pending = sorted((change for change in changes if change.pending), key=lambda change: change.path == ANSWERS_FILE)
    if not pending:
        return []
    crash_after = _crash_after()
    try:
        make_directories(out)
        with locked(out):
            backup = _new_backup_dir(out)
            manifest = {
                "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                "backup": backup.name,
                "replaced": [c.path for c in pending if c.old is not None],
                "created": [c.path for c in pending if c.old is None],
                # Records there were before: a rollback removes the others, which this write made.
                "records": [record for record in RECORDS if (out / record).exists()],
            }
            for change in pending:
                _check_inside(out, change.path)
            for path in manifest["replaced"]:
                _copy_preserving_mode(out / path, backup / path)
            for record in manifest["records"]:
                shutil.copy2(out / record, backup / record)
            write_atomically(backup / MANIFEST, json.dumps(manifest, indent=2), 0o600)
            write_atomically(out / JOURNAL, json.dumps(manifest, indent=2), 0o600)
            for number, change in enumerate(pending, start=1):
                write_atomically(out / change.path, change.planned.content, change.planned.mode)
                if on_written:
                    on_written(change)
                if number == crash_after:
                    os.kill(os.getpid(), 9)
            _record_written(out, changes)
            if applied_answers is not None:
                write_atomically(out / APPLIED_ANSWERS, applied_answers, 0o600)
            if applied_config is not None:
                write_atomically(out / APPLIED_CONFIG, applied_config, 0o600)
            (out / JOURNAL).unlink()
    except OSError as error:
        where = error.filename or out
        raise InputError(f"--out {out}: cannot write {where}: {error.strerror}; files not yet written keep their "
                         f"old content (backups in {out / BACKUP_DIR})") from None
    return pending


def _crash_after() -> int:
    value = os.environ.get(_CRASH_AFTER, "")
    if value and not value.isdigit():
        raise InputError(f"{_CRASH_AFTER}: expected a number of files (a test hook), got {value[:40]!r}")
    return int(value) if value else -1


def interrupted(out: Path) -> dict[str, Any] | None:
    """The journal of an apply that did not finish, if there is one."""
    try:
        journal = json.loads((out / JOURNAL).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return journal if isinstance(journal, dict) else None


def rollback(out: Path) -> dict[str, list[str]]:
    """Undo the last apply: restore the files it replaced, remove the ones it created."""
    backups = sorted(path for path in (out / BACKUP_DIR).glob("*") if (path / MANIFEST).is_file()) \
        if (out / BACKUP_DIR).is_dir() else []
    if not backups:
        raise InputError(f"--out {out}: nothing to roll back (no backup in {out / BACKUP_DIR})")
    backup = backups[-1]
    manifest = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    with locked(out):
        for path in manifest["replaced"]:
            source = backup / path
            write_atomically(out / path, source.read_text(encoding="utf-8"), source.stat().st_mode & 0o7777)
        for path in manifest["created"]:
            (out / path).unlink(missing_ok=True)
        for record in RECORDS:
            if (backup / record).exists():
                shutil.copy2(backup / record, out / record)
            elif record not in manifest.get("records", RECORDS):  # older backups do not say: leave it
                (out / record).unlink(missing_ok=True)
        (out / JOURNAL).unlink(missing_ok=True)
        # Done: this backup is consumed, so a second rollback goes one apply further back.
        shutil.rmtree(backup)
    return {"restored": manifest["replaced"], "removed": manifest["created"]}


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the deployment directory's lock, or fail at once naming who holds it."""
    path = out / LOCK_FILE
    try:
        # Never through a symlink: as root, truncating it would clobber any file.
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InputError(f"{path}: is a symlink; remove it (the wizard's lock is a plain file)") from None
        raise
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(descriptor, 512, 0).decode("utf-8", "replace").strip() or "another process"
            raise InputError(f"--out {out}: {holder} is writing this deployment; wait for it to finish") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"ejabberd-wizard (pid {os.getpid()} on {socket.gethostname()}, since "
                              f"{time.strftime('%H:%M:%S')})".encode(), 0)
        yield
    finally:
        os.close(descriptor)


def make_directories(directory: Path) -> None:
    """Create the missing directories of a path as 0755, whatever the umask (the scripts in them run as root)."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir()
        os.chmod(path, 0o755)


def write_atomically(target: Path, content: str, mode: int) -> None:
    make_directories(target.parent)
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


def _check_inside(out: Path, relative: str) -> None:
    """A symlinked directory inside the deployment must not send a write elsewhere."""
    if not (out / relative).parent.resolve().is_relative_to(out.resolve()):
        raise InputError(f"{out / relative}: its directory leads outside the deployment directory "
                         f"(a symlink?); remove it so the wizard can write {relative}")


def _new_backup_dir(out: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for suffix in range(1000):
        candidate = out / BACKUP_DIR / (stamp if suffix == 0 else f"{stamp}-{suffix}")
        try:
            make_directories(candidate.parent)
            candidate.mkdir()
        except FileExistsError:
            continue
        os.chmod(candidate, 0o700)
        return candidate
    raise InputError(f"--out {out}: too many backups this second")


def _copy_preserving_mode(source: Path, destination: Path) -> None:
    make_directories(destination.parent)
    shutil.copy2(source, destination)


def _record_written(out: Path, changes: list[Change]) -> None:
    record = read_written_record(out)
    for change in changes:
        if change.pending or change.status is Status.UNCHANGED:
            record[change.path] = digest(change.planned.content)
    # Owner only: a hash of the config could be matched against guessed passwords.
    write_atomically(out / WRITTEN_RECORD, json.dumps(record, indent=2, sort_keys=True) + "\n", 0o600)
