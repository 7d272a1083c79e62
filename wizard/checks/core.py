"""The vocabulary every check shares: findings, their severity, and what a check gets to look at."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from wizard.answers.model import Answers
from wizard.errors import InputError

GROUPS: tuple[str, ...] = ("ports", "certs", "dns", "env", "config")
# Long enough for a distant resolver, short enough that a dead one does not stall the wizard.
DEFAULT_TIMEOUT = 3.0


class Severity(StrEnum):
    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Severity.OK: 0, Severity.INFO: 1, Severity.WARNING: 2, Severity.ERROR: 3}


@dataclass(frozen=True)
class Finding:
    """One thing a check found: what it is about, what is wrong, and what to do about it."""

    check: str  # stable id, e.g. "dns.srv.xmpp-client"
    group: str  # one of GROUPS
    step: str  # one of STEP_NAMES: the wizard screen whose answers this is about
    severity: Severity
    subject: str  # what it is about: a domain, a port, a file
    message: str
    fix: str = ""  # a command, a config line or a DNS record; empty when nothing is to be done

    def to_dict(self) -> dict[str, str]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


@dataclass(frozen=True)
class Nameserver:
    """Where every DNS query goes instead of the system's resolvers (``--nameserver HOST[:PORT]``)."""

    address: str
    port: int = 53

    @classmethod
    def parse(cls, text: str) -> Nameserver:
        host, port_text = _split_host_port(text.strip())
        try:
            port = int(port_text) if port_text is not None else 53
        except ValueError:
            port = 0
        if not 1 <= port <= 65535:
            raise InputError(f"--nameserver {text}: {port_text!r} is not a port; "
                             "expected HOST[:PORT] such as 127.0.0.1:5353")
        if not host:
            raise InputError(f"--nameserver {text!r}: no host; expected HOST[:PORT] such as 127.0.0.1:5353")
        try:
            return cls(str(ipaddress.ip_address(host)), port)
        except ValueError:
            pass
        # dnspython wants an address; a name is looked up once, here, with the system's resolver.
        try:
            info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        except (socket.gaierror, UnicodeError) as error:
            raise InputError(f"--nameserver {text}: cannot find the address of {host!r} ({error})") from None
        return cls(str(info[0][4][0]), port)

    @classmethod
    def from_environment(cls) -> Nameserver | None:
        """The nameserver ``EJABBERD_WIZARD_NAMESERVER`` names (None: the system's), errors naming the variable."""
        from wizard.steps import NAMESERVER_ENV

        text = os.environ.get(NAMESERVER_ENV)
        if not text:
            return None
        try:
            return cls.parse(text)
        except InputError as error:
            message = str(error).removeprefix("--nameserver").lstrip(": ")
            raise InputError(f"{NAMESERVER_ENV}: {message}") from None

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


def _split_host_port(text: str) -> tuple[str, str | None]:
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else None
    if text.count(":") > 1:  # a bare IPv6 address
        return text, None
    host, colon, port = text.partition(":")
    return host, port if colon else None


@dataclass(frozen=True)
class Context:
    """What a check reads: the answers, the deployment directory, and how to reach DNS."""

    answers: Answers
    out: Path
    nameserver: Nameserver | None = None
    timeout: float = DEFAULT_TIMEOUT


CheckFunction = Callable[[Context], list[Finding]] | Callable[[Context], Awaitable[list[Finding]]]


@dataclass(frozen=True)
class Checker:
    """One check: its group, the steps its findings belong to, and the function that runs it.

    ``run`` is either a plain function (it may block: file system, sockets, subprocesses;
    it is run in a thread) or a coroutine function (DNS, run on the event loop).
    """

    group: str
    steps: frozenset[str]
    run: CheckFunction


def finder(group: str, step: str) -> Callable[..., Finding]:
    """A shorthand for the findings of one group and step: ``found(check, severity, subject, message, fix)``."""

    def found(check: str, severity: Severity, subject: str, message: str, fix: str = "") -> Finding:
        return Finding(check, group, step, severity, subject, message, fix)

    return found
