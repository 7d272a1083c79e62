"""What an ejabberd node logged: its log files and console, its error lines, why it stopped."""

from __future__ import annotations

import re
from pathlib import Path

ERROR_MARKERS = ("[critical]", "[error]")


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


class NodeLogs:
    """The logs of a node whose ejabberd writes to ``logs_dir`` and its console to ``stdout_path``."""

    logs_dir: Path
    stdout_path: Path

    def _log_sources(self) -> list[Path]:
        return [
            self.logs_dir / "ejabberd.log",
            self.logs_dir / "error.log",
            self.logs_dir / "crash.log",
            self.stdout_path,
        ]

    def log_text(self) -> str:
        """ejabberd.log, error.log, crash.log and console output, concatenated."""
        return "".join(
            f"==> {path.name} <==\n{text}\n"
            for path in self._log_sources()
            if (text := _read(path))
        )

    def error_lines(self) -> list[str]:
        """Distinct log lines at level error or critical (each source may repeat them)."""
        seen: dict[str, str] = {}  # dedup key -> line as logged
        for path in self._log_sources():
            for line in _read(path).splitlines():
                if any(marker in line for marker in ERROR_MARKERS):
                    seen.setdefault(_error_key(line), _strip_timestamp(line))
        return list(seen.values())

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def failure_reason(self) -> str:
        """Why ejabberd stopped: its error/critical lines, else its console output."""
        reasons = dict.fromkeys(_error_key(line) for line in self.error_lines())
        if reasons:
            return "\n".join(reasons)
        return _read(self.stdout_path).strip()


_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T][\d:.]+(?:[+-]\d\d:?\d\d|Z)?\s*")


# The log file prefixes messages with "<0.124.0>@module:function/2:72 ", the
# console does not; the same message appears in both.
_ERLANG_LOCATION = re.compile(r"<[\d.]+>@\S+ ")


def _strip_timestamp(line: str) -> str:
    return _TIMESTAMP.sub("", line)


def _error_key(line: str) -> str:
    return _ERLANG_LOCATION.sub("", _strip_timestamp(line)).strip()
