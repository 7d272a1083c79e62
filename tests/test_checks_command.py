"""`ejabberd-wizard check`: where the answers come from, --only, text and JSON output, exit codes;
and the API the TUI uses (steps, the async variant)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from tests.answers_helpers import defaults, installed_ejabberd_version, write_answers
from tests.support.components import require
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.checks import Finding, Severity, checks_for_step, run_checks_async
from wizard.checks.report import text
from wizard.cli import main

KEYS = {"check", "group", "step", "severity", "subject", "message", "fix"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def deployment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A generated deployment for the ejabberd installed here; its certificates do not exist."""
    require("/usr/sbin/ejabberdctl")
    version = installed_ejabberd_version()
    assert version
    answers = defaults("arch", install={"version": version, "config_dir": str(tmp_path / "live")},
                       tls={"cert_file": str(tmp_path / "certs/{host}.pem"), "key_file": None})
    out = tmp_path / "deploy"
    assert main(["generate", "--out", str(out), "--answers", str(write_answers(tmp_path / "a.yml", answers)),
                 "--yes"]) == 0
    capsys.readouterr()
    return out


def test_without_saved_answers_it_is_exit_2_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "ejabberd-deploy/wizard.yml: no such file" in err and "--answers" in err
    code, _, err = run(capsys, "--out", str(tmp_path / "elsewhere"))
    assert code == 2 and f"{tmp_path / 'elsewhere' / 'wizard.yml'}: no such file" in err


def test_bad_only_and_bad_answers_are_exit_2(tmp_path: Path, deployment: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--out", str(deployment), "--only", "ports,nonsense")
    assert (code, out) == (2, "") and "unknown: nonsense" in err and err.count("\n") == 1
    broken = tmp_path / "broken.yml"
    broken.write_text("preset: arch\ndomains: {hosts: [example.test]}\nports: {c2s: not-a-port}\n")
    code, out, err = run(capsys, "--answers", str(broken))
    assert (code, out) == (2, "") and "ports.c2s" in err and err.count("\n") == 1


def test_saved_answers_of_the_deployment_are_checked(deployment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--out", str(deployment), "--only", "certs,config", "--format", "json")
    findings = json.loads(out)
    assert code == 1  # the certificates are missing
    assert findings and all(set(f) == KEYS for f in findings)
    assert {f["group"] for f in findings} == {"certs", "config"}
    assert any(f["check"] == "certs.file" and f["severity"] == "error" for f in findings)
    assert any(f["check"] == "config.file" or f["check"] == "config.deprecated" for f in findings)


def test_warnings_alone_exit_0(deployment: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--out", str(deployment), "--only", "config", "--format", "json")
    assert code == 0 and all(f["severity"] != "error" for f in json.loads(out))


def test_text_output_is_grouped_with_symbols_fixes_and_a_summary(deployment: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--out", str(deployment), "--only", "config,certs")
    lines = out.splitlines()
    assert code == 1
    assert lines.index("Certificates") < lines.index("Configuration")  # in the order of the groups
    error = next(i for i, line in enumerate(lines) if line.startswith("  ✗ "))
    assert "certs/example.test.pem" in lines[error] and "does not exist" in lines[error]
    assert lines[error + 1] == ("      fix: put the certificate (with its chain) for example.test "
                                "where tls.cert_file points")
    assert re.fullmatch(r"\d+ ok, \d+ info, \d+ warnings?, 1 error", lines[-1])


def test_text_without_unicode() -> None:
    findings = [Finding("x.y", "env", "install", Severity.ERROR, "thing", "broken", "repair it"),
                Finding("x.z", "env", "install", Severity.OK, "other", "fine")]
    shown = text(findings, ascii_only=True)
    assert shown == ("Environment\n  x thing: broken\n      fix: repair it\n  ok other: fine\n\n"
                     "1 ok, 0 info, 0 warnings, 1 error\n")


def test_checks_for_each_step() -> None:
    assert checks_for_step("tls") == {"certs"}
    assert checks_for_step("domains") == {"dns"}
    assert checks_for_step("ports") == {"ports"}
    assert checks_for_step("database") == {"env"}
    assert checks_for_step("install") == {"env", "config"}
    assert checks_for_step("security") == {"env"}  # the CAPTCHA command is run
    with pytest.raises(ValueError, match="unknown step"):
        checks_for_step("nope")


def test_step_filter_and_async_variant(tmp_path: Path) -> None:
    answers = build_from(None, Given(defaults("arch", upload={"docroot": str(tmp_path / "up")})))

    async def in_a_running_loop() -> list[Finding]:
        return await run_checks_async(answers, steps={"upload", "tls"}, out=tmp_path)

    findings = asyncio.run(in_a_running_loop())
    assert {f.step for f in findings} == {"upload", "tls"}
    assert {f.group for f in findings} == {"env", "certs"}
