"""Follow a deployment's README.md as written, step by step, in a ``Sandbox``.

Each step's commands run in order, exactly as the README prints them, from the deployment
directory, in a terminal (a pty): prompts are answered the way a person would (``Terminal``).
A step without commands is the user's own work away from the server (adding DNS records at the
provider): the test does it with a callback named after the step. A command that fails stops the
rehearsal with the step's number, title, the command and its output.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from .sandbox import Sandbox

STEP = re.compile(r"^(\d+)\. \*\*(.+)\*\*$")


@dataclass
class Step:
    number: int
    title: str
    text: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"README step {self.number} ({self.title})"


def readme_steps(readme: str) -> list[Step]:
    """The numbered steps of the README's "Next steps", with the lines of their ```sh blocks."""
    steps: list[Step] = []
    in_code = False
    for raw in readme.splitlines():
        if raw.startswith("## ") and steps:
            break
        match = STEP.match(raw)
        if match:
            steps.append(Step(int(match.group(1)), match.group(2)))
            continue
        if not steps:
            continue
        line = raw.strip()
        if line.startswith("```"):
            in_code = line == "```sh"
        elif in_code and line:
            steps[-1].commands.append(line)
        elif line:
            steps[-1].text.append(line)
    return steps


class StepFailed(AssertionError):
    pass


@dataclass
class Typed:
    """What a person types at a prompt: the answer when ``prompt`` appears in the output."""

    prompt: str
    answer: str


def in_terminal(argv: list[str], answers: list[Typed], timeout: float) -> tuple[int, str]:
    """Run ``argv`` on a new pty, answering each prompt once as it appears; (exit code, output)."""
    controller, terminal = os.openpty()
    process = subprocess.Popen(argv, stdin=terminal, stdout=terminal, stderr=terminal, start_new_session=True)
    os.close(terminal)
    output, answered = b"", 0
    pending = list(answers)
    deadline = time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                process.kill()
                shown = output.decode(errors="replace")
                raise StepFailed(f"no end within {timeout:g} s; the terminal showed:\n{shown}")
            ready, _, _ = select.select([controller], [], [], min(remaining, 0.5))
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # EIO: every process holding the terminal has ended
                    break
                if not chunk:
                    break
                output += chunk
                text = output.decode(errors="replace")
                for typed in list(pending):
                    found = text.find(typed.prompt, answered)
                    if found >= 0:
                        os.write(controller, typed.answer.encode() + b"\n")
                        answered = found + len(typed.prompt)
                        pending.remove(typed)
            elif process.poll() is not None:
                break
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        with contextlib.suppress(OSError):
            os.close(controller)
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    return code, output.decode(errors="replace").replace("\r\n", "\n")


@dataclass
class Rehearsal:
    sandbox: Sandbox
    directory: str  # the deployment directory inside the sandbox
    user: str | None = None  # who follows the README (None: root)
    answers: list[Typed] = field(default_factory=list)
    # Steps done away from the server, by their title: the test does what the person would.
    elsewhere: Mapping[str, Callable[[Step], None]] = field(default_factory=dict)
    # Commands whose success is judged by what they print rather than by their exit code alone,
    # by the start of the command: the judge raises AssertionError for a failure.
    judges: Mapping[str, Callable[[int, str], None]] = field(default_factory=dict)
    transcript: list[str] = field(default_factory=list)

    def run(self, command: str, step: Step | None = None, timeout: float = 900) -> str:
        code, output = in_terminal(self.sandbox.command(command, cwd=self.directory, user=self.user), self.answers,
                                   timeout)
        self.transcript.append(f"$ {command}\n{output}")
        judge = next((judge for start, judge in self.judges.items() if command.startswith(start)), None)
        if judge is not None:
            try:
                judge(code, output)
            except AssertionError as error:
                raise StepFailed(f"{step or 'the rehearsal'}: `{command}`: {error}\n{output[-6000:]}") from None
        elif code != 0:
            where = f"{step}: " if step else ""
            raise StepFailed(f"{where}`{command}` exited {code}:\n{output[-6000:]}")
        return output

    @contextlib.contextmanager
    def reported(self) -> Iterator[None]:
        """On a failure inside: print what the terminal showed, command by command, and the logs of
        the platform's daemons and services, then fail."""
        try:
            yield
        except AssertionError:  # StepFailed too
            print("\n".join(self.transcript))
            # The host's daemons (nsd), and the services the stand-in of systemctl started.
            logs = [*self.sandbox.base.glob("*.log"), *self.sandbox.inside("/var/log/standin-systemd").glob("*.log"),
                    *self.sandbox.inside("/var/log").glob("syslog")]
            for log in sorted(logs):
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")
            raise

    def follow(self, readme: str, *, since: str | None = None, until: str | None = None) -> list[Step]:
        """Every step in order, or from the one titled ``since`` on, and before the one titled ``until``:
        a rehearsal that looks around between steps goes on where it stopped (no step runs twice)."""
        steps = readme_steps(readme)
        assert steps, f"the README has no numbered steps:\n{readme}"
        titles = [step.title for step in steps]
        for title in (since, until):
            assert title is None or title in titles, f"the README has no step {title!r}: {titles}"
        if since is not None:
            steps = steps[titles.index(since):]
        done = []
        for step in steps:
            if until is not None and step.title == until:
                break
            if step.title in self.elsewhere:
                self.elsewhere[step.title](step)
            elif not step.commands:
                raise StepFailed(f"{step} has no command and the rehearsal does not know who does it: "
                                 + " ".join(step.text))
            else:
                for command in step.commands:
                    self.run(command, step)
            done.append(step)
        return done
