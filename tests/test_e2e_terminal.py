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
    out = tmp_path / "out"
    command = [sys.executable, "-m", "wizard", "--out", str(out)]
    with Terminal(command, tmp_path / "tmux.sock", env=ENV) as terminal:
        first = terminal.wait_for("Where will ejabberd run?")
        assert "^q Quit" in first and "Steps" not in first  # nothing to go to before a preset
        terminal.send("Enter")
        terminal.wait_for("Installation method")
        assert "· Domains" in terminal.wait_for("f2 Steps")  # the step list, and the keys to move in it
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


def test_plain_mode_in_tmux_asks_for_each_hand_edited_file_whose_version_to_keep(tmp_path: Path) -> None:
    seed, out = _seed(tmp_path), tmp_path / "out"
    assert main(["generate", "--out", str(out), "--answers", str(seed), "--yes"]) == 0
    mine = {}
    for script in ("scripts/deploy.sh", "scripts/backup.sh"):  # in the order the plan (and the prompts) list them
        (out / script).write_text((out / script).read_text() + "echo my own step\n")
        mine[script] = (out / script).read_text()
    # The saved answers, with two changed (wizard.yml is the answers file of a re-run).
    (out / "wizard.yml").write_text((out / "wizard.yml").read_text().replace(
        "config_dir: /etc/ejabberd", "config_dir: /srv/etc").replace(
        "backup_dir: /var/backups/ejabberd", "backup_dir: /srv/backups"))
    command = [sys.executable, "-m", "wizard", "plain", "--out", str(out)]
    with Terminal(command, tmp_path / "tmux.sock", width=160, height=50, env=ENV) as terminal:
        terminal.wait_for("Installation method")
        deadline = time.monotonic() + 120
        # Enter keeps each value. Each Enter waits until the screen has taken the one before and
        # come to rest, so at most one is early (while the wizard renders the deployment): it can
        # only land on the first file's prompt, whose default is to keep.
        screen = terminal.screen()
        while "scripts/deploy.sh was edited by hand" not in screen:
            assert "Traceback" not in screen, screen
            terminal.send("Enter")
            screen = _settled(terminal, screen, deadline)
        # Let an early Enter land before deciding whether the first file's question is still open.
        if "scripts/backup.sh was edited by hand" not in _settled(terminal, screen, deadline, change=0.0):
            terminal.send("Enter")  # keep mine
        terminal.wait_for("scripts/backup.sh was edited by hand")
        terminal.send("Down", "Down", "Enter")  # show the diff again, then the same question
        screen = terminal.screen()
        while screen.rfind("scripts/backup.sh was edited by hand") < screen.rfind("+++ b/scripts/backup.sh"):
            screen = _settled(terminal, screen, deadline)
        terminal.send("Down", "Enter")  # take the wizard's version
        terminal.wait_for("Write 5 file(s)")
        terminal.send("Enter")
        screen = terminal.wait_for("TERMINAL-EXIT=")
        shown = terminal.history()
    assert "TERMINAL-EXIT=0" in screen
    assert "overwrite  scripts/backup.sh" in shown and "   edited  scripts/deploy.sh" in shown
    assert "kept as it is; to replace it with the version below: “Take the wizard's version”" in shown
    assert (out / "scripts/deploy.sh").read_text() == mine["scripts/deploy.sh"]
    assert "/srv/backups" in (out / "scripts/backup.sh").read_text()
    assert "echo my own step" not in (out / "scripts/backup.sh").read_text()


def _settled(terminal: Terminal, before: str, deadline: float, rest: float = 0.2, change: float = 3.0) -> str:
    """The screen once it differs from ``before`` (or ``change`` seconds passed) and has not
    changed for ``rest`` seconds."""
    screen = terminal.screen()
    started = since = time.monotonic()
    while (screen == before and time.monotonic() - started < change) or time.monotonic() - since < rest:
        assert time.monotonic() < deadline, screen
        time.sleep(0.05)
        now = terminal.screen()
        if now != screen:
            screen, since = now, time.monotonic()
    return screen
