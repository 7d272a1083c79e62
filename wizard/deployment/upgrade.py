"""``ejabberd-wizard upgrade --to RELEASE``: a deployment re-written for a newer ejabberd release.

It is a re-run with one answer changed (``install.version``), so the config is merged
as in any re-run (hand edits kept, renamed options in the diff), plus the steps from the
release running now to the new one: ``scripts/upgrade.sh`` and ``UPGRADE.md``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from wizard.answers.build import build_from, plain_copy
from wizard.answers.given import ANSWERS_FILE, Given, read_answers_file
from wizard.answers.model import Answers
from wizard.answers.validators import ejabberd_version
from wizard.deployment.plan import Plan, PlannedFile, check_output_dir
from wizard.deployment.proposal import Proposal, proposal_for
from wizard.deployment.render import CONFIG, EXECUTABLE
from wizard.errors import InputError
from wizard.files import upgrade as steps
from wizard.releases import Release, capabilities

SCRIPT, GUIDE = "scripts/upgrade.sh", "UPGRADE.md"


def target_release(to: str, current: str) -> str:
    """``--to`` as a release the deployment can move to from ``current``, or an ``InputError``."""
    try:
        capabilities(ejabberd_version(to))
    except ValueError as error:
        raise InputError(f"--to: {error}") from None
    if Release.parse(to) < Release.parse(current):
        raise InputError(f"--to {to}: older than {current}, the release this deployment is written for; "
                         f"an older ejabberd cannot read what a newer one wrote (to go back, restore a backup "
                         f"taken on {to})")
    return to


def propose_upgrade(out: Path, to: str, *, preview: bool = False) -> tuple[str, Proposal]:
    """The release the deployment is written for now, and the proposal that writes it for ``to``."""
    check_output_dir(out)
    saved_file = out / ANSWERS_FILE
    if not saved_file.is_file():
        raise InputError(f"{saved_file}: no such file; upgrade works on a deployment the wizard wrote "
                         f"(`ejabberd-wizard generate --out {out}` first)")
    saved = read_answers_file(saved_file)
    current = build_from(None, saved).install.version
    target_release(to, current)
    values = plain_copy(saved.values)
    values.setdefault("install", {})["version"] = to
    answers = build_from(None, Given(values, source=saved.source))
    proposal = proposal_for(answers, out, preview=preview)
    if to == current:
        return current, proposal
    plan = with_steps(proposal.plan, answers, current)
    return current, replace(proposal, plan=plan, changes=plan.compare(out))


def with_steps(plan: Plan, answers: Answers, current: str) -> Plan:
    """``plan`` (the files for the release of ``answers``) with the steps from ``current`` to it.

    One function for the upgrade command and for a re-run that changes the release. The guide reads
    the config as the plan writes it: a hand edit kept there may turn the SQL schema updates off.
    """
    return Plan({**plan.files,
                 SCRIPT: PlannedFile(steps.script_text(answers, current), EXECUTABLE),
                 GUIDE: PlannedFile(steps.guide(answers, current, plan.files[CONFIG].content))})

