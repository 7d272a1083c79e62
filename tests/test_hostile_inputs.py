"""Hostile inputs of issue 20, beside tests/test_bad_inputs.py: the same contract (one line naming
the file, field or line and what is expected, exit 2, no traceback, nothing written) for inputs
that used to be taken, hang, or end in a traceback.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.answers_helpers import defaults, snapshot, write_answers, write_secret
from tests.test_bad_inputs import HOST, Case, Rejection, run, yaml_text

# -- answers that broke a generated file, or were taken when they must not be ----------------

LONG_HOST = ".".join(["a" * 60] * 3) + ".example"  # 190 characters: fine alone, too long for an SRV name

ANSWERS_CASES = [
    # Control characters in any text answer (a header, a line, a C string of a generated file)
    Case("crlf-in-cors-origin", {"upload": {"enabled": True,
                                            "cors_origin": "https://a.example\r\nSet-Cookie: injected=1"}},
         ("upload.cors_origin", "control character")),
    Case("nul-in-cors-origin", {"upload": {"enabled": True, "cors_origin": "https://a.example\x00"}},
         ("upload.cors_origin", "control character")),
    Case("lf-in-cipher", {"tls": {"c2s_ciphers": "HIGH\nEVIL"}}, ("tls.c2s_ciphers", "control character")),
    Case("lf-in-version", {"install": {"version": "26.07\n"}}, ("install.version", "control character")),
    Case("lf-in-mode", {"upload": {"file_mode": "0640\n"}}, ("upload.file_mode", "control character")),
    Case("cr-in-contact", {"compliance": {"abuse_addresses": ["mailto:a@example.test\r"]}},
         ("compliance.abuse_addresses.0", "not a contact URI")),
    # Paths a systemd unit cannot hold (arch: systemd)
    Case("quote-in-ejabberdctl", {"install": {"ejabberdctl": '/usr/bin/ejabber"ctl'}},
         ("install.ejabberdctl", "systemd unit cannot hold '\"'")),
    Case("backslash-in-ejabberdctl", {"install": {"ejabberdctl": "/usr/bin/ejabber\\ctl"}},
         ("install.ejabberdctl", "systemd unit cannot hold")),
    Case("apostrophe-in-log-dir", {"install": {"log_dir": "/var/log/it's"}},
         ("install.log_dir", "systemd unit cannot hold \"'\"")),
    Case("apostrophe-in-spool-dir", {"install": {"spool_dir": "/var/lib/o'brien"}}, ("install.spool_dir", "systemd")),
    Case("apostrophe-in-config-dir", {"install": {"config_dir": "/etc/o'brien"}}, ("install.config_dir", "systemd")),
    # Colliding names
    Case("duplicate-host", {"domains": {"hosts": [HOST, HOST]}}, ("domains.hosts.1", "is also domains.hosts.0")),
    Case("host-is-a-service-of-another", {"domains": {"hosts": [HOST, f"conference.{HOST}"]}},
         ("domains.hosts.1", "is also the conference subdomain")),
    Case("one-label-two-roles", {"domains": {"conference": "x", "proxy": "x"}},
         ("domains.proxy", "already the label of domains.conference")),
    Case("idn-and-its-punycode", {"domains": {"hosts": ["bücher.example", "xn--bcher-kva.example"]}},
         ("domains.hosts.1", "is also domains.hosts.0")),
    # What the zone file cannot hold
    Case("names-too-long-for-dns", {"domains": {"hosts": [LONG_HOST + "a" * 50]}},
         ("domains.hosts.0", "too long for DNS")),
    Case("ipv6-as-ipv4", {"domains": {"ipv4": "::1"}}, ("domains.ipv4", "is an IPv6 address")),
    Case("ipv4-as-ipv6", {"domains": {"ipv6": "192.0.2.1"}}, ("domains.ipv6", "is an IPv4 address")),
    Case("zone-index", {"domains": {"ipv6": "fe80::1%eth0"}}, ("domains.ipv6", "zone index")),
    # The upload taking another handler's path
    Case("upload-on-bosh", {"upload": {"enabled": True, "path": "/bosh"}}, ("upload.path", "BOSH")),
    Case("upload-on-ws", {"upload": {"enabled": True, "path": "/ws/"}}, ("upload.path", "WebSocket")),
    Case("upload-on-root", {"upload": {"enabled": True, "path": "/"}}, ("upload.path", "a path of its own")),
    Case("upload-on-captcha", {"upload": {"enabled": True, "path": "/captcha"},
                               "security": {"registration": "captcha", "captcha_cmd": "/usr/bin/captcha.sh"}},
         ("upload.path", "CAPTCHA")),
    # Booleans for numbers
    Case("true-max-size", {"upload": {"enabled": True, "max_size": True}}, ("upload.max_size", "valid integer")),
    Case("true-quota", {"upload": {"enabled": True, "quota_max_days": True}},
         ("upload.quota_max_days", "valid integer")),
    Case("true-strength", {"security": {"password_strength": True}}, ("security.password_strength", "valid integer")),
    Case("true-pool", {"database": {"pool_size": True}}, ("database.pool_size", "valid integer")),
    # Other values
    Case("month-13", {"install": {"version": "23.13"}}, ("install.version", "the month from 01 to 12")),
    Case("contact-port-99999", {"compliance": {"abuse_addresses": ["https://example.org:99999/abuse"]}},
         ("compliance.abuse_addresses.0", "port")),
    Case("contact-bad-host", {"compliance": {"abuse_addresses": ["https://-x-/abuse"]}},
         ("compliance.abuse_addresses.0", "is not a host name")),
    Case("origin-bad-port", {"upload": {"enabled": True, "cors_origin": "https://a.example:70000"}},
         ("upload.cors_origin", "not an origin")),
]

UBERSPACE_CASES = [
    Case("uberspace-c2s-80", {"ports": {"c2s": 80}}, ("ports.c2s", "port 80 is privileged")),
    Case("uberspace-http-443", {"ports": {"http": 443}}, ("ports.http", "port 443 is privileged")),
]


def _params(cases: list[Case]) -> list[Any]:
    return [pytest.param(case, id=case.id) for case in cases]


def _refused(case: Case, preset: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Rejection:
    bad = tmp_path / "answers.yml"
    if isinstance(case.content, bytes):
        bad.write_bytes(case.content)
    else:
        write_answers(bad, defaults(preset, HOST, **case.content))
    out = tmp_path / "deploy"
    rejection = run(capsys, "generate", "--out", str(out), "--answers", str(bad), "--yes")
    rejection.check(*case.expected, f"{bad}:")
    assert not out.exists()
    return rejection


@pytest.mark.parametrize("case", _params(ANSWERS_CASES))
def test_answers_that_would_break_a_generated_file(case: Case, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _refused(case, "arch", tmp_path, capsys)


@pytest.mark.parametrize("case", _params(UBERSPACE_CASES))
def test_ports_uberspace_cannot_open(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(case, "uberspace", tmp_path, capsys)


def test_a_quote_in_a_path_is_still_taken_where_it_can_be_quoted(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Uberspace's supervisord quotes like a shell: the systemd limits do not apply there."""
    answers = write_answers(tmp_path / "a.yml", defaults("uberspace", HOST, install={"log_dir": "/var/log/it's"}))
    assert run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(answers), "--dry-run").code == 0


