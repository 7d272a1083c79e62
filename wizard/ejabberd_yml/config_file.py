"""Reading an ejabberd.yml that someone else wrote: within limits, and in one line when it cannot be.

Used for every config the wizard reads rather than writes: an imported file, the
config/ejabberd.yml of a deployment it merges into, and the files ``check`` looks at.
Building a document recurses once per level and expands every alias, so depth and
size are checked from the parser's events before anything is built.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent, ScalarEvent
from ruamel.yaml.reader import ReaderError

from wizard.errors import FileError
from wizard.textfile import read_text

# An ejabberd.yml has a few thousand nodes at most; aliases may not expand past this
# (a "billion laughs" file of a few lines would otherwise expand into gigabytes).
MAX_NODES = 100_000
# ... and nests a dozen levels deep; the YAML parser slows down with every level.
MAX_DEPTH = 64
# ... and has some 10 kB; reading stops beyond this.
MAX_BYTES = 4 * 1024 * 1024


def read_config_text(path: Path, expected: str) -> str:
    """The text of the config at ``path``, which should be ``expected`` (for the messages)."""
    return read_text(path, expected=expected, limit=MAX_BYTES, usual_size="an ejabberd config is far smaller")


def load_config(text: str, path: Path) -> CommentedMap:
    """``text`` (read from ``path``) as a round-trip mapping, within the limits above."""
    yaml = YAML(typ="rt")
    try:
        check_expansion(text, path, yaml)
        config = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f":{mark.line + 1}" if mark else ""
        raise FileError(f"{path}{where}", f"not valid YAML: {error.problem or error.context}") from None
    except ReaderError as error:  # a character YAML does not allow, e.g. a NUL byte
        line = text[:error.position].count("\n") + 1
        raise FileError(f"{path}:{line}", f"not valid YAML: {str(error).splitlines()[0]}") from None
    except YAMLError as error:
        raise FileError(str(path), f"not valid YAML: {str(error).splitlines()[0]}") from None
    except RecursionError:
        raise FileError(str(path), "nested too deeply to be an ejabberd config") from None
    if not isinstance(config, CommentedMap):
        kind = "empty" if config is None else "a list" if isinstance(config, list) else "a single value"
        raise FileError(str(path), f"{kind}; expected an ejabberd config, a mapping of options (hosts:, listen:, ...)")
    return config


def check_expansion(text: str, path: Path, yaml: YAML | None = None) -> None:
    """Refuse documents that would expand past ``MAX_NODES`` nodes (aliases counted each time they are
    used) or nest deeper than ``MAX_DEPTH``, from the parser's events alone."""
    sizes: dict[str, int] = {}
    open_nodes: list[list[Any]] = []  # [anchor, size so far] of each collection being read

    def done(size: int, anchor: str | None, event: NodeEvent | CollectionEndEvent) -> None:
        if anchor:
            sizes[anchor] = size
        if open_nodes:
            open_nodes[-1][1] += size
            if open_nodes[-1][1] > MAX_NODES:
                raise FileError(f"{path}:{event.start_mark.line + 1}",
                                f"the document grows past {MAX_NODES} nodes here "
                                "(aliases counted as often as they are used); an ejabberd config is far smaller")

    for event in (yaml or YAML(typ="rt")).parse(io.StringIO(text)):
        if isinstance(event, CollectionStartEvent):
            open_nodes.append([event.anchor, 1])
            if len(open_nodes) > MAX_DEPTH:
                raise FileError(f"{path}:{event.start_mark.line + 1}", f"nested more than {MAX_DEPTH} levels deep; "
                                 "an ejabberd config is far flatter")
        elif isinstance(event, CollectionEndEvent):
            anchor, size = open_nodes.pop()
            done(size, anchor, event)
        elif isinstance(event, ScalarEvent):
            done(1, event.anchor, event)
        elif isinstance(event, AliasEvent):
            if event.anchor not in sizes:
                raise FileError(f"{path}:{event.start_mark.line + 1}",
                                f"alias *{event.anchor} refers to a node it is part of")
            done(sizes[event.anchor], None, event)
