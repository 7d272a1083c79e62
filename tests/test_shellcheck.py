"""shellcheck (POSIX sh) finds nothing in the shell the wizard writes, for each preset, defaults and everything on.

Checked are the generated wholes: every file under scripts/ (upgrade.sh from an upgrade to the preset's
release), and the ```sh blocks of README.md and UPGRADE.md. The bodies in wizard/files/sh/ are not
checked alone: they use the variables assigned above them, and some are pieces of a body.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import defaults, everything_on, write_answers, write_secret
from tests.support.components import require
from wizard.cli import main
from wizard.files.scripts import PIECE, body
from wizard.releases import OLDEST

PRESETS = ("uberspace", "arch", "debian")
VARIANTS = {"defaults": defaults, "everything": everything_on}
HEADER = "header"  # where: the assignments at the top of a script (wizard.files.scripts.script)


@dataclass(frozen=True)
class Accepted:
    """A finding that is no bug, with why. A `# shellcheck disable=` in a body would be written into
    every deployment's script, changing it: the findings are accepted here instead, each where it is."""

    code: int
    script: str  # the file's name, "" for any
    where: str  # HEADER, or a regular expression the flagged line matches
    reason: str


ACCEPTED = (
    Accepted(2209, "", HEADER,
             "the assignments at the top are literal values quoted by shlex.quote: a value that is also the name "
             "of a command (admin_user=admin, SCCS's admin) is a string, not a command's output"),
    Accepted(2120, "deploy.sh", r"^missing_certificates\(\) \{$",
             "missing_certificates takes no arguments: its \"$@\" is the list it sets itself "
             "(eval \"set -- $certificates\"), which shellcheck does not see through eval"),
    Accepted(2119, "deploy.sh", r"missing_certificates",
             "the calls of missing_certificates pass nothing because it takes nothing (see SC2120)"),
    Accepted(2034, "backup.sh", r"^ejabberdctl=",
             "backup.sh is given ctl's variables (control_variables) and needs only the directories: the unused "
             "assignment is harmless, and dropping it would change every deployment's backup.sh"),
)


@dataclass(frozen=True)
class Finding:
    script: str
    line: int
    code: int
    message: str
    text: str  # the flagged line

    def accepted(self, header: range) -> Accepted | None:
        for rule in ACCEPTED:
            if rule.code != self.code or rule.script not in ("", self.script):
                continue
            if (self.line in header) if rule.where == HEADER else re.search(rule.where, self.text):
                return rule
        return None


@dataclass(frozen=True)
class Checked:
    scripts: dict[str, str]  # name: text
    findings: list[tuple[Finding, Accepted | None]]

    def unaccepted(self) -> list[str]:
        return [f"{f.script}:{f.line}: SC{f.code} {f.message}\n    {f.text}" for f, rule in self.findings if not rule]


def _header(text: str) -> range:
    """The line numbers (from 1) of the assignments: after shebang, purpose, notice, set -eu and a blank line."""
    lines = text.split("\n")
    return range(6, lines.index("", 5) + 1) if text.startswith("#!/bin/sh\n") else range(0)


def _sh_blocks(name: str, text: str) -> dict[str, str]:
    """The ```sh blocks of a Markdown file, each as a script (their indentation, in a list item, removed)."""
    blocks = re.finditer(r"^( *)```sh\n(.*?)^\1```$", text, re.DOTALL | re.MULTILINE)
    return {f"{name}-block-{number}.sh": "".join(line.removeprefix(block.group(1))
                                                 for line in block.group(2).splitlines(keepends=True))
            for number, block in enumerate(blocks, start=1)}


