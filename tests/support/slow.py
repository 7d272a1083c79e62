"""The ``slow`` mark: a test that starts a real server or a terminal carries it.

``make test-fast`` runs the tests without it. So that the mark is never forgotten, what
starts a server or a terminal calls ``starting(what)`` first, which fails the test that
is not marked, and says how to mark it.
"""

from __future__ import annotations

import pytest

_running: pytest.Item | None = None


def running(item: pytest.Item | None) -> None:
    """The test being set up, run and torn down now (None between tests); set by the plugin."""
    global _running
    _running = item


def starting(what: str) -> None:
    """Say that the running test starts ``what``; it must be marked slow."""
    if _running is not None and _running.get_closest_marker("slow") is None:
        raise AssertionError(f"{_running.nodeid} starts {what}: mark it @pytest.mark.slow "
                             "(make test-fast leaves out the tests that start servers or terminals)")
