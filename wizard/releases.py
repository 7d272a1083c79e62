"""The release table: every ejabberd release the wizard writes configs for, and what each changed.

ejabberd refuses to start on an option it does not know, so a config written for the
wrong release is a broken server. The renderers and checks learn what a release takes
only from here: each entry says what that release changed (a capability gained, an
option renamed, what its SQL schema needs), and what a release has is the sum of the
entries up to it. The entries come from ejabberd's CHANGELOG.md, its configure.ac
(the Erlang/OTP it needs) and its sql/ files, release by release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, total_ordering
from types import MappingProxyType
from typing import Final


@total_ordering
@dataclass(frozen=True)
class Release:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Release:
        """``YY.MM`` as ejabberd numbers its releases; anything else is a ``ValueError``."""
        match = re.fullmatch(r"(\d{2})\.(\d{2})", text) if isinstance(text, str) else None
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"{text!r} is not an ejabberd release: expected YY.MM such as '26.07'")
        return cls(int(match.group(1)), int(match.group(2)))

    def __lt__(self, other: Release) -> bool:
        return (self.year, self.month) < (other.year, other.month)

    def __str__(self) -> str:
        return f"{self.year:02d}.{self.month:02d}"


# What a capability lets the renderers write; each is gained by one entry below.
STUN_LISTENS_ON_IPV6: Final = "ejabberd_stun takes an IPv6 address to listen on"
TELLS_SYSTEMD_WHEN_READY: Final = "sd_notify READY=1 once every listener is up (systemd Type=notify)"
UPDATES_SQL_SCHEMA: Final = "the update_sql_schema option: ejabberd brings its SQL tables up to date at start"
UPDATES_SQL_SCHEMA_BY_DEFAULT: Final = "update_sql_schema is on unless the config turns it off"
EXPANDS_HOST_IN_EVERY_OPTION: Final = "@HOST@ is expanded in every option (before: literal in some)"


@dataclass(frozen=True)
class Entry:
    """One release and what it changed against the release before it in the table."""

    version: str
    otp: str  # the oldest Erlang/OTP it builds and runs on (its configure.ac)
    gains: frozenset[str] = frozenset()
    # Options renamed in this release, old name -> new name. The new name is unknown before it.
    renames: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # ./configure flags renamed in this release, old -> new (after it, the old one silently does nothing).
    configure_renames: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    sql: str = ""  # what a MySQL database written by an older release needs before this one runs on it

    @cached_property
    def release(self) -> Release:
        return Release.parse(self.version)


def _renamed(**names: str) -> MappingProxyType[str, str]:
    return MappingProxyType(dict(names))


TABLE: Final = (
    Entry("20.04", otp="19.3"),
    Entry("20.07", otp="19.3", gains=frozenset({STUN_LISTENS_ON_IPV6}),
          renames=_renamed(turn_ip="turn_ipv4_address")),
    Entry("20.12", otp="19.3"),
    Entry("21.01", otp="19.3", gains=frozenset({TELLS_SYSTEMD_WHEN_READY})),
    Entry("21.04", otp="19.3"),
    Entry("21.07", otp="19.3"),
    Entry("21.12", otp="19.3"),
    Entry("22.05", otp="19.3"),
    Entry("22.10", otp="19.3"),
    Entry("23.01", otp="19.3"),
    Entry("23.04", otp="19.3"),
    Entry("23.10", otp="20.0", gains=frozenset({UPDATES_SQL_SCHEMA})),
    Entry("24.02", otp="20.0",
          sql="MAM's archive table gains the origin_id column and its index (XEP-0424); "
              "update_sql_schema adds them, else run the ALTER TABLE lines in sql/mysql.new.sql"),
    Entry("24.06", otp="20.0", gains=frozenset({UPDATES_SQL_SCHEMA_BY_DEFAULT})),
    Entry("24.07", otp="20.0"),
    Entry("24.10", otp="20.0"),
    Entry("24.12", otp="20.0"),
    Entry("25.03", otp="20.0", gains=frozenset({EXPANDS_HOST_IN_EVERY_OPTION}),
          sql="the users table gains the type column (part of its primary key); update_sql_schema adds it"),
    Entry("25.04", otp="20.0"),
    Entry("25.07", otp="25.0"),
    Entry("25.08", otp="25.0"),
    Entry("25.10", otp="25.0", renames=_renamed(new_sql_schema="sql_schema_multihost"),
          configure_renames=_renamed(**{"--enable-new-sql-schema": "--enable-multihost-sql-schema"})),
    Entry("26.01", otp="25.0", sql="the invite_token table is new; update_sql_schema creates it"),
    Entry("26.02", otp="25.0"),
    Entry("26.03", otp="25.0", sql="the rosterusers table gains the approved column; update_sql_schema adds it"),
    Entry("26.04", otp="25.0"),
    Entry("26.07", otp="27.0"),
)
VERSIONS: Final = tuple(entry.version for entry in TABLE)
OLDEST: Final = VERSIONS[0]
NEWEST: Final = VERSIONS[-1]
# The releases Debian packages (Debian 12, bookworm-backports and Debian 13, sid): the ones the
# tests start for real.
PACKAGED_BY_DEBIAN: Final = ("23.01", "24.12", "26.07")


@dataclass(frozen=True)
class Capabilities:
    """What the config may hold for one release: the sum of the table's entries up to it."""

    release: Release
    entry: Entry  # the table's entry it is written with: the release itself, or the known one before it

    @cached_property
    def _entries(self) -> tuple[Entry, ...]:
        return tuple(e for e in TABLE if e.release <= self.entry.release)

    @cached_property
    def features(self) -> frozenset[str]:
        return frozenset().union(*(e.gains for e in self._entries))

    @property
    def known(self) -> bool:
        """Whether the release is in the table (else it is written with what ``entry`` takes)."""
        return self.entry.release == self.release

    def has(self, feature: str) -> bool:
        return feature in self.features

    def option_name(self, name: str) -> str:
        """The name this release gives an option the wizard knows by its oldest name."""
        for e in self._entries:
            name = e.renames.get(name, name)
        return name

    def configure_flag(self, flag: str) -> str:
        for e in self._entries:
            flag = e.configure_renames.get(flag, flag)
        return flag

    # The names the renderers ask for.
    @property
    def sql_schema_option(self) -> str:
        return self.option_name("new_sql_schema")

    @property
    def schema_configure_flag(self) -> str:
        return self.configure_flag("--enable-new-sql-schema")

    @property
    def stun_listens_on_ipv6(self) -> bool:
        return self.has(STUN_LISTENS_ON_IPV6)

    @property
    def expands_host_in_every_option(self) -> bool:
        return self.has(EXPANDS_HOST_IN_EVERY_OPTION)

    @property
    def tells_systemd_when_ready(self) -> bool:
        return self.has(TELLS_SYSTEMD_WHEN_READY)

    @property
    def updates_sql_schema(self) -> bool:
        return self.has(UPDATES_SQL_SCHEMA)

    @cached_property
    def unknown_names(self) -> dict[str, tuple[str, str]]:
        """Option names that came later than this release: new name -> (the name before, the release
        that renamed it)."""
        return {new: (old, e.version) for e in TABLE if e.release > self.entry.release
                for old, new in e.renames.items()}

    @cached_property
    def old_names(self) -> dict[str, tuple[str, str]]:
        """Options this release renamed or an earlier one did: old name -> (new name, since)."""
        return {old: (new, e.version) for e in self._entries for old, new in e.renames.items()}

    def upgrade_notes(self, since: Release) -> list[tuple[str, str]]:
        """What the SQL schema needs between ``since`` (the running release) and this one, in order."""
        return [(e.version, e.sql) for e in self._entries if e.release > since and e.sql]

    @property
    def note(self) -> str | None:
        """Why a release outside the table is written as it is; None for a known release."""
        if self.known:
            return None
        return (f"ejabberd {self.release} is not a release the wizard knows; the config holds only what "
                f"{self.entry.version}, the known release before it, accepts")


def capabilities(version: str) -> Capabilities:
    """What a config for ``version`` may hold; ``ValueError`` for a release the table cannot speak for."""
    release = Release.parse(version)
    if release < TABLE[0].release:
        raise ValueError(f"ejabberd {version} is older than {OLDEST}, the oldest release the wizard writes configs for")
    if release > TABLE[-1].release:
        raise ValueError(f"ejabberd {version} is newer than {NEWEST}, the newest release the wizard knows; "
                         f"write for {NEWEST}, or update ejabberd-wizard")
    entry = max((e for e in TABLE if e.release <= release), key=lambda e: e.release)
    return Capabilities(release, entry)


def check_supported(version: str) -> str:
    """A validator for ``install.version``: the release as given, when the table can speak for it."""
    capabilities(version)
    return version
