"""Render onto a hand-edited ejabberd.yml: change what the answers changed, keep the rest.

A three-way merge, as version control does it, key by key:

- *base*: what the wizard wrote last time (rendered from the saved answers),
- *mine*: the file on disk, with whatever the user edited since,
- *theirs*: what the wizard renders from the new answers.

A key whose rendered value did not change keeps the file's node untouched
(comments, quoting, macros, anchors and all); a changed key takes the new value;
a key the new answers no longer produce is removed; everything the wizard never
wrote stays. When nothing changes, the file's own text is returned byte for byte;
otherwise each change is spliced into the file's own text (``wizard.ejabberd_yml.splice``),
so the lines of every option the answers did not change stay as they were.

Macros (``define_macro``) are followed by meaning (``wizard.ejabberd_yml.macros``): an answer
whose macro's value changed counts as changed, the file's own macro names are used
(or the values themselves in a file without macros), and an option that shared a
changed macro with another but whose answer did not change keeps its old value.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from wizard.ejabberd_yml import macros
from wizard.ejabberd_yml.config_file import config_document, config_nodes
from wizard.ejabberd_yml.macros import plain
from wizard.ejabberd_yml.splice import TextEdits, Unspliceable
from wizard.ejabberd_yml.yamltext import yaml_emitter, yaml_text
from wizard.errors import FileError

_MISSING = object()
_FILE = Path("ejabberd.yml")  # what a merge names in the errors it catches


@dataclass
class MergeResult:
    text: str
    changed: list[str] = field(default_factory=list)  # dotted keys the merge set, added or removed


@dataclass
class _Merge:
    """What the merge changes: in the loaded document, and as splices into the file's text."""

    result: MergeResult
    edits: TextEdits | None  # None once a change cannot be spliced
    know_base: bool
    base_macros: macros.Macros = macros.Macros({})
    theirs_macros: macros.Macros = macros.Macros({})
    hosts: frozenset[str] = frozenset()  # the server's own names, as an item's ``host`` gives them

    flow_depth: int = 0  # inside a flow collection, which is spliced whole once merged

    def unchanged(self, old: Any, new: Any, path: tuple[str, ...]) -> bool:
        """Whether the answers left this value as it was: as written, and (outside the
        macros themselves) once macros are expanded, as a macro's value may change under
        an unchanged name."""
        if not _same(old, new):
            return False
        return path[:1] == (macros.SECTION,) or self.base_macros.expand(old) == self.theirs_macros.expand(new)

    def in_terms_of(self, document: Mapping[str, Any], value: Any, path: tuple[str, ...]) -> Any:
        """``value`` of the new rendering, its macro names those the file defines with the
        same value (its own name for one, or the value itself where it has none)."""
        if path[:1] == (macros.SECTION,) or not self.theirs_macros.values:
            return value
        return self._translated(macros.Macros.of(document), copy.deepcopy(value))

    def _translated(self, own: macros.Macros, value: Any) -> Any:
        if isinstance(value, str) and value in self.theirs_macros.values:
            meaning = self.theirs_macros.values[value]
            if own.values.get(value) == meaning:
                return value
            return own.name_for(meaning) or macros.as_written(meaning)
        if isinstance(value, CommentedMap):
            for key in value:
                value[key] = self._translated(own, value[key])
        elif isinstance(value, CommentedSeq):
            for index, item in enumerate(value):
                value[index] = self._translated(own, item)
        return value

    def record(self, path: tuple[str, ...], splice: Callable[[TextEdits], None]) -> None:
        self.result.changed.append(".".join(path))
        if not self.flow_depth:
            self.splice(splice)

    def splice(self, splice: Callable[[TextEdits], None]) -> None:
        if self.edits is not None:
            try:
                splice(self.edits)
            except Unspliceable:
                self.edits = None  # the whole document is emitted instead

    def merge_flow(self, merge_inside: Callable[[], None], splice: Callable[[TextEdits], None]) -> None:
        """Merge inside a flow collection (``{a: 1, b: 2}``), then splice it whole, in flow style."""
        before = len(self.result.changed)
        self.flow_depth += 1
        try:
            merge_inside()
        finally:
            self.flow_depth -= 1
        if len(self.result.changed) > before and not self.flow_depth:
            self.splice(splice)


