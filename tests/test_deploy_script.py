"""scripts/deploy.sh puts the deployment in place: diff shown (secrets masked), backups kept, atomic."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.answers_helpers import defaults, write_answers, write_secret
from wizard.cli import main

SECRET = "deploy-secret-password"


def _generate(tmp_path: Path, live: Path, password: str = SECRET, **changes: Any) -> Path:
    out = tmp_path / "deploy"
    write_secret(out / "db-password", password)
    answers = defaults("uberspace", install={"config_dir": str(live / "etc" / "ejabberd")},
                       service={"unit_path": str(live / "etc" / "services.d" / "ejabberd.ini"),
                                "web_root": str(live / "html")},
                       database={"password_source": "file"}, **changes)
    assert main(["generate", "--out", str(out), "--answers", str(write_answers(tmp_path / "a.yml", answers)),
                 "--yes"]) == 0
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