def test_the_raw_yaml_line_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = Case("cors-crlf-raw", yaml_text('upload: {enabled: true, cors_origin: "https://a.example\\r\\nX: 1"}\n'),
                ("answers.yml:4: upload.cors_origin",))
    _refused(case, "arch", tmp_path, capsys)


# -- the deployment directory and files on disk -----------------------------------------------


@pytest.fixture
def answers_file(tmp_path: Path) -> Path:
    return write_answers(tmp_path / "answers.yml", defaults("arch", HOST))


@pytest.fixture
def generated(tmp_path: Path, answers_file: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "deploy"
    assert run(capsys, "generate", "--out", str(out), "--answers", str(answers_file), "--yes").code == 0
    return out


@pytest.mark.parametrize("target", ["/", "/etc", "/usr"])
def test_out_leading_to_a_system_directory_is_refused(target: str, tmp_path: Path, answers_file: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Only commands that write nothing even when the check is gone (a failing run must not fill /)."""
    link = tmp_path / "deploy"
    link.symlink_to(target)
    for command in (["generate", "--dry-run"], ["diff"]):
        run(capsys, *command, "--out", str(link), "--answers",
            str(answers_file)).check(f"--out {link}: is a system or home directory (it leads to {target})")


def test_out_leading_to_the_home_directory_is_refused(tmp_path: Path, answers_file: Path) -> None:
    """A real write, into a home of the test's own (HOME): what a failing run writes stays in tmp_path."""
    home, link = tmp_path / "home", tmp_path / "deploy"
    home.mkdir()
    link.symlink_to(home)
    result = subprocess.run([sys.executable, "-m", "wizard", "generate", "--out", str(link), "--answers",
                             str(answers_file), "--yes"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "HOME": str(home)})
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"--out {link}: is a system or home directory (it leads to {home})" in result.stderr
    assert not os.listdir(home)


def test_out_as_a_symlink_to_a_directory_of_its_own_is_fine(tmp_path: Path, answers_file: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "deploy").symlink_to(tmp_path / "elsewhere")
    assert run(capsys, "generate", "--out", str(tmp_path / "deploy"), "--answers", str(answers_file), "--yes").code == 0
    assert (tmp_path / "elsewhere" / "wizard.yml").is_file()


# Inside another user's closed directory: test_hostile_inputs_more (it drops root's powers to see it).
@pytest.mark.parametrize("kind", ["name-of-300", "path-beyond-4096"])
def test_out_that_cannot_be_reached(kind: str, tmp_path: Path, answers_file: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / ("d" * 300 if kind == "name-of-300" else "/".join(["d" * 200] * 25))
    for command in ("generate", "diff", "rollback"):
        extra = [] if command == "rollback" else ["--answers", str(answers_file)]
        run(capsys, command, "--out", str(out), *extra).check("cannot use it", "expected a directory you can write")


def test_a_broken_config_on_disk_is_named_not_replaced(generated: Path, answers_file: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    config = generated / "config" / "ejabberd.yml"
    config.write_text(config.read_text() + "listen: [\n")
    before = snapshot(generated)
    for command in ("generate", "diff"):
        run(capsys, command, "--out", str(generated), "--answers", str(answers_file),
            *(["--yes"] if command == "generate" else [])).check(f"{config}:", "not valid YAML", "move it away")
    assert snapshot(generated) == before


# -- files that are not files: FIFOs, devices, huge ones ---------------------------------------


def _special(kind: str, path: Path) -> Path:
    if kind == "fifo":
        os.mkfifo(path)
        return path
    return Path("/dev/zero")


@pytest.mark.parametrize("kind", ["fifo", "device"])
@pytest.mark.parametrize("flag", ["--answers", "--import"])
def test_a_special_file_as_an_input_file_is_refused_at_once(kind: str, flag: str, tmp_path: Path,
                                                             answers_file: Path) -> None:
    special = _special(kind, tmp_path / "special")
    extra = ["--preset", "arch"] if flag == "--import" else []
    result = subprocess.run([sys.executable, "-m", "wizard", "generate", "--out", str(tmp_path / "d"), flag,
                             str(special), *extra, "--dry-run"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"{special}: is a" in result.stderr and "regular file" in result.stderr
    assert not (tmp_path / "d").exists()


def test_a_fifo_in_place_of_a_file_of_the_deployment_is_refused_at_once(tmp_path: Path, answers_file: Path) -> None:
    out = tmp_path / "d"
    assert subprocess.run([sys.executable, "-m", "wizard", "generate", "--out", str(out), "--answers",
                           str(answers_file), "--yes"], capture_output=True, timeout=60).returncode == 0
    zone = out / "dns" / "records.zone"
    zone.unlink()
    os.mkfifo(zone)
    result = subprocess.run([sys.executable, "-m", "wizard", "diff", "--out", str(out)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"{zone}: is not a regular file" in result.stderr and "move it away" in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_special_file_as_the_password_file_is_refused_at_once(kind: str, tmp_path: Path) -> None:
    special = _special(kind, tmp_path / "special")
    answers = write_answers(tmp_path / "a.yml", defaults("arch", HOST, database={
        "backend": "mysql", "password_source": "file", "password_file": str(special)}))
    result = subprocess.run([sys.executable, "-m", "wizard", "generate", "--out", str(tmp_path / "d"), "--answers",
                             str(answers), "--yes"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"database.password_file ({special})" in result.stderr and "regular file" in result.stderr
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("kind", ["fifo", "device", "not-a-certificate"])
def test_verify_input_files_are_checked_before_connecting(kind: str, tmp_path: Path) -> None:
    password = write_secret(tmp_path / "pw", "hunter2")
    if kind == "not-a-certificate":
        ca = tmp_path / "ca.pem"
        ca.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        argv = ["--ca", str(ca), "--password-file", str(password)]
        expected = f"--ca {ca}: not a PEM certificate"
    else:
        special = _special(kind, tmp_path / "special")
        argv, expected = ["--password-file", str(special)], f"--password-file {special}: cannot read it: is a"
    result = subprocess.run([sys.executable, "-m", "wizard", "verify", "--jid", f"admin@{HOST}", "--server",
                             "127.0.0.1", "--port", "1", *argv], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["plain", "tui"])
def test_a_front_end_without_a_terminal_says_so(command: str, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "wizard", command, "--out", str(tmp_path / "d")],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "no terminal to ask the questions on" in result.stderr and "Traceback" not in result.stderr


# -- imported configs ------------------------------------------------------------------------


@pytest.mark.parametrize("config", [
    "hosts: [EXAMPLE.ORG]\n",
    "hosts: [example.org]\nlisten:\n  - {port: 5222, module: ejabberd_c2s, ip: {a: 1}}\n"
    "  - {port: 5269, module: ejabberd_s2s_in, ip: {a: 1}}\n",
], ids=["uppercase-host", "ip-as-a-mapping"])
def test_imports_that_broke(config: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    imported = tmp_path / "ejabberd.yml"
    imported.write_text(config)
    out = tmp_path / "d"
    result = run(capsys, "generate", "--out", str(out), "--preset", "arch", "--import", str(imported), "--yes")
    assert result.code == 0, result.err
    assert (out / "wizard.yml").read_text().count("example.org") >= 1


# -- rollback --------------------------------------------------------------------------------


def _manifest(out: Path) -> Path:
    return sorted((out / ".backup").glob("*/manifest.json"))[-1]


@pytest.mark.parametrize("garbage", [b"{not json", b"[1, 2]", b"\xff\xfe", b'{"replaced": "wizard.yml"}',
                                     b'{"created": ["../victim"], "replaced": []}',
                                     b'{"replaced": ["../victim"], "created": []}',
                                     b'{"replaced": ["VICTIM"], "created": []}',
                                     b'{"created": ["VICTIM"], "replaced": []}',
                                     b'{"replaced": ["config/gone.yml"], "created": []}'],
                         ids=["not-json", "a-list", "not-utf-8", "not-a-list", "created-outside", "replaced-outside",
                              "absolute", "absolute-created", "missing-backup"])
def test_rollback_with_a_garbage_manifest_changes_nothing(garbage: bytes, generated: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    changed = write_answers(tmp_path / "changed.yml", defaults("arch", HOST, upload={"max_size": 5_000_000}))
    assert run(capsys, "generate", "--out", str(generated), "--answers", str(changed), "--yes").code == 0
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    # An absolute path names the victim (not /etc/passwd): a failing run harms only tmp_path.
    _manifest(generated).write_bytes(garbage.replace(b"VICTIM", str(victim).encode()))
    before = snapshot(generated)
    run(capsys, "rollback", "--out", str(generated)).check("nothing was rolled back")
    assert snapshot(generated) == before and victim.read_text() == "precious\n"


# -- secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["wizard.yml", "config/ejabberd.yml", "scripts/deploy.sh", ".wizard-written.json",
                                  "."])
def test_a_password_file_is_never_a_file_of_the_deployment(name: str, generated: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    answers = write_answers(tmp_path / "mysql.yml", defaults("arch", HOST, database={
        "backend": "mysql", "password_source": "file", "password_file": name}))
    before = snapshot(generated)
    run(capsys, "generate", "--out", str(generated), "--answers", str(answers),
        "--yes").check("database.password_file", "expected a file of its own")
    assert snapshot(generated) == before


def test_an_imported_host_config_password_is_not_world_readable(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    imported = tmp_path / "ejabberd.yml"
    imported.write_text("hosts: [example.org]\nhost_config:\n  example.org:\n    sql_type: mysql\n"
                        "    sql_password: hunter2\n")
    out = tmp_path / "d"
    result = run(capsys, "generate", "--out", str(out), "--preset", "arch", "--import", str(imported), "--yes")
    assert result.code == 0, result.err
    config = out / "config" / "ejabberd.yml"
    assert "hunter2" in config.read_text() and "hunter2" not in result.out
    assert stat.S_IMODE(config.stat().st_mode) & 0o077 == 0


def test_a_long_password_folded_over_lines_is_masked_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    words = [f"word{n:04d}" for n in range(600)]
    secret = " ".join(words)
    password = write_secret(tmp_path / "pw", secret)
    answers = write_answers(tmp_path / "a.yml", defaults("arch", HOST, database={
        "backend": "mysql", "password_source": "file", "password_file": str(password)}))
    result = run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(answers), "--yes")
    assert result.code == 0, result.err
    assert not [word for word in words if word in result.out]


def test_an_apply_record_from_the_journal_stays_inside(generated: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A journal naming a backup outside .backup/ is not followed."""
    (generated / ".wizard-apply.json").write_text(json.dumps({"backup": "../../x", "replaced": [], "created": []}))
    changed = write_answers(tmp_path / "changed.yml", defaults("arch", HOST, upload={"max_size": 5_000_000}))
    assert run(capsys, "generate", "--out", str(generated), "--answers", str(changed), "--yes").code == 0
    assert not (tmp_path / "x").exists() and not (generated / ".wizard-apply.json").exists()
