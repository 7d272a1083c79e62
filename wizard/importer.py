"""``--import`` as the front ends and ``generate`` call it: the import of ``wizard.ejabberd_yml.read``."""

from __future__ import annotations

from wizard.ejabberd_yml.read import (
    KEPT,
    LOOPBACK_REGISTRATION,
    OUTSIDE_THE_CONFIG,
    Imported,
    ReportLine,
    Start,
    Unmapped,
    UnservedStun,
    import_config,
    live_config,
    read,
)

__all__ = ["KEPT", "LOOPBACK_REGISTRATION", "OUTSIDE_THE_CONFIG", "Imported", "ReportLine", "Start", "Unmapped",
           "UnservedStun", "import_config", "live_config", "read"]
