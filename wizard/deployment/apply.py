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
import glob
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

from wizard.answers.given import ANSWERS_FILE
from wizard.deployment.plan import (
    APPLIED_ANSWERS,
    APPLIED_CONFIG,
    BACKUP_DIR,
    RECORDS,
    WRITTEN_RECORD,
    Change,
    Status,
    digest,
    read_existing,
    read_written_record,
)
from wizard.errors import FileError, InputError
from wizard.textfile import read_file, read_text

LOCK_FILE = ".wizard.lock"
JOURNAL = ".wizard-apply.json"
MANIFEST = "manifest.json"
_CRASH_AFTER = "EJABBERD_WIZARD_TEST_CRASH_AFTER"


def apply(out: Path, changes: list[Change], on_written: Callable[[Change], None] | None = None,
          applied_answers: str | None = None, applied_config: str | None = None) -> list[Change]:
    """Write the new and changed files of ``changes`` into ``out``; returns what was written.

    ``applied_answers`` (the answers as wizard.yml text) and ``applied_config`` (what they
    render to, unmerged) are recorded as what the files were written from, for the
    three-way merge of the next run. An interrupted earlier write is completed: with nothing
    left to write, its records are written and its journal removed.
    """
    # The answers go last: until every file is written, wizard.yml still holds the
    # answers the files on disk came from, which a re-run merges against.
    pending = sorted((change for change in changes if change.pending), key=lambda change: change.path == ANSWERS_FILE)
    if not pending and not (out / JOURNAL).exists():
        return []
    steps = _Steps()
    try:
        make_directories(out)
        with locked(out):
            for change in pending:
                _check_inside(out, change.path)
            _unchanged_since_planned(out, pending)
            _remove_leftovers(out, changes)
            backup, manifest = _backup(out, pending, steps)
            steps.step()
            write_atomically(out / JOURNAL, json.dumps(manifest, indent=2), 0o600)
            for number, change in enumerate(pending, start=1):
                steps.step()
                write_atomically(out / change.path, change.planned.content, change.planned.mode)
                if on_written:
                    on_written(change)
                if number == steps.crash_after:
                    os.kill(os.getpid(), 9)
            steps.step()
            _record_written(out, changes)
            if applied_answers is not None:
                steps.step()
                write_atomically(out / APPLIED_ANSWERS, applied_answers, 0o600)
            if applied_config is not None:
                steps.step()
                write_atomically(out / APPLIED_CONFIG, applied_config, 0o600)
            steps.step()
            (out / JOURNAL).unlink()
    except OSError as error:
        where = error.filename or out
        raise InputError(f"--out {out}: cannot write {where}: {error.strerror}; files not yet written keep their "
                         f"old content (backups in {out / BACKUP_DIR})") from None
    return pending


# Test hooks: die (as kill -9 would) after writing this many files, or before write-phase
# step N (each backup copy, the manifest, the journal, each file, each record, the journal's removal).
_CRASH_AT_STEP = "EJABBERD_WIZARD_TEST_CRASH_AT_STEP"


class _Steps:
    def __init__(self) -> None:
        self.crash_after = _crash_after()
        value = os.environ.get(_CRASH_AT_STEP, "")
        if value and not value.isdigit():
            raise InputError(f"{_CRASH_AT_STEP}: expected a step number (a test hook), got {value[:40]!r}")
        self.crash_at, self.done = int(value) if value else -1, 0

    def step(self) -> None:
        self.done += 1
        if self.done == self.crash_at:
            os.kill(os.getpid(), 9)


def _backup(out: Path, pending: list[Change], steps: _Steps) -> tuple[Path, dict[str, Any]]:
    """The backup of this write, with its manifest written: the interrupted write's, when this
    completes one (so one rollback undoes both), else a new one."""
    earlier = interrupted(out)
    backup = _journal_backup(out, earlier)
    if backup is not None and earlier is not None:
        manifest = _manifest_from(earlier)
        listed = {*manifest["replaced"], *manifest["created"]}
        # What the interrupted write did not list (the answers changed since): backed up now.
        for change in pending:
            if change.path not in listed:
                manifest["replaced" if change.old is not None else "created"].append(change.path)
                if change.old is not None:
                    steps.step()
                    _copy_preserving_mode(out / change.path, backup / change.path)
    else:
        backup = _new_backup_dir(out)
        manifest = {
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "backup": backup.name,
            "replaced": [c.path for c in pending if c.old is not None],
            "created": [c.path for c in pending if c.old is None],
            # Records there were before: a rollback removes the others, which this write made.
            "records": [record for record in RECORDS if (out / record).exists()],
        }
        for path in manifest["replaced"]:
            steps.step()
            _copy_preserving_mode(out / path, backup / path)
        for record in manifest["records"]:
            steps.step()
            shutil.copy2(out / record, backup / record)
    steps.step()
    write_atomically(backup / MANIFEST, json.dumps(manifest, indent=2), 0o600)
    return backup, manifest


def _journal_backup(out: Path, journal: dict[str, Any] | None) -> Path | None:
    name = journal.get("backup") if journal else None
    if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
        return None
    backup = out / BACKUP_DIR / name
    return backup if backup.is_dir() else None