def merge_onto(mine_text: str, base: Mapping[str, Any] | None, theirs: CommentedMap) -> MergeResult:
    """``theirs`` rendered onto the file text ``mine_text``; ``base`` is None when no earlier render is known."""
    try:
        # Parsed once for the run (wizard.ejabberd_yml.config_file): the import read this text before, and
        # the merge that names the changes and the one that writes them read it alike.
        mine = config_document(mine_text, _FILE, preserve_quotes=True)
        nodes = config_nodes(mine_text, _FILE)
    except FileError:
        mine = nodes = None
    if not isinstance(mine, CommentedMap):
        # Not a mapping we can edit in place: the new rendering replaces it (the
        # caller shows it as a change and backs up the old file).
        return MergeResult(yaml_text(theirs), ["(whole file)"])
    # Merge what the new rendering reads back as, so its comments sit where they
    # would in a file (ruamel attaches them differently to built and to read nodes).
    theirs = yaml_emitter().load(yaml_text(theirs))
    know_base, base = base is not None, base if base is not None else {}
    merge = _Merge(MergeResult(mine_text), TextEdits(mine_text), know_base=know_base,
                   base_macros=macros.Macros.of(base), theirs_macros=macros.Macros.of(theirs),
                   hosts=_own_hosts(mine, base, theirs))
    meant = macros.Macros.of(mine).expand(mine)
    _merge_mapping(mine, nodes, base, theirs, (), merge)
    if merge.result.changed and merge.know_base:
        _keep_what_did_not_change(mine, nodes, base, theirs, meant, macros.Macros.of(mine), (), merge)
    if merge.result.changed:
        merge.result.text = _spliced(merge.edits, mine) or yaml_text(mine)
    return merge.result


def _spliced(edits: TextEdits | None, merged: CommentedMap) -> str | None:
    """The file's own text with the changes spliced in, if it reads back as the merged document."""
    if edits is None:
        return None
    text = edits.result()
    try:
        same = _same(config_document(text, _FILE), merged)
    except FileError:
        same = False
    return text if same else None


def _merge_mapping(mine: CommentedMap, node: Node | None, base: Mapping[str, Any], theirs: Mapping[str, Any],
                   path: tuple[str, ...], merge: _Merge) -> None:
    for key, new in theirs.items():
        old = base.get(key, _MISSING) if isinstance(base, Mapping) else _MISSING
        here = (*path, str(key))
        if merge.know_base and old is not _MISSING and merge.unchanged(old, new, path):
            continue  # the answers did not change this: whatever the file has stays
        current = mine.get(key, _MISSING)
        if path == () and key == macros.SECTION and current is _MISSING and old is not _MISSING:
            continue  # a file without the wizard's macros gets none: its options take the values themselves
        if isinstance(current, CommentedMap) and isinstance(new, Mapping):
            child = _value_node(node, key)
            if getattr(child, "flow_style", False):
                merge.merge_flow(
                    partial(_merge_mapping, current, None, old if isinstance(old, Mapping) else {}, new, here, merge),
                    partial(TextEdits.replace_value, mapping=node, key=key, value=current))
            else:
                _merge_mapping(current, child, old if isinstance(old, Mapping) else {}, new, here, merge)
        elif merge.know_base and _is_list_of_mappings(current) and _is_list_of_mappings(new) \
                and _is_list_of_mappings(old):
            _merge_items(current, _value_node(node, key), old, new, here, merge)
        elif current is _MISSING and path == (macros.SECTION,) and (own := macros.renamed(mine, base, theirs, key)):
            mine[own] = new
            merge.record((*path, str(own)), partial(TextEdits.replace_value, mapping=node, key=own, value=new))
        elif current is _MISSING:
            new = merge.in_terms_of(mine, new, path)
            comment = _insert_in_rendered_order(mine, theirs, key, new)
            rendered = list(theirs)
            merge.record(here, partial(
                TextEdits.insert_entry, mapping=node, key=key, value=new, comment=comment,
                comment_from=theirs.lc.key(key)[1],  # type: ignore[attr-defined]  # ruamel's .lc, not in Mapping's type
                after=rendered[:rendered.index(key)]))
        elif not _same(current, new := merge.in_terms_of(mine, new, path)):
            mine[key] = new
            _realign_comment(mine, theirs, key)
            merge.record(here, partial(TextEdits.replace_value, mapping=node, key=key, value=new))
    if not merge.know_base:
        return
    for key in list(base):
        if key not in theirs and key in mine:
            del mine[key]
            merge.record((*path, str(key)), partial(TextEdits.delete_entry, mapping=node, key=key))


