"""ejabberd's ``define_macro`` as the merge needs it: what an option means once macros are expanded.

ejabberd replaces every option value that is the name of a macro with the macro's
value. A file and the wizard may spell the same setting differently (the wizard's
``c2s_ciphers: TLS_CIPHERS`` and a macro, a guide's own macro names, a literal),
so whether an answer changed an option, and whether a change reached an option it
was not meant for (two options sharing one macro), is judged on expanded values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wizard.ejabberd_yml.yamltext import quoted

SECTION = "define_macro"


@dataclass(frozen=True)
class Macros:
    values: Mapping[str, Any]

    @classmethod
    def of(cls, document: Any) -> Macros:
        section = document.get(SECTION) if isinstance(document, Mapping) else None
        return cls({str(name): plain(value) for name, value in section.items()} if isinstance(section, Mapping) else {})

    def expand(self, value: Any) -> Any:
        """``value`` as plain data, every macro name in it replaced by the macro's value."""
        value = plain(value)
        if isinstance(value, str):
            return self.values.get(value, value)
        if isinstance(value, dict):
            return {key: self.expand(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.expand(item) for item in value]
        return value

    def name_for(self, value: Any) -> str | None:
        """The one macro holding ``value``, if exactly one does."""
        names = [name for name, held in self.values.items() if held == plain(value)]
        return names[0] if len(names) == 1 else None


def renamed(mine: Mapping[str, Any], base: Mapping[str, Any], theirs: Mapping[str, Any], key: Any) -> Any | None:
    """The file's own name for the wizard's macro ``key`` (``mine``, ``base``, ``theirs``: the macro sections).

    Hand-written configs name their macros as they like (the Arch guide: CIPHERS,
    TLSOPTS), and their options use those names. A macro of the file that the
    wizard did not write and that holds what the wizard's macro held is that
    macro, renamed: changing it is what changes the options. Only a single such
    macro counts.
    """
    if key not in base:
        return None
    candidates = [name for name, value in mine.items()
                  if name not in base and name not in theirs and plain(value) == plain(base[key])]
    return candidates[0] if len(candidates) == 1 else None


def as_written(value: Any) -> Any:
    """Plain data as the wizard writes it: every string quoted (``!aNULL`` would be a YAML tag)."""
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, list):
        return [as_written(item) for item in value]
    if isinstance(value, dict):
        return {key: as_written(item) for key, item in value.items()}
    return value


def plain(node: Any) -> Any:
    """A YAML document's data as plain dicts, lists and strings (ruamel's own types compare by more)."""
    if isinstance(node, Mapping):
        return {str(key): plain(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [plain(item) for item in node]
    if isinstance(node, str):
        return str(node)
    return node