def _unchanged_since_planned(out: Path, pending: list[Change]) -> None:
    """Under the lock, each file is still what the plan was made from: another run, or an edit
    made while the diff was shown, would otherwise be overwritten unseen."""
    for change in pending:
        if read_existing(out, change.path) != change.old:
            raise InputError(f"{out / change.path}: changed since the diff was made (another run, or an edit); "
                             "nothing was written; run again to see the new diff")


def _remove_leftovers(out: Path, changes: list[Change]) -> None:
    """Temporary files a killed write left beside the files it was writing."""
    names = {Path(change.path) for change in changes} | {Path(record) for record in (*RECORDS, JOURNAL)}
    for path in names:
        directory = out / path.parent
        if directory.is_dir() and not directory.is_symlink():
            for leftover in directory.glob(f".{glob.escape(path.name)}.*.tmp"):
                if leftover.is_file() and not leftover.is_symlink():
                    leftover.unlink(missing_ok=True)


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
    """Undo the last apply: restore the files it replaced, remove the ones it created.

    Everything the manifest names is checked before anything is changed: a path that leads
    outside the deployment, a backed-up file that is missing, a manifest that is not one.
    """
    backups = sorted(path for path in (out / BACKUP_DIR).glob("*") if (path / MANIFEST).is_file()) \
        if (out / BACKUP_DIR).is_dir() else []
    if not backups:
        raise InputError(f"--out {out}: nothing to roll back (no backup in {out / BACKUP_DIR})")
    backup = backups[-1]
    with locked(out):
        manifest = _read_manifest(backup / MANIFEST)
        for path in (*manifest["replaced"], *manifest["created"]):
            _check_inside(out, path)
        restored = {}
        for path in manifest["replaced"]:
            try:
                text, info = read_file(backup / path, expected="the backed-up file", limit=64 * 2**20,
                                       usual_size="not a file the wizard wrote")
            except FileError as error:
                raise InputError(f"{backup / MANIFEST}: cannot restore {path}: {error}; "
                                 "nothing was rolled back") from None
            restored[path] = (text, info.st_mode & 0o7777)
        for path, (text, mode) in restored.items():
            write_atomically(out / path, text, mode)
        for path in manifest["created"]:
            (out / path).unlink(missing_ok=True)
        for record in RECORDS:
            if (backup / record).is_file():
                shutil.copy2(backup / record, out / record)
            elif record not in manifest["records"]:
                (out / record).unlink(missing_ok=True)
        (out / JOURNAL).unlink(missing_ok=True)
        # Done: this backup is consumed, so a second rollback goes one apply further back.
        shutil.rmtree(backup)
    return {"restored": manifest["replaced"], "removed": manifest["created"]}


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(read_text(path, expected="a backup manifest (JSON)", limit=2**20,
                                        usual_size="a manifest takes a few kB"))
    except FileError as error:
        raise InputError(f"{error}; nothing was rolled back") from None
    except ValueError as error:
        raise InputError(f"{path}: not valid JSON ({error}); expected the manifest the wizard wrote; "
                         "nothing was rolled back") from None
    return _manifest_from(manifest, path)


def _manifest_from(manifest: Any, path: Path | None = None) -> dict[str, Any]:
    """A manifest's lists of relative paths, each one inside the deployment directory by its form."""
    where = str(path) if path else JOURNAL

    def paths(key: str, default: list[str] | None = None) -> list[str]:
        value = manifest.get(key, default) if isinstance(manifest, dict) else None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InputError(f"{where}: {key}: expected a list of paths in the deployment directory; "
                             "nothing was rolled back")
        for item in value:
            parts = Path(item).parts
            if not item or Path(item).is_absolute() or ".." in parts or "\0" in item:
                raise InputError(f"{where}: {key}: {item[:80]!r} is not a path inside the deployment directory; "
                                 "nothing was rolled back")
        return list(value)

    # Older backups do not list the records there were before: leave them as they are.
    records = [record for record in paths("records", list(RECORDS)) if record in RECORDS]
    return {**manifest, "replaced": paths("replaced"), "created": paths("created"), "records": records}


# The deployment directories this process holds the lock of: a run that read and planned under
# the lock writes under it too (flock would refuse a second descriptor of the same process).
_held: dict[str, int] = {}


@contextmanager
def locked(out: Path, *, create: bool = True) -> Iterator[None]:
    """Hold the deployment directory's lock, or fail at once naming who holds it.

    Without ``create``, a directory without a lock file yet is not locked (reading must not
    leave a file behind); the write that follows creates it and checks what it read.
    """
    key = os.path.realpath(out)
    if key in _held:
        if create:
            _write_holder(_held[key])
        yield
        return
    path = out / LOCK_FILE
    try:
        # Never through a symlink: as root, truncating it would clobber any file.
        descriptor = os.open(path, os.O_RDWR | os.O_NOFOLLOW | (os.O_CREAT if create else 0), 0o600)
    except FileNotFoundError:
        if create:
            raise
        yield
        return
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
        if create:
            _write_holder(descriptor)
        _held[key] = descriptor
        try:
            yield
        finally:
            del _held[key]
    finally:
        os.close(descriptor)


def _write_holder(descriptor: int) -> None:
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"ejabberd-wizard (pid {os.getpid()} on {socket.gethostname()}, since "
                          f"{time.strftime('%H:%M:%S')})".encode(), 0)


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
