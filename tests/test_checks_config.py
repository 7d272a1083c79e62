"""Config checks: generated and hand-broken ejabberd.yml files, judged against the option
lists compiled into the ejabberd installed here (Debian's package)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.answers_helpers import defaults
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.answers.model import Answers
from wizard.checks import Finding, Severity, run_checks
from wizard.checks.beam import exported_names
from wizard.checks.config import check_file
from wizard.ejabberd_yml import render as ejabberd_config
from wizard.installation import find
from wizard.releases import capabilities


@pytest.fixture(scope="module")
def version(ejabberd_release: str) -> str:
    return ejabberd_release


def answers_for(version: str, tmp_path: Path, **overrides: Any) -> Answers:
    # The live configuration directory is empty: only the deployment's file is judged.
    return build_from(None, Given(defaults("arch", install={"version": version, "config_dir": str(tmp_path / "live")},
                                           **overrides)))


def config_findings(tmp_path: Path, version: str, text: str | None = None) -> list[Finding]:
    answers = answers_for(version, tmp_path)
    path = tmp_path / "deploy" / "config" / "ejabberd.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else ejabberd_config.render(answers, None))
    return run_checks(answers, only={"config"}, out=tmp_path / "deploy")


def generated(version: str, tmp_path: Path) -> str:
    return ejabberd_config.render(answers_for(version, tmp_path), None)


def test_generated_config_has_no_errors_for_the_installed_release(tmp_path: Path, version: str) -> None:
    findings = config_findings(tmp_path, version)
    assert findings and not [f for f in findings if f.severity is Severity.ERROR]
    assert {f.step for f in findings} == {"install"}
    # What is left is named with its replacement.
    assert all(f.fix.startswith("use ") for f in findings if f.severity is Severity.WARNING)


def test_invalid_yaml_names_the_line(tmp_path: Path, version: str) -> None:
    [finding] = config_findings(tmp_path, version, "hosts:\n  - example.test\nloglevel: [unclosed\nmodules: {}\n")
    assert finding.check == "config.parse" and finding.severity is Severity.ERROR
    assert finding.subject.endswith("ejabberd.yml:4")  # where the unclosed list runs into the next key


def test_module_instead_of_modules(tmp_path: Path, version: str) -> None:
    text = generated(version, tmp_path).replace("\nmodules:", "\nmodule:")
    [finding] = [f for f in config_findings(tmp_path, version, text) if f.check == "config.unknown"]
    assert finding.severity is Severity.ERROR and finding.fix == "use modules instead"
    assert ": module" in finding.subject and ":" in finding.subject.split("ejabberd.yml")[1]


def test_removed_option_is_named_with_its_replacement(tmp_path: Path, version: str) -> None:
    text = generated(version, tmp_path) + "log_rate_limit: 100\n"
    [finding] = [f for f in config_findings(tmp_path, version, text) if f.check == "config.unknown"]
    assert finding.severity is Severity.ERROR and "log_burst_limit_count" in finding.fix


def test_misspelt_option_gets_a_suggestion(tmp_path: Path, version: str) -> None:
    text = generated(version, tmp_path).replace("\nloglevel:", "\nloglevell:")
    [finding] = [f for f in config_findings(tmp_path, version, text) if f.check == "config.unknown"]
    assert f"not known to ejabberd {version}" in finding.message and finding.fix == "did you mean loglevel?"


def test_unknown_module_and_unknown_module_option(tmp_path: Path, version: str) -> None:
    text = generated(version, tmp_path).replace("\n  mod_ping: {}",
                                                "\n  mod_ping: {interval: 60}\n  mod_does_not_exist: {}")
    unknown = [f for f in config_findings(tmp_path, version, text) if f.check == "config.unknown"]
    assert sorted(f.subject.rsplit(": ", 1)[1] for f in unknown) == ["modules.mod_does_not_exist",
                                                                      "modules.mod_ping.interval"]


def test_deprecated_listener_option(tmp_path: Path, version: str) -> None:
    c2s = "    module: ejabberd_c2s\n"
    text = generated(version, tmp_path).replace(c2s, c2s + "    certfile: /x.pem\n", 1)
    deprecated = [f for f in config_findings(tmp_path, version, text) if "listen[0].certfile" in f.subject]
    assert [(f.severity, f.fix) for f in deprecated] == [(Severity.WARNING, "use the global certfiles instead")]


def test_without_an_installed_ejabberd_only_deprecations_are_known(tmp_path: Path) -> None:
    path = tmp_path / "ejabberd.yml"
    path.write_text("hosts: [example.test]\nno_such_option: 1\nmodule: {}\ndomain_certfile: /x.pem\n")
    findings = check_file(path, None, capabilities("23.01"))
    assert [(f.subject.rsplit(": ", 1)[1], f.severity) for f in findings] == [
        ("module", Severity.ERROR), ("domain_certfile", Severity.WARNING)]


def test_no_config_yet(tmp_path: Path, version: str) -> None:
    [finding] = run_checks(answers_for(version, tmp_path), only={"config"}, out=tmp_path / "nothing")
    assert finding.severity is Severity.INFO and finding.fix.startswith("ejabberd-wizard generate")


def test_option_names_come_from_the_installed_beam_files(tmp_path: Path, version: str) -> None:
    installation = find(answers_for(version, tmp_path))
    assert installation is not None
    names = exported_names(installation.ebin / "ejabberd_option.beam")
    assert {"loglevel", "certfiles", "hosts", "modules", "listen"} <= names
    assert "module_info" not in names and "module" not in names
    assert "history_size" in exported_names(installation.ebin / "mod_muc_opt.beam")


def test_stun_announced_without_a_listener_is_named(tmp_path: Path, version: str) -> None:
    """The Uberspace guide's mod_stun_disco announces ports no ejabberd_stun listener serves."""
    guide = (Path(__file__).parent / "data" / "configs" / "uberspace-guide.yml").read_text()
    stun = [f for f in config_findings(tmp_path, version, guide) if f.check == "config.stun"]
    assert [(f.severity, f.subject.split(": ", 1)[1]) for f in stun] == [
        (Severity.WARNING, f"modules.mod_stun_disco.services.{index}") for index in range(3)]
    assert "isabell.example port 40137/udp" in stun[0].message and "ejabberd_stun listener on port 40137" in stun[0].fix
    # What the wizard writes has the listeners it announces.
    answers = answers_for(version, tmp_path)
    with_stun = ejabberd_config.render(answers.model_copy(update={"compliance": answers.compliance.model_copy(
        update={"stun": True})}), None)
    assert "mod_stun_disco" in with_stun
    assert not [f for f in config_findings(tmp_path, version, with_stun) if f.check == "config.stun"]


