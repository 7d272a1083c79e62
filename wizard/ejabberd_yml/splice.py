"""Change a YAML file's text where its nodes changed, and nowhere else.

ruamel.yaml keeps comments and quoting on a round trip, but it re-indents a whole
file in its own style (``-`` alone on a line, five-space indents and the like
come back different). A person's config should change only in the lines of the
options the wizard changes, so the merge records each change against the node it
applies to, and this module splices a freshly rendered fragment into the file's
own text at that node's place. Fragments are rendered by the wizard's emitter, at
the column of the entries around them.

A flow collection (``{a: 1}``) is rendered again whole, in flow style; an alias
that stands for a changed value is replaced where it stands, its anchor kept.
What a splice cannot express (a key that only a merge key ``<<`` provides, an
entry sharing its line with a ``-``, two changes to the same text) raises
:class:`Unspliceable`, and the caller emits the whole document instead.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.tokens import CommentToken

from wizard.ejabberd_yml.yamltext import yaml_text

_COMMENT_AFTER = re.compile(r"( +)#")
_ANCHOR = re.compile(r"&[^\s,\[\]{}]+\s*")
_ALIAS = re.compile(r"\s*:[ \t]*(\*[^\s,\[\]{}]+)")
_KEY = "k"  # a stand-in key, to render a value as it reads after its key


class Unspliceable(Exception):
    """The change cannot be made in the file's own text."""


@dataclass(frozen=True)
class _Splice:
    start: int
    end: int
    text: str


@dataclass
class TextEdits:
    """Splices into ``text``, made against the nodes that ``compose`` read from it."""

    text: str
    _splices: list[_Splice] = field(default_factory=list)

    def replace_value(self, mapping: Node | None, key: Any, value: Any) -> None:
        key_node, value_node = _entry(mapping, key)
        if isinstance(value_node, ScalarNode) and value_node.style not in ("|", ">") and _is_scalar(value):
            self._replace_scalar(*_value_span(self.text, key_node, value_node), _inline(value))
            return
        if getattr(value_node, "flow_style", False) and isinstance(value, (list, dict)):
            value = _as_flow(value)  # the file's style for this value
        # The entry's own comment stays where the file has it, on the key's line.
        rendered = _entry_text(_KEY, _without_own_comment(value), None, _column(self.text, key_node))[len(_KEY):]
        start, end = _value_span(self.text, key_node, value_node)
        on_key_line = "\n" not in self.text[key_node.end_mark.index:start]
        if "\n" not in rendered and on_key_line:
            self._add(start, end, rendered[len(": "):])
        elif "\n" in rendered and not on_key_line:
            self._add(_own_line_start(self.text, start), end, rendered.split("\n", 1)[1])
        else:  # from one line to several, or back
            self._add(key_node.end_mark.index, end, rendered)

    def insert_entry(self, mapping: Node | None, key: Any, value: Any, comment: Any, *, comment_from: int,
                     after: list[Any]) -> None:
        """Add ``key: value`` to ``mapping`` after the last of the keys ``after`` that the
        file has (first when it has none of them). ``comment`` was read with the key at
        column ``comment_from``."""
        if not isinstance(mapping, MappingNode) or mapping.flow_style or not mapping.value:
            raise Unspliceable("a new entry in a flow-style or empty mapping")
        first_key = mapping.value[0][0]
        column = _column(self.text, first_key)
        entry = _entry_text(key, value, comment and _shifted(comment, -comment_from), column)
        present = {key_node.value for key_node, _ in mapping.value if isinstance(key_node, ScalarNode)}
        preceding = [earlier for earlier in after if str(earlier) in present]
        if not preceding:
            self._add(first_key.start_mark.index, first_key.start_mark.index, f"{entry}\n{' ' * column}")
        else:
            self._add_lines(_content_end(_entry(mapping, preceding[-1])[1], self.text), f"{' ' * column}{entry}")

    def delete_entry(self, mapping: Node | None, key: Any) -> None:
        key_node, value_node = _entry(mapping, key)
        start = _own_line_start(self.text, key_node.start_mark.index)
        self._add(start, _line_end(self.text, _content_end(value_node, self.text)) + 1, "")

    def delete_item(self, sequence: Node | None, index: int) -> None:
        item = _item(sequence, index)
        dash = _dash_before(self.text, item)
        self._add(_own_line_start(self.text, dash), _line_end(self.text, _content_end(item, self.text)) + 1, "")

    def replace_item(self, sequence: Node | None, index: int, item: Any) -> None:
        """A flow-style item (``- {port: 5222}``) rendered again, in flow style."""
        node = _item(sequence, index)
        if not getattr(node, "flow_style", False) or not isinstance(item, (list, dict)):
            raise Unspliceable("a block item replaced whole")
        self._add(_after_anchor(self.text, node.start_mark.index), node.end_mark.index, _inline(_as_flow(item)))

    def append_item(self, sequence: Node | None, item: Any) -> None:
        last = _item(sequence, -1)
        dash = _dash_before(self.text, last)
        column = dash - self.text.rfind("\n", 0, dash) - 1
        self._add_lines(_content_end(last, self.text), f"{' ' * column}{_item_text(item, column)}")

    def result(self) -> str:
        text = self.text
        # From the end, so earlier positions stay valid; of two insertions at one
        # place the later goes in first, and so ends up after the earlier.
        for _, splice in sorted(enumerate(self._splices), key=lambda pair: (pair[1].start, pair[1].end, pair[0]),
                                reverse=True):
            text = text[:splice.start] + splice.text + text[splice.end:]
        return text

    def _replace_scalar(self, start: int, end: int, new: str) -> None:
        self._add(start, end, new)
        # A comment padded into a column (aligned with others) stays in its column,
        # as far as the new length allows; one at the usual distance keeps that.
        after = _COMMENT_AFTER.match(self.text, end)
        if after and len(after.group(1)) > 2:
            spaces = len(after.group(1))
            self._add(end, end + spaces, " " * max(2, spaces - (len(new) - (end - start))))

    def _add_lines(self, after: int, lines: str) -> None:
        """Insert whole lines after the line that holds ``after`` (past its comment)."""
        end = _line_end(self.text, after)
        if end == len(self.text):
            self._add(end, end, f"\n{lines}")
        else:
            self._add(end + 1, end + 1, f"{lines}\n")

    def _add(self, start: int, end: int, text: str) -> None:
        if any(start < other.end and other.start < end for other in self._splices):
            raise Unspliceable("two changes to the same text")
        self._splices.append(_Splice(start, end, text))


