"""Where the answers win over an imported file: the base of the merge, and the lines naming each change.

The merge (``wizard.ejabberd_yml.merge``) changes an option of the file only where its base and
the new rendering differ. An answer that the file says in a way the wizard cannot read
(``hosts: [localhost]``) is in both the base and the new rendering, so nothing would write
it. ``Overlay`` puts the file's own value into the base there: the answer then reads as a
change and is written. The web front's listener is made to agree with the front the same way.

``changed_lines`` runs the merge once more to name every option the answers change in the
file, in one wording: ``hosts: localhost → example.test, from your answers``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from wizard.ejabberd_yml.config_file import load_config
from wizard.ejabberd_yml.merge import merge_onto
from wizard.ejabberd_yml.parts import ABSENT, ReportLine, found_at, line_of, listener_role, plain_value, value_at
from wizard.ejabberd_yml.yamltext import yaml_text
from wizard.secrets import MASK

FROM_YOUR_ANSWERS = "from your answers"
SHOWN_LENGTH = 80  # a longer value is cut short, so that each change stays one line


class Overlay:
    """The rendered base of the merge, with options of the file's own put in where an answer has to win."""

    def __init__(self, base: CommentedMap, config: Mapping[str, Any], roles: Mapping[int, str]) -> None:
        self.base = base
        self.config = config
        self.roles = roles  # the file's listeners by index: the answer each one's port is ("c2s", "http", ...)
        macros = config.get("define_macro")
        self.macros: Mapping[str, Any] = macros if isinstance(macros, Mapping) else {}

    def take_the_files(self, key: str) -> bool:
        """Put the file's value at ``key`` (a dotted path of the file) into the base; False where
        the base has no place for it (the answer is then not written, and the part stays kept)."""
        found = found_at(self.config, key)
        place = self._place(key)
        if found is None or place is None:
            return False
        node, name = found
        container, at = place
        value = plain_value(node[name])
        # Compared by meaning: a macro name of the file is its value.
        container[at] = self.macros.get(value, value) if isinstance(value, str) else value
        return True

    def take(self, key: str, value: Any) -> bool:
        """``value`` (ABSENT: none) at the base's ``key``, e.g. the preset's rendering of an answer."""
        place = self._place(key)
        if place is None:
            return False
        container, at = place
        if value is ABSENT:
            if isinstance(container, MutableMapping) and at in container:
                del container[at]
        else:
            container[at] = value
        return True

    def text(self) -> str:
        return yaml_text(self.base)

    def _place(self, key: str) -> tuple[Any, Any] | None:
        """Where the file's ``key`` is in the base: its container and key there (it may be a new key).

        A listener of the file is the base's listener of the same role: their indexes differ.
        """
        parts = key.split(".")
        if parts[0] == "listen" and len(parts) > 2:
            role = self.roles.get(int(parts[1])) if parts[1].isdigit() else parts[1]
            listeners = self.base.get("listen") or []
            item = next((item for item in listeners if role and listener_role(item, _get) == role), None)
            return None if item is None else _new_or_found(item, ".".join(parts[2:]))
        return _new_or_found(self.base, key)


def _get(node: Mapping[str, Any], key: str) -> Any:
    return node.get(key)


def _new_or_found(document: Any, dotted: str) -> tuple[Any, Any] | None:
    found = found_at(document, dotted)
    if found is not None:
        return found
    parent, _, name = dotted.rpartition(".")
    container = value_at(document, parent)
    return (container, name) if isinstance(container, Mapping) else None


def differing_paths(ours: Mapping[str, Any], other: Mapping[str, Any], path: str = "") -> Iterable[str]:
    """The dotted options where two renderings differ, down to the mappings' own keys (lists whole)."""
    for key in dict.fromkeys([*ours, *other]):
        here = f"{path}{key}"
        mine, theirs = ours.get(key, ABSENT), other.get(key, ABSENT)
        if isinstance(mine, Mapping) and isinstance(theirs, Mapping):
            yield from differing_paths(mine, theirs, here + ".")
        elif mine is ABSENT or theirs is ABSENT or plain_value(mine) != plain_value(theirs):
            yield here


def merged(path: Path, text: str, base_text: str, new: CommentedMap) -> tuple[list[str], CommentedMap | None]:
    """What the merge of ``new`` onto the file ``text`` changes (dotted options), and the file it
    gives (None when nothing changes), as ``generate`` will write it."""
    result = merge_onto(text, load_config(base_text, Path("merge base")), new)
    return list(dict.fromkeys(result.changed)), load_config(result.text, path) if result.changed else None


def changed_lines(path: Path, config: Mapping[str, Any], changed: list[str], merged: Mapping[str, Any] | None,
                  reasons: Mapping[str, str], skipped: tuple[str, ...] = ()) -> list[ReportLine]:
    """A line for each option of ``changed`` (``merged`` is the file after the merge): old → new, and why.

    ``reasons`` gives the why of options that change for another reason than an answer (the
    listener the web front forwards to); ``skipped`` are options another line of the report
    is about already (the STUN listeners the diff adds).
    """
    lines = []
    for key in changed:
        if merged is None or any(key == other or key.startswith(other + ".") for other in skipped):
            continue
        old = found_at(config, key)
        before, after = plain_value(value_at(config, key)), plain_value(value_at(merged, key))
        # sql_password, ldap_password, mod_stun_disco's secret, ...: never shown, as in the diff.
        secret = key.rsplit(".", 1)[-1].endswith(("password", "secret"))
        why = next((reason for prefix, reason in reasons.items() if key == prefix or key.startswith(prefix + ".")),
                   FROM_YOUR_ANSWERS)
        lines.append(ReportLine(path, f"{key}: {_shown(before, secret, 'not in the file')} → "
                                      f"{_shown(after, secret, 'removed')}, {why}",
                                line_of(*old) if old else None))
    return lines


def _shown(value: Any, secret: bool, absent: str) -> str:
    """A value as the report shows it: a list of names as the names, anything else in flow style, cut short."""
    if value is ABSENT:
        return f"({absent})"
    if secret:
        return MASK
    if isinstance(value, list) and all(isinstance(item, (str, int)) for item in value):
        text = ", ".join(str(item) for item in value) or "[]"
    elif isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
        text = f"{len(value)} items"
    elif isinstance(value, (Mapping, list)):
        text = json.dumps(value, ensure_ascii=False).replace('"', "")
    elif isinstance(value, bool) or value is None:
        text = json.dumps(value)
    else:
        text = str(value)
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH - 3] + "..."
