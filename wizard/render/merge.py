"""Render onto a hand-edited ejabberd.yml: change what the answers changed, keep the rest.

A three-way merge, as version control does it, key by key:

- *base*: what the wizard wrote last time (rendered from the saved answers),
- *mine*: the file on disk, with whatever the user edited since,
- *theirs*: what the wizard renders from the new answers.

A key whose rendered value did not change keeps the file's node untouched
(comments, quoting, macros, anchors and all); a changed key takes the new value;
a key the new answers no longer produce is removed; everything the wizard never
wrote stays. When nothing changes, the file's own text is returned byte for byte.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from wizard.render.yamltext import dump, yaml_emitter

_MISSING = object()


@dataclass
class MergeResult:
    text: str
    changed: list[str] = field(default_factory=list)  # dotted keys the merge set, added or removed


def merge_onto(mine_text: str, base: Mapping[str, Any] | None, theirs: CommentedMap) -> MergeResult:
    """``theirs`` rendered onto the file text ``mine_text``; ``base`` is None when no earlier render is known."""
    try:
        mine = yaml_emitter().load(mine_text)
    except YAMLError:
        mine = None
    if not isinstance(mine, CommentedMap):
        # Not a mapping we can edit in place: the new rendering replaces it (the
        # caller shows it as a change and backs up the old file).
        return MergeResult(dump(theirs), ["(whole file)"])
    result = MergeResult(mine_text)
    # Merge what the new rendering reads back as, so its comments sit where they
    # would in a file (ruamel attaches them differently to built and to read nodes).
    theirs = yaml_emitter().load(dump(theirs))
    _merge_mapping(mine, base if base is not None else {}, theirs, (), result, know_base=base is not None)
    if result.changed:
        result.text = dump(mine)
    return result


def _merge_mapping(mine: CommentedMap, base: Mapping[str, Any], theirs: Mapping[str, Any],
                   path: tuple[str, ...], result: MergeResult, *, know_base: bool) -> None:
    for key, new in theirs.items():
        old = base.get(key, _MISSING) if isinstance(base, Mapping) else _MISSING
        here = (*path, str(key))
        if know_base and old is not _MISSING and _same(old, new):
            continue  # the answers did not change this: whatever the file has stays
        current = mine.get(key, _MISSING)
        if isinstance(current, CommentedMap) and isinstance(new, Mapping):
            _merge_mapping(current, old if isinstance(old, Mapping) else {}, new, here, result, know_base=know_base)
        elif current is _MISSING:
            _insert_in_rendered_order(mine, theirs, key)
            result.changed.append(".".join(here))
        elif not _same(current, new):
            mine[key] = new
            result.changed.append(".".join(here))
    if not know_base:
        return
    for key in list(base):
        if key not in theirs and key in mine:
            del mine[key]
            result.changed.append(".".join((*path, str(key))))


def _insert_in_rendered_order(mine: CommentedMap, theirs: Mapping[str, Any], key: Any) -> None:
    """Add ``key`` after the nearest key that precedes it in the rendering, with its comments."""
    rendered = list(theirs)
    position = 0
    for earlier in reversed(rendered[:rendered.index(key)]):
        if earlier in mine:
            position = list(mine).index(earlier) + 1
            break
    mine.insert(position, key, theirs[key])
    comment = getattr(theirs, "ca", None) and theirs.ca.items.get(key)
    if comment:
        mine.ca.items[key] = copy.deepcopy(comment)


def _same(a: Any, b: Any) -> bool:
    return _plain(a) == _plain(b)


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return [_plain(item) for item in node]
    if isinstance(node, str):
        return str(node)
    return node

