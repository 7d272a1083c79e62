"""A real terminal for end-to-end tests: tmux, driven with send-keys and read with capture-pane."""

from __future__ import annotations

import shlex
import subprocess
import time
from pathlib import Path

from .components import require


class Terminal:
    """One private tmux server (its own socket) running one command."""

    def __init__(self, command: list[str], socket: Path, *, width: int = 100, height: int = 30,
                 env: dict[str, str] | None = None) -> None:
        self.tmux = require("tmux")
        self.socket = socket
        exports = "".join(f"export {name}={shlex.quote(value)}; " for name, value in (env or {}).items())
        # The shell stays after the command so its exit code can be read from the screen.
        script = f"{exports}{shlex.join(command)}; echo TERMINAL-EXIT=$?; sleep 600"
        self._tmux("new-session", "-d", "-x", str(width), "-y", str(height), "sh", "-c", script)

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

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        """The screen once it shows ``text``; AssertionError with the screen after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear within {timeout} s; the screen shows:\n{screen}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run([self.tmux, "-S", str(self.socket), "kill-server"], capture_output=True, timeout=10)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
