"""End to end in a real terminal (tmux): the wizard and the plain mode, as a person uses them."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from tests.answers_helpers import deployment_files, installed_ejabberd_version, write_answers
from tests.support.components import require
from tests.support.terminal import Terminal
from wizard.cli import main

HOST = "example.test"
# DNS checks go to a port where nothing answers: they fail fast instead of asking the internet.
ENV = {"TERM": "xterm-256color", "COLUMNS": "", "LINES": "", "EJABBERD_WIZARD_NAMESERVER": "127.0.0.1:9"}


def _seed(tmp_path: Path) -> Path:
    require("/usr/sbin/ejabberdctl")
    # The release installed here, so that the written config can be started by it.
    return write_answers(tmp_path / "seed.yml", {"preset": "arch", "domains": {"hosts": [HOST]},
                                                 "install": {"version": installed_ejabberd_version()}})


def test_wizard_in_tmux_writes_a_config_that_real_ejabberd_runs(tmp_path: Path, ejabberd_node: Any) -> None:
    seed, out = _seed(tmp_path), tmp_path / "out"
    command = [sys.executable, "-m", "wizard", "--out", str(out), "--answers", str(seed)]
    with Terminal(command, tmp_path / "tmux.sock", width=100, height=30, env=ENV) as terminal:
        terminal.wait_for("Installation method")
        for heading in ("XMPP domains", "Client port (STARTTLS)", "Certificate file", "HTTP file upload", "Database",
                        "Abuse contact", "Hide IP addresses in logs", "Service manager", "Review"):
            terminal.send("C-n")
            terminal.wait_for(heading)
        terminal.wait_for("Write 13 files")
        terminal.send("C-w")
        terminal.wait_for("Wrote 13 file(s)")
        terminal.send("C-q")
        terminal.wait_for("TERMINAL-EXIT=0")

    generated = tmp_path / "generated"
    assert main(["generate", "--out", str(generated), "--answers", str(seed), "--yes"]) == 0
    assert deployment_files(out) == deployment_files(generated)
    node = ejabberd_node((out / "config" / "ejabberd.yml").read_text())
    assert node.ctl("status").returncode == 0
    assert node.error_lines() == []


def test_quitting_the_wizard_in_tmux_writes_nothing_and_says_so(tmp_path: Path) -> None:
    seed, out = _seed(tmp_path), tmp_path / "out"
    command = [sys.executable, "-m", "wizard", "--out", str(out), "--answers", str(seed)]
    with Terminal(command, tmp_path / "tmux.sock", env=ENV) as terminal:
        terminal.wait_for("Installation method")
        terminal.send("C-c")
        screen = terminal.wait_for("TERMINAL-EXIT=0")
    assert "nothing was written" in screen
    assert not out.exists()


def test_plain_mode_in_tmux_asks_everything_and_writes_after_the_diff(tmp_path: Path) -> None:
    seed, out = _seed(tmp_path), tmp_path / "out"
    command = [sys.executable, "-m", "wizard", "plain", "--out", str(out), "--answers", str(seed)]
    with Terminal(command, tmp_path / "tmux.sock", width=160, height=50, env=ENV) as terminal:
        terminal.wait_for("Installation method")
        deadline = time.monotonic() + 120
        # Enter keeps each value shown; the last Enter answers the write confirmation (default yes).
        while "TERMINAL-EXIT=" not in (screen := terminal.screen()):
            assert time.monotonic() < deadline, screen
            assert "Traceback" not in screen, screen
            if "Wrote 13 file(s)" not in screen:
                terminal.send("Enter")
            time.sleep(0.15)
        assert "TERMINAL-EXIT=0" in screen
        shown = terminal.history()
    assert "Checking this machine (ports)" in shown and "Checking this machine (certs)" in shown
    assert "fix: " in shown  # the certificates of example.test are not on this machine
    generated = tmp_path / "generated"
    assert main(["generate", "--out", str(generated), "--answers", str(seed), "--yes"]) == 0
    assert deployment_files(out) == deployment_files(generated)
