"""Listing the presets: the description each shows, read without the YAML parser where it can be."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import presets

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def preset_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    def forget() -> None:
        for cached in (presets.names, presets.describe, presets.load):
            cached.cache_clear()

    monkeypatch.setattr(presets, "DIRECTORY", tmp_path)
    forget()
    yield tmp_path
    monkeypatch.undo()
    forget()


def test_each_shipped_preset_is_described_as_its_file_says() -> None:
    for name in presets.names():
        assert presets.describe(name) == presets.load(name).description != ""


def test_listing_the_shipped_presets_needs_no_yaml_parser() -> None:
    # What the first screen of the wizard reads: the parser's import is most of its cost.
    listing = ("import sys, presets; print([presets.describe(n) for n in presets.names()]); "
               "print('ruamel.yaml' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", listing], cwd=PROJECT, capture_output=True, text=True, timeout=60,
                            check=True)
    described, parser_imported = result.stdout.splitlines()
    assert "Arch Linux" in described and parser_imported == "False"


# Lines the description is read from; every other way of writing it goes to the parser.
ON_ONE_LINE = {"plain", "punctuation"}


@pytest.mark.parametrize("written, meant", [
    ("description: Two words", "Two words"),
    ("description: A host - with, [brackets] & 'quotes'", "A host - with, [brackets] & 'quotes'"),
    ('description: "Quoted: with a colon"', "Quoted: with a colon"),
    ("description: Folded over\n  two lines", "Folded over two lines"),
    ("description: Folded after\n\n  a blank line", "Folded after\na blank line"),
    ("description: With a comment  # not part of it", "With a comment"),
    ("description: Trailing spaces   ", "Trailing spaces"),
    ("description: true", "True"),
    ("description: >\n  A folded\n  block", "A folded block"),
    ("description: 2001-12-14 21:59:43", "2001-12-14 21:59:43"),
], ids=["plain", "punctuation", "quoted", "folded", "blank-line", "comment", "trailing", "boolean", "block",
        "timestamp"])
def test_a_description_written_any_way_is_described_as_the_parser_reads_it(request: pytest.FixtureRequest,
                                                                            preset_directory: Path, written: str,
                                                                            meant: str) -> None:
    (preset_directory / "host.yaml").write_text(f"# a preset\n{written}\nanswers:\n  install: {{}}\n", encoding="utf-8")
    described = presets.describe("host")
    parser_used = presets.load.cache_info().misses > 0
    assert parser_used is (request.node.callspec.id not in ON_ONE_LINE)
    parsed = presets.load("host").description
    assert parsed.startswith(meant.split()[0])  # what the parser makes of each way of writing it
    assert described == parsed


def test_an_unknown_preset_is_refused_as_when_loading(preset_directory: Path) -> None:
    with pytest.raises(presets.PresetError, match="unknown preset 'nope'"):
        presets.describe("nope")


# The Debian preset: apt, the package's own unit (a drop-in only where an answer needs one), its config.
def _debian(tmp_path: Path, **overrides: Any) -> Path:
    from tests.answers_helpers import generate_deployment

    return generate_deployment(tmp_path, "debian", **overrides)


def test_the_debian_preset_installs_with_apt_and_runs_the_package_s_own_unit(tmp_path: Path) -> None:
    out = _debian(tmp_path)
    install = (out / "scripts/install.sh").read_text()
    assert "packages='ejabberd erlang-p1-mysql caddy certbot acl'" in install
    assert "DEBIAN_FRONTEND=noninteractive" in install and "pacman" not in install
    assert not (out / "service").exists()  # nothing replaces /lib/systemd/system/ejabberd.service
    deploy = (out / "scripts/deploy.sh").read_text()
    assert "service_file=''" in deploy and "statoverride=yes" in deploy
    readme = (out / "README.md").read_text()
    assert "sudo systemctl stop caddy" in readme  # Debian's Caddy holds port 80 after its install
    assert "keep the local version currently installed" in readme and "ejabberd.yml.ucf-dist" in readme
    assert "apt-cache policy ejabberd" in readme
    assert "caddy_main=/etc/caddy/Caddyfile" in (out / "scripts/setup-platform.sh").read_text()
    config = (out / "config/ejabberd.yml").read_text()
    assert "/etc/letsencrypt/live/example.test/fullchain.pem" in config


def test_what_the_answers_need_is_installed_with_it(tmp_path: Path) -> None:
    out = _debian(tmp_path, security={"registration": "captcha", "captcha_cmd": "/usr/share/ejabberd/captcha.sh"},
                  database={"backend": "mysql", "password_source": "file", "password_file": "db-password"})
    install = (out / "scripts/install.sh").read_text()
    assert "imagemagick" in install and "mariadb-server mariadb-client" in install


def test_a_drop_in_only_where_an_answer_needs_one(tmp_path: Path) -> None:
    out = _debian(tmp_path, install={"spool_dir": "/srv/ejabberd"}, upload={"docroot": "/home/uploads"})
    dropin = (out / "service/ejabberd-wizard.conf").read_text()
    assert "[Service]\n" in dropin and "ExecStart=\nExecStart=/usr/sbin/ejabberdctl" in dropin
    assert "--spool /srv/ejabberd" in dropin and "ProtectHome=false" in dropin
    assert "[Unit]" not in dropin and "User=" not in dropin  # a drop-in, never a replacement
    deploy = (out / "scripts/deploy.sh").read_text()
    assert "service_file=service/ejabberd-wizard.conf" in deploy
    assert "unit_path=/etc/systemd/system/ejabberd.service.d/ejabberd-wizard.conf" in deploy
