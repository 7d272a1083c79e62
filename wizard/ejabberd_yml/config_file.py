"""Reading an ejabberd.yml that someone else wrote: once, within limits, and in one line when it cannot be.

Used for every config the wizard reads rather than writes: an imported file, the
config/ejabberd.yml of a deployment it merges into, and the files ``check`` looks at.
Building a document recurses once per level and expands every alias, so depth and
size are checked on the parser's events while the file is read, before anything is built.

One run reads the same text several times over (the import, the merge that starts from
it, the merge that writes it, the check of the config on disk), and the pure-Python
parser takes most of a second per 100 kB. So each text is parsed once (``_parse``) into
its composed nodes, kept for the texts read last; every caller builds its own document
from a copy of them (``config_document``, ``config_nodes``), as building and writing change nodes and
comments in place (building takes the merge keys out of a mapping and the comments off
its keys, and writing a document marks each of its comments as written).
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    NodeEvent,
    ScalarEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
from ruamel.yaml.parser import RoundTripParser
from ruamel.yaml.reader import ReaderError

from wizard.errors import FileError
from wizard.textfile import read_text, yaml_problem

# An ejabberd.yml has a few thousand nodes at most; aliases may not expand past this
# (a "billion laughs" file of a few lines would otherwise expand into gigabytes).
MAX_NODES = 100_000
# ... and has as many values, keys and items as it is written; reading stops past this,
# where a file would take seconds per step of the import (a 200 kB file has 100,000 of them).
MAX_READ = 20_000
# ... and nests a dozen levels deep; the YAML parser slows down with every level.
MAX_DEPTH = 64
# ... and has some 10 kB; reading stops beyond this.
MAX_BYTES = 4 * 1024 * 1024
# The texts parsed last that are kept: within one run, the import's file, the merge's base
# and result, and the deployment's config, none of them parsed twice.
KEPT_TEXTS = 8


@dataclass(frozen=True)
class Parsed:
    """A text as the parser read it: its composed nodes (never handed out, only copies) and its YAML version."""

    node: Node | None  # None for a text without a document (empty, or only comments)
    version: tuple[int, int] | None  # from a %YAML directive; building follows it (1.1's octals)


_parsed: dict[str, Parsed] = {}  # by text, the least recently used first
_keeping = threading.Lock()  # the TUI proposes in a worker thread


def read_config_text(path: Path, expected: str) -> str:
    """The text of the config at ``path``, which should be ``expected`` (for the messages)."""
    return read_text(path, expected=expected, limit=MAX_BYTES, usual_size="an ejabberd config is far smaller")


def load_config(text: str, path: Path) -> CommentedMap:
    """``text`` (read from ``path``) as a round-trip mapping, within the limits above."""
    config = config_document(text, path)
    if not isinstance(config, CommentedMap):
        kind = "empty" if config is None else "a list" if isinstance(config, list) else "a single value"
        raise FileError(str(path), f"{kind}; expected an ejabberd config, a mapping of options (hosts:, listen:, ...)")
    return config


def config_document(text: str, path: Path, *, preserve_quotes: bool = False) -> Any:
    """A new round-trip document of ``text`` (whatever it holds), the caller's own to change."""
    parsed = parsed_config(text, path)
    if parsed.node is None:
        return None
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = preserve_quotes
    yaml.version = parsed.version
    with _one_line(text, path):
        return yaml.constructor.construct_document(_copied(parsed.node, {}))


def config_nodes(text: str, path: Path) -> Node | None:
    """A copy of the nodes of ``text``, as ``YAML.compose`` gives them: where each part is written."""
    parsed = parsed_config(text, path)
    return None if parsed.node is None else _copied(parsed.node, {})


def parsed_config(text: str, path: Path) -> Parsed:
    """``text`` parsed, within the limits; a text parsed before is not parsed again."""
    with _keeping:
        parsed = _parsed.pop(text, None)
        if parsed is not None:
            _parsed[text] = parsed  # now the last used: the TUI's reviews parse new texts each time
            return parsed
    parsed = _parse(text, path)  # outside the lock: two threads may parse one text, never wait on each other
    with _keeping:
        _parsed[text] = parsed
        while len(_parsed) > KEPT_TEXTS:
            del _parsed[next(iter(_parsed))]  # the least recently used
    return parsed


