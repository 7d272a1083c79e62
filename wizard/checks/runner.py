"""Running the checks: choose them by group and step, run them all at once, collect the findings.

Blocking checks (files, sockets, subprocesses, the database) run in threads and the DNS
checks on the event loop, all concurrently, so a full run takes about as long as its
slowest check rather than the sum of them.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Collection
from pathlib import Path

from wizard import DEFAULT_OUT
from wizard.answers.model import Answers
from wizard.checks import captcha, certificates, config, dns, environment, ports, relay, security
from wizard.checks.core import DEFAULT_TIMEOUT, GROUPS, Checker, Context, Finding, Nameserver, Severity
from wizard.errors import InputError
from wizard.steps import STEP_NAMES

CHECKERS: tuple[Checker, ...] = (
    *ports.CHECKERS, *relay.CHECKERS, *certificates.CHECKERS, *dns.CHECKERS, *environment.CHECKERS, *captcha.CHECKERS,
    *config.CHECKERS, *security.CHECKERS,
)


def checks_for_step(step: str) -> frozenset[str]:
    """The groups that have checks for one wizard step (empty when the step has none)."""
    if step not in STEP_NAMES:
        raise ValueError(f"unknown step {step!r}; expected one of {', '.join(STEP_NAMES)}")
    return frozenset(checker.group for checker in CHECKERS if step in checker.steps)


def select(only: Collection[str] | None = None, steps: Collection[str] | None = None) -> list[Checker]:
    for name in only or ():
        if name not in GROUPS:
            raise InputError(f"--only: unknown check group {name!r}; expected some of {','.join(GROUPS)}")
    for step in steps or ():
        if step not in STEP_NAMES:
            raise ValueError(f"unknown step {step!r}; expected one of {', '.join(STEP_NAMES)}")
    return [
        checker for checker in CHECKERS
        if (not only or checker.group in only) and (not steps or checker.steps & set(steps))
    ]


async def run_checks_async(answers: Answers, *, only: Collection[str] | None = None,
                           steps: Collection[str] | None = None, nameserver: str | Nameserver | None = None,
                           timeout: float = DEFAULT_TIMEOUT, out: Path | None = None) -> list[Finding]:
    """The findings of the selected checks, in the order of GROUPS; await it in a Textual worker."""
    if isinstance(nameserver, str):
        nameserver = Nameserver.parse(nameserver)
    context = Context(answers, out or DEFAULT_OUT, nameserver, timeout)
    chosen = select(only, steps)
    results = await asyncio.gather(*(_run(checker, context) for checker in chosen))
    findings = [finding for result in results for finding in result if not steps or finding.step in steps]
    order = {group: index for index, group in enumerate(GROUPS)}
    return sorted(findings, key=lambda finding: order[finding.group])  # stable: keeps each check's order


def run_checks(answers: Answers, *, only: Collection[str] | None = None, steps: Collection[str] | None = None,
               nameserver: str | Nameserver | None = None, timeout: float = DEFAULT_TIMEOUT,
               out: Path | None = None) -> list[Finding]:
    """Like ``run_checks_async``, for callers without an event loop (the command line, a thread worker)."""
    return asyncio.run(run_checks_async(answers, only=only, steps=steps, nameserver=nameserver, timeout=timeout,
                                        out=out))


async def _run(checker: Checker, context: Context) -> list[Finding]:
    try:
        findings: list[Finding]
        if inspect.iscoroutinefunction(checker.run):
            findings = await checker.run(context)
        else:
            findings = await asyncio.to_thread(checker.run, context)  # type: ignore[arg-type]
        return findings
    except Exception as error:  # one broken check must not hide the others' findings
        name = getattr(checker.run, "__name__", checker.group)
        step = min(checker.steps, key=STEP_NAMES.index)
        return [Finding(f"{checker.group}.failed", checker.group, step, Severity.ERROR, name,
                        f"the check itself failed: {type(error).__name__}: {error}",
                        "report this as a bug of ejabberd-wizard, with this message")]
