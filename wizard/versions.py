"""What each ejabberd release accepts, so the renderers emit only what the target takes.

ejabberd refuses to start on an option it does not know, so a config written for
the wrong release is a broken server. Every difference the renderers care about
is a named capability here, decided by the release number.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import total_ordering

# The releases the wizard is known to produce a correct config for: the one the
# Uberspace guide was tested with, Debian 12's package, and the current release.
SUPPORTED = ("20.04", "23.01", "26.07")
OLDEST = SUPPORTED[0]
CURRENT = SUPPORTED[-1]


@total_ordering
@dataclass(frozen=True)
class Release:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Release:
        year, month = text.split(".")[:2]
        return cls(int(year), int(month))

    def __lt__(self, other: Release) -> bool:
        return (self.year, self.month) < (other.year, other.month)

    def __str__(self) -> str:
        return f"{self.year:02d}.{self.month:02d}"


@dataclass(frozen=True)
class Capabilities:
    """The option names and features of one release that differ between releases."""

    release: Release

    @property
    def multihost_schema(self) -> bool:
        # 25.10 renamed the "new" SQL schema to "multihost" (option and configure flag).
        return self.release >= Release(25, 10)

    @property
    def sql_schema_option(self) -> str:
        return "sql_schema_multihost" if self.multihost_schema else "new_sql_schema"

    @property
    def schema_configure_flag(self) -> str:
        # After 25.10 the old flag is still listed but silently does nothing.
        return "--enable-multihost-sql-schema" if self.multihost_schema else "--enable-new-sql-schema"

    @property
    def stun_listens_on_ipv6(self) -> bool:
        # 20.04's ejabberd_stun only takes an IPv4 address to listen on.
        return self.release >= Release(20, 7)

    @property
    def expands_host_in_every_option(self) -> bool:
        # Before 25.03 @HOST@ stays literal in e.g. mod_stun_disco's service hosts.
        return self.release >= Release(25, 3)

    @property
    def tells_systemd_when_ready(self) -> bool:
        # 21.01 added sd_notify (READY=1 once every listener is up): Type=notify.
        return self.release >= Release(21, 1)


def capabilities(version: str) -> Capabilities:
    return Capabilities(Release.parse(version))


def check_supported(version: str) -> str:
    if Release.parse(version) < Release.parse(OLDEST):
        raise ValueError(f"ejabberd {version} is older than {OLDEST}, the oldest release the wizard writes configs for")
    return version
