"""scripts/deploy.sh puts the deployment in place: diff shown (secrets masked), backups kept, atomic."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.answers_helpers import defaults, write_answers, write_secret
from wizard.cli import main

SECRET = "deploy-secret-password"


NAMES = ("example.test", "conference.example.test", "proxy.example.test", "pubsub.example.test", "xmpp.example.test")


def certificate_files(tmp_path: Path) -> list[Path]:
    certs = tmp_path / "certificates"
    return [certs / f"{name}.{kind}" for name in NAMES for kind in ("crt", "key")]


def _generate(tmp_path: Path, live: Path, password: str = SECRET, *, certificates: bool = True,
              ejabberdctl: str | None = None, **changes: Any) -> Path:
    """An Uberspace deployment whose certificates (in tmp_path/certificates) Uberspace has fetched, or not yet."""
    out = tmp_path / "deploy"
    write_secret(out / "db-password", password)
    certs = tmp_path / "certificates"
    install = {"config_dir": str(live / "etc" / "ejabberd"), **({"ejabberdctl": ejabberdctl} if ejabberdctl else {})}
    answers = defaults("uberspace", install=install,
                       service={"unit_path": str(live / "etc" / "services.d" / "ejabberd.ini"),
                                "web_root": str(live / "html")},
                       tls={"cert_file": f"{certs}/{{name}}.crt", "key_file": f"{certs}/{{name}}.key"},
                       database={"password_source": "file"}, **changes)
    assert main(["generate", "--out", str(out), "--answers", str(write_answers(tmp_path / "a.yml", answers)),
                 "--yes"]) == 0
    if certificates:
        for file in certificate_files(tmp_path):
            file.parent.mkdir(exist_ok=True)
            file.write_text("x\n")
    return out


def _deploy(out: Path) -> subprocess.CompletedProcess[str]:
    # The service manager is not running here: the script stops at `supervisorctl`,
    # after everything has been put in place.
    return subprocess.run(["sh", str(out / "scripts" / "deploy.sh")], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(out)})


def test_deploy_installs_shows_a_masked_diff_and_keeps_backups(tmp_path: Path) -> None:
    live = tmp_path / "live"
    out = _generate(tmp_path, live)
    first = _deploy(out)
    config = live / "etc" / "ejabberd" / "ejabberd.yml"
    assert config.read_text() == (out / "config" / "ejabberd.yml").read_text()
    assert config.stat().st_mode & 0o777 == 0o600
    assert (live / "etc" / "services.d" / "ejabberd.ini").exists()
    assert (live / "html" / ".well-known" / "host-meta").exists()
    assert "installed: " + str(config) in first.stdout

    out = _generate(tmp_path, live, password=SECRET + "-changed", upload={"max_size": 5})
    second = _deploy(out)
    assert "-    max_size: 104857600" in second.stdout and "+    max_size: 5" in second.stdout
    assert SECRET not in second.stdout + second.stderr
    assert 'sql_password: "********"' in second.stdout
    (backup,) = config.parent.glob("ejabberd.yml.bak-*")
    assert "max_size: 104857600" in backup.read_text() and backup.stat().st_mode & 0o777 == 0o600
    assert "unchanged: " + str(live / "etc" / "services.d" / "ejabberd.ini") in second.stdout
    assert not list(config.parent.glob("*.tmp-*"))


STANDINS = Path(__file__).parent / "support" / "standins"


def _fake_curl(bin_dir: Path, *, creates: tuple[str, ...] | list[str] = ()) -> Path:
    """curl as it behaves before DNS points here (fails), or, given files, as Uberspace's first
    HTTPS request does: it answers and the certificates appear."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    log = bin_dir / "curl.log"
    body = "".join(f"mkdir -p {shlex.quote(str(Path(f).parent))}; echo x > {shlex.quote(f)}\n" for f in creates)
    curl = bin_dir / "curl"
    curl.write_text(f'#!/bin/sh\necho "$@" >> {shlex.quote(str(log))}\n{body}exit {0 if creates else 6}\n')
    curl.chmod(0o755)
    return log


def test_deploy_changes_nothing_until_every_certificate_is_there_and_says_why(tmp_path: Path) -> None:
    live = tmp_path / "live"
    out, files = _generate(tmp_path, live, certificates=False), [str(f) for f in certificate_files(tmp_path)]
    log = _fake_curl(tmp_path / "bin")
    result = subprocess.run(["sh", str(out / "scripts" / "deploy.sh")], capture_output=True, text=True, timeout=60,
                            env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "HOME": str(out)})
    assert result.returncode == 3, result.stderr
    assert "no certificate yet (nothing was changed)" in result.stderr
    assert all(file in result.stderr for file in files)
    assert "Add the DNS records" in result.stderr
    assert not (live / "etc" / "ejabberd" / "ejabberd.yml").exists()
    # It asked for each domain once over HTTPS: that is what makes Uberspace fetch a certificate.
    assert "https://conference.example.test" in log.read_text()


def test_deploy_goes_on_once_the_first_https_request_brought_the_certificates(tmp_path: Path) -> None:
    live = tmp_path / "live"
    out, files = _generate(tmp_path, live, certificates=False), [str(f) for f in certificate_files(tmp_path)]
    _fake_curl(tmp_path / "bin", creates=files)
    result = subprocess.run(["sh", str(out / "scripts" / "deploy.sh")], capture_output=True, text=True, timeout=60,
                            env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "HOME": str(out)})
    assert "no certificate yet" not in result.stderr
    assert (live / "etc" / "ejabberd" / "ejabberd.yml").exists(), result.stderr


