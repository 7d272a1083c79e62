"""Reading a file someone gave the wizard: bounded, UTF-8, and in one line when it cannot be.

Answers files and ejabberd configs take a few kB; reading stops past a limit, so a
wrong path (a disk image, /dev/zero) costs nothing.
"""

from __future__ import annotations

from pathlib import Path

from wizard.errors import FileError


def read_text(path: Path, *, expected: str, limit: int, usual_size: str) -> str:
    """The text of ``path``, which should be ``expected`` (an answers file, ...) of ``usual_size``."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(limit + 1)
    except FileNotFoundError:
        raise FileError(str(path), f"no such file; expected {expected}") from None
    except IsADirectoryError:
        raise FileError(str(path), f"is a directory; expected {expected}") from None
    except OSError as error:
        raise FileError(str(path), f"cannot read: {error.strerror}") from None
    if len(raw) > limit:
        size = f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit // 1024} KiB"
        raise FileError(str(path), f"larger than {size}; {usual_size}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise FileError(f"{path}:{line}", f"byte {error.start} is not UTF-8; expected a UTF-8 text file") from None
