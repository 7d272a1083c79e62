"""From a preset and what the user said to validated ``Answers``, and back to ``wizard.yml``.

User-given values always win over the preset's; the preset's values are filled in
from the machine and from the user's own answers (its ``${...}`` placeholders),
so a default that depends on the domain follows the domain.
"""

from __future__ import annotations

import copy
import getpass
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedBase
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent

from presets import Preset
from presets import load as load_preset
from wizard.errors import InputError
from wizard.model import SCHEMA_VERSION, Answers

ANSWERS_FILE = "wizard.yml"


@dataclass(frozen=True)
class Machine:
    """What the preset placeholders may take from the machine the wizard runs on."""

    login: str
    home_dir: str

    @classmethod
    def current(cls) -> Machine:
        return cls(login=getpass.getuser(), home_dir=str(Path.home()))


@dataclass
class Given:
    """Answers the user gave, with where they came from (for error messages)."""

    values: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # file name, when they came from a file

    def get(self, dotted: str) -> Any:
        node: Any = self.values
        for key in dotted.split("."):
            if not isinstance(node, Mapping) or key not in node:
                return None
            node = node[key]
        return node

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """The 1-based line where ``path`` is written in the source file, or of its nearest parent."""
        node: Any = self.values
        line = None
        for key in path:
            if not isinstance(node, CommentedBase):
                break
            try:
                if isinstance(node, Mapping) and key in node:
                    line = node.lc.key(key)[0] + 1
                elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                    line = node.lc.item(key)[0] + 1
                else:
                    break
            except (KeyError, TypeError, IndexError):
                break
            node = node[key]
        return line


def read_answers_file(path: Path) -> Given:
    """Read an answers file; any problem is an ``InputError`` naming the file and line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such answers file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; expected an answers file (YAML)") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: byte {error.start} is not UTF-8; expected a UTF-8 text file") from None
    yaml = YAML(typ="rt")
    try:
        # Aliases let a tiny file expand into a huge document (billion laughs), and
        # nothing in an answers file needs them.
        for event in yaml.parse(io.StringIO(text)):
            if isinstance(event, AliasEvent):
                raise InputError(f"{path}:{event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not allowed in answers files")
        data = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f":{mark.line + 1}" if mark else ""
        raise InputError(f"{path}{where}: not valid YAML: {error.problem or error.context}") from None
    except YAMLError as error:
        raise InputError(f"{path}: not valid YAML: {error}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of sections (install:, domains:, ...), got {type(data).__name__}")
    return Given(values=data, source=str(path))


def fill_preset(preset: Preset, given: Given, machine: Machine) -> dict[str, Any]:
    """The preset's answers with its placeholders filled in."""
    context = {"login": machine.login, "home_dir": machine.home_dir}
    install = preset.answers.get("install", {})
    for key in ("user", "home"):
        value = given.get(f"install.{key}")
        context[key] = value if isinstance(value, str) else _substitute(install.get(key, ""), context, preset)
    hosts = given.get("domains.hosts")
    if isinstance(hosts, list) and hosts and isinstance(hosts[0], str):
        context["domain"] = hosts[0]
    return _walk(preset.answers, lambda text: _substitute(text, context, preset))


def build(preset: Preset, given: Given, machine: Machine | None = None) -> Answers:
    """Validated answers, or an ``InputError`` naming the first wrong field."""
    merged = merge(fill_preset(preset, given, machine or Machine.current()), plain(given.values))
    merged["preset"] = preset.name
    merged.setdefault("version", SCHEMA_VERSION)
    try:
        return Answers.model_validate(merged)
    except ValidationError as error:
        field, message = describe_error(error, given)
        raise InputError(message, field=field) from None


def build_from(preset_name: str | None, given: Given, machine: Machine | None = None) -> Answers:
    """Like ``build``, with the preset named on the command line or in the answers."""
    name = preset_name or given.get("preset")
    if not name:
        where = given.source or "--preset"
        raise InputError(f"{where}: no preset chosen; pass --preset NAME or set 'preset:' in the answers file")
    if not isinstance(name, str):
        raise InputError(f"{given.source}: preset: expected a preset name")
    return build(load_preset(name), given, machine)


def describe_error(error: ValidationError, given: Given) -> tuple[str, str]:
    """The field of the first problem, and one line saying where it is, what is wrong, what is expected."""
    first = error.errors(include_url=False)[0]
    path = tuple(first["loc"])
    kind = first["type"]
    if kind == "value_error":
        message = str(first["ctx"]["error"])
        # Cross-field checks name their field at the start of the message.
        named = re.match(r"^([a-z_]+(?:\.[a-z_0-9]+)+): (.*)$", message)
        if named and not path:
            path = tuple(int(p) if p.isdigit() else p for p in named.group(1).split("."))
            message = named.group(2)
    elif kind == "extra_forbidden":
        message = f"unknown key; expected one of: {', '.join(_allowed_keys(path[:-1]))}"
    elif kind == "missing":
        message = "missing; this answer is required"
    else:
        message = f"{first['msg'][0].lower()}{first['msg'][1:]} (got {first['input']!r})"
    field_name = ".".join(str(p) for p in path) or "answers"
    if given.source:
        line = given.line_of(path)
        where = f"{given.source}:{line}" if line else given.source
        return field_name, f"{where}: {field_name}: {message}"
    return field_name, f"{field_name}: {message}"


def dump(answers: Answers) -> str:
    """``wizard.yml``: every answer, in the model's order, no secrets."""
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096
    buffer = io.StringIO()
    buffer.write(
        "# The answers of this deployment, written by ejabberd-wizard. Edit and re-run\n"
        "# `ejabberd-wizard generate --out .` or the wizard itself; secrets are not kept here.\n"
    )
    yaml.dump(answers.model_dump(mode="json"), buffer)
    return buffer.getvalue()


def _allowed_keys(path: tuple[str | int, ...]) -> list[str]:
    model: type[BaseModel] = Answers
    for key in path:
        annotation = model.model_fields[str(key)].annotation if str(key) in model.model_fields else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _substitute(text: str, context: Mapping[str, str], preset: Preset) -> str:
    # Until the user has named a domain, defaults built from it keep the placeholder.
    values = {"domain": "${domain}", **context}
    try:
        return Template(text).substitute(values)
    except (KeyError, ValueError) as error:
        raise InputError(f"presets/{preset.name}.yaml: bad placeholder in {text!r}: {error}") from None


def _walk(node: Any, on_string: Any) -> Any:
    if isinstance(node, Mapping):
        return {key: _walk(value, on_string) for key, value in node.items()}
    if isinstance(node, list):
        return [_walk(item, on_string) for item in node]
    if isinstance(node, str):
        return on_string(node)
    return node


def plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (a deep copy)."""
    if isinstance(node, Mapping):
        return {key: plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [plain(item) for item in node]
    if isinstance(node, str):
        return str(node)
    return copy.copy(node)


def merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``; mappings merge, everything else (lists too) replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged
