"""The command-line contract: generate, diff, presets, schema, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]  # no stubs installed (types-jsonschema)
import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import defaults, everything_on, snapshot, write_answers, write_secret
from wizard.cli import main

SECRET = "pa'ss\"w0rd$(id)"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def answers_file(tmp_path: Path) -> Path:
    return write_answers(tmp_path / "answers.yml", defaults("arch"))


def test_presets_lists_each_preset_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "presets")
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["arch", "debian", "uberspace"]
    assert all(len(line.split(None, 1)[1]) > 20 for line in lines)


def test_schema_is_json_schema_that_accepts_written_answers(tmp_path: Path, answers_file: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    out_dir = tmp_path / "deploy"
    assert run(capsys, "generate", "--out", str(out_dir), "--answers", str(answers_file), "--yes")[0] == 0
    saved = YAML(typ="safe").load((out_dir / "wizard.yml").read_text())
    jsonschema.validate(saved, schema)
    saved["ports"]["c2s"] = "not a port"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(saved, schema)


def test_generate_writes_the_deployment_and_a_rerun_changes_nothing(tmp_path: Path, answers_file: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "deploy"
    code, out, _ = run(capsys, "generate", "--out", str(out_dir), "--answers", str(answers_file), "--yes")
    assert code == 0
    written = snapshot(out_dir)
    for fixed in ("wizard.yml", "config/ejabberd.yml", "dns/records.zone", "README.md"):
        assert fixed in written
    assert "service/ejabberd.service" in written and "web/Caddyfile" in written
    assert "+++ b/config/ejabberd.yml" in out  # new files are shown in full before writing

    # Same answers again, from the file or from the saved wizard.yml: nothing to do.
    assert run(capsys, "diff", "--out", str(out_dir), "--answers", str(answers_file)) == (0, "", "")
    assert run(capsys, "diff", "--out", str(out_dir))[0] == 0
    code, out, _ = run(capsys, "generate", "--out", str(out_dir), "--yes")
    assert code == 0 and "nothing to write" in out
    assert snapshot(out_dir) == written


def test_diff_shows_exactly_the_changed_option_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "deploy"
    first = write_answers(tmp_path / "a.yml", defaults("arch"))
    run(capsys, "generate", "--out", str(out_dir), "--answers", str(first), "--yes")
    bigger = write_answers(tmp_path / "b.yml", defaults("arch", upload={"max_size": 209715200}))
    code, out, _ = run(capsys, "diff", "--out", str(out_dir), "--answers", str(bigger))
    assert code == 1
    changed = [line for line in out.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    # wizard.yml, then config/ejabberd.yml: nothing else.
    assert changed == ["-  max_size: 104857600", "+  max_size: 209715200",
                       "-    max_size: 104857600", "+    max_size: 209715200"]


def test_dry_run_writes_nothing(tmp_path: Path, answers_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "deploy"
    code, out, _ = run(capsys, "generate", "--out", str(out_dir), "--answers", str(answers_file), "--dry-run")
    assert code == 0 and "nothing was written" in out
    assert not out_dir.exists()


def test_generate_without_yes_and_without_a_terminal_refuses(tmp_path: Path, answers_file: Path,
                                                             capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", open(os.devnull))
    out_dir = tmp_path / "deploy"
    code, _, err = run(capsys, "generate", "--out", str(out_dir), "--answers", str(answers_file))
    assert code == 2 and "--yes" in err
    assert not out_dir.exists()


def test_secrets_are_masked_in_every_output_and_kept_out_of_the_answers(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "deploy"
    write_secret(out_dir / "db-password", SECRET)
    answers = write_answers(tmp_path / "a.yml", everything_on("arch"))
    code, out, err = run(capsys, "generate", "--out", str(out_dir), "--answers", str(answers), "--yes")
    assert code == 0
    assert SECRET not in out + err
    assert 'sql_password: "********"' in out
    config = out_dir / "config" / "ejabberd.yml"
    assert YAML(typ="safe").load(config.read_text())["sql_password"] == SECRET
    assert config.stat().st_mode & 0o077 == 0
    assert SECRET not in (out_dir / "wizard.yml").read_text()

    # A changed password shows as a change without showing either password.
    write_secret(out_dir / "db-password", SECRET + "-new")
    code, out, _ = run(capsys, "diff", "--out", str(out_dir))
    assert code == 1 and SECRET not in out and "secret value changed" in out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"ports": {"c2s": "5222x"}}, "ports.c2s"),
        ({"ports": {"c2s": 0}}, "ports.c2s: 0 is not a port"),
        ({"ports": {"s2s": 70000}}, "ports.s2s: 70000 is not a port"),
        ({"ports": {"s2s": 5222}}, "ports.s2s: port 5222 is already used by ports.c2s"),
        ({"domains": {"hosts": ["exa mple.org"]}}, "domains.hosts.0: 'exa mple.org' is not a valid domain"),
        ({"domains": {"hosts": ["Example.org"]}}, "domains.hosts.0: 'Example.org': write the domain in lowercase"),
        ({"domains": {"hosts": ["example.org."]}},
         "domains.hosts.0: 'example.org.': write the domain without the trailing dot"),
        ({"domains": {"hosts": []}}, "domains.hosts"),
        ({"domains": {"colour": "blue"}}, "domains.colour: unknown key; expected one of: hosts, conference"),
        ({"surprise": 1}, "surprise: unknown key; expected one of: version, preset, install"),
        ({"install": {"version": "19.09"}}, "install.version: ejabberd 19.09 is older than 20.04"),
        ({"tls": {"cert_file": "/etc/{domain}.pem"}},
         "tls.cert_file: '/etc/{domain}.pem' uses an unknown placeholder {domain}"),
        ({"upload": {"docroot": "relative/path"}}, "upload.docroot: 'relative/path' is not an absolute path"),
        ({"upload": {"docroot": "/srv/a\nb"}}, "upload.docroot"),
        ({"compliance": {"abuse_addresses": ["abuse@example.test"]}}, "compliance.abuse_addresses.0"),
        ({"security": {"registration": "sometimes"}}, "security.registration"),
        ({"service": {"admin_user": "Admin; rm -rf /"}}, "service.admin_user"),
    ],
)
def test_bad_answers_exit_2_with_one_line_naming_the_field_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict, expected: str
) -> None:
    out_dir = tmp_path / "deploy"
    good = write_answers(tmp_path / "good.yml", defaults("arch"))
    assert run(capsys, "generate", "--out", str(out_dir), "--answers", str(good), "--yes")[0] == 0
    before = snapshot(out_dir)
    bad = write_answers(tmp_path / "bad.yml", defaults("arch", **change))
    code, out, err = run(capsys, "generate", "--out", str(out_dir), "--answers", str(bad), "--yes")
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert expected in err
    assert err.startswith(f"ejabberd-wizard: {bad}:")  # the file, and the line where it is known
    assert out == ""
    assert snapshot(out_dir) == before


def test_errors_name_the_line_of_the_answers_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("preset: arch\ninstall: {user: isabell, home: /home/isabell}\ndomains:\n  hosts: [example.test]\n"
                   "ports:\n  c2s: 99999\n")
    code, _, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(bad), "--yes")
    assert code == 2
    assert f"{bad}:6: ports.c2s: 99999 is not a port" in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"preset: arch\ndomains: [unclosed\n", "not valid YAML"),
        (b"- just\n- a list\n", "expected a mapping of sections"),
        (b"preset: arch\ndomains:\n  hosts: [\xff\xfe]\n", "is not UTF-8"),
        (b"a: &x [1, 2]\nb: *x\n", "aliases (*x) are not allowed"),
        (b"preset: nosuchpreset\n", "unknown preset 'nosuchpreset'"),
        (b"domains:\n  hosts: [example.test]\n", "no preset chosen"),
    ],
)
def test_malformed_answers_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes,
                                        expected: str) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_bytes(content)
    code, _, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(bad), "--yes")
    assert code == 2 and expected in err and err.count("\n") == 1
    assert not (tmp_path / "d").exists()


def test_out_that_is_a_file_or_missing_answers_exit_2(tmp_path: Path, answers_file: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("mine")
    code, _, err = run(capsys, "generate", "--out", str(a_file), "--answers", str(answers_file), "--yes")
    assert code == 2 and "is a file" in err and a_file.read_text() == "mine"
    code, _, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(tmp_path / "nope.yml"))
    assert code == 2 and "no such file; expected an answers file" in err
    code, _, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--bogus")
    assert code == 2 and "unrecognized arguments" in err


def test_missing_secret_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = write_answers(tmp_path / "a.yml", everything_on("arch"))
    code, _, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(answers), "--yes")
    assert code == 2 and "database.password_file" in err and "no such file" in err
    write_secret(tmp_path / "d" / "db-password", "x")
    os.chmod(tmp_path / "d" / "db-password", 0o644)
    code, _, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(answers), "--yes")
    assert code == 2 and "chmod 600" in err


def test_console_script_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    bad = write_answers(tmp_path / "bad.yml", defaults("uberspace", ports={"c2s": 70000}))
    script = Path(sys.executable).with_name("ejabberd-wizard")
    result = subprocess.run([str(script), "generate", "--out", str(tmp_path / "d"), "--answers", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().endswith("ports.c2s: 70000 is not a port: expected a whole number from 1 to 65535")
    assert "Traceback" not in result.stderr and not (tmp_path / "d").exists()


@pytest.mark.parametrize("command", [["generate", "--dry-run"], ["diff"], ["schema"], ["presets"]],
                         ids=lambda command: command[0])
def test_output_to_a_reader_that_went_away_ends_quietly(tmp_path: Path, answers_file: Path,
                                                        command: list[str]) -> None:
    """`ejabberd-wizard generate --dry-run | head`: the end of the pipe is closed before the command
    writes, as when head has read its lines, so every write fails (EPIPE)."""
    if command[0] in ("generate", "diff"):
        command = [*command, "--out", str(tmp_path / "d"), "--answers", str(answers_file)]
    script = Path(sys.executable).with_name("ejabberd-wizard")
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([str(script), *command], stdout=write_end, stderr=subprocess.PIPE, text=True,
                                timeout=60)
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr, result.stderr
    assert result.stderr == ""
    assert result.returncode == 128 + 13  # as a program that SIGPIPE ends
    assert not (tmp_path / "d").exists()


def test_a_preview_needs_no_secret_that_only_the_host_has(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Uberspace keeps the MySQL password in ~/.my.cnf on the host: off it, --dry-run and diff show the
    deployment with the password masked and say why; only writing needs the password."""
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.my.cnf here
    answers = write_answers(tmp_path / "answers.yml", defaults(
        "uberspace", database={"backend": "mysql", "password_source": "my_print_defaults"}))
    out = tmp_path / "d"
    code, shown, err = run(capsys, "generate", "--out", str(out), "--answers", str(answers), "--dry-run")
    assert code == 0, err
    note = next(line for line in shown.splitlines() if line.startswith("# database.password_source"))
    assert "writing needs it, where ejabberd runs" in note and note.endswith("the preview shows it as ********")
    assert '+  sql_password: "********"' in shown or "sql_password: \"********\"" in shown
    assert not out.exists()

    code, shown, _ = run(capsys, "diff", "--out", str(out), "--answers", str(answers))
    assert code == 1 and "the preview shows it as ********" in shown

    code, _, err = run(capsys, "generate", "--out", str(out), "--answers", str(answers), "--yes")
    assert code == 2 and err.startswith("ejabberd-wizard: database.password_source (my_print_defaults): ")
    assert not out.exists()