def _shellcheck(scripts: dict[str, str], directory: Path) -> list[Finding]:
    directory.mkdir()
    for name, text in scripts.items():
        (directory / name).write_text(text, encoding="utf-8")
    shellcheck = require("shellcheck", "apt-get install shellcheck")
    result = subprocess.run([shellcheck, "--norc", "--shell=sh", "--format=json1", *sorted(scripts)],
                            cwd=directory, capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr  # 1: findings; anything else: shellcheck itself failed
    return [Finding(comment["file"], comment["line"], comment["code"], comment["message"],
                    scripts[comment["file"]].split("\n")[comment["line"] - 1])
            for comment in json.loads(result.stdout)["comments"]]


def _generate(directory: Path, answers: dict[str, object], *then: list[str]) -> Path:
    out = directory / "deploy"
    write_secret(out / "db-password", "secret-db-password")
    path = write_answers(directory / "answers.yml", answers)
    assert main(["generate", "--out", str(out), "--answers", str(path), "--yes"]) == 0
    for command in then:
        assert main([*command, "--out", str(out), "--yes"]) == 0
    return out


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str, str], Checked]]:
    """The shell of a preset's deployment, defaults or everything on, and what shellcheck says of it."""
    cache: dict[tuple[str, str], Checked] = {}

    def check(preset: str, variant: str) -> Checked:
        if (preset, variant) not in cache:
            base = tmp_path_factory.mktemp(f"{preset}-{variant}")
            make = VARIANTS[variant]
            with pytest.MonkeyPatch.context() as patch:
                # The same files on every machine: nothing installed, no platform recognised, a fixed home.
                (base / "root").mkdir()
                patch.setenv("EJABBERD_WIZARD_PLATFORM_ROOT", str(base / "root"))
                patch.setenv("HOME", str(base))
                (base / ".my.cnf").write_text("[client]\npassword=secret-db-password\n")
                out = _generate(base / "current", make(preset))
                release = _release(out)
                upgraded = _generate(base / "upgraded", make(preset, install={"version": OLDEST}),
                                     ["upgrade", "--to", release])
            scripts = {path.name: path.read_text() for path in sorted((out / "scripts").iterdir())}
            scripts["upgrade.sh"] = (upgraded / "scripts" / "upgrade.sh").read_text()
            scripts |= _sh_blocks("README.md", (out / "README.md").read_text())
            scripts |= _sh_blocks("UPGRADE.md", (upgraded / "UPGRADE.md").read_text())
            findings = _shellcheck(scripts, base / "checked")
            cache[preset, variant] = Checked(scripts, [(finding, finding.accepted(_header(scripts[finding.script])))
                                                       for finding in findings])
        return cache[preset, variant]

    yield check


def _release(out: Path) -> str:
    """The release the deployment is written for (the preset's)."""
    return str(YAML(typ="safe").load((out / "wizard.yml").read_text())["install"]["version"])


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("preset", PRESETS)
def test_shellcheck_finds_nothing_in_the_generated_shell(preset: str, variant: str,
                                                         checked: Callable[[str, str], Checked]) -> None:
    result = checked(preset, variant)
    assert {"install.sh", "setup-platform.sh", "deploy.sh", "register-admin.sh", "backup.sh",
            "upgrade.sh"} <= set(result.scripts)
    assert not result.unaccepted(), "shellcheck -s sh:\n" + "\n".join(result.unaccepted())


def test_every_body_is_checked_and_every_accepted_finding_is_still_found(
        checked: Callable[[str, str], Checked]) -> None:
    results = [checked(preset, variant) for preset in PRESETS for variant in VARIANTS]
    written = "\n".join(text for result in results for text in result.scripts.values())
    bodies = sorted(path.name.removesuffix(".sh") for path in files("wizard.files").joinpath("sh").iterdir()
                    if path.name.endswith(".sh"))
    assert bodies
    # A body with places for pieces is written in parts, each whole.
    parts = {name: [part.strip("\n") for part in PIECE.split(body(name))[::2]] for name in bodies}
    assert [name for name in bodies if not all(part in written for part in parts[name])] == []
    found = {rule for result in results for _, rule in result.findings}
    assert [rule for rule in ACCEPTED if rule not in found] == [], "no longer found: drop it from ACCEPTED"
