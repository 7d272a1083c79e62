"""Answers files for the tests: a preset's defaults, or everything switched on."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from wizard.answers.build import merge

# Fixed so that generated files do not depend on who runs the tests.
ACCOUNT = {"user": "isabell", "home": "/home/isabell"}


def installed_ejabberd_version() -> str | None:
    """The release of the ejabberd installed here (Debian's package), e.g. '23.01'."""
    for app in sorted(Path("/usr/lib").glob("*/ejabberd-*/ebin/ejabberd.app")):
        match = re.search(r'\{vsn,\s*"(\d{2}\.\d{2})', app.read_text(errors="replace"))
        if match:
            return match.group(1)
    return None


def required_ejabberd_release() -> str:
    """The installed release, for tests that start real ejabberd (fails in CI when it is missing)."""
    from tests.support.components import require

    require("/usr/sbin/ejabberdctl")
    version = installed_ejabberd_version()
    assert version, "ejabberd is installed but its release could not be read"
    return version


def defaults(preset: str, host: str = "example.test", **overrides: Any) -> dict[str, Any]:
    """Just enough answers for a preset: the domain and the account."""
    answers: dict[str, Any] = {"preset": preset, "install": dict(ACCOUNT), "domains": {"hosts": [host]}}
    return merge(answers, overrides)


def everything_on(preset: str, host: str = "example.test", **overrides: Any) -> dict[str, Any]:
    """Every feature switched on: MySQL, STUN and TURN, every contact address, admin port, quota, strong TLS."""
    answers = defaults(preset, host)
    answers = merge(answers, {
        "domains": {"hosts": [host, f"second-{host}"], "ipv4": "192.0.2.10", "ipv6": "2001:db8::10"},
        "tls": {"dhfile": "/etc/ejabberd/dhparam.pem", "starttls_required": True, "s2s_use_starttls": "required"},
        "upload": {"enabled": True, "quota_max_days": 30},
        "database": {"backend": "mysql", "password_source": "file", "password_file": "db-password"},
        "compliance": {
            "abuse_addresses": [f"mailto:abuse@{host}", f"xmpp:abuse@{host}"],
            "support_addresses": [f"https://{host}/support"],
            "admin_addresses": [f"xmpp:admin@{host}"],
            "security_addresses": [f"mailto:security@{host}"],
            "alternative_connections": True,
            "stun": True,
            "turn": True,
        },
        "security": {"admin_interface": True, "registration": "captcha",
                     "captcha_cmd": "/usr/share/ejabberd/captcha.sh", "mqtt": True},
    })
    return merge(answers, overrides)


def write_answers(path: Path, answers: dict[str, Any]) -> Path:
    yaml = YAML()
    with path.open("w", encoding="utf-8") as stream:
        yaml.dump(copy.deepcopy(answers), stream)
    return path


def write_secret(path: Path, secret: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secret + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    return path


# Who holds the deployment's lock, rewritten by every run that takes it (its time to the second):
# the wizard's note to a second run, not a file of the deployment.
LOCK_NOTE = ".wizard.lock"


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file below ``directory`` with its bytes, to prove nothing changed (the lock's note aside)."""
    if not directory.exists():
        return {}
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and p.relative_to(directory) != Path(LOCK_NOTE)}


def deployment_files(directory: Path) -> dict[str, bytes]:
    """The deployment's own files, without the wizard's bookkeeping (lock, backups, records)."""
    return {path: content for path, content in snapshot(directory).items() if not path.startswith(".")}


def generate_deployment(tmp_path: Path, preset: str, **overrides: Any) -> Path:
    """``ejabberd-wizard generate`` of ``preset``'s defaults with ``overrides`` into tmp_path/deploy
    (a MySQL password kept in deploy/db-password, where the presets' ``password_file`` points)."""
    from wizard.cli import main

    out = tmp_path / "deploy"
    write_secret(out / "db-password", "secret-db-password")
    answers = write_answers(tmp_path / "answers.yml", defaults(preset, **overrides))
    assert main(["generate", "--out", str(out), "--answers", str(answers), "--yes"]) == 0
    return out
