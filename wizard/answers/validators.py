"""Validators shared by the answers model and every front end.

Each takes the raw value and returns the normalised one, or raises ``ValueError``
with a message that says what is expected; pydantic adds the field's name.
"""

from __future__ import annotations

import ipaddress
import re
import string
from email.utils import parseaddr
from urllib.parse import urlsplit

import idna

from wizard.errors import shown
from wizard.releases import Release

_LDH_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Characters that would break out of a YAML scalar, an ini value or a shell word
# even when quoted; paths and free text must not contain them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Other scripts' full stops, which IDNA reads as dots: the U-label would not be the name DNS sees.
_OTHER_DOTS = re.compile(r"[\u3002\uff0e\uff61]")
PATH_MAX = 4096
# A DNS name has at most 255 octets on the wire: 253 characters written out, without the final dot.
DNS_NAME_MAX = 253
# The longest label prefix of a record name in dns/records.zone (the direct-TLS federation SRV).
SRV_PREFIX = "_xmpps-server._tcp."


def domain(value: str) -> str:
    """A fully qualified domain name, international names allowed (IDNA 2008)."""
    if not isinstance(value, str) or not value:
        raise ValueError("expected a domain name such as 'example.org'")
    if _OTHER_DOTS.search(value):
        raise ValueError(f"{shown(value)}: write the dots as '.' (a full stop of another script is read as a dot)")
    if value.endswith("."):
        raise ValueError(f"{shown(value)}: write the domain without the trailing dot ({value.rstrip('.')!r})")
    if value != value.lower():
        raise ValueError(f"{shown(value)}: write the domain in lowercase ({value.lower()!r})")
    try:
        ascii_name = idna.encode(value, uts46=False).decode("ascii")
    except (idna.IDNAError, UnicodeError) as error:
        raise ValueError(f"{shown(value)} is not a valid domain name ({error})") from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or not all(_LDH_LABEL.match(label) for label in labels):
        raise ValueError(f"{shown(value)} is not a valid domain name: "
                         "expected labels of letters, digits and hyphens separated by dots, such as 'example.org'")
    if len(ascii_name) > 253:
        raise ValueError(f"{shown(value)} is longer than the 253 characters a domain name may have")
    return value


def to_ascii(name: str) -> str:
    """The A-label form of a validated domain, as DNS and certificates want it."""
    return idna.encode(name, uts46=False).decode("ascii")


def dns_label(value: str) -> str:
    """One label of a subdomain, such as 'conference'."""
    if not isinstance(value, str) or not _LDH_LABEL.match(value):
        raise ValueError(f"{shown(value)} is not a valid subdomain label: "
                         "expected lowercase letters, digits and hyphens, such as 'conference'")
    return value


def port(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"{shown(value)} is not a port: expected a whole number from 1 to 65535")
    return value


# Sizes as people write them: SI (kB, MB, GB) and binary (KiB, MiB, GiB) units, case aside.
SIZE_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "k": 1024, "kib": 1024, "m": 1024**2,
              "mib": 1024**2, "g": 1024**3, "gib": 1024**3}


def byte_size(value: object) -> object:
    """``104857600``, ``100MB``, ``100 MiB``, ``1GiB`` as a number of bytes; anything else is left to the
    integer check (``true`` stays a bool, which it refuses)."""
    if not isinstance(value, str):
        return value
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", value)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in SIZE_UNITS:
        raise ValueError(f"{shown(value)} is not a size: expected a number of bytes or one with its unit, "
                         "such as 100MB or 1GiB")
    size = float(match.group(1)) * SIZE_UNITS[unit]
    if size != int(size):
        raise ValueError(f"{shown(value)} is not a whole number of bytes")
    return int(size)


# ejabberd's turn_min_port and turn_max_port take 1025 to 65535.
RELAY_PORTS = (1025, 65535)