def _everything_on_mysql(version: str, tmp_path: Path) -> Answers:
    return answers_for(version, tmp_path, database={"backend": "mysql", "password_source": "file",
                                                    "password_file": str(tmp_path / "pw")})


def test_a_config_for_another_release_is_judged_against_that_release_not_the_local_binary(
        tmp_path: Path, version: str) -> None:
    """Written for 26.07 where 23.01 is installed (or the other way round): the local binary's
    option list is not the judge, and the finding says so."""
    target = "26.07" if version != "26.07" else "23.01"
    answers = _everything_on_mysql(target, tmp_path)
    path = tmp_path / "deploy" / "config" / "ejabberd.yml"
    path.parent.mkdir(parents=True)
    path.write_text(ejabberd_config.render(answers, None))
    findings = run_checks(answers, only={"config"}, out=tmp_path / "deploy")
    assert not [f for f in findings if f.severity is Severity.ERROR], findings
    [note] = [f for f in findings if f.check == "config.names"]
    assert f"is {version}, not {target}, the release the config is written for" in note.message


def test_an_option_newer_than_the_target_is_an_error_naming_the_release_that_brought_it(tmp_path: Path) -> None:
    path = tmp_path / "ejabberd.yml"
    path.write_text("hosts: [example.test]\nsql_schema_multihost: true\n")
    [finding] = check_file(path, None, capabilities("24.12"))
    assert finding.severity is Severity.ERROR
    assert "sql_schema_multihost is not known to ejabberd 24.12 (it came with 25.10)" in finding.message
    assert finding.fix == "use new_sql_schema instead"
    path.write_text("hosts: [example.test]\nnew_sql_schema: true\n")
    [finding] = check_file(path, None, capabilities("26.07"))
    assert finding.severity is Severity.WARNING and finding.fix == "use sql_schema_multihost instead"
    assert check_file(path, None, capabilities("24.12"))[0].severity is Severity.OK
