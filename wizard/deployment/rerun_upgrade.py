"""A re-run whose ejabberd release answer changed: the same upgrade plan as ``ejabberd-wizard upgrade``.

The front ends propose a re-run's answers as any run; when ``install.version`` differs from
the release the deployment directory is written for (its ``wizard.yml``), the proposal gains
the steps from that release to the new one (``scripts/upgrade.sh``, ``UPGRADE.md``), as the
upgrade command writes them, and a downgrade is refused.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from wizard.answers.build import build_from
from wizard.answers.given import ANSWERS_FILE, read_answers_file
from wizard.deployment.proposal import Proposal
from wizard.deployment.upgrade import target_release, with_steps
from wizard.errors import InputError


def written_release(out: Path) -> str | None:
    """The ejabberd release ``out`` was last written for, or None (no deployment, or its answers unreadable)."""
    saved = out / ANSWERS_FILE
    if not saved.is_file():
        return None
    try:
        return build_from(None, read_answers_file(saved)).install.version
    except InputError:
        return None


def with_upgrade_steps(proposal: Proposal) -> tuple[str | None, Proposal]:
    """The release the deployment is written for now (None when new), and ``proposal`` with the
    upgrade's steps when its answers move it to another release; ``InputError`` on
    ``install.version`` for a downgrade."""
    current, to = written_release(proposal.out), proposal.answers.install.version
    if current is None or current == to:
        return current, proposal
    try:
        target_release(to, current)
    except InputError as error:
        reason = str(error).split(": ", 1)[-1]
        raise InputError(f"install.version: {to} is {reason}", field="install.version") from None
    plan = with_steps(proposal.plan, proposal.answers, current)
    return current, replace(proposal, plan=plan, changes=plan.compare(proposal.out))