def port_range(value: object) -> str:
    """``FIRST-LAST`` or one port (YAML reads a lone number as an integer), as ``FIRST-LAST`` or ``PORT``."""
    text = str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
    match = re.fullmatch(r"(\d{1,5})(?:\s*-\s*(\d{1,5}))?", text)
    low, high = RELAY_PORTS
    if match:
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if low <= first <= last <= high:
            return str(first) if first == last else f"{first}-{last}"
    raise ValueError(f"{shown(value)} is not a port range: expected FIRST-LAST such as '49152-65535', "
                     f"or one port, each from {low} to {high}")


def absolute_path(value: str) -> str:
    """An absolute path; spaces and quotes are allowed (they are quoted wherever they go)."""
    if not isinstance(value, str) or not value.startswith("/"):
        raise ValueError(f"{shown(value)} is not an absolute path: expected a path starting with '/'")
    if len(value.encode("utf-8")) > PATH_MAX:
        raise ValueError(f"{shown(value)} is longer than the {PATH_MAX} bytes a path may have")
    if _CONTROL.search(value):
        raise ValueError(f"{shown(value)} contains a control character (such as a newline); expected a plain path")
    return value


def safe_text(value: str) -> str:
    """Free text that ends up in generated files: no control characters."""
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValueError(f"{shown(value)} contains a control character (such as a newline)")
    return value


def no_control_characters(value: object) -> object:
    """Any text answer without control characters (a CR/LF/NUL would end a line, a header or a
    C string in some generated file). Lists are their items' types' to check, which name the item."""
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValueError(f"{shown(value)} contains a control character (such as a newline); "
                         "expected a single line of text")
    return value


# systemd reads these characters in an executable's name as special and refuses the unit,
# and a bare (unquoted) word with a ' opens a quote it never closes.
SYSTEMD_EXECUTABLE = ("'", '"', "\\")
SYSTEMD_ARGUMENT = ("'",)


def systemd_path(value: str, characters: tuple[str, ...]) -> str:
    found = [c for c in characters if c in value]
    if found:
        names = " or ".join(repr(c) for c in characters)
        raise ValueError(f"{shown(value)}: the systemd unit cannot hold {found[0]!r} in this path; "
                         f"expected a path without {names}")
    return value


def path_template(value: str, placeholders: frozenset[str]) -> str:
    """An absolute path that may use the given ``{placeholders}``."""
    absolute_path(value)
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError:
        raise ValueError(f"{shown(value)}: unbalanced braces; placeholders are written {{name}}") from None
    unknown = used - placeholders
    if unknown:
        allowed = ", ".join("{" + p + "}" for p in sorted(placeholders))
        raise ValueError(f"{shown(value)} uses an unknown placeholder {{{sorted(unknown)[0]}}}; allowed: {allowed}")
    return value


def caddy_path(value: str, *, template: bool = False) -> str:
    """A path a Caddyfile token can give Caddy as written (see ``wizard.files.web.caddy_quote``).

    A ``template`` is a certificate path with {name}/{host}: Caddy 2.8 and newer expand
    placeholders in certificate paths and older releases do not, so no literal brace ({{, }}) works.
    """
    if "`" in value and (value.endswith("\\") or '\\"' in value):
        # Backticks are the only quotes that keep a backslash before a " or at the end.
        raise ValueError(f"{shown(value)}: Caddy cannot read a path with a backtick and a backslash before '\"' "
                         "or at its end; expected a path without one of them")
    if template and ("{{" in value or "}}" in value):
        raise ValueError(f"{shown(value)}: Caddy releases differ on braces in certificate paths; "
                         "expected no braces but {name} and {host}")
    if "\\}" in value and "{" not in value:
        # Caddy 2.6 keeps a backslash before } in a value without {, Caddy 2.8 drops it.
        raise ValueError(f"{shown(value)}: Caddy releases differ on a backslash before '}}'; "
                         "expected a path without it")
    return value


