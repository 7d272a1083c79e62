"""The files a corpus of answer sets generates, byte for byte: a refactoring changes none of them.

Each preset with its defaults and with everything on, for the oldest release, each release Debian
packages, and the releases where the config's vocabulary changes; each sample config imported; and
each preset upgraded (``ejabberd-wizard upgrade``) from the oldest release to the newest, with MySQL.
A change meant to alter what is written shows here as a snapshot diff, reviewed and then accepted
with `pytest tests/test_golden_corpus.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from tests.answers_helpers import defaults, deployment_files, everything_on, write_answers, write_secret
from wizard.cli import main
from wizard.releases import NEWEST, OLDEST, PACKAGED_BY_DEBIAN

PRESETS = ("uberspace", "arch", "debian")
# 23.10 updates the SQL schema itself; 25.10 renames new_sql_schema.
RELEASES = (OLDEST, *PACKAGED_BY_DEBIAN[:1], "23.10", PACKAGED_BY_DEBIAN[1], "25.10", *PACKAGED_BY_DEBIAN[2:])
CONFIGS = Path(__file__).parent / "data" / "configs"
IMPORTS = (
    ("uberspace", "uberspace-guide.yml"), ("arch", "arch-guide.yml"), ("debian", "debian-12.yml"),
    ("arch", "upstream-23.01.yml"), ("arch", "macros.yml"), ("arch", "comments.yml"),
    ("arch", "thirdparty.yml"), ("arch", "external-turn.yml"), ("arch", "flow.yml"),
)


@pytest.fixture(autouse=True)
def _no_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same files on every machine: nothing installed, no platform recognised, a fixed home."""
    root = tmp_path / "root"
    root.mkdir()
    monkeypatch.setenv("EJABBERD_WIZARD_PLATFORM_ROOT", str(root))
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".my.cnf").write_text("[client]\npassword=secret-db-password\n")


def _generated(tmp_path: Path, answers: dict, *extra: str) -> dict[str, str]:
    out = tmp_path / "deploy"
    write_secret(out / "db-password", "secret-db-password")
    path = write_answers(tmp_path / "answers.yml", answers)
    assert main(["generate", "--out", str(out), "--answers", str(path), "--yes", *extra]) == 0
    return {name: content.decode().replace(str(tmp_path), "<TMP>")
            for name, content in deployment_files(out).items()}


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("variant", ("defaults", "everything"))
@pytest.mark.parametrize("preset", PRESETS)
def test_generated_files_are_unchanged(preset: str, variant: str, release: str, tmp_path: Path,
                                       snapshot: SnapshotAssertion) -> None:
    answers = (defaults if variant == "defaults" else everything_on)(preset, install={"version": release})
    assert _generated(tmp_path, answers) == snapshot


@pytest.mark.parametrize(("preset", "config"), IMPORTS, ids=[name for _, name in IMPORTS])
def test_imported_files_are_unchanged(preset: str, config: str, tmp_path: Path, snapshot: SnapshotAssertion,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    answers = defaults(preset)
    files = _generated(tmp_path, answers, "--import", str(CONFIGS / config))
    report = capsys.readouterr().out.replace(str(tmp_path), "<TMP>").replace(str(CONFIGS), "<CONFIGS>")
    assert (files, report) == snapshot


@pytest.mark.parametrize("preset", PRESETS)
def test_upgraded_files_are_unchanged(preset: str, tmp_path: Path, snapshot: SnapshotAssertion,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """scripts/upgrade.sh and UPGRADE.md, which only an upgrade writes, with every file it changes."""
    _generated(tmp_path, everything_on(preset, install={"version": OLDEST}))
    capsys.readouterr()
    assert main(["upgrade", "--to", NEWEST, "--out", str(tmp_path / "deploy"), "--yes"]) == 0
    files = {name: content.decode().replace(str(tmp_path), "<TMP>")
             for name, content in deployment_files(tmp_path / "deploy").items()}
    assert {"scripts/upgrade.sh", "UPGRADE.md"} <= files.keys()
    assert files == snapshot
