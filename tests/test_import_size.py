"""How big an imported ejabberd.yml may be, and that it is parsed once however often a run reads it.

An ejabberd config has a few thousand values; a file written with more than
``MAX_READ`` values, keys and items is refused where it passes that many, in one
line, before anything is built from it. Everything the run reads it for (the
import, the merge that names the changes, the merge that writes them, the check of
the config on disk on a re-run) uses the one parse.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.answers_helpers import ACCOUNT, write_answers
from wizard.cli import main
from wizard.ejabberd_yml import config_file
from wizard.ejabberd_yml.config_file import MAX_READ, Parsed, load_config
from wizard.errors import FileError

CONSOLE_SCRIPT = Path(sys.executable).with_name("ejabberd-wizard")
CORPUS = Path(__file__).parent / "data" / "configs"
CONFIG = "config/ejabberd.yml"
DEADLINE = 60  # seconds: a deadline for a hung run, not a measure of speed


HEAD = "hosts:\n  - example.test\nacl:\n  big:\n    ip:\n"  # 10 nodes: 3 mappings, 4 keys, 2 lists, 1 value
ROWS, PER_ROW = 1940, 50


def huge_config() -> str:
    """Some 99,000 nodes in some 200 kB: lists of zeros under an ACL, a list of 50 on each line."""
    return HEAD + ("      - [" + ",".join(["0"] * PER_ROW) + "]\n") * ROWS


def large_config(users: int = 3000) -> str:
    """The Arch guide's config with an ACL of ``users`` accounts: large, and legal."""
    accounts = "".join(f"      - user{number}@example.test\n" for number in range(users))
    text = (CORPUS / "arch-guide.yml").read_text()
    assert text.count("\nacl:\n") == 1
    return text.replace("\nacl:\n", "\nacl:\n  many:\n    user:\n" + accounts, 1)


def test_the_huge_config_is_as_the_issue_measured_it() -> None:
    text = huge_config()
    assert 190_000 < len(text.encode()) < 220_000
    assert 10 + ROWS * (PER_ROW + 1) == 98_950


def test_a_huge_import_is_refused_in_one_line_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "huge.yml"
    path.write_text(huge_config())
    out = tmp_path / "deploy"
    result = subprocess.run([str(CONSOLE_SCRIPT), "generate", "--out", str(out), "--preset", "arch",
                             "--import", str(path), "--yes"], capture_output=True, text=True, timeout=DEADLINE)
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    match = re.fullmatch(rf"ejabberd-wizard: {re.escape(str(path))}:(\d+): more than {MAX_READ} values, keys and "
                         r"items by here; an ejabberd config has a few thousand\n", result.stderr)
    assert match, result.stderr
    # Where the 20,001st node is: in the row of 51 nodes that holds it, far before the end of the file.
    assert int(match.group(1)) == HEAD.count("\n") + 1 + (MAX_READ - 10) // (PER_ROW + 1)
    assert not out.exists()


def test_the_limit_counts_nodes_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One past the limit is refused at its line; at the limit, the file is read (with a limit of 100 here)."""
    monkeypatch.setattr(config_file, "MAX_READ", 100)
    at_limit = HEAD + "      - 0\n" * (100 - 10)
    load_config(at_limit, tmp_path / "ejabberd.yml")
    with pytest.raises(FileError) as raised:
        load_config(at_limit + "      - 0\n", tmp_path / "ejabberd.yml")
    assert raised.value.where == f"{tmp_path / 'ejabberd.yml'}:{at_limit.count(chr(10)) + 1}"
    assert raised.value.problem == "more than 100 values, keys and items by here; an ejabberd config has a few thousand"


def test_a_large_config_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = large_config()
    path = tmp_path / "large.yml"
    path.write_text(text)
    out = tmp_path / "deploy"
    answers = write_answers(tmp_path / "answers.yml", {"preset": "arch", "install": dict(ACCOUNT)})
    code = main(["generate", "--out", str(out), "--answers", str(answers), "--import", str(path), "--yes"])
    assert code == 0, capsys.readouterr().err
    written = (out / CONFIG).read_text()
    assert all(f"      - user{number}@example.test\n" in written for number in range(3000))


def counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts ``config_file`` parses from now on, each time it parses one, with nothing kept before."""
    parsed: list[str] = []
    parse: Callable[[str, Path], Parsed] = config_file._parse

    def counted(text: str, path: Path) -> Parsed:
        parsed.append(text)
        return parse(text, path)

    monkeypatch.setattr(config_file, "_parsed", {})
    monkeypatch.setattr(config_file, "_parse", counted)
    return parsed


def test_an_import_and_its_re_run_parse_the_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    text = large_config(300)
    path = tmp_path / "large.yml"
    path.write_text(text)
    out = tmp_path / "deploy"
    # A changed answer: the merges change the file, and read what they made (twice each, before).
    answers = write_answers(tmp_path / "answers.yml", {"preset": "arch", "install": dict(ACCOUNT),
                                                      "security": {"loglevel": "debug"}})
    parsed = counting(monkeypatch)
    code = main(["generate", "--out", str(out), "--answers", str(answers), "--import", str(path), "--yes"])
    assert code == 0, capsys.readouterr().err
    written = (out / CONFIG).read_text()
    assert written != text and "loglevel: debug" in written.replace('"', "")
    assert parsed.count(text) == 1 and parsed.count(written) == 1
    assert len(parsed) == len(set(parsed))  # nor any other text twice

    # The re-run merges into the config on disk, which it checks first: one parse for both.
    parsed = counting(monkeypatch)
    code = main(["generate", "--out", str(out), "--yes"])
    assert code == 0, capsys.readouterr().err
    assert parsed.count(written) == 1 and len(parsed) == len(set(parsed))


def test_each_caller_gets_a_document_of_its_own(tmp_path: Path) -> None:
    """What one caller does to its document (the merge changes it and writes it, which marks its
    comments as written) reaches no other: each is as a fresh load of the text would be."""
    from wizard.ejabberd_yml.config_file import config_document
    from wizard.ejabberd_yml.yamltext import yaml_text

    text = (CORPUS / "comments.yml").read_text()
    path = tmp_path / "ejabberd.yml"
    first = config_document(text, path, preserve_quotes=True)
    written = yaml_text(first)
    del first[next(iter(first))]
    yaml_text(first)
    second = config_document(text, path, preserve_quotes=True)
    assert yaml_text(second) == written and list(second) != list(first)
    assert load_config(text, path) == load_config(text, path) and load_config(text, path) is not load_config(text, path)
