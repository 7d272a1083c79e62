"""A real terminal for end-to-end tests: tmux, driven with send-keys and read with capture-pane.

Every wait is for something the screen shows, with a deadline: a text (``wait_for``), or
the next question of plain mode (``answer``), never a guessed time or a screen that
merely stopped changing.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from .components import require
from .slow import starting

# A question of plain mode (questionary) starts its line with "? ", and stays on the
# screen with its answer once answered: each new question adds one such line.
QUESTION = re.compile(r"^\? .*$", re.MULTILINE)
EXITED = "TERMINAL-EXIT="
DEADLINE = 60.0


class Terminal:
    """One private tmux server (its own socket) running one command."""

    def __init__(self, command: list[str], socket: Path, *, width: int = 100, height: int = 30,
                 env: dict[str, str] | None = None) -> None:
        starting("a terminal (tmux)")
        self.tmux = require("tmux")
        self.socket = socket
        # Room for every line a run prints (the default keeps 2000), so none of its
        # questions scrolls out of the history they are counted in.
        config = socket.with_suffix(".conf")
        config.write_text("set-option -g history-limit 100000\n")
        exports = "".join(f"export {name}={shlex.quote(value)}; " for name, value in (env or {}).items())
        # The shell stays after the command so its exit code can be read from the screen.
        script = f"{exports}{shlex.join(command)}; echo {EXITED}$?; sleep 600"
        self._tmux("-f", str(config), "new-session", "-d", "-x", str(width), "-y", str(height), "sh", "-c", script)

    def _tmux(self, *args: str) -> str:
        result = subprocess.run([self.tmux, "-S", str(self.socket), *args], capture_output=True, text=True, timeout=10)
        if result.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {result.stderr.strip()}")
        return result.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p")

    def history(self) -> str:
        """Everything the terminal showed, scrolled-off lines included."""
        return self._tmux("capture-pane", "-p", "-S", "-")

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", *keys)

    def click(self, text: str, timeout: float = DEADLINE) -> None:
        """Click the middle of ``text`` where the screen shows it (the lowest line holding it), once
        it does: a press and a release, as xterm's SGR mouse mode reports them to the program."""
        screen = self.wait_for(text, timeout)
        lines = screen.splitlines()
        row = max(number for number, line in enumerate(lines) if text in line)
        column = lines[row].index(text) + len(text) // 2
        where = f"{column + 1};{row + 1}"  # SGR counts from 1
        self._tmux("send-keys", "-l", f"\x1b[<0;{where}M\x1b[<0;{where}m")

    def wait_until(self, shown: Callable[[str], bool], awaiting: str, timeout: float = DEADLINE) -> str:
        """The screen once ``shown(screen)`` is true; AssertionError naming ``awaiting``, with the screen,
        after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if shown(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout:.0f} s for {awaiting}; the screen shows:\n{screen}")
            time.sleep(0.05)

    def wait_for(self, text: str, timeout: float = DEADLINE) -> str:
        """The screen once it shows ``text``."""
        return self.wait_until(lambda screen: text in screen, repr(text), timeout)

    def questions(self) -> list[str]:
        """The questions plain mode asked so far, the one waiting for its answer last."""
        return QUESTION.findall(self.history())

    def answer(self, *keys: str, timeout: float = DEADLINE) -> str:
        """Answer the question shown with ``keys``; the next question, once it is shown, or ``""``
        when the program ended instead."""
        asked = len(self.questions())
        self.send(*keys)
        self.wait_until(lambda screen: EXITED in screen or len(self.questions()) > asked,
                        f"the question after {asked} answered", timeout)
        questions = self.questions()
        return questions[-1] if len(questions) > asked else ""

    def close(self) -> None:
        subprocess.run([self.tmux, "-S", str(self.socket), "kill-server"], capture_output=True, timeout=10)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