def _entry(mapping: Node | None, key: Any) -> tuple[Node, Node]:
    if not isinstance(mapping, MappingNode) or mapping.flow_style:
        raise Unspliceable("an entry of a flow-style mapping")
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == str(key):
            return key_node, value_node
    raise Unspliceable(f"no entry {key!r} in the file's text (a merge key or an alias?)")


def _item(sequence: Node | None, index: int) -> Node:
    if not isinstance(sequence, SequenceNode) or sequence.flow_style or not sequence.value:
        raise Unspliceable("an item of a flow-style or empty sequence")
    item: Node = sequence.value[index]  # ruamel types a node's value as Any
    return item


def _value_span(text: str, key_node: Node, value_node: Node) -> tuple[int, int]:
    """Where the value of an entry is written: after its anchor, or the alias that stands for it."""
    if value_node.start_mark.index < key_node.end_mark.index:  # an alias: the node is written further up
        alias = _ALIAS.match(text, key_node.end_mark.index)
        if not alias:
            raise Unspliceable("an alias this entry does not show")
        return alias.start(1), alias.end(1)
    return _after_anchor(text, value_node.start_mark.index), _content_end(value_node, text)


def _after_anchor(text: str, start: int) -> int:
    """A value's start past its ``&anchor``, which stays where it is (aliases refer to it)."""
    anchor = _ANCHOR.match(text, start)
    return anchor.end() if anchor else start


def _content_end(node: Node, text: str) -> int:
    """Where the node's own text ends: a block collection's reaches past the comments
    and blank lines after its last entry, which belong to what follows."""
    start: int = node.start_mark.index  # ruamel types a node's marks as Any
    end: int = node.end_mark.index
    if isinstance(node, ScalarNode):
        return start + len(text[start:end].rstrip()) if node.style in ("|", ">") else end
    assert isinstance(node, CollectionNode), "a composed node is a scalar or a collection"
    if node.flow_style or not node.value:
        return end
    last = node.value[-1]
    return _content_end(last[1] if isinstance(node, MappingNode) else last, text)


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end


def _own_line_start(text: str, index: int) -> int:
    """The start of the line holding ``index``, which nothing else may share."""
    start = text.rfind("\n", 0, index) + 1
    if text[start:index].strip():
        raise Unspliceable("a line shared with another node")
    return start


def _column(text: str, node: Node) -> int:
    start: int = node.start_mark.index  # ruamel types a node's marks as Any
    return start - text.rfind("\n", 0, start) - 1


def _dash_before(text: str, item: Node) -> int:
    """The ``-`` that opens a block sequence item (on its line, or alone on a line above)."""
    dash = len(text[:item.start_mark.index].rstrip()) - 1
    if dash < 0 or text[dash] != "-":
        raise Unspliceable("a sequence item whose dash is not right before it")
    return dash


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _entry_text(key: Any, value: Any, comment: Any, column: int) -> str:
    """``key: value`` as the wizard writes it (with its comment), later lines indented to ``column``."""
    document = CommentedMap([(key, value)])
    if comment:
        document.ca.items[key] = comment
    lines = yaml_text(document).rstrip("\n").split("\n")
    return "\n".join([lines[0], *(" " * column + line if line else line for line in lines[1:])])


def _shifted(comment: list[Any], by: int) -> list[Any]:
    """A copy of a key's comments, their columns moved by ``by``: fragments are
    rendered at column 0 and indented afterwards."""
    moved = copy.deepcopy(comment)
    for token in moved:
        if isinstance(token, CommentToken) and token.start_mark is not None:
            token.column = max(0, token.column + by)
    return moved


def _item_text(item: Any, column: int) -> str:
    """A sequence item (``- ...``) as the wizard writes it, with its dash at ``column``."""
    lines = yaml_text(CommentedMap([(_KEY, [item])])).rstrip("\n").split("\n")[1:]
    indent = len(lines[0]) - len(lines[0].lstrip())
    return "\n".join([lines[0][indent:], *(" " * column + line[indent:] if line else line for line in lines[1:])])


def _inline(value: Any) -> str:
    return _entry_text(_KEY, value, None, 0)[len(_KEY) + 2:]


def _without_own_comment(value: Any) -> Any:
    """``value`` without the comment ruamel read after its key (it attaches it to the value)."""
    if not isinstance(value, (CommentedMap, CommentedSeq)) or not value.ca.comment:
        return value
    value = copy.deepcopy(value)
    value.ca.comment = None
    return value


def _as_flow(value: Any) -> Any:
    flow = CommentedSeq(value) if isinstance(value, list) else CommentedMap(value)
    flow.fa.set_flow_style()
    return flow
