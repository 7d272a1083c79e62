"""Plain mode: the catalogue's questions one after another, with questionary.

For terminals where a full-screen app is not wanted (screen readers, serial
consoles, logs). Same questions, defaults, validation and final diff as the TUI.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import questionary

import presets
from wizard.answers.catalogue import Question, labelled, questions_of, step_of
from wizard.answers.draft import Draft
from wizard.answers.field_messages import without_own_path
from wizard.answers.given import Given, saved_answers
from wizard.deployment.plan import BACKUP_DIR, check_output_dir
from wizard.deployment.proposal import Proposal, proposal_for
from wizard.ejabberd_yml.read import read as read_import
from wizard.errors import InputError
from wizard.machine import detect_platform
from wizard.secrets import SECRET_QUESTIONS, SecretQuestion
from wizard.steps import STEPS

TAKE_CHOICE = "Take the wizard's version"


def run_plain(out: Path, preset_name: str | None, answers_path: Path | None,
              import_from: Path | bool | None = None) -> int:
    check_output_dir(out)
    saved = saved_answers(out, answers_path)
    print("".join(f"# {line}\n" for line in saved.migrated), end="")
    imported = read_import(import_from, preset_name, saved) if import_from is not None else None
    preset_name = preset_name or saved.get("preset") or _ask_preset()
    draft = Draft.start(presets.load(preset_name), imported.under(saved) if imported else saved)
    print(f"Preset: {preset_name}. Press Enter to keep the value shown; Ctrl-C quits without writing.")
    steps = STEPS
    while True:
        for step, title in steps:
            print(f"\n== {title} ==")
            # A question the answers say is wrong comes first: the ones after it may follow it (the
            # prefix and the paths follow the Uberspace login, asked for off the Uberspace host).
            at_fault = [question for question in questions_of(step) if _why_asked(draft, question)]
            for question in at_fault + [question for question in questions_of(step) if question not in at_fault]:
                if question.applies(draft.values()):
                    if why := _why_asked(draft, question):
                        print(wrapped(why))
                    draft.set(question, _ask(question, draft.value(question)))
            _show_findings(draft, step, out)
        try:
            answers = draft.answers()
            typed = {secret.key: _ask_secret(secret) for secret in SECRET_QUESTIONS if secret.asked(answers, out)}
            start = imported.start(preset_name, Given(draft.given)) if imported else None
            proposal = proposal_for(answers, out, typed_secrets=typed, start=start)
            break
        except InputError as error:
            # Never the end of what was answered: back to the step of the question at fault,
            # every answer as it is, or through all of them when no one question is.
            steps = _steps_about(error.field)
            print(f"\n{labelled(str(error))}\n" + (f"Back to {steps[0][1]}, to change what is wrong." if len(steps) == 1
                                    else "Let's go through the questions again."))
    print("".join(f"# {line}\n" for line in proposal.imported), end="")
    if notice := proposal.notice():
        print(notice)
    if not proposal.pending and not proposal.local_edits:
        print(f"\n{out}: up to date, nothing to write.")
        return 0
    print()
    print(proposal.diff_text(take=f"“{TAKE_CHOICE}” in the question after the diff"), end="")
    proposal = _keep_or_take(proposal)
    pending = proposal.pending
    if not pending:
        print(f"\n{out}: nothing to write; your edited files stay as they are.")
        return 0
    print(proposal.summary())
    if not questionary.confirm(f"Write {len(pending)} file(s) to {out}?", default=True).unsafe_ask():
        print("Nothing was written.")
        return 0
    proposal.write()
    print(f"Wrote {len(pending)} file(s) to {out}. Next steps:\n")
    print((out / "README.md").read_text(encoding="utf-8"))
    return 0


def _why_asked(draft: Draft, question: Question) -> str | None:
    """What the answers say is wrong with ``question`` before it is asked (the Uberspace login, off the
    Uberspace host, which only the user can name), or None."""
    try:
        draft.answers()
    except InputError as error:
        if error.field == question.path:
            return labelled(without_own_path(str(error), question.path))
    return None


def _steps_about(field: str | None) -> tuple[tuple[str, str], ...]:
    """The step whose question ``field`` ('database.password_file', 'domains.hosts.0') is, or every step."""
    step = step_of(field) if field else None
    return tuple((name, title) for name, title in STEPS if name == step) or STEPS


def _show_findings(draft: Draft, step: str, out: Path) -> None:
    """The local-state checks of the step just answered, as ``ejabberd-wizard check`` prints them."""
    from wizard.checks import Nameserver, checks_for_step, run_checks
    from wizard.checks.report import text

    if not checks_for_step(step):
        return
    try:
        answers = draft.answers()
    except InputError:
        return  # the answers themselves are reported when all questions are done
    print(f"Checking this machine ({', '.join(sorted(checks_for_step(step)))}) ...")
    print(text(run_checks(answers, steps={step}, out=out, nameserver=Nameserver.from_environment())), end="")


def _keep_or_take(proposal: Proposal) -> Proposal:
    """Ask, for each file edited by hand since the wizard wrote it, whose version to keep (the user's by default)."""
    taken = set()
    for change in proposal.local_edits:
        while True:
            choice = questionary.select(
                f"{change.path} was edited by hand since the wizard wrote it:",
                choices=[questionary.Choice("Keep mine", "keep"),
                         questionary.Choice(f"{TAKE_CHOICE} (mine goes to {BACKUP_DIR}/)", "take"),
                         questionary.Choice("Show the diff again", "diff")],
                default="keep").unsafe_ask()
            if choice != "diff":
                break
            print(change.masked_diff(take=f"“{TAKE_CHOICE}” in the question after the diff"), end="")
        if choice == "take":
            taken.add(change.path)
    return proposal.taking(taken)


def _ask_secret(secret: SecretQuestion) -> str:
    print(wrapped(secret.help))
    typed: str = questionary.password(secret.label,
                                      validate=lambda text: bool(text) or "expected a value").unsafe_ask()
    return typed


def _ask_preset() -> str:
    choices = [questionary.Choice(f"{name}: {presets.describe(name)}", value=name) for name in presets.names()]
    found = detect_platform()  # this machine's preset is the one offered first
    default = found.preset if found and found.preset in presets.names() else None
    if found and default:
        print(f"This machine: {found.reason}, so {default} is preselected.")
    chosen: str = questionary.select("Which kind of host?", choices=choices, default=default).unsafe_ask()
    return chosen


def wrapped(text: str, width: int | None = None) -> str:
    """``text`` broken between words to the terminal's width (indented under its question): the
    terminal itself would break it wherever the line ends, in the middle of a word."""
    width = width or shutil.get_terminal_size().columns
    return textwrap.fill(text, width=max(20, width - 1), initial_indent="  ", subsequent_indent="  ",
                         break_long_words=False, break_on_hyphens=False)


def _ask(question: Question, current: Any) -> Any:
    message = f"{question.label}"
    if question.help:
        print(wrapped(question.help))
    if question.kind == "boolean":
        return questionary.confirm(message, default=bool(current)).unsafe_ask()
    if question.kind == "choice":
        return questionary.select(message, choices=list(question.choices), default=str(current)).unsafe_ask()

    def check(text: str) -> bool | str:
        try:
            question.parse(text)
        except ValueError as error:
            return f"{question.label}: {error}"
        return True

    hint = " (comma-separated)" if question.kind == "list" else " (empty: none)" if question.optional else ""
    text = questionary.text(f"{message}{hint}", default=question.format(current), validate=check).unsafe_ask()
    return question.parse(text)
