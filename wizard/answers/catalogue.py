"""The question catalogue: every answer of the model as a question the front ends ask.

Nothing is declared twice: label, help text, step and condition come from the
field declarations in ``wizard.answers.model``; kind, choices and validation from the
field's type. Adding a field to the model adds the question to every front end.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from wizard.answers.field_messages import library_error, own_words, with_labels
from wizard.answers.model import SECTIONS, Answers
from wizard.answers.validators import byte_size

Kind = Literal["text", "integer", "boolean", "choice", "list"]


@dataclass(frozen=True)
class Question:
    path: str  # "section.field", as in the answers file
    label: str
    help: str
    step: str
    kind: Kind
    choices: tuple[str, ...]
    optional: bool  # may be left empty (None)
    when: Mapping[str, Any]
    field: FieldInfo

    @cached_property
    def _adapter(self) -> TypeAdapter[Any]:
        # Built at run time from the field: no static type describes it (as in wizard.ejabberd_yml.reader).
        annotation: Any = Annotated[self.field.annotation, self.field]
        return TypeAdapter(annotation)

    @cached_property
    def takes_units(self) -> bool:
        """Whether a number may be typed with its unit ("100MB"): the model converts it."""
        return any(getattr(item, "func", None) is byte_size for item in self.field.metadata)

    def applies(self, values: Mapping[str, Any]) -> bool:
        """Whether the question is asked, given the other answers (dotted lookups)."""
        return all(lookup(values, path) == expected for path, expected in self.when.items())

    def validate(self, value: Any) -> Any:
        """The value as the model takes it, or ``ValueError`` with a message for the user."""
        try:
            return self._adapter.validate_python(value)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            if first["type"] == "value_error":  # the wizard's validators: its own words, but for idna's
                message = own_words(str(first["ctx"]["error"]))
            else:  # pydantic's constraints, worded for programmers
                message = library_error(first["type"], first.get("ctx", {}), first["input"], first["msg"])
            raise ValueError(message) from None

    def parse(self, text: str) -> Any:
        """A value typed as text (both front ends edit text) as the model takes it."""
        text = text.strip()
        if self.optional and text == "":
            return self.validate(None)
        if self.kind == "list":
            return self.validate([item.strip() for item in text.split(",") if item.strip()])
        if self.kind == "integer":
            if self.takes_units and not text.lstrip("-").isdigit():
                return self.validate(text)  # a size with its unit: the model converts it
            try:
                return self.validate(int(text))
            except ValueError as error:
                if text.lstrip("-").isdigit():
                    raise
                raise ValueError(f"{text!r} is not a whole number") from error
        if self.kind == "boolean":
            return self.validate(text.lower() in ("y", "yes", "true", "on", "1"))
        return self.validate(text)

    def format(self, value: Any) -> str:
        if value is None:
            return ""
        if self.kind == "list":
            return ", ".join(str(item) for item in value)
        if self.kind == "boolean":
            return "yes" if value else "no"
        return str(value)


def lookup(values: Mapping[str, Any], dotted: str) -> Any:
    node: Any = values
    for key in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _shape(annotation: Any) -> tuple[Kind, tuple[str, ...], bool]:
    optional = False
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        optional = True
        annotation = next(arg for arg in args if arg is not type(None))
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "choice", tuple(str(choice) for choice in typing.get_args(annotation)), optional
    if origin is list:
        return "list", (), optional
    if annotation is bool:
        return "boolean", (), optional
    if annotation is int:
        return "integer", (), optional
    return "text", (), optional


def _questions() -> tuple[Question, ...]:
    questions = []
    for section in SECTIONS:
        model: type[BaseModel] = Answers.model_fields[section].annotation  # type: ignore[assignment]
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            kind, choices, optional = _shape(field.annotation)
            questions.append(Question(
                path=f"{section}.{name}",
                label=field.title or name,
                help=field.description or "",
                step=str(extra.get("step", section)),
                kind=kind,
                choices=choices,
                optional=optional,
                when=dict(extra.get("when", {})),  # type: ignore[arg-type]
                field=field,
            ))
    return tuple(questions)


QUESTIONS: tuple[Question, ...] = _questions()
_LABELS = {question.path: question.label for question in QUESTIONS}


def model_defaults() -> dict[str, dict[str, Any]]:
    """The defaults the model itself declares, for answers no preset sets."""
    defaults: dict[str, dict[str, Any]] = {}
    for question in QUESTIONS:
        if not question.field.is_required():
            section, name = question.path.split(".")
            defaults.setdefault(section, {})[name] = question.field.get_default(call_default_factory=True)
    return defaults


def questions_of(step: str) -> list[Question]:
    return [question for question in QUESTIONS if question.step == step]


def by_path(path: str) -> Question:
    for question in QUESTIONS:
        if question.path == path:
            return question
    raise KeyError(path)


def labelled(message: str) -> str:
    """A message with each question it names by its label and key, as the front ends that ask
    the questions show them (wizard.answers.field_messages.with_labels)."""
    return with_labels(message, _LABELS)


def question_path(path: str) -> str:
    """'domains.hosts.0' -> 'domains.hosts': the question a (possibly deeper) answers path is about."""
    return ".".join(path.split(".")[:2])


def step_of(path: str) -> str | None:
    """The step of the question a (possibly deeper, e.g. 'domains.hosts.0') answers path is about."""
    try:
        return by_path(question_path(path)).step
    except KeyError:
        return None
