"""Sizes are typed as people write them (100MB, 1GiB) and written as the bytes ejabberd takes."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import defaults, write_answers
from wizard.answers.catalogue import by_path
from wizard.cli import main


@pytest.mark.parametrize(("typed", "size"), [("104857600", 104857600), ("100MB", 100_000_000),
                                             ("100 MiB", 104857600), ("1GiB", 1024**3), ("1.5 GB", 1_500_000_000),
                                             ("512k", 512 * 1024)])
def test_a_size_is_typed_with_or_without_its_unit(typed: str, size: int) -> None:
    assert by_path("upload.max_size").parse(typed) == size


@pytest.mark.parametrize("typed", ["lots", "100 parsecs", "1.5 B", "-5MB"])
def test_a_size_that_is_no_size_says_what_is_expected(typed: str) -> None:
    with pytest.raises(ValueError, match="size|whole number|greater than"):
        by_path("upload.max_size").parse(typed)


def test_the_answers_file_takes_a_unit_and_the_config_gets_bytes(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    answers = write_answers(tmp_path / "a.yml", defaults("arch", upload={"enabled": True, "max_size": "250MB"}))
    out = tmp_path / "out"
    assert main(["generate", "--out", str(out), "--answers", str(answers), "--yes"]) == 0
    config = YAML(typ="safe").load((out / "config" / "ejabberd.yml").read_text())
    assert config["modules"]["mod_http_upload"]["max_size"] == 250_000_000
    assert YAML(typ="safe").load((out / "wizard.yml").read_text())["upload"]["max_size"] == 250_000_000
    for bad in ("250 parsecs", True):
        wrong = write_answers(tmp_path / "b.yml", defaults("arch", upload={"enabled": True, "max_size": bad}))
        capsys.readouterr()
        assert main(["generate", "--out", str(tmp_path / "other"), "--answers", str(wrong), "--yes"]) == 2
        error = capsys.readouterr().err.strip()
        assert len(error.splitlines()) == 1 and "upload.max_size" in error, error
