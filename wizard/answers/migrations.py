"""Answers files of earlier versions, brought up to the current one.

wizard.yml says which version of the answers format it is written in. When the
format changes, the change gets an entry here that moves a file's values from its
version to the next and says what it did; reading an older file applies them in
turn, tells the user, and the next write saves wizard.yml in the current version
(which the diff shows). A file from a newer wizard is refused with the reason.

Version 1 is the first format, so no migration exists yet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from wizard.errors import InputError, shown

SCHEMA_VERSION: Final = 1

# From version N to N+1: changes the values in place, returns what it changed (one line each).
Migration = Callable[[dict[str, Any]], list[str]]
MIGRATIONS: dict[int, Migration] = {}


def migrate(values: dict[str, Any], source: str, line: int | None = None) -> list[str]:
    """Bring ``values`` (read from ``source``, ``version:`` on ``line``) to ``SCHEMA_VERSION`` in place;
    what changed, for the user."""
    where = f"{source}:{line}" if line else source
    version = values.get("version", SCHEMA_VERSION)
    oldest = min(MIGRATIONS, default=SCHEMA_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < oldest:
        readable = f"{oldest} to {SCHEMA_VERSION}" if oldest < SCHEMA_VERSION else str(SCHEMA_VERSION)
        raise InputError(f"{where}: version: {shown(version)} is not a version of the answers format; "
                         f"expected {readable}", field="version")
    if version > SCHEMA_VERSION:
        raise InputError(f"{where}: version: {shown(version)} was written by a newer ejabberd-wizard, which this one "
                         f"cannot read (it reads versions up to {SCHEMA_VERSION}); update ejabberd-wizard",
                         field="version")
    notes = []
    while version < SCHEMA_VERSION:
        changes = MIGRATIONS[version](values)
        notes += [f"{source}: version {version} to {version + 1}: {change}" for change in changes]
        version += 1
        values["version"] = version
    return notes
