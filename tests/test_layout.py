"""The layout of ``wizard/`` (issue 18): each module says what it is, only the command line prints,
no two public names mean different things, and no file is over 400 lines.

All read the source (``ast``), none imports it: a module that prints when imported is found too.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

WIZARD = Path(__file__).resolve().parent.parent / "wizard"
MODULES = sorted(path for path in WIZARD.rglob("*.py") if "__pycache__" not in path.parts)
# The command line: the only modules that print, ask and parse flags (wizard/cli.py and the
# wizard/cli_*.py beside it, which only wizard.cli imports: pyproject.toml's contracts).
CLI = {WIZARD / "cli.py", *WIZARD.glob("cli_*.py")}
MAX_LINES = 400

# Public names that are defined in more than one module and mean the same thing in each: a
# family of modules with one role, each with its own. A name here may repeat; any other public
# class or function name is defined once in wizard/.
SAME_ROLE = {
    "check": "a check module's checks of the answers (checks/certificates, config, security)",
    "check_file": "a check module's checks of one ejabberd.yml (checks/config, security)",
    "render": "a renderer's file for the answers (render/dns_zone, readme, the ejabberd.yml renderer)",
    "text": "a report as text (checks/report: findings; verify/report: test results)",
    "as_json": "a report as JSON (checks/report: findings; verify/report: test results)",
}
# Classes: none repeats (the entries would go here, each with why, like SAME_ROLE's).
SAME_ROLE_CLASSES: dict[str, str] = {}
# Modules whose public functions are named after something else's name and used only through the
# module: verify's probes, one per suite item and named by its id (suites.py: ``services.muc``).
NAMED_BY_ITEM = set(WIZARD.glob("verify/probes_*.py"))


def _name(path: Path) -> str:
    return path.relative_to(WIZARD.parent).as_posix()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_every_module_has_a_docstring_that_says_what_it_is() -> None:
    missing = []
    for path in MODULES:
        docstring = ast.get_docstring(_tree(path)) or ""
        first = docstring.strip().splitlines()[0].strip() if docstring.strip() else ""
        if not first:
            missing.append(_name(path))
    assert missing == [], f"modules without a docstring whose first line says what they are: {missing}"


def _terminal_calls(tree: ast.Module) -> list[tuple[int, str]]:
    """print(...), input(...), getpass.getpass(...) and sys.stdout/sys.stderr writes, by line."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Name) and function.id in ("print", "input"):
            found.append((node.lineno, f"{function.id}("))
        elif isinstance(function, ast.Attribute):
            owner = ast.unparse(function.value)
            if (owner, function.attr) == ("getpass", "getpass") or (
                    owner in ("sys.stdout", "sys.stderr") and function.attr in ("write", "writelines")):
                found.append((node.lineno, f"{owner}.{function.attr}("))
    return found


def test_only_the_command_line_prints_or_asks() -> None:
    """The core returns data and messages; the command line (and screens/, outside wizard/) shows them."""
    printing = [f"{_name(path)}:{line}: {call}"
                for path in MODULES if path not in CLI for line, call in _terminal_calls(_tree(path))]
    assert printing == [], "the core prints or asks (move it to wizard/cli.py or a wizard/cli_*.py):\n" + "\n".join(
        printing)


def test_the_terminal_call_finder_finds_each_kind() -> None:
    tree = ast.parse("import sys, getpass\nprint('x')\ninput('?')\nsys.stdout.write('y')\n"
                     "sys.stderr.write('z')\ngetpass.getpass('p')\ngetpass.getuser()\n")
    assert [call for _, call in _terminal_calls(tree)] == [
        "print(", "input(", "sys.stdout.write(", "sys.stderr.write(", "getpass.getpass("]


def _public_definitions(*, classes: bool) -> dict[str, list[str]]:
    """Each public (no leading underscore) module-level class, or function, with the modules defining it."""
    defined: dict[str, list[str]] = defaultdict(list)
    for path in MODULES if classes else [path for path in MODULES if path not in NAMED_BY_ITEM]:
        for node in _tree(path).body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and (
                    isinstance(node, ast.ClassDef) == classes) and not node.name.startswith("_"):
                defined[node.name].append(_name(path))
    return defined


def test_no_two_public_classes_share_a_name() -> None:
    """Once there were two Context (the checks' and verify's), two Session (the answers being
    edited and an XMPP client's) and two Outcome (a DNS lookup's and a verify test's)."""
    repeated = {name: modules for name, modules in _public_definitions(classes=True).items()
                if len(modules) > 1 and name not in SAME_ROLE_CLASSES}
    assert repeated == {}, f"public classes defined more than once in wizard/: {repeated}"


@pytest.mark.parametrize(("name", "module"), [
    ("Context", "wizard/checks/core.py"),  # what a check reads
    ("Session", "wizard/session.py"),  # the answers being edited
    ("Outcome", "wizard/verify/outcome.py"),  # what one verify test found
])
def test_the_names_that_once_meant_two_things_mean_one(name: str, module: str) -> None:
    assert _public_definitions(classes=True)[name] == [module]


def test_no_two_public_functions_share_a_name_unless_they_have_one_role() -> None:
    repeated = {name: modules for name, modules in
                _public_definitions(classes=False).items()
                if len(modules) > 1 and name not in SAME_ROLE}
    assert repeated == {}, f"public functions defined in more than one module of wizard/: {repeated}"


def test_no_file_in_wizard_is_over_400_lines() -> None:
    """Every file of the package, the .py modules and the data beside them (the scripts' .sh bodies)."""
    long = {}
    for path in sorted(WIZARD.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        try:
            lines = path.read_text(encoding="utf-8").count("\n")
        except UnicodeDecodeError:
            continue  # not text
        if lines > MAX_LINES:
            long[_name(path)] = lines
    assert long == {}, f"files over {MAX_LINES} lines: {long}"
