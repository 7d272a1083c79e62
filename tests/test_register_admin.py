"""scripts/register-admin.sh on real ejabberd: the typed password reaches the account, and no command line (``ps``)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.answers_helpers import defaults, installed_ejabberd_version
from tests.support.components import require
from tests.support.terminal import Terminal
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.ejabberd_yml import render as ejabberd_config
from wizard.files.scripts import register_admin

# Every character the JSON body and the shell have to carry through as typed.
PASSWORD = 'pa"ss\\wörd $(id) `id` ;&|*'
WATCHED = ("curl", "sed", "ejabberdctl")


def watching(directory: Path, log: Path) -> dict[str, str]:
    """A PATH on which each watched command logs its command line, then runs the real one."""
    directory.mkdir()
    for name in WATCHED:
        real = require(name) if name != "ejabberdctl" else require("/usr/sbin/ejabberdctl")
        wrapper = directory / name
        wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "{name} $*" >> "{log}"\nexec "{real}" "$@"\n')
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{directory}:{os.environ['PATH']}"}


@pytest.mark.slow
def test_the_typed_password_reaches_the_account_without_a_command_line(tmp_path: Path, ejabberd_node: Any) -> None:
    release = installed_ejabberd_version() or "23.01"
    answers = build_from(None, Given(defaults("arch", install={"version": release})))
    assert answers.security.admin_interface
    node = ejabberd_node(ejabberd_config.render(answers, None))
    log = tmp_path / "commands.log"
    path = watching(tmp_path / "bin", log)
    # The script for this node: its directories, its admin port, ejabberdctl through the watcher.
    here = build_from(None, Given(defaults(
        "arch", install={"version": release, "ejabberdctl": str(tmp_path / "bin" / "ejabberdctl"),
                         "config_dir": str(node.conf_dir), "spool_dir": str(node.spool_dir),
                         "log_dir": str(node.logs_dir)},
        ports={"admin_http": node.port_for(answers.ports.admin_http)})))
    script = tmp_path / "register-admin.sh"
    script.write_text(register_admin(here))

    env = {"TERM": "xterm-256color", **path}
    with Terminal(["sh", str(script)], tmp_path / "tmux.sock", width=160, env=env) as terminal:
        terminal.wait_for("Password for admin@example.test:")
        terminal.send("-l", PASSWORD)
        terminal.send("Enter")
        screen = terminal.wait_for("TERMINAL-EXIT=", timeout=30)
    assert "TERMINAL-EXIT=0" in screen, screen
    assert PASSWORD not in screen  # not echoed
    assert node.ctl("check_password", "admin", "example.test", PASSWORD, check=False).returncode == 0
    assert node.ctl("check_password", "admin", "example.test", "wrong", check=False).returncode != 0
    assert "registered admin@example.test" in screen
    commands = log.read_text()
    assert "ejabberdctl" in commands and "curl " in commands
    assert not [part for part in ('pa"ss', "wörd", "$(id)", "`id`") if part in commands], commands


def test_without_the_admin_interface_the_script_says_what_ejabberdctl_shows() -> None:
    answers = build_from(None, Given(defaults("arch", security={"admin_interface": False})))
    text = register_admin(answers)
    assert "api=''" in text and "ejabberdctl shows the password on its command line" in text
    assert "does not exist" not in text
