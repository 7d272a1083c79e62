"""Generated configs, started by real ejabberd and used by a real XMPP client.

The test changes only what a loopback test must (listener addresses and ports,
certificate and upload paths: see tests/support/ejabberd_node.localize_config)
and targets the ejabberd release installed here, as a user would.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import defaults, everything_on, write_answers, write_secret
from tests.support.components import require, shared_tempdir
from tests.support.xmpp_client import login_and_discover
from wizard.cli import main

pytestmark = pytest.mark.slow  # every test here starts a real server or a terminal

HOST = "example.test"
PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="module")
def captcha_script() -> Iterator[str]:
    """Debian's CAPTCHA script, run with ImageMagick from /usr/bin first on the PATH."""
    require("/usr/share/ejabberd/captcha.sh")
    require("/usr/bin/convert", install="apt-get install imagemagick")
    directory = shared_tempdir("captcha-")
    script = directory / "captcha.sh"
    script.write_text('#!/bin/sh\nPATH=/usr/bin:/bin exec /usr/share/ejabberd/captcha.sh "$@"\n')
    script.chmod(0o755)
    yield str(script)
    shutil.rmtree(directory, ignore_errors=True)


def _database_answers(sql: dict[str, Any]) -> dict[str, Any]:
    return {"backend": "mysql", "server": sql["sql_server"], "port": sql["sql_port"], "name": sql["sql_database"],
            "user": sql["sql_username"], "password_source": "file", "password_file": "db-password"}


def _generate(tmp_path: Path, answers: dict[str, Any], password: str | None) -> str:
    out = tmp_path / "deploy"
    if password is not None:
        write_secret(out / "db-password", password)
    path = write_answers(tmp_path / "answers.yml", answers)
    assert main(["generate", "--out", str(out), "--answers", str(path), "--yes"]) == 0
    return (out / "config" / "ejabberd.yml").read_text()


CASES = [
    ("uberspace", "defaults"),
    ("uberspace", "everything"),
    ("arch", "defaults"),
    ("arch", "everything"),
]


@pytest.mark.parametrize(("preset", "variant"), CASES, ids=[f"{p}-{v}" for p, v in CASES])
def test_generated_config_serves_clients_on_real_ejabberd(
    preset: str, variant: str, tmp_path: Path, ejabberd_release: str, ejabberd_node: Any, request: pytest.FixtureRequest
) -> None:
    if variant == "defaults":
        answers = defaults(preset, HOST, install={"version": ejabberd_release})
    else:
        answers = everything_on(preset, HOST, install={"version": ejabberd_release},
                                security={"captcha_cmd": request.getfixturevalue("captcha_script")})
    uses_mysql = variant == "everything" or preset == "uberspace"  # Uberspace's default is MySQL
    sql = request.getfixturevalue("ejabberd_sql_db") if uses_mysql else None
    if sql:
        answers["database"] = _database_answers(sql)
    config = _generate(tmp_path, answers, sql["sql_password"] if sql else None)

    node = ejabberd_node(config)
    assert node.error_lines() == [], node.log_tail()

    saved = YAML(typ="safe").load((tmp_path / "deploy" / "wizard.yml").read_text())
    node.register("alice", HOST, PASSWORD)
    result = login_and_discover(f"alice@{HOST}", PASSWORD, "127.0.0.1", node.port_for(saved["ports"]["c2s"]),
                                ca_cert=node.cert.cert)
    upload = f"{saved['domains']['upload']}.{HOST}"
    assert {f"conference.{HOST}", f"proxy.{HOST}", f"pubsub.{HOST}", upload} <= set(result["items"])
    assert "urn:xmpp:http:upload:0" in result["features"][upload]
    assert "http://jabber.org/protocol/muc" in result["features"][f"conference.{HOST}"]
    assert "http://jabber.org/protocol/bytestreams" in result["features"][f"proxy.{HOST}"]
    if sql:
        users = request.getfixturevalue("mariadb_server").query("SELECT username FROM users", sql["sql_database"])
        assert ["alice"] in users
    assert node.error_lines() == [], node.log_tail()
