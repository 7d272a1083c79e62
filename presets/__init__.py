"""The presets: each ``<name>.yaml`` beside this file is one; adding a file adds a preset.

A preset is a description and a partial answers document whose strings may use
``${login}``, ``${home_dir}`` (the account running the wizard), ``${user}``,
``${home}`` (the answers to install.user and install.home) and ``${domain}`` (the
main domain). They are filled in when answers are built (``wizard.answers``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.errors import InputError


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


@functools.cache
def load(name: str) -> Preset:
    if name not in names():
        raise InputError(f"--preset: unknown preset {name!r}; expected one of: {', '.join(names())}")
    from ruamel.yaml import YAML  # when a preset is first read: listing them needs no YAML
    from ruamel.yaml.error import YAMLError

    source = DIRECTORY / f"{name}.yaml"
    try:
        data = YAML(typ="safe").load(source.read_text(encoding="utf-8"))
    except YAMLError as error:
        raise InputError(f"presets/{name}.yaml: not valid YAML: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        raise InputError(f"presets/{name}.yaml: expected a mapping with 'description' and 'answers'")
    return Preset(name=name, description=str(data.get("description", "")), answers=data["answers"])
