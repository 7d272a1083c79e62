"""CAPTCHA: `check` runs the command ejabberd draws with, and the install step brings what it needs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.answers_helpers import defaults
from tests.support.components import require
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.answers.model import Answers
from wizard.checks.captcha import check_captcha
from wizard.checks.core import Context, Finding, Severity
from wizard.files import scripts
from wizard.machine import Machine

NO_PACKAGE = Machine(login="isabell", home_dir="/home/isabell")


def captcha_answers(preset: str, command: str | None, registration: str = "captcha") -> Answers:
    security = {"registration": registration, "captcha_cmd": command}
    return build_from(None, Given(defaults(preset, security=security)), NO_PACKAGE)


def captcha_findings(command: str | None, registration: str = "captcha") -> list[Finding]:
    return check_captcha(Context(captcha_answers("arch", command, registration), Path("deploy")))


def _script(tmp_path: Path, body: str, mode: int = 0o755) -> str:
    path = tmp_path / "captcha.sh"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(mode)
    return str(path)


def test_debians_captcha_script_with_imagemagick_draws_an_image(tmp_path: Path) -> None:
    shipped = require("/usr/share/ejabberd/captcha.sh")
    require("/usr/bin/convert", install="apt-get install imagemagick")
    [finding] = captcha_findings(_script(tmp_path, f'PATH=/usr/bin:/bin exec {shipped} "$@"'))
    assert finding.severity is Severity.OK and finding.step == "security"
    assert finding.message.startswith(("draws a PNG image", "draws a JPEG image", "draws a GIF image"))


def test_a_command_that_fails_is_an_error_with_what_it_said(tmp_path: Path) -> None:
    [finding] = captcha_findings(_script(tmp_path, 'echo "convert: not found" >&2; exit 127'))
    assert finding.severity is Severity.ERROR
    assert "exited 127 without an image: convert: not found" in finding.message and "26.07" in finding.message


def test_a_command_that_prints_no_image_is_an_error(tmp_path: Path) -> None:
    [finding] = captcha_findings(_script(tmp_path, 'echo "here is your captcha: $1"'))
    assert finding.severity is Severity.ERROR and "exited 0 without an image" in finding.message


def test_a_missing_or_unexecutable_command_is_an_error_with_the_fix(tmp_path: Path) -> None:
    [missing] = captcha_findings(str(tmp_path / "nowhere.sh"))
    assert missing.severity is Severity.ERROR and missing.message.startswith("does not exist")
    command = _script(tmp_path, "exit 0", mode=0o644)
    [unexecutable] = captcha_findings(command)
    assert unexecutable.message.startswith("is not executable") and unexecutable.fix == f"chmod +x {command}"


def test_without_a_captcha_nothing_is_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    assert captcha_findings(_script(tmp_path, f"touch {marker}"), registration="closed") == []
    assert not marker.exists()


def test_the_package_install_brings_imagemagick_only_for_a_captcha(tmp_path: Path) -> None:
    with_captcha = scripts.install(captcha_answers("arch", "/usr/lib/ejabberd/captcha.sh"))
    assert "packages='ejabberd caddy certbot imagemagick'" in with_captcha
    assert "packages='ejabberd caddy certbot'" in scripts.install(captcha_answers("arch", None, "closed"))


def test_the_source_build_stops_before_building_when_convert_is_missing(tmp_path: Path) -> None:
    def run(answers: Answers) -> subprocess.CompletedProcess[str]:
        install = tmp_path / "install.sh"
        install.write_text(scripts.install(answers))
        # A PATH with the shell's own builtins and nothing else: no convert, no mkdir, no wget.
        return subprocess.run(["/bin/sh", str(install)], capture_output=True, text=True, timeout=30,
                              env={"PATH": str(tmp_path / "empty"), "HOME": str(tmp_path)}, check=False)

    result = run(captcha_answers("uberspace", "/home/isabell/bin/captcha.sh"))
    assert result.returncode == 1
    assert "/home/isabell/bin/captcha.sh draws CAPTCHAs with ImageMagick's convert" in result.stderr
    assert not (tmp_path / "src").exists()
    # Without a CAPTCHA the guard lets the build go on (here it stops at the missing mkdir instead).
    closed = run(captcha_answers("uberspace", None, "closed"))
    assert "CAPTCHA" not in closed.stderr and "mkdir" in closed.stderr and closed.returncode == 127


@pytest.mark.parametrize("preset", ["arch", "uberspace"])
def test_captcha_findings_belong_to_the_security_step(preset: str, tmp_path: Path) -> None:
    answers = captcha_answers(preset, _script(tmp_path, "exit 3"))
    [finding] = check_captcha(Context(answers, Path("deploy")))
    assert finding.step == "security" and finding.group == "env"


def test_the_image_is_judged_as_ejabberd_does_whatever_the_exit_status(tmp_path: Path) -> None:
    # ejabberd reads the output and never the exit status (Debian's script exits 1 on a missing font).
    png = r"printf '\211PNG\r\n\032\n'"
    [finding] = captcha_findings(_script(tmp_path, f"{png}; echo pixels; exit 1"))
    assert finding.severity is Severity.OK and finding.message.startswith("draws a PNG image")
    [too_big] = captcha_findings(_script(tmp_path, f"{png}; head -c 70000 /dev/zero"))
    assert too_big.severity is Severity.ERROR and "ejabberd takes at most 65536" in too_big.message
