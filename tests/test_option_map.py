"""The option map names how the import reads each entry back (issue 18): the import is the map's inverse fold.

Every entry has a read kind; every walk an entry names is a walk of the reader, in ``WALK_ORDER``
once; and every walk of the reader is named by an entry, so none reads the file outside the map.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wizard.ejabberd_yml.config_file import load_config
from wizard.ejabberd_yml.options import OPTIONS, NotRead, Presence, Read, Walked
from wizard.ejabberd_yml.read import OWNED, WALK_ORDER, _Reader

NAMED = {option.read.name for option in OPTIONS if isinstance(option.read, Walked)}
WALK_METHODS = {name.removeprefix("read_") for name in dir(_Reader)
                if name.startswith("read_") and callable(getattr(_Reader, name))}


def test_every_entry_has_a_read_kind() -> None:
    unread = [option.path for option in OPTIONS if not isinstance(option.read, (Read, Presence, Walked, NotRead))]
    assert unread == []
    assert all(option.read.why for option in OPTIONS if isinstance(option.read, NotRead))


def test_every_named_walk_is_a_walk_of_the_reader() -> None:
    assert NAMED - WALK_METHODS == set()


def test_every_walk_of_the_reader_is_named_by_an_entry() -> None:
    assert WALK_METHODS - NAMED == {OWNED}
    assert any(isinstance(option.read, (Read, Presence)) for option in OPTIONS)


def test_walk_order_has_every_walk_once() -> None:
    assert len(WALK_ORDER) == len(set(WALK_ORDER))
    assert set(WALK_ORDER) == NAMED | {OWNED}


def test_composite_entries_name_their_walk() -> None:
    walks = {option.path: option.read.name for option in OPTIONS if isinstance(option.read, Walked)}
    assert walks["listen"] == "listeners"
    assert walks["certfiles"] == "certfiles"
    assert {walks[module] for module in ("modules.mod_muc", "modules.mod_pubsub", "modules.mod_proxy65")} \
        == {"subdomains"}
    assert walks["c2s_ciphers"] == walks["acme"] == "tls"


def test_read_runs_each_walk_once_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []

    def counted(walk: str) -> Any:
        method = getattr(_Reader, f"read_{walk}")

        def run(self: _Reader) -> None:
            runs.append(walk)
            method(self)

        return run

    for walk in WALK_ORDER:
        monkeypatch.setattr(_Reader, f"read_{walk}", counted(walk))
    _Reader(load_config("hosts: [example.org]\nmodules: {mod_muc: {}}\n", Path("ejabberd.yml"))).read()
    assert runs == list(WALK_ORDER)
