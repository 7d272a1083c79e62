"""End to end in a real terminal (tmux): the wizard and the plain mode, as a person uses them."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import presets
from tests.answers_helpers import deployment_files, installed_ejabberd_version, write_answers
from tests.support.components import require
from tests.support.terminal import EXITED, Terminal
from wizard.cli import main

pytestmark = pytest.mark.slow  # every test here starts a real server or a terminal

HOST = "example.test"
WRITE = re.compile(r"Write (\d+) files")  # the review's button, once the proposal is worked out
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
        shown = terminal.wait_until(lambda screen: WRITE.search(screen) is not None, "the review's Write button")
        count = WRITE.search(shown).group(1)  # type: ignore[union-attr]
        terminal.send("C-w")
        terminal.wait_for(f"Wrote {count} file(s)")
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


CURRENT_STEP = re.compile(r"^▸\S\s*(\w+)", re.MULTILINE)  # the step list marks the screen's step with ▸


def _step(screen: str) -> str | None:
    match = CURRENT_STEP.search(screen)
    return match.group(1) if match else None


def _walk_to_review(terminal: Terminal, host: str) -> str:
    """From the first step to the review with the footer's ^n, typing the domain on the way; the review's screen.

    Each step is known by the step list's mark, and its screen is read once drawn (the footer is drawn
    last): a screen caught half-way through a switch must not be taken for the step before or after."""
    def drawn(screen: str) -> bool:
        return "^n Next" in screen and "Working out" not in screen and _step(screen) is not None

    screen = terminal.wait_until(drawn, "the footer with ^n Next")
    for _ in range(12):
        step = _step(screen)
        if step == "Review":
            return terminal.wait_until(lambda s: "Write " in s and "file" in s, "the review's Write button")
        if step == "Domains":
            screen = terminal.wait_until(lambda s: "XMPP domains" in s and drawn(s), "the domains field")
            if host not in screen:
                terminal.send("End", "C-u", host)
                terminal.wait_until(lambda s: host in s and drawn(s), f"{host} typed")
        terminal.send("C-n")  # shown in the footer: drawn() waited for it

        def moved_on(now: str, before: str | None = step) -> bool:
            return drawn(now) and _step(now) != before

        screen = terminal.wait_until(moved_on, f"the step after {step}")
    raise AssertionError(f"no review after 12 steps; the screen shows:\n{screen}")


@pytest.mark.parametrize("preset", ["arch", "debian", "uberspace"])
def test_each_preset_in_tmux_at_80x24_from_the_first_screen_to_a_written_deployment(tmp_path: Path,
                                                                                  preset: str) -> None:
    home, out = tmp_path / "home", tmp_path / "out"
    home.mkdir()
    (home / ".my.cnf").write_text("[client]\npassword=e2e-password\n")  # where Uberspace keeps it
    command = [sys.executable, "-m", "wizard", "--out", str(out)]
    with Terminal(command, tmp_path / "tmux.sock", width=80, height=24, env={**ENV, "HOME": str(home)}) as terminal:
        first = terminal.wait_for("uberspace")
        assert "the arrow keys and Enter" in first  # as the first screen says to choose
        names = [line.strip("▊▎ ") for line in first.splitlines()]
        order = [name for name in names if name in presets.names()]
        # From the first: the one this machine's platform preselects may be another.
        terminal.send("Home", *["Down"] * order.index(preset), "Enter")
        terminal.wait_for("Installation method")
        if preset == "uberspace":  # not the Uberspace host: the login is asked for, its field has the focus
            terminal.wait_for("type your Uberspace login")
            terminal.send(*"isabell")
            terminal.wait_for("/home/isabell/etc/ejabberd")  # the home and the paths follow it
        review = _walk_to_review(terminal, HOST)
        assert "^w Write" in review, review
        terminal.send("C-w")
        terminal.wait_for("✓ Wrote")
        terminal.send("C-q")
        terminal.wait_for("TERMINAL-EXIT=0")
    written = (out / "wizard.yml").read_text()
    assert f"preset: {preset}" in written and HOST in written
    assert preset != "uberspace" or "user: isabell" in written
    assert (out / "config" / "ejabberd.yml").is_file()


def test_quitting_half_way_in_tmux_keeps_a_draft_that_the_next_start_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "wizard", "--out", str(out), "--preset", "arch"]
    with Terminal(command, tmp_path / "tmux.sock", width=80, height=24, env=ENV) as terminal:
        terminal.wait_for("Installation method")
        terminal.send("C-n")
        terminal.wait_for("XMPP domains")
        terminal.send("End", "C-u", "resumed.example")
        terminal.wait_for("resumed.example")
        terminal.send("C-q")
        terminal.wait_for("Quit, keep the draft")
        terminal.send("Enter")  # the first button, which has the focus
        screen = terminal.wait_for("TERMINAL-EXIT=0")
    assert "nothing was written" in screen and not out.exists()
    assert "resumed.example" in (tmp_path / "out.draft.yml").read_text()

    with Terminal(command, tmp_path / "tmux2.sock", width=80, height=24, env=ENV) as terminal:
        terminal.wait_for("Resume those answers")
        terminal.send("Enter")
        terminal.wait_for("Installation method")
        review = _walk_to_review(terminal, "resumed.example")
        assert "^w Write" in review
        terminal.send("C-w")
        terminal.wait_for("✓ Wrote")
        terminal.send("C-q")
        terminal.wait_for("TERMINAL-EXIT=0")
    assert "resumed.example" in (out / "wizard.yml").read_text()
    assert not (tmp_path / "out.draft.yml").exists()


def test_plain_mode_in_tmux_asks_everything_and_writes_after_the_diff(tmp_path: Path) -> None:
    seed, out = _seed(tmp_path), tmp_path / "out"
    command = [sys.executable, "-m", "wizard", "plain", "--out", str(out), "--answers", str(seed)]
    with Terminal(command, tmp_path / "tmux.sock", width=160, height=50, env=ENV) as terminal:
        terminal.wait_for("Installation method")
        # Enter keeps each value shown; the last Enter answers the write confirmation (default yes).
        questions = [terminal.questions()[-1]]
        while question := terminal.answer("Enter"):
            assert "Traceback" not in terminal.screen()
            questions.append(question)
        screen = terminal.wait_for(EXITED)
        shown = terminal.history()
    asked = re.match(r"\? Write (\d+) file\(s\)", questions[-1])
    assert asked is not None, questions[-1]
    assert "TERMINAL-EXIT=0" in screen and f"Wrote {asked.group(1)} file(s)" in shown
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
        # Enter keeps each value, up to the first hand-edited file's question.
        question = terminal.questions()[-1]
        while "scripts/deploy.sh was edited by hand" not in question:
            question = terminal.answer("Enter")
            assert question, terminal.history()  # the program must not end before asking
        question = terminal.answer("Enter")  # keep mine
        assert "scripts/backup.sh was edited by hand" in question
        question = terminal.answer("Down", "Down", "Enter")  # show the diff, then the same question again
        assert "scripts/backup.sh was edited by hand" in question
        assert "+++ b/scripts/backup.sh" in terminal.history()
        question = terminal.answer("Down", "Enter")  # take the wizard's version
        assert question.startswith("? Write 5 file(s)")
        assert terminal.answer("Enter") == ""
        screen = terminal.wait_for(EXITED)
        shown = terminal.history()
    assert "TERMINAL-EXIT=0" in screen
    assert "overwrite  scripts/backup.sh" in shown and "   edited  scripts/deploy.sh" in shown
    assert "kept as it is; to replace it with the version below: “Take the wizard's version”" in shown
    assert (out / "scripts/deploy.sh").read_text() == mine["scripts/deploy.sh"]
    assert "/srv/backups" in (out / "scripts/backup.sh").read_text()
    assert "echo my own step" not in (out / "scripts/backup.sh").read_text()


def test_plain_mode_goes_back_to_the_question_at_fault_and_keeps_every_answer(tmp_path: Path) -> None:
    """The database password cannot be read where the answers say (no ~/.my.cnf here): plain mode
    says so, asks the database step again, and writes once the answer is changed."""
    home = tmp_path / "home"
    home.mkdir()  # no ~/.my.cnf: my_print_defaults prints no password
    seed = write_answers(tmp_path / "seed.yml", {
        "preset": "uberspace", "domains": {"hosts": [HOST]}, "install": {"version": installed_ejabberd_version()},
        "database": {"backend": "mysql", "password_source": "my_print_defaults"}})
    out = tmp_path / "out"
    command = [sys.executable, "-m", "wizard", "plain", "--out", str(out), "--answers", str(seed)]
    with Terminal(command, tmp_path / "tmux.sock", width=160, height=50, env={**ENV, "HOME": str(home)}) as terminal:
        terminal.wait_for("? System user")  # the login first: the paths after it follow it
        question = terminal.questions()[-1]
        while "Back to Database" not in terminal.history():
            # Not the Uberspace host: the login is asked for, and why is said first.
            question = terminal.answer(*(["isabell"] if question.startswith("? System user") else []), "Enter")
            assert question, terminal.history()  # asked again, not ended
        told = " ".join(terminal.history().split())
        assert "“Where the password comes from” (database.password_source) (my_print_defaults)" in told
        asked_again = []
        while question:
            asked_again.append(question)
            if question.startswith("? Where the password comes from"):
                question = terminal.answer("Down", "Enter")  # file
            elif question.startswith("? Database password"):
                question = terminal.answer(*"typed-secret", "Enter")
            else:
                question = terminal.answer("Enter")
        screen = terminal.wait_for(EXITED)
        shown = terminal.history()
    assert "TERMINAL-EXIT=0" in screen, shown
    assert asked_again[0].startswith("? Database ("), asked_again  # the database step, not the first one
    assert not any(question.startswith("? Installation method") for question in asked_again)
    assert "type your Uberspace login: this machine is not the Uberspace host" in " ".join(shown.split())
    assert (out / "db-password").read_text() == "typed-secret\n"
    saved = (out / "wizard.yml").read_text()
    assert "password_source: file" in saved and HOST in saved and "typed-secret" not in saved


def _on_step(title: str) -> Callable[[str], bool]:
    """Whether the screen is the step ``title`` (marked ▸ in the step list), its buttons drawn."""
    def shown(screen: str) -> bool:
        lines = screen.splitlines()
        return any(line.startswith("▸") and title in line for line in lines) and "◂ Back" in lines[-1]
    return shown


def test_the_back_and_next_buttons_beside_the_footer_walk_the_wizard_with_the_mouse_in_tmux(tmp_path: Path) -> None:
    """Every move by clicking a button (xterm mouse reports through tmux): Next from step to step,
    Back once, and Write on the review."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "wizard", "--out", str(out), "--preset", "arch"]
    titles = ["Domains", "Ports", "TLS", "Upload", "Database", "Compliance", "Security", "Service", "Review"]
    with Terminal(command, tmp_path / "tmux.sock", width=80, height=24, env=ENV) as terminal:
        terminal.wait_until(_on_step("Installation"), "the first step")
        assert "Next ▸" in terminal.wait_for("^n Next").splitlines()[-1]  # beside the footer's keys
        for title in titles:
            terminal.click("Next ▸")
            terminal.wait_until(_on_step(title), f"the step {title}")
            if title == "Domains":
                terminal.send("End", "C-u", HOST)
                terminal.wait_for(HOST)
        review = terminal.wait_until(lambda screen: WRITE.search(screen) is not None, "Write N files, once the "
                                     "proposal is worked out")
        assert "Next ▸" not in review.splitlines()[-1]  # nothing after the review
        terminal.click("◂ Back")
        terminal.wait_until(_on_step("Service"), "the step before the review")
        terminal.click("Next ▸")
        terminal.wait_until(_on_step("Review"), "the review again")
        terminal.click("Write 1")
        terminal.wait_for("✓ Wrote")
        terminal.send("C-q")
        terminal.wait_for("TERMINAL-EXIT=0")
    assert HOST in (out / "wizard.yml").read_text()


