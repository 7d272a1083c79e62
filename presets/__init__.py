"""The presets: each ``<name>.yaml`` beside this file is one; adding a file adds a preset.

A preset is a description and a partial answers document whose strings may use
``${login}`` and ``${home_dir}`` (the account running the wizard, on the preset's own
platform only: elsewhere they stay empty until the user names the login), ``${user}``,
``${home}`` (the answers to install.user and install.home) and ``${domain}`` (the
main domain). They are filled in when answers are built (``wizard.answers.build``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class PresetError(ValueError):
    """A preset that is not there or not valid, told in one line naming the file.

    The presets know nothing of the wizard: its command line reports this as bad input (exit 2).
    """


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    answers: dict[str, Any]


# The files sit beside this module (the package is installed as files, not zipped):
# a directory listing is all the first screen of the wizard needs.
DIRECTORY = Path(__file__).parent


@functools.cache
def names() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in DIRECTORY.glob("*.yaml")))


# A description on one line of its own, as plain text: ``description: Some words``
# at the start of a line, starting with a letter, two words at least (one word may
# be a YAML boolean or null), with nothing YAML reads as structure or a comment.
_PLAIN_DESCRIPTION = re.compile(r"description: (?P<text>[^\W\d_][^\t#:]* [^\t#:]*[^\s:])")


@functools.cache
def describe(name: str) -> str:
    """The preset's one-line description, for listing the presets before one is chosen.

    The first screen lists every preset: reading the description line of each file,
    rather than parsing the files, keeps the YAML library's import (most of the time
    that listing takes) for the step that needs it. A description written any other
    way (quoted, folded over lines, with a comment) is read by the parser.
    """
    if name not in names():
        return load(name).description  # the error of an unknown preset
    lines = (DIRECTORY / f"{name}.yaml").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        found = _PLAIN_DESCRIPTION.fullmatch(line)
        if found:
            following = next((later for later in lines[number + 1:] if later.strip()), "")
            if not following[:1].isspace():  # an indented line would continue the text
                return found["text"]
            break
    return load(name).description


@functools.cache
def load(name: str) -> Preset:
    if name not in names():
        raise PresetError(f"--preset: unknown preset {name!r}; expected one of: {', '.join(names())}")
    from ruamel.yaml import YAML  # when a preset is first read: listing them needs no YAML
    from ruamel.yaml.error import YAMLError

    source = DIRECTORY / f"{name}.yaml"
    try:
        data = YAML(typ="safe").load(source.read_text(encoding="utf-8"))
    except YAMLError as error:
        raise PresetError(f"presets/{name}.yaml: not valid YAML: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        raise PresetError(f"presets/{name}.yaml: expected a mapping with 'description' and 'answers'")
    return Preset(name=name, description=str(data.get("description", "")), answers=data["answers"])