def _parse(text: str, path: Path) -> Parsed:
    """The one reading of ``text``: scanned, checked event by event (``_Limits``) and composed."""
    limits = _Limits(path)
    yaml = YAML(typ="rt")
    yaml.Parser = _CheckedParser
    yaml.limits = limits  # type: ignore[attr-defined]  # read by _CheckedParser through its loader
    with _one_line(text, path):
        node = yaml.compose(text)
    return Parsed(node, limits.version)


@contextlib.contextmanager
def _one_line(text: str, path: Path) -> Iterator[None]:
    """What the parser or the constructor refuses, as a ``FileError`` naming file and line."""
    try:
        yield
    except MarkedYAMLError as error:
        where, problem = yaml_problem(error, path)
        raise FileError(where, f"not valid YAML: {problem}") from None
    except ReaderError as error:  # a character YAML does not allow, e.g. a NUL byte
        line = text[:error.position].count("\n") + 1
        raise FileError(f"{path}:{line}", f"not valid YAML: {str(error).splitlines()[0]}") from None
    except YAMLError as error:
        raise FileError(str(path), f"not valid YAML: {str(error).splitlines()[0]}") from None
    except RecursionError:
        raise FileError(str(path), "nested too deeply to be an ejabberd config") from None


def _copied(node: Node, copies: dict[int, Node]) -> Node:
    """``node`` and all below it as new nodes with their own comments (and explicit tags); the marks,
    which nothing changes, are shared. ``copies``: the copies made so far, so that an alias stays
    one node."""
    done = copies.get(id(node))
    if done is not None:
        return done
    new = copy.copy(node)
    copies[id(node)] = new
    if node.comment is not None:
        new.comment = copy.deepcopy(node.comment)
    if node.ctag.handle:  # a tag written in the file: its object keeps what writing it chose
        new.ctag = copy.copy(node.ctag)
    if isinstance(node, MappingNode):
        new.value = [(_copied(key, copies), _copied(value, copies)) for key, value in node.value]
    elif isinstance(node, SequenceNode):
        new.value = [_copied(item, copies) for item in node.value]
    return new


class _CheckedParser(RoundTripParser):
    """ruamel's parser, with each event checked before the composer takes it."""

    def get_event(self) -> Any:
        event = super().get_event()
        self.loader.limits.see(event)
        return event


class _Limits:
    """Refuses documents that would expand past ``MAX_NODES`` nodes (aliases counted each time
    they are used), are written with more than ``MAX_READ`` nodes or nest deeper than ``MAX_DEPTH``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.version: tuple[int, int] | None = None
        self.read = 0
        self.sizes: dict[str, int] = {}
        self.open_nodes: list[list[Any]] = []  # [anchor, size so far] of each collection being read

    def see(self, event: Event) -> None:
        if isinstance(event, DocumentStartEvent):
            self.version = event.version
            return
        if isinstance(event, (CollectionStartEvent, ScalarEvent, AliasEvent)):
            self.read += 1
            if self.read > MAX_READ:
                raise self._error(event, f"more than {MAX_READ} values, keys and items by here; "
                                         "an ejabberd config has a few thousand")
        if isinstance(event, CollectionStartEvent):
            self.open_nodes.append([event.anchor, 1])
            if len(self.open_nodes) > MAX_DEPTH:
                raise self._error(event, f"nested more than {MAX_DEPTH} levels deep; an ejabberd config is far flatter")
        elif isinstance(event, CollectionEndEvent):
            anchor, size = self.open_nodes.pop()
            self._done(size, anchor, event)
        elif isinstance(event, ScalarEvent):
            self._done(1, event.anchor, event)
        elif isinstance(event, AliasEvent):
            if event.anchor not in self.sizes:
                raise self._error(event, f"alias *{event.anchor} refers to a node it is part of")
            self._done(self.sizes[event.anchor], None, event)

    def _done(self, size: int, anchor: str | None, event: NodeEvent | CollectionEndEvent) -> None:
        if anchor:
            self.sizes[anchor] = size
        if self.open_nodes:
            self.open_nodes[-1][1] += size
            if self.open_nodes[-1][1] > MAX_NODES:
                raise self._error(event, f"the document grows past {MAX_NODES} nodes here (aliases counted "
                                         "as often as they are used); an ejabberd config is far smaller")

    def _error(self, event: Event, problem: str) -> FileError:
        return FileError(f"{self.path}:{event.start_mark.line + 1}", problem)
