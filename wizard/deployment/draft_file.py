"""The answers as typed, kept beside the deployment directory until they are written.

A front end saves the draft as the user edits (``save``) and, on the next start, offers
it (``found``). It is an answers file (the preset named, then what differs from it), so it
also works as ``--answers``. Secrets never go into it: they are not answers.
It sits beside the deployment directory (``DIR.draft.yml``), not in it: quitting before
writing leaves the directory as it was.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.answers.given import ANSWERS_FILE, Given, read_answers_file
from wizard.errors import InputError

if TYPE_CHECKING:  # light: the app looks for a draft before its first screen
    from wizard.answers.draft import Draft

HEADER = ("# The answers of an ejabberd-wizard session not yet written to {out}, as typed (no secrets).\n"
          "# The wizard offers them when it starts again; removed once the deployment is written.\n")


def draft_path(out: Path) -> Path:
    out = out.absolute()
    return out.with_name(f"{out.name}.draft.yml")


def save(draft: Draft, out: Path) -> Path:
    """Write the draft (atomically, owner only); returns where."""
    from pydantic_core import to_jsonable_python
    from ruamel.yaml import YAML

    from wizard.deployment.apply import write_atomically

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    buffer = io.StringIO()
    buffer.write(HEADER.format(out=out))
    yaml.dump({"preset": draft.preset.name, **to_jsonable_python(draft.given)}, buffer)
    path = draft_path(out)
    write_atomically(path, buffer.getvalue(), 0o600)
    return path


def discard(out: Path) -> None:
    draft_path(out).unlink(missing_ok=True)


@dataclass(frozen=True)
class Found:
    """A draft found beside the deployment directory."""

    path: Path
    given: Given
    saved_at: str  # when it was last saved, as the user's clock reads it

    @property
    def preset(self) -> str | None:
        preset = self.given.get("preset")
        return preset if isinstance(preset, str) else None


def found(out: Path) -> Found | None:
    """The draft of ``out``, unless there is none, it is older than the deployment's own answers
    (written since), or it cannot be read (then it is not offered, and the next save replaces it)."""
    path = draft_path(out)
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    written = out / ANSWERS_FILE
    if written.is_file() and written.stat().st_mtime >= stamp:
        return None
    try:
        given = read_answers_file(path)
    except InputError:
        return None
    return Found(path, given, time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)))