def _keep_what_did_not_change(mine: CommentedMap, node: Node | None, base: Mapping[str, Any], theirs: Mapping[str, Any],
                              meant: Any, now: macros.Macros, path: tuple[str, ...], merge: _Merge) -> None:
    """Give back its meaning to an option the answers did not change but a changed macro
    reached: the file shares one macro between options the wizard keeps apart (Debian's
    TLS_CIPHERS for clients and servers). ``meant`` is the file's expanded meaning before
    the merge, ``now`` its macros after it."""
    for key, new in theirs.items():
        old, current = base.get(key, _MISSING), mine.get(key, _MISSING)
        if (path == () and key == macros.SECTION) or old is _MISSING or current is _MISSING:
            continue
        if not isinstance(meant, Mapping) or key not in meant:
            continue
        if isinstance(current, CommentedMap) and isinstance(new, Mapping) and isinstance(old, Mapping):
            _keep_what_did_not_change(current, _value_node(node, key), old, new, meant[key], now, (*path, str(key)),
                                      merge)
        elif isinstance(current, str) and current in now.values and merge.unchanged(old, new, path) \
                and now.expand(current) != meant[key]:
            kept = now.name_for(meant[key]) or macros.as_written(meant[key])
            mine[key] = kept
            merge.record((*path, str(key)), partial(TextEdits.replace_value, mapping=node, key=key, value=kept))


def _value_node(mapping: Node | None, key: Any) -> Node | None:
    """The composed node of ``key``'s value in ``mapping`` (None where the text has none to splice into)."""
    if isinstance(mapping, MappingNode):
        value_node: Node  # ruamel types a node's value as Any
        for key_node, value_node in mapping.value:
            if isinstance(key_node, ScalarNode) and key_node.value == str(key):
                return value_node
    return None


def _realign_comment(mine: CommentedMap, theirs: Mapping[str, Any], key: Any) -> None:
    """After a value changed length, put the wizard's own end-of-line comment where the
    wizard would (a comment the user wrote differently stays as it is)."""
    ours = getattr(theirs, "ca", None) and theirs.ca.items.get(key)  # type: ignore[attr-defined]  # ruamel's .ca
    current = mine.ca.items.get(key)
    if ours and current and _comment_text(ours) == _comment_text(current):
        mine.ca.items[key] = copy.deepcopy(ours)


def _comment_text(entry: list[Any]) -> str:
    return " ".join(token.value.strip() for token in entry if token is not None and hasattr(token, "value"))


def _is_list_of_mappings(node: Any) -> bool:
    return isinstance(node, list) and bool(node) and all(isinstance(item, Mapping) for item in node)


