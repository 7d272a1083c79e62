"""What the user gave: answers files read with their line numbers.

Only reading happens here (no validation), so a front end can start without
loading the answers model.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.answers.migrations import migrate
from wizard.errors import InputError
from wizard.textfile import read_text, yaml_problem

ANSWERS_FILE = "wizard.yml"
# Answers nest four levels at most (a list of mappings in a section).
MAX_DEPTH = 16
# ... hold about a hundred values (a few more with lists of contacts) ...
MAX_NODES = 10_000
# ... and take a few kB; reading stops beyond this.
MAX_BYTES = 256 * 1024


@dataclass
class Given:
    """Answers the user gave, with where they came from (for error messages)."""

    values: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # file name, when they came from a file
    migrated: tuple[str, ...] = ()  # what reading an older version of the file changed, one line each

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
            if not hasattr(node, "lc"):  # ruamel's commented containers know their lines
                break
            try:
                if isinstance(node, Mapping) and key in node:
                    line = node.lc.key(key)[0] + 1  # type: ignore[attr-defined]  # ruamel's .lc, not in Mapping's type
                elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                    line = node.lc.item(key)[0] + 1  # type: ignore[attr-defined]  # ruamel's .lc, not in list's type
                else:
                    break
            except (KeyError, TypeError, IndexError):
                break
            node = node[key]
        return line


def read_answers_file(path: Path) -> Given:
    """Read an answers file; any problem is an ``InputError`` naming the file and line."""
    text = read_text(path, expected="an answers file (YAML)", limit=MAX_BYTES,
                     usual_size="an answers file takes a few kB")
    # Imported here: the first screen of the wizard is painted before any file is read.
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    try:
        _check_events(yaml.parse(io.StringIO(text)), path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ruamel's multi-line warnings (a reused anchor) are not for users
            data = yaml.load(text)
    except MarkedYAMLError as error:
        where, problem = yaml_problem(error, path)
        raise InputError(f"{where}: not valid YAML: {problem}") from None
    except YAMLError as error:
        raise InputError(f"{path}: not valid YAML: {_one_line(error)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of sections (install:, domains:, ...), got {type(data).__name__}")
    # ruamel's .lc (the line of each key) is not in dict's type.
    version_line = data.lc.key("version")[0] + 1 if "version" in data else None  # type: ignore[attr-defined]
    migrated = migrate(data, str(path), version_line)
    return Given(values=data, source=str(path), migrated=tuple(migrated))


def _check_events(events: Iterable[Any], path: Path) -> None:
    """Refuse what an answers file never needs, from the parser's events, before a document is built."""
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, MappingStartEvent, ScalarEvent

    depth = 0
    top_is_mapping = False
    section: str | None = None  # the top-level key being read
    key_next = True  # whether the next node at the top level is a key
    for count, event in enumerate(events):
        if count > MAX_NODES:
            # Parsing is ruamel's pure Python: a file of a few hundred thousand values takes a minute.
            raise InputError(f"{path}:{event.start_mark.line + 1}: more than {MAX_NODES} values; "
                             "an answers file holds about a hundred")
        if isinstance(event, AliasEvent):
            # Aliases let a tiny file expand into a huge document (billion laughs), and
            # nothing in an answers file needs them.
            raise InputError(f"{path}:{event.start_mark.line + 1}: "
                             f"YAML aliases (*{event.anchor}) are not allowed in answers files")
        if depth == 1 and top_is_mapping and isinstance(event, (ScalarEvent, CollectionStartEvent)):
            if key_next:
                section = event.value if isinstance(event, ScalarEvent) and event.value.isidentifier() else None
            key_next = not key_next
        if isinstance(event, CollectionStartEvent):
            top_is_mapping = top_is_mapping or (depth == 0 and isinstance(event, MappingStartEvent))
            depth += 1
            if depth > MAX_DEPTH:
                # Building the document recurses once per level: a deep enough file would end
                # in a RecursionError.
                where = f"{section}: " if section else ""
                raise InputError(f"{path}:{event.start_mark.line + 1}: {where}"
                                 f"nested more than {MAX_DEPTH} levels deep; "
                                 "expected sections of a few levels, such as 'ports: {c2s: 5222}'")
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


def saved_answers(out: Path, answers_path: Path | None) -> Given:
    """The answers file given, else the deployment's own wizard.yml (a re-run), else nothing."""
    if answers_path is not None:
        return read_answers_file(answers_path)
    saved = out / ANSWERS_FILE
    return read_answers_file(saved) if saved.exists() else Given()