def test_plain_mode_in_tmux_wraps_each_help_text_between_words_and_refuses_in_its_own_words(tmp_path: Path) -> None:
    """At 60 columns each help text is broken between words, never inside one; a refused value is
    told with the question's label, in the wizard's words (not pydantic's)."""
    from wizard.answers.catalogue import questions_of

    seed, out = _seed(tmp_path), tmp_path / "out"
    command = [sys.executable, "-m", "wizard", "plain", "--out", str(out), "--answers", str(seed)]
    with Terminal(command, tmp_path / "tmux.sock", width=60, height=40, env=ENV) as terminal:
        terminal.wait_for("Installation method")
        question = terminal.questions()[-1]
        while not question.startswith("? XMPP domains"):
            question = terminal.answer("Enter")
            assert question, terminal.history()
        # Emptied: the list needs one domain at least.
        terminal.send("End", *["BSpace"] * (len(HOST) + 2), "Enter")
        refused = terminal.wait_for("XMPP domains: none given")
        assert "List should" not in refused
        shown = terminal.history()
        terminal.send("C-c")
        terminal.wait_for(EXITED)
    words = {word for line in shown.splitlines() for word in line.split()}
    asked = [item for item in questions_of("install") + questions_of("domains")[:1] if f"? {item.label}" in shown]
    assert len(asked) >= 5, shown
    for item in asked:
        for word in item.help.split():
            assert word in words, (item.path, word)  # a word cut at the line's end would be two others
