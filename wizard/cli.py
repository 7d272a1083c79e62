"""The command line: ``ejabberd-wizard [tui|plain|generate|diff|check|verify|upgrade|rollback|presets|schema]``.

Exit codes, for every subcommand: 0 success, no difference, all checks pass; 1
``diff`` found differences or ``check``/``verify`` found errors; 2 bad input or
usage, told in one line naming the file, field or line, with nothing written.

With wizard.cli_commands (what the commands that show and write print and ask), the only
place that prints and parses flags: the core returns data and messages.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from presets import PresetError
from wizard import DEFAULT_OUT, __version__
from wizard.errors import InputError

EXIT_OK, EXIT_DIFFERENT, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"{message} (see {self.prog} --help)")


def _directory(text: str) -> Path:
    # An empty --out (an unset "$DIR") would otherwise mean the current directory.
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a directory, got an empty value")
    return Path(text)


# Written out here, not imported from wizard.verify: the parser is built at every start, and
# verify's modules bring slixmpp. tests/test_verify_caas.py holds it to what verify reads.
VERIFY_EPILOG = """\
The report: the XMPP Compliance Suites 2023 (XEP-0479) categories at the Server and Advanced
Server levels, each with the specifications it requires and those not shown to work; the
Conversations compliance tester's 25 tests by caas's names, scored as caas scores them
(n/21 counted, m/4 informational, and whether caas would list the server as compliant: all
21 and xep0077); and what clients find around ejabberd (DNS, web server, ports).

environment:
  EJABBERD_WIZARD_NAMESERVER=HOST[:PORT]
        send every DNS query verify makes to this nameserver (as check --nameserver does),
        e.g. for split-horizon DNS or a test zone
  EJABBERD_WIZARD_HTTP_BASE='https://HOST=http://IP:PORT ...'
        send the HTTP requests for an origin (host-meta, upload, BOSH, WebSocket) to another
        base, keeping the Host header: for testing without the web server in front of ejabberd,
        which terminates TLS in production

