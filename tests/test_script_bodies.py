"""The scripts' constant bodies, wizard/files/sh/NAME.sh: each says what it is, and only they enter a body."""

from __future__ import annotations

from importlib.resources import files

import pytest

from wizard.files.scripts import PIECE, body, compose

NAMES = sorted(path.name.removesuffix(".sh") for path in files("wizard.files").joinpath("sh").iterdir()
               if path.name.endswith(".sh"))


@pytest.mark.parametrize("name", NAMES)
def test_a_body_opens_with_what_it_is_which_is_not_written_out(name: str) -> None:
    text = files("wizard.files").joinpath("sh", f"{name}.sh").read_text(encoding="utf-8")
    assert text.startswith("# ") and text.endswith("\n")
    assert body(name).strip("\n") and text.endswith(body(name)) and not body(name).startswith("\n")
    assert text.split("\n", 1)[0] not in body(name)


def test_pieces_fill_their_places_and_only_their_places() -> None:
    upgrade = compose("ctl", "upgrade", stop="upgrade-stop-systemd", install="upgrade-install-pacman")
    assert upgrade.startswith(body("ctl").strip("\n") + "\n\nhere=")
    assert "\nsystemctl stop ejabberd\necho \"3. install" in upgrade and not PIECE.search(upgrade)
    with pytest.raises(ValueError, match="do not fill"):
        compose("ctl", "upgrade", stop="upgrade-stop-systemd")
    with pytest.raises(ValueError, match="do not fill"):
        compose("deploy", stop="upgrade-stop-systemd")
    with pytest.raises(FileNotFoundError):
        compose("upgrade", stop="upgrade-stop-systemd", install="no such body")