def test_uberspace_setup_sets_host_meta_cors_and_fetches_nothing_before_dns(tmp_path: Path) -> None:
    out = _generate(tmp_path, tmp_path / "live")
    state = tmp_path / "uberspace-state"
    log = _fake_curl(tmp_path / "bin")
    (tmp_path / "bin" / "uberspace").symlink_to(STANDINS / "uberspace")
    table = tmp_path / "crontab.txt"  # crontab's part: -l shows the table, - replaces it once read
    crontab = tmp_path / "bin" / "crontab"
    crontab.write_text(f'#!/bin/sh\nif [ "$1" = -l ]; then cat {table} 2>/dev/null || '
                       f'{{ echo "no crontab for $USER" >&2; exit 1; }}\n'
                       f'else cat > {table}.new && mv {table}.new {table}; fi\n')
    crontab.chmod(0o755)
    table.write_text("0 * * * * echo a job of the user's own\n")
    for _ in range(2):  # run twice: the job is replaced, not added again
        result = subprocess.run(["sh", str(out / "scripts" / "setup-platform.sh")], capture_output=True, text=True,
                                timeout=60, env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "HOME": str(out),
                                                 "UBERSPACE_STANDIN_STATE": str(state)})
    jobs = table.read_text().splitlines()
    assert jobs[0] == "0 * * * * echo a job of the user's own" and len(jobs) == 2
    assert jobs[1].startswith("17 4 * * * ") and "reload_config" in jobs[1]
    calls = (state / "calls.log").read_text()
    assert "uberspace web header set example.test/.well-known/host-meta Access-Control-Allow-Origin '*'" in calls
    assert "uberspace web domain add conference.example.test" in calls
    assert "uberspace web backend set xmpp.example.test/ --http --port" in calls
    assert not log.exists(), "setup-platform.sh made HTTPS requests before the DNS step"
    # The preset's ports are not the ones Uberspace opened: it says so, and fails.
    assert result.returncode == 1 and "is not open: run sh scripts/open-ports.sh" in result.stderr


@pytest.mark.slow
def test_the_first_deploy_under_a_real_supervisord_starts_ejabberd_once_without_an_error(tmp_path: Path) -> None:
    tools = Path(sys.executable).parent
    supervisord, supervisorctl = tools / "supervisord", tools / "supervisorctl"
    live = tmp_path / "live"
    # ejabberdctl's part: `foreground` keeps running; `status` says "not started" until it has started.
    ctl = tmp_path / "bin" / "ejabberdctl"
    ctl.parent.mkdir()
    started = tmp_path / "started"
    ctl.write_text(f'#!/bin/sh\nfor a; do last=$a; done\ncase "$last" in\n'
                   f'foreground) touch {started}; exec sleep 300 ;;\n'
                   f'status) test -f {started} ;;\n*) exit 0 ;;\nesac\n')
    ctl.chmod(0o755)
    out = _generate(tmp_path, live, ejabberdctl=str(ctl))
    here = tmp_path / "account"
    here.mkdir()
    socket_path = tmp_path / "supervisor.sock"
    (here / "supervisord.conf").write_text(
        f"[unix_http_server]\nfile={socket_path}\n[supervisord]\nlogfile={tmp_path}/supervisord.log\n"
        f"pidfile={tmp_path}/supervisord.pid\nnodaemon=true\n"
        "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
        f"[supervisorctl]\nserverurl=unix://{socket_path}\n[include]\nfiles = {live}/etc/services.d/*.ini\n")
    env = {"PATH": f"{supervisorctl.parent}:/usr/bin:/bin", "HOME": str(out)}
    daemon = subprocess.Popen([str(supervisord), "-c", str(here / "supervisord.conf")], cwd=here, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not socket_path.exists():
            assert daemon.poll() is None and time.monotonic() < deadline, "supervisord did not start"
            time.sleep(0.05)
        first = subprocess.run(["sh", str(out / "scripts" / "deploy.sh")], cwd=here, env=env, capture_output=True,
                               text=True, timeout=120)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "ERROR" not in first.stdout + first.stderr
        status = subprocess.run([str(supervisorctl), "status", "ejabberd"], cwd=here, env=env, capture_output=True,
                                text=True, timeout=30)
        assert "STARTING" in status.stdout or "RUNNING" in status.stdout, status.stdout
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


def test_open_ports_opens_what_is_needed_and_names_the_numbers_until_the_answers_have_them(tmp_path: Path) -> None:
    state = tmp_path / "uberspace-state"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "uberspace").symlink_to(STANDINS / "uberspace")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "UBERSPACE_STANDIN_STATE": str(state)}

    def open_ports(out: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["sh", str(out / "scripts" / "open-ports.sh")], capture_output=True, text=True,
                              timeout=60, env=env)

    first = open_ports(_generate(tmp_path, tmp_path / "live"))
    assert first.returncode == 3, first.stderr
    chosen = dict(re.findall(r"^  (\w+): (\d+)$", first.stdout, re.M))
    assert set(chosen) == {"c2s", "c2s_tls", "s2s", "s2s_tls", "proxy65", "stun", "stuns", "turn_relay"}
    assert first.stdout.count("will be open for TCP and UDP traffic") == 8
    again = open_ports(_generate(tmp_path, tmp_path / "live", ports={k: int(v) for k, v in chosen.items()}))
    assert again.returncode == 0 and "all 8 ports of this deployment are open" in again.stdout
    assert "will be open" not in again.stdout  # nothing more was opened
