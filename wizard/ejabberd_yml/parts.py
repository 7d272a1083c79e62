"""The parts of an imported ejabberd.yml, as the import's modules share them.

The reader (``wizard.ejabberd_yml.read``), the start of the merge (``wizard.ejabberd_yml.start``), the
lines on what the answers change (``wizard.ejabberd_yml.changes``) and the agreement with the
web front (``wizard.ejabberd_yml.web_front``) all speak of places in one file: what is kept there
(``Unmapped``), one line of the report (``ReportLine``), and the file's values as plain
Python, with their lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedBase

KEPT = "kept as it is"
ABSENT = object()  # an answer or option that is not there at all (None is a value)
# Request handlers that make an ejabberd_http listener the one the web front forwards to.
WEB_HANDLERS = frozenset({"mod_bosh", "ejabberd_http_ws", "mod_http_upload"})


@dataclass(frozen=True)
class Unmapped:
    """A part of the imported file that no answer says; it stays in the file as it is."""

    key: str  # dotted path in the config, e.g. "modules.mod_http_upload.get_url"
    why: str
    line: int | None = None  # 1-based, in the imported file
    answers: tuple[str, ...] = ()  # the answers this part of the file speaks of, e.g. ("tls.cert_file",)

    def __str__(self) -> str:
        return f"{self.key}: {self.why}"

    @property
    def reason(self) -> str:
        """Why the wizard cannot read it, without what then happens to it."""
        return self.why.removesuffix(f"; {KEPT}")


@dataclass(frozen=True)
class UnservedStun:
    """STUN that mod_stun_disco announces on the file's own hosts while no ejabberd_stun
    listener runs at all (the Uberspace guide's config): calls are sent where nothing answers."""

    services: tuple[str, ...]  # "40137/udp", as announced
    line: int | None  # of the services option
    other_hosts: bool = False  # services of other hosts are announced too

    def problem(self) -> str:
        return (f"modules.mod_stun_disco.services: announces STUN on {', '.join(self.services)} "
                "but no ejabberd_stun listener answers there")


@dataclass(frozen=True)
class ReportLine:
    """One line of the import report, about ``file`` (at ``line``, when it is about one)."""

    file: Path
    text: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.text}" if self.line else f"{self.file}: {self.text}"

    def in_file(self) -> str:
        """The line for a reader who already knows which file it is about."""
        return f"line {self.line}: {self.text}" if self.line else self.text


def plain_value(node: Any) -> Any:
    """A scalar or collection of the file as plain Python (ruamel's own types are subclasses)."""
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, Mapping):
        return {str(key): plain_value(value) for key, value in node.items()}
    if isinstance(node, list):
        return [plain_value(item) for item in node]
    return node


def line_of(node: Any, key: Any) -> int | None:
    """The 1-based line of ``key`` in a mapping (or of item ``key`` in a list) of the file."""
    if not isinstance(node, CommentedBase):
        return None
    try:
        position = node.lc.key(key) if isinstance(node, Mapping) else node.lc.item(key)
    except (KeyError, TypeError, IndexError):
        return None
    return position[0] + 1 if position else None


def options_of(node: Any) -> Mapping[str, Any]:
    return node if isinstance(node, Mapping) else {}


def answer_at(values: Mapping[str, Any], dotted: str) -> Any:
    """The answer at ``section.name`` as plain Python, or ``ABSENT`` (an answer may be given as None)."""
    return plain_value(value_at(values, dotted))


def reading(document: Mapping[str, Any]) -> Callable[[Mapping[str, Any], str], Any]:
    """How ejabberd reads an option of ``document``: a macro's name (``define_macro``) as its value."""
    macros = options_of(document.get("define_macro"))

    def get(node: Mapping[str, Any], key: str) -> Any:
        value = node.get(key) if isinstance(node, Mapping) else None
        return macros[value] if isinstance(value, str) and value in macros else value

    return get


def listener_role(listener: Mapping[str, Any], get: Callable[[Mapping[str, Any], str], Any]) -> str | None:
    """Which of the wizard's listeners this is ("c2s", "http", ...), the answer its port is; None
    for one the wizard does not write. ``get`` reads an option (the reader's expands macros)."""
    module, tls = get(listener, "module"), get(listener, "tls") is True
    if module == "ejabberd_c2s":
        return "c2s_tls" if tls else "c2s"
    if module == "ejabberd_s2s_in":
        return "s2s_tls" if tls else "s2s"
    if module == "ejabberd_stun":
        return "stuns" if tls else "stun"
    if module == "mod_mqtt":
        return "mqtt"
    if module == "ejabberd_http":
        handlers = {str(handler) for handler in options_of(get(listener, "request_handlers")).values()}
        if handlers & WEB_HANDLERS:
            return "http"
        if "ejabberd_web_admin" in handlers:
            return "admin_http"
    return None


def found_at(document: Any, dotted: str) -> tuple[Any, Any] | None:
    """The container and key of the option at ``dotted`` in ``document``, or None.

    Keys may hold dots themselves (a pubsub node name): the longest key that is there wins.
    Items of a list are named by their index.
    """
    parts, node = dotted.split("."), document
    while parts:
        for length in range(len(parts), 0, -1):
            key: Any = ".".join(parts[:length])
            if isinstance(node, list) and key.isdigit() and int(key) < len(node):
                key = int(key)
            elif not (isinstance(node, Mapping) and key in node):
                continue
            if length == len(parts):
                return node, key
            node, parts = node[key], parts[length:]
            break
        else:
            return None
    return None


def value_at(document: Any, dotted: str) -> Any:
    """The value at ``dotted`` in ``document`` (see ``found_at``), or ``ABSENT``; "" is the document itself."""
    if not dotted:
        return document
    place = found_at(document, dotted)
    return place[0][place[1]] if place else ABSENT


def lowercase_hosts(hosts: Any) -> Any:
    """The file's hosts as the answers write them: ejabberd compares host names case-insensitively
    (nameprep), so EXAMPLE.ORG is example.org; anything but a list of names is left as it is."""
    if not isinstance(hosts, list):
        return hosts
    return [host.lower() if isinstance(host, str) else host for host in hosts]
