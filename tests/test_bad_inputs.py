"""The bad-input catalogue: every path the wizard reads input from, fed what it must refuse.

The contract for each case: one line on stderr naming where the problem is (file and line,
field, flag or variable) and what is expected, exit code 2, no traceback, nothing written.

Input paths, and what covers them:

- answers file (``--answers FILE``, and ``DIR/wizard.yml`` on a re-run): ``ANSWERS_FILE_CASES``
- the deployment directory (``--out DIR``): ``test_deployment_directory_*``
- every kind of TUI field (Textual's Pilot): ``TUI_CASES``
- plain mode: ``PLAIN_CASES`` through ``Question.parse`` (what questionary's validator shows),
  and one run in a real terminal (tmux)
- command-line flags: ``FLAG_CASES`` through ``wizard.cli.main``, a few through the console script
- environment: ``test_environment_*``
- an imported ejabberd.yml (``--import FILE``): ``IMPORT_CASES``; it arrived while this catalogue
  was written, so it has the cases of the file itself (size, encoding, YAML bombs, shape) and
  none of its mapping of options.

Values that are valid but hostile (paths with spaces, quotes, ``$(...)``, backticks and ``;``)
are taken and quoted: tests/test_generated_files.py and tests/test_fuzz.py show that. Here they
appear in the fields that do not take them. Where the wizard breaks the contract the case is
``xfail(strict=True)`` with the reason: those are bugs to fix, not expectations.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Static

import presets
from screens.app import WizardApp
from screens.fields import QuestionField
from screens.plain import _show_findings
from screens.work import FilesWritten, ProposalReady, WorkFailed
from tests.answers_helpers import (
    ACCOUNT,
    defaults,
    deployment_files,
    snapshot,
    write_answers,
    write_secret,
)
from tests.support.components import require
from tests.support.terminal import Terminal
from tests.support.waiting import Posted, focus, until
from wizard.answers.catalogue import by_path
from wizard.answers.draft import Draft
from wizard.answers.given import Given
from wizard.cli import main
from wizard.errors import InputError
from wizard.machine import Machine

HOST = "example.test"
MACHINE = Machine(login=ACCOUNT["user"], home_dir=ACCOUNT["home"])
CONSOLE_SCRIPT = Path(sys.executable).with_name("ejabberd-wizard")


@dataclass(frozen=True)
class Rejection:
    """What a refused input left: the exit code and both streams."""

    code: int
    out: str
    err: str

    def check(self, *expected: str) -> None:
        """The contract: exit 2, exactly one line naming the problem, no traceback."""
        assert self.code == 2, self
        assert self.err.startswith("ejabberd-wizard: ") and self.err.count("\n") == 1, self.err
        assert "Traceback" not in self.err + self.out
        for text in expected:
            assert text in self.err, (text, self.err)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Rejection:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return Rejection(code, captured.out, captured.err)


def run_console_script(*argv: str | bytes, env: dict[str, str] | None = None) -> Rejection:
    result = subprocess.run([str(CONSOLE_SCRIPT), *argv], check=False, capture_output=True, timeout=60,
                            env={**os.environ, **(env or {})})
    return Rejection(result.returncode, result.stdout.decode("utf-8", "replace"),
                     result.stderr.decode("utf-8", "replace"))


# -- the answers file ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    content: bytes | dict[str, Any]  # raw bytes, or changes on top of the arch defaults
    expected: tuple[str, ...]
    bug: str | None = None  # why the wizard fails this case today (xfail, strict)
    only: Callable[[str], bool] | None = field(default=None, compare=False)  # extra check of the message


def yaml_text(text: str) -> bytes:
    """Raw YAML after the lines every case needs (preset, account, domain): lines 1-3."""
    return (f"preset: arch\ninstall: {{user: {ACCOUNT['user']}, home: {ACCOUNT['home']}}}\n"
            f"domains: {{hosts: [{HOST}]}}\n" + text).encode()


BILLION_LAUGHS = yaml_text('lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"lol{n}: &{chr(97 + n)} [{', '.join([f'*{chr(96 + n)}'] * 9)}]\n" for n in range(1, 9)))
HUGE = "a" * 100_000

ANSWERS_FILE_CASES = [
    # Malformed YAML
    Case("unclosed-flow-list", yaml_text("ports: {c2s: [5222\n"), ("not valid YAML",)),
    Case("tab-indentation", yaml_text("ports:\n\tc2s: 5222\n"), (":5: not valid YAML", "'\\t'")),
    Case("duplicate-key", yaml_text("ports: {c2s: 1}\nports: {s2s: 2}\n"),
         (":5: not valid YAML: the key 'ports' is there twice in the mapping that starts on line 1",)),
    Case("two-documents", yaml_text("---\nports: {}\n"), ("not valid YAML",)),
    Case("scalar-document", b"just some words\n", ("expected a mapping of sections",)),
    Case("python-tag-runs-nothing", yaml_text('ports: !!python/object/apply:os.system ["touch /tmp/ejw-pwned"]\n'),
         (":4: ports:", "valid dictionary")),
    Case("billion-laughs", BILLION_LAUGHS, (":5: YAML aliases (*a) are not allowed",)),
    Case("merge-key-alias", yaml_text("base: &b {c2s: 5222}\nports:\n  <<: *b\n"),
         ("YAML aliases (*b) are not allowed",)),
    Case("nested-500-deep", yaml_text("ports: " + "[" * 500 + "]" * 500 + "\n"),
         (":4: ports: nested more than 16 levels deep", "expected sections of a few levels")),
    Case("nested-500-deep-in-blocks", yaml_text("tls:\n" + "".join(f"{'  ' * n}- \n" for n in range(1, 500))),
         (":20: tls: nested more than 16 levels deep",)),
    Case("nested-500-deep-without-sections", b"[" * 500 + b"]" * 500 + b"\n", (":1: nested more than 16 levels deep",)),
    # Encodings
    Case("latin-1-byte", yaml_text('service: {admin_user: "j"}\n').replace(b'"j"', b'"j\xe9r\xf4me"'),
         (":4: byte 116 is not UTF-8", "expected a UTF-8 text file")),
    Case("utf-16-file", "preset: arch\n".encode("utf-16"), (":1: byte 0 is not UTF-8",)),
    Case("larger-than-256-kib", yaml_text("# " + "x" * 256 * 1024 + "\n"),
         ("larger than 256 KiB; an answers file takes a few kB",)),
    # Small enough, but a parse of minutes: refused at the first value too many.
    Case("too-many-values", yaml_text("contacts: [" + ", ".join(["x"] * 20_000) + "]\n"),
         ("more than 10000 values; an answers file holds about a hundred",)),
    Case("nul-byte", yaml_text("ports: {c2s: 5222}\n\x00\n"), ("not valid YAML",)),
    Case("multi-line-value-in-duplicate-key", yaml_text('extra: "a\\nb"\nextra: 1\n'),
         ("the key 'extra' is there twice",)),
    # Wrong types
    Case("port-as-list", {"ports": {"c2s": [5222]}}, (":9: ports.c2s", "valid integer")),
    Case("port-as-float", {"ports": {"c2s": 5222.5}}, ("ports.c2s", "valid integer")),
    Case("port-as-boolean", {"ports": {"c2s": True}}, ("ports.c2s",)),
    Case("hosts-as-string", {"domains": {"hosts": HOST}}, ("domains.hosts", "valid list")),
    Case("section-as-list", {"tls": ["starttls_required"]}, ("tls:", "valid dictionary")),
    Case("section-as-null", {"upload": None}, ("upload:", "valid dictionary")),
    Case("boolean-as-word", {"tls": {"starttls_required": "perhaps"}}, ("tls.starttls_required", "valid boolean")),
    Case("integer-as-word", {"database": {"pool_size": "five"}}, ("database.pool_size", "valid integer")),
    Case("schema-version-2", {"version": 2}, ("version: 2 was written by a newer ejabberd-wizard",)),
    Case("schema-version-huge-string", {"version": HUGE}, ("version: 'aaaa", "is not a version of the answers format"),
         only=lambda err: len(err) < 300),
    Case("port-as-huge-string", {"ports": {"c2s": HUGE}}, ("ports.c2s", "valid integer", "(got 'aaaa"),
         only=lambda err: len(err) < 300),
    Case("preset-as-number", yaml_text("").replace(b"preset: arch", b"preset: 42"),
         ("preset: expected a preset name",)),
    # Unknown keys
    Case("unknown-section", {"domain": {"hosts": [HOST]}}, ("domain: unknown key", "expected one of: version, preset")),
    Case("unknown-field", {"ports": {"c2s_starttls": 5222}}, ("ports.c2s_starttls: unknown key", "c2s, c2s_tls")),
    Case("password-in-answers", {"database": {"password": "hunter2"}},
         ("database.password: unknown key", "password_source, password_file")),
    # Empty values
    Case("empty-domain", {"domains": {"hosts": [""]}}, ("domains.hosts.0", "expected a domain name")),
    Case("no-domains", {"domains": {"hosts": []}}, ("domains.hosts", "at least 1 item")),
    Case("empty-user", {"install": {"user": ""}}, ("install.user", "'' is not a valid user name")),
    Case("empty-path", {"tls": {"cert_file": ""}}, ("tls.cert_file", "'' is not an absolute path")),
    Case("empty-preset", yaml_text("").replace(b"preset: arch", b"preset: ''"), ("no preset chosen",)),
    Case("empty-file", b"", ("no preset chosen", "--preset NAME")),
    # Huge values
    Case("port-10-to-the-30", {"ports": {"stun": 10**30}}, ("ports.stun", "expected a whole number from 1 to 65535")),
    Case("label-of-64", {"domains": {"hosts": ["a" * 64 + ".org"]}}, ("domains.hosts.0", "Label too long")),
    Case("domain-of-254", {"domains": {"hosts": [".".join(["a" * 62] * 4) + ".org"]}},
         ("domains.hosts.0", "Domain too long")),
    Case("user-of-33", {"service": {"admin_user": "a" * 33}}, ("service.admin_user", "not a valid user name")),
    Case("100-kb-domain", {"domains": {"hosts": [HUGE + ".org"]}}, ("domains.hosts.0",),
         only=lambda err: len(err) < 2000),
    Case("path-beyond-path-max", {"install": {"config_dir": "/" + "d" * 5000}}, ("install.config_dir",)),
    # Domains
    Case("uppercase-idn", {"domains": {"hosts": ["Bücher.example"]}},
         ("write the domain in lowercase ('bücher.example')",)),
    Case("trailing-dot-idn", {"domains": {"hosts": ["bücher.example."]}},
         ("without the trailing dot ('bücher.example')",)),
    Case("bad-punycode", {"domains": {"hosts": ["xn--abc.example"]}},
         ("'xn--abc.example' is not a valid domain name",)),
    Case("symbol-in-idn", {"domains": {"hosts": ["☃.example"]}}, ("not a valid domain name", "U+2603")),
    Case("underscore", {"domains": {"hosts": ["exa_mple.org"]}}, ("'exa_mple.org' is not a valid domain name",)),
    Case("single-label", {"domains": {"hosts": ["localhost"]}}, ("expected labels of letters, digits and hyphens",)),
    Case("empty-label", {"domains": {"hosts": ["example..org"]}}, ("Empty Label",)),
    Case("command-in-domain", {"domains": {"hosts": ["`id`.example"]}}, ("domains.hosts.0", "not a valid domain name")),
    Case("ideographic-full-stop", {"domains": {"hosts": ["example\u3002org"]}}, ("domains.hosts.0",)),
    Case("subdomain-with-space", {"domains": {"conference": "group chat"}},
         ("domains.conference", "not a valid subdomain label")),
    Case("bad-ipv4", {"domains": {"ipv4": "192.0.2.300"}}, ("domains.ipv4", "is not an IP address")),
    # Ports
    Case("port-0", {"ports": {"c2s": 0}}, ("ports.c2s: 0 is not a port",)),
    Case("port-negative", {"ports": {"proxy65": -1}}, ("ports.proxy65: -1 is not a port",)),
    Case("port-65536", {"ports": {"admin_http": 65536}}, ("ports.admin_http: 65536 is not a port",)),
    Case("stun-on-the-web-port", {"ports": {"stun": 5444}}, ("ports.stun: port 5444 is already used by ports.http",)),
    Case("admin-on-the-web-port", {"ports": {"admin_http": 5444}}, ("port 5444 is already used by ports.http",)),
    Case("mqtt-on-the-client-port", {"security": {"mqtt": True}, "ports": {"mqtt": 5222}},
         ("ports.mqtt: port 5222 is already used by ports.c2s",)),
    # Paths and shell characters where they do not belong
    Case("relative-path", {"install": {"spool_dir": "var/lib/ejabberd"}},
         ("install.spool_dir", "not an absolute path")),
    Case("newline-in-path", {"install": {"log_dir": "/var/log\n/etc"}}, ("install.log_dir", "control character")),
    Case("carriage-return-in-path", {"service": {"backup_dir": "/srv/b\rackup"}},
         ("service.backup_dir", "control character")),
    Case("unknown-placeholder", {"tls": {"key_file": "/etc/{domain}.key"}},
         ("tls.key_file", "unknown placeholder {domain}")),
    Case("unbalanced-brace", {"tls": {"cert_file": "/etc/{name.pem"}}, ("tls.cert_file", "unbalanced braces")),
    # What no Caddyfile token gives Caddy as written (the arch preset serves its web root with Caddy)
    Case("caddy-root-with-backtick-and-escaped-quote", {"service": {"web_root": '/srv/`id`\\"x'}},
         ("service.web_root", "a backtick and a backslash before")),
    Case("caddy-root-with-backslash-before-closing-brace", {"service": {"web_root": "/srv/a\\}"}},
         ("service.web_root", "a backslash before '}'")),
    Case("caddy-certificate-with-literal-brace", {"tls": {"cert_file": "/etc/{{x}}/{name}.pem"}},
         ("tls.cert_file", "braces in certificate paths")),
    Case("command-in-user", {"service": {"admin_user": "$(id)"}}, ("service.admin_user", "not a valid user name")),
    Case("backticks-in-system-user", {"install": {"user": "a`id`"}}, ("install.user", "not a valid user name")),
    Case("semicolon-in-database-name", {"database": {"backend": "mysql", "name": "ejabberd; DROP DATABASE mysql"}},
         ("database.name", "should match pattern")),
    Case("command-in-database-server", {"database": {"backend": "mysql", "server": "$(reboot)"}},
         ("database.server", "should match pattern")),
    Case("semicolon-in-upload-path", {"upload": {"path": "/upload;rm"}}, ("upload.path", "should match pattern")),
    Case("quote-in-control-list", {"tls": {"protocol_options": ["no_tlsv1\n- evil"]}},
         ("tls.protocol_options.0", "control character")),
    # Other values
    Case("mode-without-leading-zero", {"upload": {"file_mode": "640"}}, ("upload.file_mode", "should match pattern")),
    Case("world-writable-upload-dir", {"upload": {"dir_mode": "0777"}}, ("upload.dir_mode",)),
    Case("contact-without-scheme", {"compliance": {"abuse_addresses": ["abuse at example.test"]}},
         ("compliance.abuse_addresses.0", "not a contact URI")),
    Case("javascript-origin", {"upload": {"cors_origin": "javascript:alert(1)"}},
         ("upload.cors_origin", "not an origin")),
    Case("captcha-without-command", {"security": {"registration": "captcha"}},
         ("security.captcha_cmd", "needs the path of a CAPTCHA script")),
    Case("unknown-log-level", {"security": {"loglevel": "verbose"}}, ("security.loglevel", "'warning'")),
    Case("strength-above-128", {"security": {"password_strength": 129}}, ("security.password_strength", "128")),
    Case("secret-too-short", {"upload": {"secret_length": 4}}, ("upload.secret_length", "greater than or equal to 8")),
    Case("release-too-old", {"install": {"version": "20.01"}}, ("install.version", "older than 20.04")),
    Case("release-as-word", {"install": {"version": "latest"}}, ("install.version", "expected YY.MM")),
    Case("preset-path-traversal", yaml_text("").replace(b"preset: arch", b"preset: ../../etc/passwd"),
         ("unknown preset '../../etc/passwd'", "expected one of")),
]


def _params(cases: list[Any]) -> list[Any]:
    return [pytest.param(case, id=case.id, marks=pytest.mark.xfail(strict=True, reason=case.bug) if case.bug else ())
            for case in cases]


@pytest.mark.parametrize("case", _params(ANSWERS_FILE_CASES))
def test_answers_file(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "answers.yml"
    if isinstance(case.content, bytes):
        bad.write_bytes(case.content)
    else:
        write_answers(bad, defaults("arch", HOST, **case.content))
    out = tmp_path / "deploy"
    rejection = run(capsys, "generate", "--out", str(out), "--answers", str(bad), "--yes")
    rejection.check(*case.expected)
    assert rejection.err.startswith(f"ejabberd-wizard: {bad}") or "preset" in rejection.err
    assert case.only is None or case.only(rejection.err)
    assert not out.exists()
    assert not Path("/tmp/ejw-pwned").exists()


def test_a_reused_anchor_is_refused_or_passed_over_quietly(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_bytes(yaml_text("").replace(b"install: {", b"install: &x {").replace(b"domains: {", b"domains: &x {"))
    result = run_console_script("generate", "--out", str(tmp_path / "deploy"), "--answers", str(answers), "--dry-run")
    assert "Warning" not in result.err and "site-packages" not in result.err, result.err


def test_a_broken_saved_answers_file_is_named_on_a_rerun(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deploy"
    assert run(capsys, "generate", "--out", str(out), "--answers",
               str(write_answers(tmp_path / "a.yml", defaults("arch", HOST))), "--yes").code == 0
    saved = out / "wizard.yml"
    saved.write_text(saved.read_text().replace("c2s: 5222", "c2s: [unclosed"))
    before = snapshot(out)
    for command in ("generate", "diff"):
        run(capsys, command, "--out", str(out)).check(f"{saved}:", "not valid YAML")
    assert snapshot(out) == before


# -- the deployment directory ----------------------------------------------------------------


@pytest.fixture
def answers_file(tmp_path: Path) -> Path:
    return write_answers(tmp_path / "answers.yml", defaults("arch", HOST))


@pytest.mark.parametrize("command", ["generate", "diff", "tui", "plain", "rollback"])
def test_deployment_directory_that_is_a_file(command: str, tmp_path: Path, answers_file: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "deploy"
    a_file.write_text("mine\n")
    extra = [] if command == "rollback" else ["--answers", str(answers_file)]
    run(capsys, command, "--out", str(a_file), *extra).check(f"--out {a_file}: is a file; expected a directory")
    assert a_file.read_text() == "mine\n"


@pytest.fixture
def generated(tmp_path: Path, answers_file: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "deploy"
    assert run(capsys, "generate", "--out", str(out), "--answers", str(answers_file), "--yes").code == 0
    return out


def _changed_answers(tmp_path: Path) -> Path:
    return write_answers(tmp_path / "changed.yml", defaults("arch", HOST, upload={"max_size": 5_000_000}))


@pytest.mark.parametrize("obstacle", ["symlink-out", "directory", "not-a-directory", "not-utf-8",
                                      "saved-answers-symlink"])
def test_deployment_directory_with_a_file_in_the_way(obstacle: str, generated: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = generated / "config" / "ejabberd.yml"
    outside = tmp_path / "outside.txt"
    outside.write_text("not the wizard's\n")
    expected = {
        "symlink-out": "outside the deployment directory (a symlink?); remove it",
        "directory": "is a directory; expected the file config/ejabberd.yml",
        "not-a-directory": "cannot read: Not a directory", "not-utf-8": "is not UTF-8 text; move it away",
        "saved-answers-symlink": "outside the deployment directory (a symlink?); remove it",
    }[obstacle]
    if obstacle == "symlink-out":
        config.unlink()
        config.symlink_to(outside)
    elif obstacle == "directory":
        config.unlink()
        config.mkdir()
    elif obstacle == "not-a-directory":
        for path in (generated / "config").iterdir():
            path.unlink()
        (generated / "config").rmdir()
        (generated / "config").write_text("a file where a directory belongs\n")
    elif obstacle == "not-utf-8":
        config.write_bytes(b"hosts: [\xff]\n")
    else:
        (generated / "wizard.yml").unlink()
        (generated / "wizard.yml").symlink_to(outside)
    before = snapshot(generated)
    run(capsys, "generate", "--out", str(generated), "--answers", str(_changed_answers(tmp_path)),
        "--yes").check(expected)
    assert snapshot(generated) == before and outside.read_text() == "not the wizard's\n"


def test_deployment_directory_with_a_symlinked_directory_to_outside(generated: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for script in (generated / "scripts").iterdir():
        script.unlink()
    (generated / "scripts").rmdir()
    (generated / "scripts").symlink_to(elsewhere)
    rejection = run(capsys, "generate", "--out", str(generated), "--answers", str(_changed_answers(tmp_path)), "--yes")
    assert list(elsewhere.iterdir()) == []
    rejection.check("scripts", "outside the deployment directory")


def test_deployment_directory_with_a_lock_file_that_points_outside(generated: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n")
    (generated / ".wizard.lock").unlink()
    (generated / ".wizard.lock").symlink_to(victim)
    rejection = run(capsys, "generate", "--out", str(generated), "--answers", str(_changed_answers(tmp_path)), "--yes")
    assert victim.read_text() == "precious\n"
    rejection.check(".wizard.lock")


@contextlib.contextmanager
def tmpfs(directory: Path, size: str) -> Iterator[Path]:
    """A small tmpfs of its own at ``directory``, unmounted whatever happens."""
    directory.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(directory)],
                             check=False, capture_output=True, text=True, timeout=30)
    if mounted.returncode != 0:
        pytest.skip(f"this machine does not let the tests mount a tmpfs ({mounted.stderr.strip()}); "
                    "a full or read-only disk cannot be made here")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], capture_output=True, timeout=30, check=True)


DEEP_CONFIG = "hosts: [example.test]\nmodules: " + "[" * 500 + "]" * 500 + "\n"


def test_deployment_directory_with_a_config_nested_500_deep(generated: Path, answers_file: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    config = generated / "config" / "ejabberd.yml"
    config.write_text(DEEP_CONFIG)
    before = snapshot(generated)
    # Not replaced (that would lose what the file holds): named, for the user to mend or move away.
    run(capsys, "generate", "--out", str(generated), "--answers", str(answers_file),
        "--yes").check(f"{config}:", "nested more than 64 levels deep", "move it away")
    assert snapshot(generated) == before


def test_check_names_a_config_nested_500_deep(generated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = generated / "config" / "ejabberd.yml"
    config.write_text(DEEP_CONFIG)
    capsys.readouterr()
    assert main(["check", "--out", str(generated), "--only", "config", "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert not [finding for finding in findings if finding["check"] == "config.failed"], findings
    assert any(finding["check"] == "config.parse" and finding["subject"].startswith(str(config))
               for finding in findings)


def test_deployment_directory_on_a_read_only_file_system(tmp_path: Path, answers_file: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with tmpfs(tmp_path / "mnt", "1m") as mount:
        (mount / "existing").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True, capture_output=True, timeout=30)
        for out in (mount / "existing", mount / "new"):
            run(capsys, "generate", "--out", str(out), "--answers", str(answers_file), "--yes").check(
                f"--out {out}: cannot write", "Read-only file system")
            assert snapshot(mount) == {}


def test_deployment_directory_on_a_full_disk(tmp_path: Path, answers_file: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with tmpfs(tmp_path / "mnt", "1m") as mount:
        out = mount / "deploy"
        assert run(capsys, "generate", "--out", str(out), "--answers", str(answers_file), "--yes").code == 0
        before = deployment_files(out)
        with contextlib.suppress(OSError), open(mount / "filler", "wb", buffering=0) as filler:
            while True:  # to the last block
                filler.write(b"\0" * 65536)
        rejection = run(capsys, "generate", "--out", str(out), "--answers", str(_changed_answers(tmp_path)), "--yes")
        rejection.check(f"--out {out}: cannot write", "No space left on device")
        assert deployment_files(out) == before
        (mount / "filler").unlink()


# -- every kind of TUI field -------------------------------------------------------------------

TUI_CASES = [
    # (field, typed text, part of the error shown under it)
    ("install.config_dir", "etc/ejabberd", "is not an absolute path"),
    ("install.user", "Root;rm", "is not a valid user name"),
    ("install.version", "latest", "expected YY.MM"),
    ("domains.hosts", "Example.ORG.", "without the trailing dot"),
    ("domains.conference", "group chat", "is not a valid subdomain label"),
    ("domains.ipv4", "300.1.1.1", "is not an IP address"),
    ("ports.c2s", "99999", "99999 is not a port"),
    ("ports.s2s", "abc", "'abc' is not a whole number"),
    ("tls.cert_file", "/etc/{domain}.pem", "unknown placeholder {domain}"),
    ("upload.max_size", "-5", "greater than or equal to 1"),
    ("upload.file_mode", "777", "is not an octal file mode"),
    ("compliance.abuse_addresses", "abuse at example", "is not a contact URI"),
    ("security.password_strength", "200", "less than or equal to 128"),
    ("service.admin_user", "$(id)", "is not a valid user name"),
    ("service.web_root", "srv/http", "is not an absolute path"),
]


async def _type_a_wrong_value(pilot: Any, app: WizardApp, path: str, text: str, expected: str) -> str:
    """The error shown under the field ``path`` once ``text`` is typed into it; it must say ``expected``."""
    step = by_path(path).step
    app.go_to(step)
    field = await until(pilot, lambda: app.screen.name == step
                        and app.screen.query_one(f"#q-{path.replace('.', '-')}", QuestionField), f"the field {path}")
    editor = field.editor
    assert isinstance(editor, Input)
    await focus(pilot, editor)
    # All but the last character put in quietly (each keystroke validates every answer), the last one typed.
    with editor.prevent(Input.Changed):
        editor.value = text[:-1]
    editor.cursor_position = len(editor.value)
    await pilot.press(text[-1])
    assert editor.value == text

    def error() -> str:
        shown = str(field.query_one(".question-error", Static).render())
        return shown if expected in shown else ""

    return await until(pilot, error, f"the error {expected!r} under {path}")


async def test_tui_fields_show_each_error_under_the_field_and_nothing_can_be_written(tmp_path: Path) -> None:
    out = tmp_path / "deploy"
    app = WizardApp(out, "arch", Given({"domains": {"hosts": [HOST]}}), MACHINE, checks=False)
    posted = Posted()
    async with app.run_test(size=(120, 40), message_hook=posted) as pilot:
        for path, text, expected in TUI_CASES:
            shown = await _type_a_wrong_value(pilot, app, path, text, expected)
            assert "\n" not in shown.strip()
            assert app.step_states()[by_path(path).step].name == "ERRORS", path
        await pilot.press("ctrl+r")
        # The answers in the model are valid: the wrong values were never taken into it.
        await posted.next(pilot, ProposalReady)
        assert app.screen.query_one("#write", Button).disabled
        assert "install.config_dir" in str(app.screen.query_one("#status", Static).render())
        await pilot.press("ctrl+w")  # disabled: does nothing
        await pilot.pause()
        assert not posted.of(FilesWritten)
    assert app.written_files == 0 and not out.exists()


# -- plain mode ----------------------------------------------------------------------------------

PLAIN_CASES = [
    ("install.method", "binary", "'source' or 'package'"),
    ("install.prefix", "~/ejabberd", "is not an absolute path"),
    ("install.home", " ", "is not an absolute path"),
    ("install.user", "", "is not a valid user name"),
    ("domains.hosts", "example.org, Bad.Example", "write the domain in lowercase"),
    ("domains.hosts", ",", "at least 1 item"),
    ("domains.proxy", "-proxy", "is not a valid subdomain label"),
    ("domains.ipv6", "2001:db8::g", "is not an IP address"),
    ("ports.c2s", "0", "0 is not a port"),
    ("ports.stuns", "5349.0", "is not a whole number"),
    ("ports.http", "-1", "-1 is not a port"),
    ("ports.listen_ip", "127.0.0.1", "'::' or '0.0.0.0'"),
    ("tls.key_file", "relative/{name}.key", "is not an absolute path"),
    ("tls.dhfile", "dh.pem", "is not an absolute path"),
    ("tls.s2s_use_starttls", "never", "'optional' or 'required'"),
    ("upload.path", "upload", "is not a path starting with '/'"),
    ("upload.secret_length", "1000", "less than or equal to 128"),
    ("upload.cors_origin", "https://a.example/path", "is not an origin"),
    ("database.port", "mysql", "is not a whole number"),
    ("database.user", "a b", "is not a name of up to 80"),
    ("database.pool_size", "0", "greater than or equal to 1"),
    ("compliance.support_addresses", "xmpp:@example.org", "expected xmpp:someone@example.org"),
    ("security.captcha_cmd", "captcha.sh", "is not an absolute path"),
    ("security.registration", "invite", "'closed', 'loopback', 'captcha' or 'open'"),
    ("service.manager", "runit", "'supervisord' or 'systemd'"),
    ("service.backup_dir", "./backups", "is not an absolute path"),
]


@pytest.mark.parametrize(("path", "text", "expected"), PLAIN_CASES, ids=[f"{p}={t!r}" for p, t, _ in PLAIN_CASES])
def test_plain_mode_refuses_the_typed_value_with_its_reason(path: str, text: str, expected: str) -> None:
    # Plain mode's questionary validator shows exactly this message and keeps the question open.
    with pytest.raises(ValueError) as refused:
        by_path(path).parse(text)
    message = str(refused.value)
    assert expected in message and "\n" not in message


@pytest.mark.slow
def test_plain_mode_in_a_real_terminal_refuses_a_value_and_a_bad_nameserver(tmp_path: Path) -> None:
    seed = write_answers(tmp_path / "seed.yml", {"preset": "arch", "domains": {"hosts": [HOST]}})
    out = tmp_path / "deploy"
    command = [sys.executable, "-m", "wizard", "plain", "--out", str(out), "--answers", str(seed)]
    env = {"TERM": "xterm-256color", "EJABBERD_WIZARD_NAMESERVER": "not a server:99999"}
    with Terminal(command, tmp_path / "tmux.sock", width=120, height=40, env=env) as terminal:
        terminal.wait_for("Installation method")
        terminal.send("Enter")  # package
        terminal.wait_for("ejabberd version")
        terminal.send("C-u", "latest")
        terminal.wait_for("'latest' is not an ejabberd version: expected YY.MM")
        terminal.send("Enter")  # refused: the question stays
        assert "System user" in terminal.answer("C-u", "23.01", "Enter")
        while terminal.answer("Enter"):  # the rest of the step, as shown, up to its checks
            pass
        screen = terminal.wait_for("TERMINAL-EXIT=")
    assert "TERMINAL-EXIT=2" in screen and "Traceback" not in screen
    assert "ejabberd-wizard: " in screen and "not a server:99999: '99999' is not a port" in screen
    assert not out.exists()


def test_environment_bad_nameserver_is_named_by_its_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EJABBERD_WIZARD_NAMESERVER", "not a server:99999")
    draft = Draft.start(presets.load("arch"), Given(defaults("arch", HOST)), MACHINE)
    with pytest.raises(InputError) as refused:
        _show_findings(draft, "install", tmp_path / "deploy")
    assert "EJABBERD_WIZARD_NAMESERVER" in str(refused.value)


# -- command-line flags ----------------------------------------------------------------------------

FLAG_CASES = [
    # (arguments; "{out}", "{answers}" and "{tmp}" are filled in; expected parts of the message)
    (["generate", "--answers", "{answers}"], ("the following arguments are required: --out",)),
    (["generate", "--out", "{out}", "--colour"], ("unrecognized arguments: --colour",)),
    (["generate", "--out", "{out}", "--preset", "nosuch"],
     ("--preset: unknown preset 'nosuch'", "arch, debian, uberspace")),
    (["diff", "--out", "{out}", "--preset", "../presets/arch"], ("unknown preset '../presets/arch'",)),
    (["generate", "--out", "{out}", "--preset", "arch"], ("domains.hosts: missing; this answer is required",)),
    (["generate", "--out", "{out}", "--answers", "{tmp}/missing.yml"],
     ("missing.yml: no such file; expected an answers file",)),
    (["generate", "--out", "{out}", "--answers", "{tmp}"], (": is a directory; expected an answers file",)),
    (["generate", "--out", "{out}", "--answers", ""], (".: is a directory; expected an answers file",)),
    (["plain", "--out", "{out}", "--preset", "nosuch"], ("--preset: unknown preset 'nosuch'",)),
    (["check", "--answers", "{answers}", "--only", ""], ("--only '': expected a comma-separated list",)),
    (["check", "--answers", "{answers}", "--only", "ports,tls"], ("unknown: tls",)),
    (["check", "--answers", "{answers}", "--format", "xml"], ("argument --format: invalid choice: 'xml'",)),
    (["check", "--answers", "{answers}", "--nameserver", "127.0.0.1:99999"], ("'99999' is not a port",)),
    (["check", "--answers", "{answers}", "--nameserver", ":53"], ("no host; expected HOST[:PORT]",)),
    (["check", "--out", "{tmp}/nothing-here"], ("wizard.yml: no such file", "--answers FILE")),
    (["verify", "--password-file", "{tmp}/pw"], ("the following arguments are required: --jid",)),
    (["verify", "--jid", "a@example.test", "--password-file", "{tmp}/pw", "--port", "abc"],
     ("argument --port: invalid int value: 'abc'",)),
    (["verify", "--jid", "a@example.test", "--password-file", "{tmp}/pw", "--ca", "x.pem", "--insecure"],
     ("not allowed with argument",)),
    (["verify", "--jid", "a@example.test", "--password-file", "{tmp}/missing-pw"], ("--password-file", "no such file")),
    # Without --password-file verify asks on the terminal; with none to ask on, it says what to give.
    (["verify", "--jid", "a@example.test"], ("--password-file: no terminal to ask the password on",)),
    (["rollback", "--out", "{tmp}"], ("nothing to roll back",)),
    (["frobnicate", "--out", "{out}"], ("unrecognized arguments: frobnicate",)),
]


@pytest.mark.parametrize(("argv", "expected"), FLAG_CASES,
                         ids=[" ".join(a).replace("{", "").replace("}", "") for a, _ in FLAG_CASES])
def test_command_line_flags(argv: list[str], expected: tuple[str, ...], tmp_path: Path, answers_file: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deploy"
    filled = [arg.format(out=out, answers=answers_file, tmp=tmp_path) for arg in argv]
    rejection = run(capsys, *filled)
    rejection.check(*expected)
    assert rejection.out == ""
    assert not out.exists()


def test_an_empty_out_is_refused(tmp_path: Path, answers_file: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    rejection = run(capsys, "generate", "--out", "", "--answers", str(answers_file), "--yes")
    assert snapshot(here) == {}
    rejection.check("--out")


def test_the_console_script_answers_bad_input_in_one_line(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x\n")
    bomb = tmp_path / "bomb.yml"
    bomb.write_bytes(BILLION_LAUGHS)
    cases: list[tuple[tuple[str | bytes, ...], str]] = [
        (("generate", "--out", str(a_file), "--answers", str(bomb)), "is a file; expected a directory"),
        (("generate", "--out", str(tmp_path / "d"), "--answers", str(bomb)), "YAML aliases (*a) are not allowed"),
        (("check", "--answers", str(bomb), "--nameserver", "x:0"), "'0' is not a port"),
        # A name that is not UTF-8, as a shell passes it.
        (("generate", "--out", str(tmp_path / "d"), "--answers", os.fsencode(tmp_path) + b"/\xff.yml"),
         "no such file; expected an answers file"),
    ]
    for argv, expected in cases:
        run_console_script(*argv).check(expected)
    assert not (tmp_path / "d").exists()


@pytest.mark.slow
def test_the_tui_refuses_an_unknown_preset_in_one_line(tmp_path: Path) -> None:
    command = [str(CONSOLE_SCRIPT), "tui", "--preset", "nosuch", "--out", str(tmp_path / "deploy")]
    with Terminal(command, tmp_path / "tmux.sock", env={"TERM": "xterm-256color"}) as terminal:
        screen = terminal.wait_for("TERMINAL-EXIT=", timeout=30)
    assert not (tmp_path / "deploy").exists()
    assert "TERMINAL-EXIT=2" in screen and "ejabberd-wizard: --preset: unknown preset 'nosuch'" in screen


# -- an imported ejabberd.yml ------------------------------------------------------------------

IMPORT_CASES = [
    ("missing", None, ("imported.yml: no such file; expected an ejabberd.yml to import",)),
    ("directory", "dir", ("imported.yml: is a directory; expected an ejabberd.yml to import",)),
    ("not-utf-8", b"hosts: [example.test]\nloglevel: \xff\n", ("imported.yml:2: byte 32 is not UTF-8",)),
    ("larger-than-4-mib", b"# " + b"x" * (4 * 1024 * 1024) + b"\n", ("larger than 4 MiB",)),
    ("nul-byte", b"hosts: [example.test]\n\x00\n", ("imported.yml:2: not valid YAML",)),
    ("unclosed", b"hosts: [example.test]\nloglevel: [\n", ("imported.yml:3: not valid YAML",)),
    ("billion-laughs", BILLION_LAUGHS, ("grows past 100000 nodes",)),
    ("nested-100-deep", b"hosts: " + b"[" * 100 + b"]" * 100 + b"\n",
     ("imported.yml:1: nested more than 64 levels deep",)),
    ("nested-500-deep", b"hosts: [example.test]\nmodules:\n" + b"".join(b"  " * n + b"a:\n" for n in range(1, 500)),
     ("imported.yml:66: nested more than 64 levels deep",)),
    ("alias-to-itself", b"hosts: &a [*a]\n", ("imported.yml:1: alias *a refers to a node it is part of",)),
    ("a-list", b"- hosts\n- listen\n", ("imported.yml: a list; expected an ejabberd config",)),
    ("empty", b"", ("imported.yml: empty; expected an ejabberd config",)),
]


@pytest.mark.parametrize(("content", "expected"), [case[1:] for case in IMPORT_CASES],
                         ids=[case[0] for case in IMPORT_CASES])
def test_imported_config(content: bytes | str | None, expected: tuple[str, ...], tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    imported = tmp_path / "imported.yml"
    if content == "dir":
        imported.mkdir()
    elif isinstance(content, bytes):
        imported.write_bytes(content)
    out = tmp_path / "deploy"
    run(capsys, "generate", "--out", str(out), "--preset", "arch", "--import", str(imported), "--yes").check(*expected)
    assert not out.exists()


def test_import_without_a_file_needs_a_preset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "generate", "--out", str(tmp_path / "deploy"), "--import", "--yes").check(
        "--import: without a file it imports the preset's live config", "--preset NAME")


def test_an_imported_password_never_becomes_an_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    imported = tmp_path / "imported.yml"
    imported.write_text(f"hosts: [{HOST}]\nsql_type: mysql\nsql_database: ejabberd\nsql_password: imported-s3cret\n")
    out = tmp_path / "deploy"
    write_secret(out / "db-password", "file-s3cret")
    code = main(["generate", "--out", str(out), "--preset", "arch", "--import", str(imported), "--yes"])
    shown = capsys.readouterr()
    assert code == 0, shown.err
    assert "imported-s3cret" not in shown.out + shown.err + (out / "wizard.yml").read_text()


# -- environment ---------------------------------------------------------------------------------


def _uberspace(tmp_path: Path) -> Path:
    """Uberspace's defaults: MySQL, its password from my_print_defaults (~/.my.cnf)."""
    return write_answers(tmp_path / "answers.yml", defaults("uberspace", HOST))


