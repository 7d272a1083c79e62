"""Reading a file someone gave the wizard: bounded, UTF-8, and in one line when it cannot be.

Answers files, ejabberd configs and password files take a few kB; reading stops past
a limit, so a wrong path (a disk image, /dev/zero) costs nothing. Only regular files
are read: a FIFO would block the wizard until someone writes into it, a device would
never end. The file is opened without blocking and checked on the open descriptor, so
what is checked is what is read, once.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from wizard.errors import FileError, shown

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


def read_file(path: Path, *, expected: str, limit: int, usual_size: str,
              where: str | None = None) -> tuple[str, os.stat_result]:
    """The text of the regular file ``path`` and its status; ``where`` names it in errors (default: the path)."""
    named = where or str(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise FileError(named, f"no such file; expected {expected}") from None
    except IsADirectoryError:
        raise FileError(named, f"is a directory; expected {expected}") from None
    except OSError as error:
        raise FileError(named, f"cannot read: {error.strerror}") from None
    try:
        info = os.fstat(descriptor)
        for test, kind in _KINDS:
            if test(info.st_mode):
                raise FileError(named, f"is {kind}; expected {expected}, a regular file")
        os.set_blocking(descriptor, True)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(descriptor, min(limit + 1 - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        raw = b"".join(chunks)
    except OSError as error:
        raise FileError(named, f"cannot read: {error.strerror}") from None
    finally:
        os.close(descriptor)
    if len(raw) > limit:
        size_text = f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit // 1024} KiB"
        raise FileError(named, f"larger than {size_text}; {usual_size}")
    try:
        return raw.decode("utf-8"), info
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise FileError(f"{named}:{line}" if where is None else named,
                        f"byte {error.start} is not UTF-8; expected a UTF-8 text file") from None


def read_text(path: Path, *, expected: str, limit: int, usual_size: str) -> str:
    """The text of ``path``, which should be ``expected`` (an answers file, ...) of ``usual_size``."""
    return read_file(path, expected=expected, limit=limit, usual_size=usual_size)[0]


_DUPLICATE_KEY = re.compile(r'found duplicate key "(?P<key>.*?)" with value')
_LONGEST_PROBLEM = 160


def yaml_problem(error: Exception, path: Path) -> tuple[str, str]:
    """Where (``path:LINE``, or ``path`` when no line is known) and, in one readable line, what
    ruamel.yaml found wrong.

    ruamel's own words repeat whole values (a duplicate key quotes both of its values, which
    can be kilobytes): a duplicate key is named with the mapping it is in, anything else is cut short.
    """
    problem_mark = getattr(error, "problem_mark", None)
    context_mark = getattr(error, "context_mark", None)
    mark = problem_mark or context_mark
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = str(getattr(error, "problem", None) or getattr(error, "context", None) or error)
    duplicate = _DUPLICATE_KEY.match(problem)
    if duplicate and context_mark is not None:
        problem = (f"the key {shown(duplicate['key'])} is there twice in the mapping that starts on line "
                   f"{context_mark.line + 1}")
    problem = " ".join(problem.split())
    if len(problem) > _LONGEST_PROBLEM:
        problem = problem[:_LONGEST_PROBLEM - 3] + "..."
    return where, problem
