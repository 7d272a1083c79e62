"""The wizard's own words for what the libraries it validates with say, and fields named by their labels.

pydantic and idna word their refusals for programmers ("List should have at least 1 item after
validation, not 0", "Codepoint U+005F at position 8 of 'isabell_example' not allowed"); a person
answering a question is told what is wrong with what they typed and what is expected instead.
The front ends that ask the questions (the TUI, plain mode) name a field by the label they show,
with its key after it; the command line keeps the keys alone, the words of the file being edited.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from wizard.errors import shown

# The model's patterns, in words (wizard.answers.sections declares them).
PATTERNS = {
    r"^/[A-Za-z0-9._~/-]*$": "a path starting with '/', of letters, digits and . _ ~ / -, such as '/upload'",
    r"^0[0-7]{3}$": "an octal file mode of four digits starting with 0, such as '0640'",
    r"^[0-7]?[0-7]{3}$": "an octal mode of three or four digits from 0 to 7, such as '2750'",
    r"^[A-Za-z0-9.:_-]+$": "a host name or address (letters, digits and . : _ -), such as 'localhost'",
    r"^[A-Za-z0-9_]{1,64}$": "a name of up to 64 letters, digits and '_', such as 'ejabberd'",
    r"^[A-Za-z0-9_.-]{1,80}$": "a name of up to 80 letters, digits and . _ -, such as 'ejabberd'",
}


def _too_short(ctx: Mapping[str, Any], value: Any) -> str:
    least = ctx.get("min_length", 1)
    if isinstance(value, (list, tuple)):
        return f"none given: expected at least {least} item{'s' if least != 1 else ''}"
    return f"{shown(value)} is too short: expected at least {least} characters"


def _too_long(ctx: Mapping[str, Any], value: Any) -> str:
    most = ctx.get("max_length")
    if isinstance(value, (list, tuple)):
        return f"{len(value)} values are too many: expected at most {most}"
    return f"{shown(value)} is too long: expected at most {most} characters"


def _choice(ctx: Mapping[str, Any], value: Any) -> str:
    return f"{shown(value)} is not one of the choices: expected {ctx.get('expected', '')}"


def _pattern(ctx: Mapping[str, Any], value: Any) -> str:
    pattern = str(ctx.get("pattern", ""))
    return f"{shown(value)} is not {PATTERNS.get(pattern, 'in the expected form')}"


# By pydantic's error type: its message reads well to a programmer only.
_BY_TYPE: dict[str, Callable[[Mapping[str, Any], Any], str]] = {
    "too_short": _too_short,
    "too_long": _too_long,
    "literal_error": _choice,
    "string_pattern_mismatch": _pattern,
    "greater_than_equal": lambda ctx, value: (f"{shown(value)} is too small: expected a number greater than or "
                                              f"equal to {ctx.get('ge')}"),
    "greater_than": lambda ctx, value: f"{shown(value)} is too small: expected more than {ctx.get('gt')}",
    "less_than_equal": lambda ctx, value: (f"{shown(value)} is too large: expected a number less than or "
                                           f"equal to {ctx.get('le')}"),
    "less_than": lambda ctx, value: f"{shown(value)} is too large: expected less than {ctx.get('lt')}",
    "int_parsing": lambda ctx, value: f"{shown(value)} is not a whole number",
    "int_from_float": lambda ctx, value: f"{shown(value)} is not a whole number",
    "bool_parsing": lambda ctx, value: f"{shown(value)} is not yes or no",
    "string_type": lambda ctx, value: f"{shown(value)} is not text",
    "list_type": lambda ctx, value: f"{shown(value)} is not a list: expected values separated by commas",
}


def library_error(kind: str, ctx: Mapping[str, Any], value: Any, fallback: str) -> str:
    """One of pydantic's errors (its ``type`` and ``ctx``, about ``value``) in the wizard's words."""
    describe = _BY_TYPE.get(kind)
    return describe(ctx, value) if describe else f"{shown(value)}: {fallback[:1].lower()}{fallback[1:]}"


# idna's reasons, quoted by the domain validator in parentheses after "is not a valid domain name".
_IDNA: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"Codepoint U\+([0-9A-F]{4,6}) at position (\d+) of .* not allowed"),
     lambda m: f"{_character(m.group(1))} (character {int(m.group(2))}) is not allowed in a domain name; expected "
               "letters, digits and hyphens separated by dots, such as 'example.org'"),
    (re.compile(r"Label must not start or end with a hyphen"),
     lambda m: "a part between dots starts or ends with '-'; expected it inside a name only, such as 'my-host.org'"),
    (re.compile(r"Empty [Ll]abel"), lambda m: "two dots in a row (an empty part); expected 'example.org'"),
    (re.compile(r"Label too long"), lambda m: "a part between dots is longer than 63 characters"),
    (re.compile(r"Domain too long"), lambda m: "the name is longer than 253 characters"),
)
_IDNA_QUOTED = re.compile(r"^(.*) is not a valid domain name \((.*)\)$")


def _character(hex_code: str) -> str:
    character = chr(int(hex_code, 16))
    return repr(character) if character.isprintable() and not character.isspace() else f"U+{hex_code}"


def own_words(message: str) -> str:
    """A validator's message with what a library said in it (idna's reasons) in the wizard's words."""
    quoted = _IDNA_QUOTED.match(message)
    if quoted:
        for pattern, words in _IDNA:
            found = pattern.search(quoted.group(2))
            if found:
                return f"{quoted.group(1)} is not a valid domain name: {words(found)}"
        return f"{quoted.group(1)} is not a valid domain name: {quoted.group(2)[:1].lower()}{quoted.group(2)[1:]}"
    return message


# An answers path ("ports.c2s", "domains.hosts.1") where a message names one.
_PATH = re.compile(r"(?<![\w./-])([a-z][a-z_]*\.[a-z][a-z_0-9]*)((?:\.\d+)?)(?![\w/-]|\.[a-z])")


def with_labels(message: str, labels: Mapping[str, str]) -> str:
    """``message`` with each answers path it names shown as the question's label, then the key:
    'ports.s2s: port 5222 is already used by ports.c2s' reads
    '"Server port" (ports.s2s): port 5222 is already used by "Client port (STARTTLS)" (ports.c2s)'.
    ``labels`` is the label of each question path; a path not in it stays as it is."""
    def labelled(found: re.Match[str]) -> str:
        label = labels.get(found.group(1))
        return f"“{label}” ({found.group(0)})" if label else found.group(0)

    return _PATH.sub(labelled, message)


def without_own_path(message: str, path: str) -> str:
    """A message about one field, shown on that field: without the leading 'path: ' that names it."""
    prefix = re.match(r"^([a-z][a-z_]*\.[a-z][a-z_0-9]*(?:\.\d+)?): ", message)
    if prefix and (prefix.group(1) == path or prefix.group(1).startswith(path + ".")):
        return message[prefix.end():]
    return message
