"""The command line's side of the commands that show and write: what they print, ask and exit with.

generate, diff, upgrade and rollback (a proposal's notes, diff and files, the question before
writing, what was written), check and verify (the password asked, the report printed). What they
decide and write is the core's: wizard.deployment (proposal, upgrade, apply), wizard.checks
and wizard.verify. Only wizard.cli imports this module, once it knows the command; the core's modules
are imported by the command that needs them (verify's bring slixmpp).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.errors import InputError

if TYPE_CHECKING:
    from wizard.deployment.proposal import Proposal


def run_diff(out: Path, preset: str | None, answers_path: Path | None, import_from: Path | bool | None = None) -> int:
    """``diff``: the notes and the diff of what generate would write; 1 when anything would change."""
    from wizard.deployment.proposal import propose

    proposal = propose(out, preset, answers_path, import_from=import_from, preview=True)
    _print_notes(proposal)
    sys.stdout.write(proposal.diff_text())
    return 1 if proposal.pending else 0


def run_generate(out: Path, preset: str | None, answers_path: Path | None, *, dry_run: bool, assume_yes: bool,
             overwrite_local_edits: bool = False, take: Collection[str] = (),
             import_from: Path | bool | None = None) -> int:
    """``generate``: lock, then read, plan, confirm and write, so that nothing changes the files between
    the diff shown and the write."""
    from wizard.deployment.plan import check_output_dir
    from wizard.deployment.proposal import held_while_writing, propose

    check_output_dir(out)
    with held_while_writing(out, preview=dry_run):
        proposal = propose(out, preset, answers_path, overwrite_local_edits=overwrite_local_edits,
                           import_from=import_from, preview=dry_run)
        if take:
            proposal = proposal.taking(take)
        return offer(proposal, dry_run=dry_run, assume_yes=assume_yes, then=f"Next steps: {out / 'README.md'}")


def run_upgrade(out: Path, to: str, *, dry_run: bool, assume_yes: bool) -> int:
    """``upgrade``: show the diff and the steps, write when confirmed."""
    from wizard.deployment.upgrade import GUIDE, SCRIPT, propose_upgrade

    current, proposal = propose_upgrade(out, to, preview=dry_run)
    if to == current:
        print(f"{out}: already written for ejabberd {to}; nothing to upgrade.")
        return 0
    print(f"# ejabberd {current} -> {to}")
    return offer(proposal, dry_run=dry_run, assume_yes=assume_yes,
                 then=f"Next: the steps in {out / GUIDE} (sh {out / SCRIPT} runs them)")


def offer(proposal: Proposal, *, dry_run: bool, assume_yes: bool, then: str) -> int:
    """Show a proposal's notes, diff and files; write them when the user agrees (``then``: what to do next)."""
    out = proposal.out
    _print_notes(proposal)
    if notice := proposal.notice():
        print(notice)
    pending = proposal.pending
    if not pending and proposal.interrupted and not dry_run:
        # The interrupted write had written every file but not its records: finish those.
        proposal.write()
        print(f"{out}: completed the interrupted write; nothing else to write.")
        return 0
    if not pending:
        kept = f" ({len(proposal.local_edits)} file(s) with local edits kept)" if proposal.local_edits else ""
        print(f"{out}: up to date, nothing to write{kept}.")
        return 0
    sys.stdout.write(proposal.diff_text())
    print(proposal.summary())
    if dry_run:
        print(f"dry run: {len(pending)} file(s) would be written to {out}; nothing was written.")
        return 0
    if not assume_yes and not _confirmed(f"Write {len(pending)} file(s) to {out}? [y/N] "):
        print("Nothing was written.")
        return 0
    written = proposal.write()
    print(f"Wrote {len(written)} file(s) to {out}. {then}")
    return 0


def run_rollback(out: Path) -> int:
    """``rollback``: undo the last write, naming each file restored or removed."""
    from wizard.deployment import apply
    from wizard.deployment.plan import check_output_dir

    check_output_dir(out)
    undone = apply.rollback(out)
    for path in undone["restored"]:
        print(f" restored  {path}")
    for path in undone["removed"]:
        print(f"  removed  {path}")
    print(f"Rolled back the last write to {out}.")
    return 0


def run_check(args: argparse.Namespace) -> int:
    """``check``: the report of every check of the groups asked for; its exit code (1 on any error)."""
    from wizard.checks import report
    from wizard.checks.command import deployment_answers, parse_only
    from wizard.checks.core import Nameserver
    from wizard.checks.runner import run_checks

    only = parse_only(args.only)
    nameserver = Nameserver.parse(args.nameserver) if args.nameserver else None
    out, answers = deployment_answers(args.out, args.answers, args.preset)
    findings = run_checks(answers, only=only, nameserver=nameserver, out=out)
    if args.format == "json":
        sys.stdout.write(report.as_json(findings))
    else:
        sys.stdout.write(report.text(findings, ascii_only=not _can_show("✓✗")))
    return report.exit_code(findings)


def run_verify(args: argparse.Namespace) -> int:
    """``verify``: log in (the password from --password-file, else asked), run every test, print the report."""
    import asyncio

    from wizard.checks.core import Nameserver
    from wizard.verify.command import check_ca, read_password, settings_for
    from wizard.verify.report import as_json, text
    from wizard.verify.run import verify

    if args.ca is not None:
        check_ca(args.ca)
    password = read_password(args.password_file) if args.password_file else _ask_password(args.jid)
    # --nameserver when the command line has it (the environment's otherwise, see settings_for).
    nameserver = Nameserver.parse(args.nameserver) if getattr(args, "nameserver", None) else None
    settings = settings_for(args.jid, password, server=args.server, port=args.port, ca=args.ca, insecure=args.insecure,
                            nameserver=nameserver, http_base=getattr(args, "http_base", None))
    report = asyncio.run(verify(settings))
    sys.stdout.write(as_json(report) if args.format == "json" else text(report))
    return 1 if report.failed else 0


def _print_notes(proposal: Proposal) -> None:
    for line in proposal.notes():
        print(line)


def _confirmed(question: str) -> bool:
    if not sys.stdin.isatty():
        raise InputError("generate: no terminal to confirm on; pass --yes to write, or --dry-run to only look")
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _ask_password(jid: str) -> str:
    """The password typed on the terminal, not echoed (nothing else sees it: no file, no argument)."""
    import getpass

    if not sys.stdin.isatty():
        raise InputError("--password-file: no terminal to ask the password on; give a file holding it")
    password = getpass.getpass(f"Password for {jid}: ")
    if not password:
        raise InputError("no password given")
    return password


def _can_show(characters: str) -> bool:
    try:
        characters.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
