"""The import's reader: the state one walk of a config collects, and the primitives that collect it.

``put`` takes a value of the file as an answer when the answers model accepts it, with the
line it came from; ``keep`` reports a part that stays in the file as it is. The walks, one
``read_<name>`` for each name the option map's ``Walked`` entries give, are
``wizard.ejabberd_yml.read``'s, with the calls (``wizard.ejabberd_yml.read_calls``) and the accounts and database
(``wizard.ejabberd_yml.read_security``) read in modules of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from wizard.answers.model import Answers
from wizard.ejabberd_yml.parts import KEPT, Unmapped
from wizard.ejabberd_yml.parts import line_of as _line
from wizard.ejabberd_yml.parts import plain_value as _value


@cache
def _adapter(answer: str) -> TypeAdapter[Any]:
    section, name = answer.split(".")
    info = Answers.model_fields[section].annotation.model_fields[name]  # type: ignore[union-attr]
    annotation: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(annotation)


class Reader:
    """What walking one config collects: the answers it implies and the parts it cannot map."""

    def __init__(self, config: CommentedMap) -> None:
        self.config = config
        macros = config.get("define_macro")
        self.macros: Mapping[str, Any] = macros if isinstance(macros, Mapping) else {}
        modules = config.get("modules")
        self.modules: Mapping[str, Any] | None = modules if isinstance(modules, Mapping) else None  # None: no walk
        self.given = CommentedMap()
        self.unmapped: list[Unmapped] = []
        self.cautions: list[tuple[int | None, str]] = []  # what the file does that weakens it, by line
        self.mapped: set[str] = set()
        self.labels: dict[str, str] = {}
        self.hosts: list[str] = []  # the file's hosts, when they are answers
        self.file_hosts: list[str] = []  # the file's hosts, whatever they are (e.g. 'localhost')
        self.c2s: Mapping[str, Any] | None = None  # the STARTTLS client listener
        self.announced_stun: list[str] = []  # "port/transport" that mod_stun_disco announces on the file's own hosts
        self.announced_line: int | None = None
        self.stun_listeners = False
        self.roles: dict[int, str] = {}  # listener index: the answer its port is, as far as it is one
        self.other_hosts = False  # mod_stun_disco announces services of other hosts

    # -- primitives

    def get(self, node: Any, key: str, default: Any = None) -> Any:
        """The value of ``key`` with a macro name replaced by the macro's value."""
        value = node.get(key, default) if isinstance(node, Mapping) else default
        if isinstance(value, str) and value in self.macros:
            return self.macros[value]
        return value

    def uses_macro(self, node: Any, key: str) -> bool:
        value = node.get(key) if isinstance(node, Mapping) else None
        return isinstance(value, str) and value in self.macros

    def put(self, answer: str, value: Any, node: Any = None, key: Any = None, where: str | None = None) -> bool:
        """Take ``value`` as the answer when the model accepts it; else report ``where`` as kept."""
        value = _value(value)
        line = _line(node, key) if key is not None else None
        try:
            value = _adapter(answer).validate_python(value, strict=True)
        except ValidationError as error:
            if where:
                message = str(error.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
                self.keep(where, f"{value!r} is not a value the wizard can write for {answer} ({message}); {KEPT}",
                          line, (answer,))
            return False
        section, name = answer.split(".")
        target = self.given.setdefault(section, CommentedMap())
        target[name] = CommentedSeq(value) if isinstance(value, list) else value
        if line is not None:
            self.given.lc.add_kv_line_col(section, [line - 1, 0, line - 1, 0])
            target.lc.add_kv_line_col(name, [line - 1, 0, line - 1, 0])
            if isinstance(value, list):
                for index in range(len(value)):
                    target[name].lc.add_idx_line_col(index, [line - 1, 0])
        if where:
            self.mapped.add(where)
        return True

    def keep(self, key: str, why: str, line: int | None = None, answers: tuple[str, ...] = ()) -> None:
        self.unmapped.append(Unmapped(key, why, line, answers))
