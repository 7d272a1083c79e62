"""YAML output the way ejabberd reads it.

ejabberd's loader resolves no anchors or aliases, and unquoted addresses such as
``::1/128`` are syntax errors to it, so every string value is double-quoted and
the emitter is told never to share a node.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString


class _NoAliasRepresenter(RoundTripRepresenter):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def yaml_emitter() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Representer = _NoAliasRepresenter
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def quoted(text: str) -> DoubleQuotedScalarString:
    result: DoubleQuotedScalarString = DoubleQuotedScalarString(text)  # its __new__ is typed as returning Any
    return result


def mapping(*pairs: tuple[Any, Any], **items: Any) -> CommentedMap:
    """An ordered mapping; ``(key, value)`` pairs allow keys that are not identifiers."""
    result = CommentedMap()
    for key, value in (*pairs, *items.items()):
        result[key] = value
    return result


def sequence(items: list[Any]) -> CommentedSeq:
    return CommentedSeq(items)


def yaml_text(document: Any) -> str:
    buffer = io.StringIO()
    yaml_emitter().dump(document, buffer)
    return buffer.getvalue()
