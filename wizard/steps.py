"""The steps of the wizard and the states a step can be in (light: no model import)."""

from __future__ import annotations

import enum

# Where the front ends send the DNS queries of their checks when set (HOST[:PORT]):
# split-horizon DNS, and tests with a DNS server of their own.
NAMESERVER_ENV = "EJABBERD_WIZARD_NAMESERVER"

# The steps that ask questions, in order; each question of the model names its step.
STEPS: tuple[tuple[str, str], ...] = (
    ("install", "Installation"),
    ("domains", "Domains"),
    ("ports", "Ports"),
    ("tls", "TLS"),
    ("upload", "Upload"),
    ("database", "Database"),
    ("compliance", "Compliance"),
    ("security", "Security"),
    ("service", "Service"),
)
# Their names alone: what a check's finding names as its step.
STEP_NAMES: tuple[str, ...] = tuple(name for name, _ in STEPS)


class StepState(enum.Enum):
    NOT_VISITED = "not visited"
    VALID = "valid"
    WARNINGS = "has warnings"
    ERRORS = "has errors"