exit status: 0 every test passed or could not run here, 1 a test failed, 2 no session to test
with (server down, wrong password, untrusted certificate) or bad input
"""


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ejabberd-wizard", description="Set up a complete ejabberd deployment.")
    parser.add_argument("--version", action="version", version=f"ejabberd-wizard {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    def with_inputs(sub: argparse.ArgumentParser, out_required: bool = False) -> None:
        sub.add_argument("--preset", help="preset to start from (see `ejabberd-wizard presets`); without it, "
                         "the answers' preset, else the wizard preselects this machine's")
        sub.add_argument("--out", type=_directory, required=out_required, default=None if out_required else DEFAULT_OUT,
                         help=f"deployment directory (default: ./{DEFAULT_OUT})")
        sub.add_argument("--answers", type=Path, help="answers file (YAML); default: DIR/wizard.yml when it exists")
        sub.add_argument("--import", dest="import_from", type=Path, nargs="?", const=True, metavar="FILE",
                         help="start from an existing ejabberd.yml, under the answers file "
                              "(alone: the preset's live config)")

    for name, help_text in (("tui", "the full-screen wizard (default)"),
                            ("plain", "the same questions, one line at a time")):
        with_inputs(commands.add_parser(name, help=help_text))
    generate = commands.add_parser("generate", help="write the deployment directory from answers")
    with_inputs(generate, out_required=True)
    generate.add_argument("--dry-run", action="store_true", help="show the diff, write nothing")
    generate.add_argument("--yes", action="store_true", help="write without asking")
    generate.add_argument("--overwrite-local-edits", action="store_true",
                          help="replace every file edited by hand since the wizard wrote it (kept by default)")
    generate.add_argument("--take", action="append", default=[], metavar="PATH",
                          help="replace this file edited by hand (a path in DIR, as the diff names it); repeatable")
    diff = commands.add_parser("diff", help="show what generate would change (exit 1 when anything would)")
    with_inputs(diff, out_required=True)
    check = commands.add_parser("check", help="check this machine against the answers: ports, certificates, DNS, ...")
    check.add_argument("--out", type=_directory, default=None, help="deployment directory whose wizard.yml to check")
    check.add_argument("--answers", type=Path, help="answers file to check")
    check.add_argument("--preset", help="preset the answers start from")
    check.add_argument("--nameserver", help="send every DNS query to HOST[:PORT]")
    check.add_argument("--only", help="comma-separated groups: ports,certs,dns,env,config")
    check.add_argument("--format", choices=("text", "json"), default="text")
    verify = commands.add_parser("verify", help="log in to a running server and test what clients need (compliance)",
                                 epilog=VERIFY_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.add_argument("--jid", required=True)
    verify.add_argument("--password-file", type=Path,
                        help="file whose first line is the password (default: ask on the terminal)")
    verify.add_argument("--server", help="host to connect to (default: the JID's domain, via SRV)")
    verify.add_argument("--port", type=int)
    trust = verify.add_mutually_exclusive_group()
    trust.add_argument("--ca", type=Path, help="CA certificate to trust")
    trust.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    verify.add_argument("--format", choices=("text", "json"), default="text")
    upgrade = commands.add_parser("upgrade", help="write the deployment for a newer ejabberd release, with the steps")
    upgrade.add_argument("--to", required=True, metavar="RELEASE", help="the release to move to, e.g. 26.07")
    upgrade.add_argument("--out", type=_directory, required=True, help="deployment directory")
    upgrade.add_argument("--dry-run", action="store_true", help="show the diff, write nothing")
    upgrade.add_argument("--yes", action="store_true", help="write without asking")
    rollback = commands.add_parser("rollback", help="undo the last write to the deployment directory")
    rollback.add_argument("--out", type=_directory, required=True, help="deployment directory")
    commands.add_parser("presets", help="list the presets")
    commands.add_parser("schema", help="print the JSON schema of the answers file")
    return parser


COMMANDS = ("tui", "plain", "generate", "diff", "check", "verify", "upgrade", "rollback", "presets", "schema")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    # The wizard is the default command: `ejabberd-wizard --out DIR` means `tui --out DIR`.
    if not arguments or (arguments[0] not in COMMANDS and arguments[0] not in ("-h", "--help", "--version")):
        arguments.insert(0, "tui")
    # A terminal that cannot show a character (an international domain in a diff)
    # gets an escape instead of a traceback.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        return _run(_parser().parse_args(arguments))
    except (InputError, PresetError) as error:
        print(f"ejabberd-wizard: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("\nejabberd-wizard: interrupted; nothing was written.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of the output went away (`... | head`): stop quietly, as a program that
        # SIGPIPE ends does, with its exit code. What is still buffered for stdout would fail
        # again as Python flushes it at exit: it goes to /dev/null instead.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def _run(args: argparse.Namespace) -> int:
    command = args.command
    if command == "presets":
        return _presets()
    if command == "schema":
        from wizard.answers.model import Answers

        print(json.dumps(Answers.model_json_schema(), indent=2))
        return EXIT_OK
    if command in ("generate", "diff", "upgrade", "rollback", "check", "verify"):
        from wizard import cli_commands

        if command == "diff":
            return cli_commands.run_diff(args.out, args.preset, args.answers, args.import_from)
        if command == "generate":
            return cli_commands.run_generate(args.out, args.preset, args.answers, dry_run=args.dry_run,
                                             assume_yes=args.yes, overwrite_local_edits=args.overwrite_local_edits,
                                             take=args.take, import_from=args.import_from)
        if command == "upgrade":
            return cli_commands.run_upgrade(args.out, args.to, dry_run=args.dry_run, assume_yes=args.yes)
        if command == "rollback":
            return cli_commands.run_rollback(args.out)
        if command == "check":
            return cli_commands.run_check(args)
        return cli_commands.run_verify(args)
    if command in ("plain", "tui"):
        _front_end_can_start(args)
    if command == "plain":
        from screens.plain import run_plain

        return run_plain(args.out, args.preset, args.answers, args.import_from)
    from screens.app import run_tui

    return run_tui(args.out, args.preset, args.answers, args.import_from)


def _front_end_can_start(args: argparse.Namespace) -> None:
    """What a front end needs before it starts: a usable --out, a known preset, and a terminal
    (without one the TUI waits for keys that never come, and plain mode ends in an EOFError)."""
    from wizard.deployment.plan import check_output_dir

    check_output_dir(args.out)
    if args.preset:
        from wizard.answers.build import load_preset

        load_preset(args.preset)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InputError(f"{args.command}: no terminal to ask the questions on (stdin or stdout is not one); "
                         "run it in a terminal, or write the answers file and use `ejabberd-wizard generate`")


def _presets() -> int:
    import presets
    from wizard.machine import detect_platform

    found = detect_platform()  # the one the wizard preselects, and why
    for name in presets.names():
        mark = f"  (this machine: {found.reason})" if found and found.preset == name else ""
        print(f"{name:<12} {presets.load(name).description}{mark}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
