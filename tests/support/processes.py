"""Find, signal and reap the processes of an ejabberd node (ejabberdctl, su, the Erlang VM)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path
from typing import Any


def pids_with_argument(needle: bytes, *, name: str | None = None) -> list[int]:
    """Pids of processes whose command line contains ``needle`` (and named ``name``)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        proc = Path("/proc", entry)
        try:
            if name is not None and (proc / "comm").read_text().strip() != name:
                continue
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:  # exited meanwhile
            continue
        if needle in cmdline:
            pids.append(int(entry))
    return pids


def children(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name: state, ppid, ...
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry))
    return children


def descendants(root: int) -> list[int]:
    """``root`` and all processes below it, parents before children.

    Follows parent links rather than process groups, because `su` moves the
    command it runs into a session of its own.
    """
    tree = [root]
    for pid in tree:  # grows while iterating: breadth-first walk
        tree.extend(children(pid))
    return tree


def process_name(pid: int) -> str:
    try:
        return Path("/proc", str(pid), "comm").read_text().strip()
    except OSError:
        return ""


def kill_launcher(proc: subprocess.Popen[Any], wait: float = 3.0) -> None:
    """SIGKILL an ejabberdctl process and everything it started.

    The Erlang VM goes first: su and ejabberdctl then exit on their own and
    reap it. Killing the whole chain at once would orphan the VM, leaving a
    zombie beam.smp for init to collect.
    """
    tree = descendants(proc.pid)
    signal_pids([pid for pid in tree if process_name(pid) == "beam.smp"], signal.SIGKILL)
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        signal_pids(descendants(proc.pid)[::-1], signal.SIGKILL)
        proc.wait(timeout=wait)


def signal_pids(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)

