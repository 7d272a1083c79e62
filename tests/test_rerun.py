"""Re-running to adjust: hand edits survive, only what changed changes, no file is ever lost."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from tests.answers_helpers import defaults, deployment_files, installed_ejabberd_version, snapshot, write_answers
from wizard.cli import main
from wizard.deployment.apply import locked
from wizard.deployment.plan import APPLIED_CONFIG, RECORDS, WRITTEN_RECORD, digest

CONFIG = "config/ejabberd.yml"


def generate(out: Path, answers: dict[str, Any], *extra: str) -> int:
    path = write_answers(out.parent / f"{out.name}-answers.yml", answers)
    return main(["generate", "--out", str(out), "--answers", str(path), "--yes", *extra])


def hand_edit(config: Path) -> str:
    """What an admin does weeks later: comments, an option, a module and a macro of their own."""
    lines = []
    for line in config.read_text().splitlines(keepends=True):
        if line.startswith("modules:"):
            lines += ["# my own additions below\n", line, "  mod_pres_counter:\n", "    count: 5\n"]
        elif line.startswith("define_macro:"):
            lines += [line, "  ROTATIONS: 3  # mine\n"]
        elif line == "loglevel: warning\n":
            lines.append("loglevel: warning  # keep it quiet\n")
        else:
            lines.append(line)
    text = "".join(lines) + "\n# rotate a little\nlog_rotate_count: 3\n"
    config.write_text(text)
    return text


def test_unchanged_answers_leave_a_hand_edited_config_byte_identical(tmp_path: Path, capsys: Any) -> None:
    out, answers = tmp_path / "d", defaults("arch")
    assert generate(out, answers) == 0
    edited = hand_edit(out / CONFIG)
    path = write_answers(tmp_path / "same.yml", answers)
    assert main(["diff", "--out", str(out), "--answers", str(path)]) == 0
    assert generate(out, answers) == 0
    assert (out / CONFIG).read_text() == edited


@pytest.mark.slow
def test_one_changed_answer_touches_only_its_lines_and_keeps_the_edits(tmp_path: Path, capsys: Any,
                                                                      ejabberd_node: Any) -> None:
    out = tmp_path / "d"
    version = installed_ejabberd_version() or "23.01"
    assert generate(out, defaults("arch", install={"version": version})) == 0
    edited = hand_edit(out / CONFIG)
    capsys.readouterr()
    bigger = defaults("arch", install={"version": version}, upload={"max_size": 209715200})
    path = write_answers(tmp_path / "bigger.yml", bigger)
    assert main(["diff", "--out", str(out), "--answers", str(path)]) == 1
    diff = capsys.readouterr().out
    config_diff = diff[diff.index(f"--- a/{CONFIG}"):]
    config_diff = config_diff[:config_diff.index("--- a/", 1)] if "--- a/" in config_diff[1:] else config_diff
    changed = [line for line in config_diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ["-    max_size: 104857600", "+    max_size: 209715200"]

    assert generate(out, bigger) == 0
    after = (out / CONFIG).read_text()
    assert after == edited.replace("max_size: 104857600", "max_size: 209715200")
    # ejabberd still takes it, hand edits included.
    node = ejabberd_node(after)
    assert node.error_lines() == []


def test_switching_a_feature_off_removes_its_options_and_keeps_the_edits(tmp_path: Path) -> None:
    out = tmp_path / "d"
    assert generate(out, defaults("arch", compliance={"stun": True})) == 0
    hand_edit(out / CONFIG)
    assert generate(out, defaults("arch", compliance={"stun": False})) == 0
    config = YAML(typ="safe").load((out / CONFIG).read_text())
    assert "mod_stun_disco" not in config["modules"]
    assert not any(listener["module"] == "ejabberd_stun" for listener in config["listen"])
    assert config["log_rotate_count"] == 3 and config["define_macro"]["ROTATIONS"] == 3 \
        and config["modules"]["mod_pres_counter"] == {"count": 5}
    assert "# keep it quiet" in (out / CONFIG).read_text()


def test_a_hand_edited_script_is_kept_unless_overwriting_is_asked_for(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "d"
    assert generate(out, defaults("arch")) == 0
    script = out / "scripts" / "backup.sh"
    mine = script.read_text() + "echo my own step\n"
    script.write_text(mine)
    elsewhere = defaults("arch", service={"backup_dir": "/srv/backups"})
    capsys.readouterr()
    assert generate(out, elsewhere) == 0
    output = capsys.readouterr().out
    assert "scripts/backup.sh: edited by hand since the wizard wrote it; kept" in output
    assert script.read_text() == mine
    assert generate(out, elsewhere, "--overwrite-local-edits") == 0
    assert "/srv/backups" in script.read_text() and "my own step" not in script.read_text()


def test_each_hand_edited_file_is_kept_or_taken_on_its_own(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "d"
    assert generate(out, defaults("arch")) == 0
    backup, deploy = out / "scripts" / "backup.sh", out / "scripts" / "deploy.sh"
    for script in (backup, deploy):
        script.write_text(script.read_text() + "echo my own step\n")
    mine = {script: script.read_text() for script in (backup, deploy)}
    elsewhere = defaults("arch", service={"backup_dir": "/srv/backups"}, install={"config_dir": "/srv/etc"})
    capsys.readouterr()

    assert generate(out, elsewhere, "--take", "scripts/backup.sh") == 0
    printed = capsys.readouterr().out
    assert "scripts/backup.sh: edited by hand since the wizard wrote it; replaced by the version below" in printed
    assert ("scripts/deploy.sh: edited by hand since the wizard wrote it; kept as it is; "
            "to replace it with the version below: --take scripts/deploy.sh\n") in printed
    assert "overwrite  scripts/backup.sh" in printed and "   edited  scripts/deploy.sh" in printed
    assert "/srv/backups" in backup.read_text() and "my own step" not in backup.read_text()
    assert deploy.read_text() == mine[deploy]
    assert [path.read_text() for path in (out / ".backup").glob("*/scripts/backup.sh")] == [mine[backup]]
    # The kept file stays a local edit; the taken one is the wizard's again.
    assert generate(out, elsewhere) == 0
    assert capsys.readouterr().out == f"{out}: up to date, nothing to write (1 file(s) with local edits kept).\n"
    assert deploy.read_text() == mine[deploy]


def test_taking_a_file_that_is_not_edited_by_hand_is_refused(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "d"
    assert generate(out, defaults("arch")) == 0
    before = deployment_files(out)
    capsys.readouterr()
    assert generate(out, defaults("arch", service={"backup_dir": "/srv/b"}), "--take", "scripts/backup.sh") == 2
    err = capsys.readouterr().err
    assert err == f"ejabberd-wizard: --take scripts/backup.sh: not a file edited by hand in {out}; those are: none\n"
    assert deployment_files(out) == before


def test_rollback_restores_the_last_write(tmp_path: Path) -> None:
    out = tmp_path / "d"
    assert generate(out, defaults("arch")) == 0
    first = snapshot(out)
    (out / "db-password").write_text("pw\n")
    os.chmod(out / "db-password", 0o600)
    assert generate(out, defaults("arch", database={"backend": "mysql", "password_source": "file"})) == 0
    assert (out / "scripts" / "database.sh").exists()
    assert main(["rollback", "--out", str(out)]) == 0
    restored = snapshot(out)
    for path, content in first.items():
        if not path.startswith("."):
            assert restored[path] == content, path
    assert not (out / "scripts" / "database.sh").exists()
    assert main(["rollback", "--out", str(tmp_path / "empty")]) == 2


def _as_an_older_wizard_wrote_it(out: Path) -> None:
    """Make ``out`` what a wizard whose renderer wrote upstream's loopback registration for 'closed'
    left behind: that config, recorded as its own rendering and as the file it wrote."""
    for path in (out / CONFIG, out / APPLIED_CONFIG):
        older = path.read_text().replace("    access: none\n", "    ip_access: trusted_network\n")
        assert older != path.read_text()
        path.write_text(older)
    written = json.loads((out / WRITTEN_RECORD).read_text())
    (out / WRITTEN_RECORD).write_text(json.dumps({**written, CONFIG: digest((out / CONFIG).read_text())}))


def test_a_change_of_the_wizards_own_rendering_reaches_the_file_and_the_hand_edits_stay(tmp_path: Path) -> None:
    out, answers = tmp_path / "d", defaults("arch")
    assert generate(out, answers) == 0
    _as_an_older_wizard_wrote_it(out)
    edited = hand_edit(out / CONFIG)
    assert generate(out, answers) == 0
    after = (out / CONFIG).read_text()
    # The newer rendering closes registration; every line of the user's stays.
    assert YAML(typ="safe").load(after)["modules"]["mod_register"]["access"] == "none"
    assert after == edited.replace("    ip_access: trusted_network\n", "    access: none\n")

    # A deployment written before the rendering was recorded: the difference reads as the user's.
    _as_an_older_wizard_wrote_it(out)
    (out / APPLIED_CONFIG).unlink()
    older = (out / CONFIG).read_text()
    assert generate(out, answers) == 0
    assert (out / CONFIG).read_text() == older


def test_rollback_restores_the_records_of_the_write_before_and_removes_those_it_made(tmp_path: Path) -> None:
    out = tmp_path / "d"
    assert generate(out, defaults("arch")) == 0
    first = {record: (out / record).read_text() for record in RECORDS}
    assert generate(out, defaults("arch", security={"registration": "captcha",
                                                    "captcha_cmd": "/usr/share/ejabberd/captcha.sh"})) == 0
    assert (out / APPLIED_CONFIG).read_text() != first[APPLIED_CONFIG]
    assert main(["rollback", "--out", str(out)]) == 0
    assert {record: (out / record).read_text() for record in RECORDS} == first
    assert main(["rollback", "--out", str(out)]) == 0  # the first write: it made them
    assert not [record for record in RECORDS if (out / record).exists()]


def _generate_in_subprocess(out: Path, answers: Path, env: dict[str, str] | None = None,
                            preexec: Any = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wizard", "generate", "--out", str(out), "--answers", str(answers),
                           "--yes"], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
                          preexec_fn=preexec)


def test_an_apply_killed_after_any_file_leaves_old_or_new_files_and_the_next_run_completes(tmp_path: Path) -> None:
    old_answers = write_answers(tmp_path / "old.yml", defaults("arch"))
    new_answers = write_answers(tmp_path / "new.yml", defaults(
        "arch", ports={"c2s": 15222, "s2s": 15269}, service={"backup_dir": "/srv/b"}, domains={"hosts": ["new.test"]}))
    reference_old, reference_new = tmp_path / "ref-old", tmp_path / "ref-new"
    assert _generate_in_subprocess(reference_old, old_answers).returncode == 0
    assert _generate_in_subprocess(reference_new, new_answers).returncode == 0
    old_files, new_files = deployment_files(reference_old), deployment_files(reference_new)
    changed = [path for path in new_files if old_files.get(path) != new_files[path]]
    assert len(changed) >= 8

    for k in range(1, len(changed)):
        out = tmp_path / f"crash-{k}"
        assert _generate_in_subprocess(out, old_answers).returncode == 0
        killed = _generate_in_subprocess(out, new_answers, env={"EJABBERD_WIZARD_TEST_CRASH_AFTER": str(k)})
        assert killed.returncode == -signal.SIGKILL
        now = deployment_files(out)
        assert set(now) == set(new_files)
        assert all(now[path] in (old_files.get(path), new_files[path]) for path in now)
        assert sum(now[path] == new_files[path] != old_files.get(path) for path in now) == k
        assert not [name for name in os.listdir(out / "config") if name.endswith(".tmp")]

        again = _generate_in_subprocess(out, new_answers)
        assert again.returncode == 0 and "was interrupted" in again.stdout
        assert deployment_files(out) == new_files


def test_a_full_disk_loses_nothing_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "d"
    old_answers = write_answers(tmp_path / "old.yml", defaults("arch"))
    new_answers = write_answers(tmp_path / "new.yml", defaults("arch", domains={"hosts": ["other.test"]}))
    assert _generate_in_subprocess(out, old_answers).returncode == 0
    before = deployment_files(out)

    def small_disk() -> None:
        # Files may not grow past 3 KiB: config/ejabberd.yml cannot be written.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (3072, 3072))

    full = _generate_in_subprocess(out, new_answers, preexec=small_disk)
    assert full.returncode == 2, full.stderr
    assert full.stderr.count("\n") == 1 and "File too large" in full.stderr and "Traceback" not in full.stderr
    after = deployment_files(out)
    assert set(after) == set(before)
    assert all(after[path] == before[path] or b"other.test" in after[path] for path in after)
    assert _generate_in_subprocess(out, new_answers).returncode == 0


def test_two_writers_cannot_write_at_once(tmp_path: Path) -> None:
    out = tmp_path / "d"
    answers = write_answers(tmp_path / "a.yml", defaults("arch"))
    out.mkdir()
    with locked(out):
        blocked = _generate_in_subprocess(out, answers)
    assert blocked.returncode == 2
    assert "ejabberd-wizard (pid" in blocked.stderr and "is writing this deployment" in blocked.stderr
    assert deployment_files(out) == {}
    assert _generate_in_subprocess(out, answers).returncode == 0


# Equal client and server ciphers give two macros one value, as Debian's single TLS_CIPHERS does.
CIPHERS = st.sampled_from(["ECDHE+AESGCM:!aNULL", "ECDHE+CHACHA20:!aNULL", "HIGH:!aNULL:!eNULL"])


def _answer_values(loglevels: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "max_size": st.integers(1, 10**9), "loglevel": st.sampled_from(loglevels), "mam": st.booleans(),
        "stun": st.booleans(), "c2s": st.integers(20000, 30000), "upload": st.booleans(),
        "c2s_ciphers": CIPHERS, "s2s_ciphers": CIPHERS, "use_macros": st.booleans()})


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=_answer_values(["info", "warning"]), second=_answer_values(["info", "error"]))
def test_changing_answers_equals_generating_the_final_answers_directly(tmp_path_factory: Any, first: dict,
                                                                       second: dict) -> None:
    def answers(values: dict) -> dict:
        return defaults("arch", upload={"enabled": values["upload"], "max_size": values["max_size"]},
                        security={"loglevel": values["loglevel"]},
                        compliance={"mam": values["mam"], "stun": values["stun"]}, ports={"c2s": values["c2s"]},
                        tls={"c2s_ciphers": values["c2s_ciphers"], "s2s_ciphers": values["s2s_ciphers"],
                             "use_macros": values["use_macros"]})

    base = tmp_path_factory.mktemp("prop")
    stepwise, direct = base / "stepwise", base / "direct"
    assert generate(stepwise, answers(first)) == 0
    assert generate(stepwise, answers(second)) == 0
    assert generate(direct, answers(second)) == 0
    assert deployment_files(stepwise) == deployment_files(direct)


@pytest.mark.slow
def test_a_listener_of_the_users_own_survives_a_port_change(tmp_path: Path, ejabberd_node: Any) -> None:
    out = tmp_path / "d"
    version = installed_ejabberd_version() or "23.01"
    assert generate(out, defaults("arch", install={"version": version})) == 0
    config = out / CONFIG
    text = config.read_text().replace(
        "  - port: 5222  # clients, STARTTLS\n",
        "  - port: 5222  # clients, STARTTLS\n    backlog: 50  # mine\n", 1)
    text = text.replace("  - port: 5269  # servers (federation)\n",
                        "  - port: 5299  # my extra listener\n    ip: \"::\"\n    module: ejabberd_c2s\n    tls: true\n"
                        "  - port: 5269  # servers (federation)\n", 1)
    config.write_text(text)
    assert generate(out, defaults("arch", install={"version": version}, ports={"c2s": 15222})) == 0
    after = config.read_text()
    assert after == text.replace("  - port: 5222  # clients, STARTTLS\n", "  - port: 15222  # clients, STARTTLS\n")
    listeners = YAML(typ="safe").load(after)["listen"]
    assert [item["port"] for item in listeners][:4] == [15222, 5223, 5299, 5269]
    assert ejabberd_node(after).error_lines() == []


def test_editing_wizard_yml_and_generating_again_changes_the_config(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "d"
    assert generate(out, defaults("arch")) == 0
    saved = out / "wizard.yml"
    saved.write_text(saved.read_text().replace("max_size: 104857600", "max_size: 5"))
    capsys.readouterr()
    assert main(["diff", "--out", str(out)]) == 1
    assert "+    max_size: 5" in capsys.readouterr().out
    assert main(["generate", "--out", str(out), "--yes"]) == 0
    assert "max_size: 5\n" in (out / CONFIG).read_text()
    assert main(["diff", "--out", str(out)]) == 0


def test_an_apply_killed_at_every_write_step_is_old_or_new_completes_and_rolls_back(tmp_path: Path) -> None:
    """Each write-phase step (backup copies, manifest, journal, each file, each record, the
    journal's removal) in turn: kill there, then the next run completes and one rollback
    brings back the old deployment, with no temporary file left."""
    old_answers = write_answers(tmp_path / "old.yml", defaults("arch"))
    new_answers = write_answers(tmp_path / "new.yml", defaults("arch", ports={"c2s": 15222},
                                                              domains={"hosts": ["new.test"]}))
    reference_old, reference_new = tmp_path / "ref-old", tmp_path / "ref-new"
    assert _generate_in_subprocess(reference_old, old_answers).returncode == 0
    assert _generate_in_subprocess(reference_new, new_answers).returncode == 0
    old_files, new_files = deployment_files(reference_old), deployment_files(reference_new)
    step = 0
    while True:
        step += 1
        assert step < 200, "the write never ended"
        out = tmp_path / f"step-{step}"
        assert _generate_in_subprocess(out, old_answers).returncode == 0
        killed = _generate_in_subprocess(out, new_answers, env={"EJABBERD_WIZARD_TEST_CRASH_AT_STEP": str(step)})
        if killed.returncode == 0:  # past the last step: the write finished
            break
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        now = deployment_files(out)
        assert all(now[path] in (old_files.get(path), new_files.get(path)) for path in now), step
        (out / "config" / ".ejabberd.yml.abc123.tmp").write_text("left by a kill\n")

        again = _generate_in_subprocess(out, new_answers)
        assert again.returncode == 0, again.stderr
        assert deployment_files(out) == new_files, step
        assert not (out / ".wizard-apply.json").exists() and (out / WRITTEN_RECORD).is_file(), step
        assert not [p for p in out.rglob("*.tmp")], step
        assert main(["rollback", "--out", str(out)]) == 0
        assert deployment_files(out) == old_files, step
    assert step > 10  # every file and record was a step of its own


def test_two_runs_at_once_write_one_consistent_deployment(tmp_path: Path) -> None:
    """Started together on one directory: each either writes or is refused in one line, and what
    is left is one run's deployment whole, its wizard.yml and config agreeing."""
    out = tmp_path / "d"
    first = write_answers(tmp_path / "first.yml", defaults("arch", domains={"hosts": ["first.test"]}))
    second = write_answers(tmp_path / "second.yml", defaults("arch", domains={"hosts": ["second.test"]}))
    assert _generate_in_subprocess(out, write_answers(tmp_path / "base.yml", defaults("arch"))).returncode == 0
    for _ in range(3):
        command = [sys.executable, "-m", "wizard", "generate", "--out", str(out), "--yes", "--answers"]
        runs = [subprocess.Popen([*command, str(answers)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for answers in (first, second)]
        results = [(run.wait(timeout=60), run.stderr.read() if run.stderr else "") for run in runs]
        for code, err in results:
            assert code in (0, 2) and "Traceback" not in err, err
            assert code == 0 or err.count("\n") == 1, err
        wizard_yml, config = (out / "wizard.yml").read_text(), (out / CONFIG).read_text()
        host = "first.test" if "first.test" in wizard_yml else "second.test"
        assert host in config and ({"first.test", "second.test"} - {host}).pop() not in config + wizard_yml
        assert not (out / ".wizard-apply.json").exists()
