"""Hostile inputs of issue 20, the part tests/test_hostile_inputs.py leaves: cases judged by what
read the result (systemd-analyze for the unit), by another user's permissions, by the question
before writing (a terminal), or through the front end that types a password (plain mode).

The contract is that file's: one line naming the file, field or flag and what is expected, exit
code 2, no traceback, nothing written. Every command runs as a user would run it (``python -m
wizard``), with a deadline.
"""

from __future__ import annotations

import ctypes
import os
import pty
import select
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.answers_helpers import ACCOUNT, defaults, snapshot, write_answers, write_secret
from tests.support.components import require
from wizard.errors import InputError
from wizard.machine import Machine

HOST = "example.test"
DEADLINE = 60.0


def wizard(*argv: str, **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wizard", *argv], capture_output=True, text=True, timeout=DEADLINE,
                          stdin=subprocess.DEVNULL, **options)  # type: ignore[call-overload]


def refused(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stderr.startswith("ejabberd-wizard: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for text in expected:
        assert text in result.stderr, result.stderr


# -- the systemd unit (arch): each of ' " \ in each path it holds -----------------------------

CHARACTERS = {"apostrophe": "'", "quote": '"', "backslash": "\\"}
UNIT_PATHS = [pytest.param(field, char, id=f"{field}-{name}") for field in ("log_dir", "config_dir", "spool_dir",
                                                                           "ejabberdctl")
              for name, char in CHARACTERS.items()]


@pytest.mark.parametrize(("field", "char"), UNIT_PATHS)
def test_a_quote_in_a_unit_path_is_refused_or_quoted_as_systemd_reads_it(field: str, char: str,
                                                                          tmp_path: Path) -> None:
    """Either the answer is refused in one line, or systemd-analyze verify takes the unit and its
    ExecStart holds the path as given (systemd's quoting: C escapes inside double quotes)."""
    analyze = require("systemd-analyze", "apt-get install systemd")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ctl = bin_dir / (f"ejabber{char}ctl" if field == "ejabberdctl" else "ejabberdctl")
    ctl.write_text("#!/bin/sh\n")
    ctl.chmod(0o755)  # verify wants the command to exist
    value = str(ctl) if field == "ejabberdctl" else f"/srv/it{char}s"
    answers = write_answers(tmp_path / "a.yml", defaults("arch", HOST, install={"ejabberdctl": str(ctl), field: value}))
    out = tmp_path / "d"
    result = wizard("generate", "--out", str(out), "--answers", str(answers), "--yes")
    if result.returncode != 0:
        refused(result, f"install.{field}", "systemd unit cannot hold")
        assert not out.exists()
        return
    unit = out / "service" / "ejabberd.service"
    verdict = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=DEADLINE)
    assert verdict.returncode == 0 and not verdict.stderr.strip(), verdict.stderr
    start = next(line for line in unit.read_text().splitlines() if line.startswith("ExecStart="))
    assert value in shlex.split(start.removeprefix("ExecStart=")), start


# -- ports Uberspace cannot open: generate and check ------------------------------------------


@pytest.mark.parametrize("command", ["generate", "check"])
@pytest.mark.parametrize(("port", "number"), [("c2s", 80), ("http", 443)])
def test_a_privileged_port_on_uberspace_is_refused_by_every_command(command: str, port: str, number: int,
                                                                    tmp_path: Path) -> None:
    """``check`` used to call port 80 free; the password comes from a file, so that nothing else
    (Uberspace's ~/.my.cnf, absent here) stops the run first."""
    password = write_secret(tmp_path / "pw", "hunter2")
    answers = write_answers(tmp_path / "a.yml", defaults("uberspace", HOST, ports={port: number}, database={
        "password_source": "file", "password_file": str(password)}))
    out = tmp_path / "d"
    # check --only config: nothing is bound or connected to while the answers are judged
    extra = ["--yes", "--out", str(out)] if command == "generate" else ["--only", "config"]
    refused(wizard(command, "--answers", str(answers), *extra), f"{answers}:", f"ports.{port}",
            f"port {number} is privileged")
    assert not out.exists()


# -- another user's closed directory ----------------------------------------------------------


def _without_root_powers() -> None:
    """As root, give up reading and entering what the permissions close (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH, dropped from the bounding set before exec)."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):
            if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.parametrize("command", ["generate", "diff", "rollback"])
def test_out_inside_another_users_closed_directory_is_named(command: str, tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    if os.geteuid() == 0:
        os.chown(closed, 65534, 65534)  # nobody's
    else:
        closed.chmod(0o000)
    answers = write_answers(tmp_path / "a.yml", defaults("arch", HOST))
    out = closed / "deploy"
    extra = [] if command == "rollback" else ["--answers", str(answers)]
    try:
        result = wizard(command, "--out", str(out), *extra, *(["--yes"] if command == "generate" else []),
                        preexec_fn=_without_root_powers)
    finally:
        closed.chmod(0o700)
    refused(result, f"--out {out}: cannot use it", "expected a directory you can write")


# -- plain mode: a typed password is not stored over a file of the deployment -----------------


@pytest.mark.parametrize("name", ["wizard.yml", "config/ejabberd.yml"])
def test_a_typed_password_is_not_stored_over_a_file_of_the_deployment(name: str, tmp_path: Path) -> None:
    """What plain mode does with the password it asked for (screens/plain.py): a new deployment
    directory, so the password file does not exist and the typed one would be stored there."""
    from wizard.answers.build import build_from
    from wizard.answers.given import read_answers_file
    from wizard.deployment.proposal import proposal_for

    answers_file = write_answers(tmp_path / "a.yml", defaults("arch", HOST, database={
        "backend": "mysql", "password_source": "file", "password_file": name}))
    answers = build_from("arch", read_answers_file(answers_file), Machine(login=ACCOUNT["user"],
                                                                          home_dir=ACCOUNT["home"]))
    out = tmp_path / "d"
    with pytest.raises(InputError, match=r"database.password_file: .* expected a file of its own") as raised:
        proposal_for(answers, out, typed_secrets={"database_password": "typed-secret"}).write()
    assert raised.value.field == "database.password_file"  # plain mode goes back to that question
    assert not any(b"typed-secret" in content for content in snapshot(out).values())


# -- the question before writing: the lock is held from reading to writing --------------------


class Asking:
    """``generate`` without --yes in a terminal of its own (a pty), waiting at its [y/N]."""

    def __init__(self, out: Path, answers: Path) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([sys.executable, "-m", "wizard", "generate", "--out", str(out), "--answers",
                                         str(answers)], stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        self.shown = b""

    def wait_for(self, text: bytes) -> None:
        deadline = time.monotonic() + DEADLINE
        while text not in self.shown:
            left = deadline - time.monotonic()
            assert left > 0, f"no {text!r} in {self.shown[-2000:]!r}"
            if select.select([self.master], [], [], left)[0]:
                try:
                    self.shown += os.read(self.master, 65536)
                except OSError:  # the other end closed: the run ended
                    assert text in self.shown, self.shown[-2000:]

    def answer(self, keys: bytes) -> int:
        os.write(self.master, keys)
        with_deadline = time.monotonic() + DEADLINE
        while self.process.poll() is None:
            assert time.monotonic() < with_deadline, "the run did not end"
            if select.select([self.master], [], [], 1)[0]:
                try:
                    self.shown += os.read(self.master, 65536)
                except OSError:
                    break
        return self.process.wait(timeout=DEADLINE)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=DEADLINE)
        os.close(self.master)


@pytest.mark.parametrize("meanwhile", ["hand-edit", "second-run"])
def test_nothing_changes_the_files_while_the_question_is_open(meanwhile: str, tmp_path: Path) -> None:
    """Lock, then read, plan, confirm, write: while the first run asks, a second run is refused in
    one line; a hand edit made then is not overwritten unseen (the run says so and writes nothing)."""
    out = tmp_path / "d"
    assert wizard("generate", "--out", str(out), "--answers", str(write_answers(tmp_path / "base.yml", defaults(
        "arch", HOST))), "--yes").returncode == 0
    first = write_answers(tmp_path / "first.yml", defaults("arch", HOST, ports={"c2s": 15222}))
    second = write_answers(tmp_path / "second.yml", defaults("arch", HOST, ports={"c2s": 25222}))
    config = out / "config" / "ejabberd.yml"
    asking = Asking(out, first)
    try:
        asking.wait_for(b"[y/N]")
        if meanwhile == "second-run":
            refused(wizard("generate", "--out", str(out), "--answers", str(second), "--yes"), f"--out {out}:",
                    "is writing this deployment")
            assert "25222" not in config.read_text()
            assert asking.answer(b"y\n") == 0, asking.shown[-2000:]
            assert "15222" in config.read_text()
        else:
            config.write_text(config.read_text() + "# my own line\n")
            before = snapshot(out)
            assert asking.answer(b"y\n") == 2, asking.shown[-2000:]
            assert b"changed since the diff" in asking.shown and b"Traceback" not in asking.shown
            assert snapshot(out) == before
    finally:
        asking.close()
