"""The gates of ``make lint`` catch what they are there for.

Each case breaks a copy of the project on purpose, in one way, and runs the gate as the
Makefile does: the gate must fail and name what is wrong. The project itself must pass
every gate (``make test`` runs them first; the last test here runs them on the project).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# What `make lint` runs, in its order (test_the_makefile_runs_these_gates checks they agree).
GATES = {
    "ruff": ["ruff", "check", "."],
    "mypy": ["mypy"],
    "layers": ["lint-imports", "--no-cache"],
}
COPIED = ("pyproject.toml", "wizard", "screens", "presets", "tests", "benchmarks")

pytestmark = pytest.mark.slow  # each case runs a whole-project tool on a copy of the project


def run_gate(root: Path, gate: str) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / GATES[gate][0]), *GATES[gate][1:]]
    # The copy's packages, not the installed ones, are what the layering gate reads.
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", "__snapshots__"))
        else:
            shutil.copy2(source, root / name)
    if (ROOT / ".mypy_cache").is_dir():  # only the broken file is checked again
        shutil.copytree(ROOT / ".mypy_cache", root / ".mypy_cache")
    return root


def append(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.write_text(path.read_text() + text)


BREAKAGES = [
    # (gate, file, what is appended to it, what the gate must say)
    ("ruff", "wizard/errors.py", "import os\n", "F401"),
    ("ruff", "tests/test_presets.py", "\nx = [1,2]  \n", "W291"),
    ("mypy", "wizard/errors.py", "\n\ndef broken() -> int:\n    return 'text'\n", "Incompatible return value type"),
    ("mypy", "screens/sidebar.py", "\n\ndef untyped(value):\n    return value\n", "no-untyped-def"),
    ("layers", "wizard/errors.py", "\nimport textual  # noqa: E402\n", "wizard.errors -> textual"),
    ("layers", "presets/__init__.py", "\nimport wizard.errors  # noqa: E402\n", "presets -> wizard.errors"),
    ("layers", "wizard/deployment/plan.py", "\nimport wizard.cli  # noqa: E402\n",
     "wizard.deployment.plan -> wizard.cli"),
    ("layers", "wizard/errors.py", "\nimport wizard.answers.model  # noqa: E402\n", "No cycles are allowed in wizard"),
]


@pytest.mark.parametrize(("gate", "relative", "text", "said"), BREAKAGES,
                         ids=[f"{gate}-{said}" for gate, _, _, said in BREAKAGES])
def test_each_gate_fails_on_a_copy_broken_on_purpose(copy: Path, gate: str, relative: str, text: str,
                                                      said: str) -> None:
    assert run_gate(copy, gate).returncode == 0, f"the unbroken copy must pass {gate}"
    append(copy, relative, text)
    result = run_gate(copy, gate)
    assert result.returncode != 0, result.stdout
    assert said in result.stdout + result.stderr


def test_the_makefile_runs_these_gates_before_the_tests() -> None:
    shown = subprocess.run(["make", "-n", "-C", str(ROOT), "lint", "test", "test-fast"], capture_output=True,
                           text=True, timeout=60, env={**os.environ, "MAKEFLAGS": ""})
    assert shown.returncode == 0, shown.stderr
    lines = [line.strip() for line in shown.stdout.splitlines()]
    gates = [next(i for i, line in enumerate(lines) if line.endswith(" ".join(command))) for command in GATES.values()]
    assert gates == sorted(gates), "the gates run in the order of GATES"
    first_test = next(i for i, line in enumerate(lines) if "-m pytest" in line)
    assert gates[-1] < first_test, "every gate runs before the first test"
    assert any("-m pytest" in line and '-m "not slow"' in line for line in lines), "test-fast leaves out the slow tests"


@pytest.mark.parametrize("gate", list(GATES))
def test_the_project_passes_every_gate(gate: str) -> None:
    result = run_gate(ROOT, gate)
    assert result.returncode == 0, result.stdout + result.stderr
