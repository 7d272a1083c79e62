"""From a preset and what the user said to validated ``Answers``, and back to ``wizard.yml``.

User-given values always win over the preset's; the preset's values are filled in
from the machine and from the user's own answers (its ``${...}`` placeholders),
so a default that depends on the domain follows the domain, and a package install
is written for the release of the package that is installed.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Callable, Mapping
from string import Template
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.representer import RoundTripRepresenter

import presets
from presets import Preset, PresetError
from wizard.answers.given import Given
from wizard.answers.migrations import SCHEMA_VERSION
from wizard.answers.model import Answers
from wizard.errors import InputError, shown
from wizard.machine import Machine
from wizard.releases import capabilities


def load_preset(name: str) -> Preset:
    """The preset of that name; an unknown or broken one is bad input like any other."""
    try:
        return presets.load(name)
    except PresetError as error:
        raise InputError(str(error)) from None


def fill_preset(preset: Preset, given: Given, machine: Machine) -> dict[str, Any]:
    """The preset's answers with its placeholders filled in."""
    # Off the preset's own host its account is not this machine's: unknown (None) until the user
    # names it, and so is every default built from it.
    account = machine.account(preset.name)
    context: dict[str, str | None] = {"login": account[0] if account else None,
                                      "home_dir": account[1] if account else None}
    install = preset.answers.get("install", {})
    for key in ("user", "home"):
        value = given.get(f"install.{key}")
        context[key] = value if isinstance(value, str) else _substitute(install.get(key, ""), context, preset)
    hosts = given.get("domains.hosts")
    if isinstance(hosts, list) and hosts and isinstance(hosts[0], str):
        context["domain"] = hosts[0]

    def substitute(text: str) -> str:
        return _substitute(text, context, preset) or ""

    filled = {key: _walk(value, substitute) for key, value in preset.answers.items()}
    if release := packaged_release(preset, given, machine):
        filled["install"] = {**filled.get("install", {}), "version": release}
    return filled


def packaged_release(preset: Preset, given: Given, machine: Machine) -> str | None:
    """The release of the installed ejabberd package (else, on the preset's own platform, of the one
    its package manager will install), when it is what these answers run: the package method, and a
    release the wizard can write for. It replaces the preset's release,
    which would otherwise name options the installed ejabberd refuses."""
    package = machine.ejabberd_package
    if package is None and machine.platform is not None and machine.platform.preset == preset.name:
        package = machine.ejabberd_offered  # not installed yet: what this machine's apt will install
    method = given.get("install.method") or preset.answers.get("install", {}).get("method")
    if package is None or method != "package":
        return None
    try:
        capabilities(package.release)
    except ValueError:
        return None  # outside the table: the preset's release stands, and `check` says why it cannot run
    return package.release


def build(preset: Preset, given: Given, machine: Machine | None = None) -> Answers:
    """Validated answers, or an ``InputError`` naming the first wrong field."""
    machine = machine or Machine.current()
    merged = merge(fill_preset(preset, given, machine), plain_copy(given.values))
    why = machine.account_unknown(preset.name)
    if why and given.get("install.user") is None and not merged.get("install", {}).get("user"):
        where = f"{given.source}: " if given.source else ""
        raise InputError(f"{where}install.user: {why}", field="install.user")
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
        named_path = tuple(int(p) if p.isdigit() else p for p in named.group(1).split(".")) if named else ()
        # A section's own check names a field inside it (domains.hosts.1 from domains).
        if named and named_path[:len(path)] == path:
            path, message = named_path, named.group(2)
    elif kind == "extra_forbidden":
        message = f"unknown key; expected one of: {', '.join(_allowed_keys(path[:-1]))}"
    elif kind == "missing":
        message = "missing; this answer is required"
    else:
        message = f"{first['msg'][0].lower()}{first['msg'][1:]} (got {shown(first['input'])})"
    field_name = ".".join(str(p) for p in path) or "answers"
    if given.source:
        line = given.line_of(path)
        where = f"{given.source}:{line}" if line else given.source
        return field_name, f"{where}: {field_name}: {message}"
    return field_name, f"{field_name}: {message}"


_LINE_BREAKS = re.compile("[\r\n\x85\u2028\u2029]")


class _Representer(RoundTripRepresenter):
    def represent_str(self, data: str) -> Any:
        # YAML reads NEL and the Unicode line and paragraph separators as line breaks, which a
        # single-quoted scalar may fold into a space: only double quotes escape them (\N, \L, \P).
        if _LINE_BREAKS.search(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)


_Representer.add_representer(str, _Representer.represent_str)


def dump(answers: Answers) -> str:
    """``wizard.yml``: every answer, in the model's order, no secrets."""
    yaml = YAML()
    yaml.Representer = _Representer
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


def _substitute(text: str, context: Mapping[str, str | None], preset: Preset) -> str | None:
    # Until the user has named a domain, defaults built from it keep the placeholder; one built
    # from an unknown value (the account, off its host) is unknown (None) too.
    values = {"domain": "${domain}", **context}
    template = Template(text)
    if any(name in values and values[name] is None for name in template.get_identifiers()):
        return None
    try:
        return template.substitute(values)
    except (KeyError, ValueError) as error:
        raise InputError(f"presets/{preset.name}.yaml: bad placeholder in {text!r}: {error}") from None


def _walk(node: Any, on_string: Callable[[str], str]) -> Any:
    if isinstance(node, Mapping):
        return {key: _walk(value, on_string) for key, value in node.items()}
    if isinstance(node, list):
        return [_walk(item, on_string) for item in node]
    if isinstance(node, str):
        return on_string(node)
    return node


def plain_copy(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (a deep copy)."""
    if isinstance(node, Mapping):
        return {key: plain_copy(value) for key, value in node.items()}
    if isinstance(node, list):
        return [plain_copy(item) for item in node]
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