def _merge_items(mine: CommentedSeq, node: Node | None, base: list[Any], theirs: list[Any], path: tuple[str, ...],
                 merge: _Merge) -> None:
    """Merge lists of mappings (``listen:``) item by item: a listener of the user's own
    stays, and a changed port changes only that listener's port line. An item for another
    host than the server's (a TURN server elsewhere that mod_stun_disco announces) is the
    user's too, however much it looks like one the wizard wrote."""
    # The file's items by identity, as deleting shifts the indexes of the later ones. Not strict: a list
    # an alias shares with one merged before (`b: *a`) may no longer match its text, and what is spliced
    # is checked against the merged document all the same (_spliced).
    item_nodes = dict(zip(map(id, mine), node.value, strict=False)) if isinstance(node, SequenceNode) else {}
    original = [id(item) for item in mine]
    items = list(mine)
    base_to_theirs = _pairs(base, theirs)
    base_to_mine = _pairs(base, items, {id(item) for item in items if _for_another_host(item, merge.hosts)})
    for base_index, base_item in enumerate(base):
        if base_index not in base_to_mine:
            continue  # the user removed the wizard's item: leave it removed
        item = items[base_to_mine[base_index]]
        mine_index = next(index for index, other in enumerate(mine) if other is item)
        theirs_index = base_to_theirs.get(base_index)
        if theirs_index is None:
            del mine[mine_index]  # the answers no longer produce it
            merge.record(path, partial(TextEdits.delete_item, sequence=node, index=original.index(id(item))))
        else:
            item_node = item_nodes.get(id(item))
            inside = (*path, str(mine_index))
            if getattr(item_node, "flow_style", False):
                merge.merge_flow(partial(_merge_mapping, item, None, base_item, theirs[theirs_index], inside, merge),
                                 partial(TextEdits.replace_item, sequence=node, index=original.index(id(item)),
                                         item=item))
            else:
                _merge_mapping(item, item_node, base_item, theirs[theirs_index], inside, merge)
    for theirs_index, item in enumerate(theirs):
        if theirs_index not in base_to_theirs.values():
            mine.append(item)  # an item the new answers add, such as a STUN listener
            merge.record(path, partial(TextEdits.append_item, sequence=node, item=item))


def _own_hosts(*documents: Any) -> frozenset[str]:
    """The names an item's ``host`` may give for the server itself: its hosts (the file's and
    both renderings'), and ``@HOST@``."""
    names = {"@HOST@"}
    for document in documents:
        hosts = document.get("hosts") if isinstance(document, Mapping) else None
        if isinstance(hosts, list):
            names.update(str(host) for host in hosts if isinstance(host, str))
    return frozenset(names)


def _for_another_host(item: Any, hosts: frozenset[str]) -> bool:
    host = item.get("host") if isinstance(item, Mapping) else None
    return isinstance(host, str) and host not in hosts


def _pairs(items: list[Any], candidates: list[Any], taken: set[int] | None = None) -> dict[int, int]:
    """Which candidate each item became: the one sharing the most entries with it (at least half
    of them), the closest pairs first, so that an item like two others gets the one it is more
    like (a STUN listener over TCP must not take the one over TLS from it). ``taken``: the ids
    of candidates that are no item's."""
    scored = []
    for index, item in enumerate(items):
        wanted = {str(key): plain(value) for key, value in item.items()}
        for number, candidate in enumerate(candidates):
            if id(candidate) in (taken or ()) or not isinstance(candidate, Mapping):
                continue
            score = sum(1 for key, value in candidate.items() if wanted.get(str(key), _MISSING) == plain(value))
            if score and score * 2 >= len(wanted):
                scored.append((-score, index, number))
    pairs: dict[int, int] = {}
    for _, index, number in sorted(scored):
        if index not in pairs and number not in pairs.values():
            pairs[index] = number
    return pairs


def _insert_in_rendered_order(mine: CommentedMap, theirs: Mapping[str, Any], key: Any, value: Any) -> Any:
    """Add ``key: value`` after the nearest key that precedes it in the rendering, with its comments (returned)."""
    rendered = list(theirs)
    position = 0
    for earlier in reversed(rendered[:rendered.index(key)]):
        if earlier in mine:
            position = list(mine).index(earlier) + 1
            break
    mine.insert(position, key, value)
    comment = getattr(theirs, "ca", None) and theirs.ca.items.get(key)  # type: ignore[attr-defined]  # ruamel's .ca
    if comment:
        mine.ca.items[key] = copy.deepcopy(comment)
    return comment


def _same(a: Any, b: Any) -> bool:
    return bool(plain(a) == plain(b))

