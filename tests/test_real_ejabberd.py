"""Generated configs, started by real ejabberd and used by a real XMPP client, on every release.

Each ejabberd release Debian packages (23.01, 24.12, 26.07) judges every case from a Debian
root of its own (tests/support/releases.py), whatever the host runs; the config is generated
for that release, as a user would. The test changes only what a loopback test must (listener
addresses and ports, certificate and upload paths: see tests/support/localize.py).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import defaults, everything_on, write_answers, write_secret
from tests.support.ejabberd_node import DEFAULT_CAPTCHA_CMD
from tests.support.releases import RELEASES, Judge
from tests.support.xmpp_client import forwarded_to, login_and_discover, upload_round_trip
from wizard.cli import main

pytestmark = pytest.mark.slow  # every test here starts a real server or a terminal

HOST = "example.test"
PASSWORD = "correct horse battery staple 42"


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


PRESETS = [("uberspace", "defaults"), ("uberspace", "everything"), ("arch", "defaults"), ("arch", "everything"),
           ("debian", "defaults"), ("debian", "everything")]
CASES = [(release, preset, variant) for release in RELEASES for preset, variant in PRESETS]


@pytest.mark.parametrize(("ejabberd_judge", "preset", "variant"), CASES, indirect=["ejabberd_judge"],
                         ids=[f"{release}-{preset}-{variant}" for release, preset, variant in CASES])
def test_generated_config_serves_clients_on_real_ejabberd(
    ejabberd_judge: Judge, preset: str, variant: str, tmp_path: Path, ejabberd_node: Any, ejabberd_sql_db_for: Any,
    request: pytest.FixtureRequest,
) -> None:
    install = {"version": ejabberd_judge.release}
    if variant == "defaults":
        answers = defaults(preset, HOST, install=install)
    else:
        # The root's own captcha.sh, drawing with the root's ImageMagick.
        answers = everything_on(preset, HOST, install=install, security={"captcha_cmd": DEFAULT_CAPTCHA_CMD})
    uses_mysql = variant == "everything" or preset == "uberspace"  # Uberspace's default is MySQL
    sql = ejabberd_sql_db_for(ejabberd_judge.mysql_schema) if uses_mysql else None
    if sql:
        answers["database"] = _database_answers(sql)
    config = _generate(tmp_path, answers, sql["sql_password"] if sql else None)

    node = ejabberd_node(config, root=ejabberd_judge.root)
    assert node.error_lines() == [], node.log_tail()

    saved = YAML(typ="safe").load((tmp_path / "deploy" / "wizard.yml").read_text())
    assert str(saved["install"]["version"]) == ejabberd_judge.release  # the config was written for its judge
    c2s = node.port_for(saved["ports"]["c2s"])
    node.register("alice", HOST, PASSWORD)
    result = login_and_discover(f"alice@{HOST}", PASSWORD, "127.0.0.1", c2s, ca_cert=node.cert.cert)
    upload = f"{saved['domains']['upload']}.{HOST}"
    assert {f"conference.{HOST}", f"proxy.{HOST}", f"pubsub.{HOST}", upload} <= set(result["items"])
    assert "urn:xmpp:http:upload:0" in result["features"][upload]
    assert "http://jabber.org/protocol/muc" in result["features"][f"conference.{HOST}"]
    assert "http://jabber.org/protocol/bytestreams" in result["features"][f"proxy.{HOST}"]

    # The web server in front of ejabberd forwards the upload path to its HTTP listener.
    data = f"uploaded to ejabberd {ejabberd_judge.release}: {secrets.token_hex(8)}\n".encode()
    listener = forwarded_to(f"http://127.0.0.1:{node.port_for(saved['ports']['http'])}")
    done = upload_round_trip(f"alice@{HOST}", PASSWORD, "127.0.0.1", c2s, service=upload, data=data,
                             web_server=listener, ca_cert=node.cert.cert)
    assert done.get_url.startswith(f"https://{upload}{saved['upload']['path']}/"), done
    assert done.downloaded == data
    stored = [path.read_bytes() for path in (node.workdir / "upload").rglob("*") if path.is_file()]
    assert stored == [data], "ejabberd keeps the file in the upload docroot"

    if sql:
        users = request.getfixturevalue("mariadb_server").query("SELECT username FROM users", sql["sql_database"])
        assert ["alice"] in users
    assert node.error_lines() == [], node.log_tail()