@pytest.mark.parametrize("home", ["missing", "a-file", "no-password"])
def test_environment_home_without_the_database_password(home: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    require("my_print_defaults", install="apt-get install mariadb-client")
    place = tmp_path / "home"
    if home == "a-file":
        place.write_text("not a directory\n")
    elif home == "no-password":
        place.mkdir()
        (place / ".my.cnf").write_text("[client]\nuser=isabell\n")
    monkeypatch.setenv("HOME", str(place))
    out = tmp_path / "deploy"
    run(capsys, "generate", "--out", str(out), "--answers", str(_uberspace(tmp_path)), "--yes").check(
        "database.password_source (my_print_defaults)", "add password= to [client] in ~/.my.cnf")
    assert not out.exists()


def test_environment_without_my_print_defaults(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    run(capsys, "generate", "--out", str(tmp_path / "deploy"), "--answers", str(_uberspace(tmp_path)), "--yes").check(
        "my_print_defaults is not installed", "password_source: file")


def test_environment_my_cnf_password_not_utf_8(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    require("my_print_defaults", install="apt-get install mariadb-client")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".my.cnf").write_bytes(b"[client]\npassword=p\xe4ss\n")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    run(capsys, "generate", "--out", str(tmp_path / "deploy"), "--answers", str(_uberspace(tmp_path)), "--yes").check(
        "database.password_source")


@pytest.mark.parametrize("problem", ["group-readable", "world-readable", "empty", "not-utf-8", "a-directory"])
def test_environment_password_file(problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deploy"
    password = out / "db-password"
    if problem == "a-directory":
        password.mkdir(parents=True)
    else:
        write_secret(password, "hunter2")
        password.write_bytes({"empty": b"", "not-utf-8": b"p\xe4ss\n"}.get(problem, b"hunter2\n"))
        password.chmod({"group-readable": 0o640, "world-readable": 0o644}.get(problem, 0o600))
    answers = write_answers(tmp_path / "answers.yml", defaults("arch", HOST, database={
        "backend": "mysql", "password_source": "file", "password_file": "db-password"}))
    before = snapshot(out)
    expected = {"group-readable": "chmod 600", "world-readable": "chmod 600", "empty": "expected the password on its "
                "first line", "not-utf-8": "cannot read it", "a-directory": "cannot read it"}[problem]
    rejection = run(capsys, "generate", "--out", str(out), "--answers", str(answers), "--yes")
    rejection.check(f"database.password_file ({password})", expected)
    assert "hunter2" not in rejection.err and snapshot(out) == before


def test_environment_crash_hook_with_garbage(tmp_path: Path, answers_file: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EJABBERD_WIZARD_TEST_CRASH_AFTER", "soon")
    out = tmp_path / "deploy"
    rejection = run(capsys, "generate", "--out", str(out), "--answers", str(answers_file), "--yes")
    assert snapshot(out) == {}
    rejection.check("EJABBERD_WIZARD_TEST_CRASH_AFTER")


def test_environment_terminal_that_cannot_show_the_domain(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "answers.yml", defaults("arch", "bücher.example"))
    rejection = run_console_script("generate", "--out", str(tmp_path / "deploy"), "--answers", str(answers),
                                   "--dry-run", env={"PYTHONIOENCODING": "ascii"})
    assert "Traceback" not in rejection.err
    assert rejection.code in (0, 2) and not (tmp_path / "deploy").exists()


async def test_environment_bad_nameserver_in_the_tui_is_shown_and_the_wizard_goes_on(tmp_path: Path) -> None:
    # What run_tui passes on from EJABBERD_WIZARD_NAMESERVER.
    app = WizardApp(tmp_path / "deploy", "arch", Given({"domains": {"hosts": [HOST]}}), MACHINE,
                    nameserver="not a server:99999")
    posted = Posted()
    async with app.run_test(size=(120, 40), message_hook=posted) as pilot:
        app.go_to("domains")  # its checks ask DNS

        def failure_shown() -> str | None:
            shown = str(app.screen.query_one("#findings-text", Static).render())
            return shown if app.screen.name == "domains" and "The checks could not run" in shown else None

        shown = await until(pilot, failure_shown, "the checks' failure on the domains step")
        assert any(failed.work == "the checks of this machine" for failed in posted.of(WorkFailed))
        assert app.is_running
    assert "The checks could not run" in shown and "'99999' is not a port" in shown
    assert not (tmp_path / "deploy").exists()