def username(value: str) -> str:
    """A local user name (the part of a JID before the @, or a system account)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_.-]{0,31}", value or ""):
        raise ValueError(f"{shown(value)} is not a valid user name: "
                         "expected lowercase letters, digits, '.', '_' or '-', starting with a letter")
    return value


def contact_uri(value: str) -> str:
    """A contact address as XEP-0157 wants it: mailto:, xmpp: or https: URI."""
    if not isinstance(value, str) or _CONTROL.search(value) or " " in value:
        raise ValueError(f"{shown(value)} is not a contact URI: expected mailto:, xmpp: or https: without spaces")
    scheme, _, rest = value.partition(":")
    if scheme == "mailto":
        _, address = parseaddr(rest)
        local, at, host = address.partition("@")
        if address != rest or not local or not at:
            raise ValueError(f"{shown(value)}: expected mailto:someone@example.org")
        domain(host)
        return value
    if scheme == "xmpp":
        local, at, host = rest.partition("@")
        if not at:
            local, host = "", rest
        domain(host)
        if at and not local:
            raise ValueError(f"{shown(value)}: expected xmpp:someone@example.org")
        return value
    if scheme == "https":
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  # urlsplit checks the port only when it is asked for
        except ValueError:
            raise ValueError(f"{shown(value)}: the port is not a number from 1 to 65535; "
                             "expected https://host[:port]/path") from None
        if not parts.hostname or parts.port == 0:
            raise ValueError(f"{shown(value)}: expected https://host[:port]/path")
        _web_host(value, parts.hostname)
        return value
    raise ValueError(f"{shown(value)} is not a contact URI: expected mailto:, xmpp: or https:")


def ip_address(value: str) -> str:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{shown(value)} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        # A zone index names an interface of this machine: DNS and other hosts cannot use it.
        raise ValueError(f"{shown(value)}: a zone index (%{address.scope_id}) is not part of a public address; "
                         "expected the address alone")
    return str(address)


def _of_family(value: str, version: int, example: str) -> str:
    address = ip_address(value)
    if ipaddress.ip_address(address).version != version:
        other = 10 - version  # 4 <-> 6
        raise ValueError(f"{shown(value)} is an IPv{other} address; expected an IPv{version} address such as "
                         f"'{example}' (the IPv{other} address goes into domains.ipv{other})")
    return address


def ipv4_address(value: str) -> str:
    """An IPv4 address, for A records."""
    return _of_family(value, 4, "192.0.2.1")


def ipv6_address(value: str) -> str:
    """An IPv6 address, for AAAA records."""
    return _of_family(value, 6, "2001:db8::1")


def ejabberd_version(value: str) -> str:
    """A release name as ejabberd numbers them: YY.MM, e.g. '23.01' (no release since 20.04 has a third number)."""
    try:
        Release.parse(value)
    except ValueError:
        raise ValueError(f"{shown(value)} is not an ejabberd version: expected YY.MM such as '23.01', "
                         "the month from 01 to 12") from None
    return value


def cors_origin(value: str) -> str:
    if value == "*":
        return value
    # The origin is sent as an HTTP header: a CR, LF or NUL would start a header of its own.
    if _CONTROL.search(value) or " " in value:
        raise ValueError(f"{shown(value)} contains a control character or a space; expected '*' or https://host")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  # urlsplit checks the port only when it is asked for
    except ValueError:
        raise ValueError(f"{shown(value)} is not an origin: expected '*' or https://host[:port]") from None
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username is not None:
        raise ValueError(f"{shown(value)} is not an origin: expected '*' or https://host")
    _web_host(value, parts.hostname)
    return value


def _web_host(value: str, host: str) -> None:
    """The host of an https: URL: a domain name or an IP address."""
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        pass
    try:
        domain(host)
    except ValueError:
        raise ValueError(f"{shown(value)}: {shown(host)} is not a host name; "
                         "expected https://example.org/...") from None


def private_mode(value: str) -> str:
    """An octal mode that gives others no write access (the scripts apply it with chmod)."""
    if int(value, 8) & 0o022:
        raise ValueError(f"{shown(value)} lets group or others write; "
                         "expected e.g. 0640 for files, 2750 for directories")
    return value
