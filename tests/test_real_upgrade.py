"""`ejabberd-wizard upgrade` keeps the users' data: 23.01 -> 24.12 -> 26.07 on real ejabberd, same data.

A deployment generated for 23.01 (as in tests/test_real_ejabberd.py) runs on real 23.01 from its
Debian root (tests/support/releases.py): two users, a persistent, named MUC room, and a message
waiting offline for one of them. Then, as a user would, ``ejabberd-wizard upgrade --to 24.12``
re-writes the deployment, and 24.12 starts with that config on the same data: the same spool
(Mnesia opens it under the same Erlang node name) and the same MySQL database, whose schema is
23.01's. After each start both users log in, the room is there with its name, and the message
left for the step is delivered; a new one is left for the next step. Then the same to 26.07.
With MySQL the upgraded database is also compared with a fresh one of each release's own schema,
and the upgrade is also made in one step, 23.01 straight to 26.07.
"""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import defaults, write_answers, write_secret
from tests.support.ejabberd_node import EjabberdNode
from tests.support.mariadb import MariaDB
from tests.support.releases import RELEASES, Judge, judge
from tests.support.xmpp_client import login_and_discover
from tests.support.xmpp_data import Account, create_persistent_room, look_at_room, receive_waiting, send_message
from wizard.cli import main
from wizard.releases import Release

pytestmark = pytest.mark.slow  # every test here starts a real server

HOST = "example.test"
ROOM = f"kept@conference.{HOST}"
ROOM_NAME = "Kept across upgrades"
PASSWORDS = {"alice": "alice's long passphrase 1", "bob": "bob's long passphrase 2"}
C2S = 5222  # the arch preset's client port, before localize_config moves it
START_TIMEOUT = 90.0  # a first start on data of an older release converts tables first
SESSION_GONE_TIMEOUT = 15.0
# Tables of modules the generated config leaves off: update_sql_schema makes them when the module starts.
TABLE_MODULES = {"invite_token": "mod_invites"}


@pytest.fixture
def nodes() -> Iterator[list[EjabberdNode]]:
    """The nodes a test starts, each stopped and removed at the end, also when the test fails."""
    started: list[EjabberdNode] = []
    yield started
    for node in started:
        try:
            node.stop(graceful=False)
        finally:
            node.cleanup()


def _generate(out: Path, release: str, sql: dict[str, Any] | None, answers_file: Path) -> None:
    database: dict[str, Any] = {"backend": "mnesia"}
    if sql is not None:
        write_secret(out / "db-password", sql["sql_password"])
        database = {"backend": "mysql", "server": sql["sql_server"], "port": sql["sql_port"],
                    "name": sql["sql_database"], "user": sql["sql_username"], "password_source": "file",
                    "password_file": "db-password"}
    answers = defaults("arch", HOST, install={"version": release}, database=database)
    assert main(["generate", "--out", str(out), "--answers", str(write_answers(answers_file, answers)), "--yes"]) == 0


def _upgrade(out: Path, old: str, new: str, backend: str) -> str:
    """``ejabberd-wizard upgrade --to new``; the config it wrote, checked to be for ``new``."""
    assert main(["upgrade", "--to", new, "--out", str(out), "--yes"]) == 0
    config = (out / "config" / "ejabberd.yml").read_text()
    assert f"for ejabberd {new} (preset arch)" in config.splitlines()[0]
    assert str(YAML(typ="safe").load((out / "wizard.yml").read_text())["install"]["version"]) == new
    assert (out / "UPGRADE.md").read_text().startswith(f"# Upgrade from ejabberd {old} to {new}")
    if backend == "mysql":
        multihost = "sql_schema_multihost" if Release.parse(new) >= Release.parse("25.10") else "new_sql_schema"
        assert f"\n{multihost}: true\n" in config  # the same tables: the multi-host schema, by its release's name
    return config


def _account(node: EjabberdNode, user: str) -> Account:
    assert node.cert is not None, "localized: the node has its test certificate"
    return Account(f"{user}@{HOST}", PASSWORDS[user], node.port_for(C2S), node.cert.cert)


def _wait_offline(node: EjabberdNode, user: str) -> None:
    """Until ``user`` has no session: a message sent then is kept offline, not given to a closing session."""
    deadline = time.monotonic() + SESSION_GONE_TIMEOUT
    while f"{user}@{HOST}/" in node.ctl("connected_users").stdout:
        assert time.monotonic() < deadline, f"{user} still has a session {SESSION_GONE_TIMEOUT:.0f} s after logout"
        time.sleep(0.2)


def _columns(mariadb: MariaDB, database: str) -> set[tuple[str, str]]:
    rows = mariadb.query("SELECT table_name, column_name FROM information_schema.columns "
                         f"WHERE table_schema = '{database}'")
    return {(table, column) for table, column in rows}


def _unique_keys(mariadb: MariaDB, database: str) -> set[tuple[str, str]]:
    """Each table's primary and unique keys, by their columns (the names differ between schema files)."""
    rows = mariadb.query("SELECT table_name, GROUP_CONCAT(column_name ORDER BY seq_in_index) "
                         f"FROM information_schema.statistics WHERE table_schema = '{database}' AND non_unique = 0 "
                         "GROUP BY table_name, index_name")
    return {(table, columns) for table, columns in rows}


def _assert_schema_of(mariadb: MariaDB, upgraded: str, fresh: str, config: str, release: str) -> None:
    """The upgraded database has every column and key of ``release``'s own schema (``fresh``, a new one of it).

    update_sql_schema brings a module's tables up to date when the module starts: a table of a module
    the config does not enable is made only when it is (a fresh install has it from the schema file).
    Plain (non-unique) indexes are left out: they make queries fast, not data right, and some differ.
    """
    have, want = _columns(mariadb, upgraded), _columns(mariadb, fresh)
    tables = {table for table, _ in have}
    missing = sorted(column for column in want - have if column[0] in tables)
    assert not missing, f"after the upgrade to {release} the database lacks the columns {missing}"
    # A key decides which rows may exist side by side (users' gains the password's type in 25.03).
    keys = sorted(key for key in _unique_keys(mariadb, fresh) - _unique_keys(mariadb, upgraded) if key[0] in tables)
    assert not keys, f"after the upgrade to {release} the database lacks the unique keys {keys}"
    absent = {table for table, _ in want} - tables
    unexplained = sorted(t for t in absent if t not in TABLE_MODULES or f"\n  {TABLE_MODULES[t]}:" in config)
    assert not unexplained, f"after the upgrade to {release} the database lacks the tables {unexplained}"


def _check_data_and_leave_a_message(node: EjabberdNode, judge_: Judge, waiting: str | None) -> str:
    """Both users log in, the room is there, ``waiting`` reaches bob; returns the message left for the next step."""
    alice, bob = _account(node, "alice"), _account(node, "bob")
    if waiting is not None:
        # Only the one left offline: what was delivered before is not delivered again.
        assert receive_waiting(bob, waiting) == [waiting], f"on {judge_.release}"
    for account in (bob, alice):
        room = look_at_room(account, ROOM)
        assert room.name == ROOM_NAME and "muc_persistent" in room.features, (judge_.release, room)
        assert room.listed, f"{ROOM} is not in disco#items of its service on {judge_.release}"
    _wait_offline(node, "bob")
    left = f"kept offline on ejabberd {judge_.release}: {secrets.token_hex(6)}"
    send_message(alice, bob.jid, left)
    return left


# Release by release, and (MySQL: every schema change of both steps at once) straight to the newest.
PATHS = [("mnesia", RELEASES), ("mysql", RELEASES), ("mysql", (RELEASES[0], RELEASES[-1]))]


@pytest.mark.parametrize(("backend", "path"), PATHS, ids=[f"{b}-{'-'.join(p)}" for b, p in PATHS])
def test_an_upgrade_keeps_users_the_room_and_messages_waiting_offline(
        backend: str, path: tuple[str, ...], tmp_path: Path, nodes: list[EjabberdNode],
        request: pytest.FixtureRequest) -> None:
    assert RELEASES == ("23.01", "24.12", "26.07"), "oldest first, as an upgrade goes"
    judges = [judge(release) for release in path]  # each release's root (fails in CI when one is missing)
    sql: dict[str, Any] | None = None
    if backend == "mysql":
        make_database: Callable[[Path], dict[str, Any]] = request.getfixturevalue("ejabberd_sql_db_for")
        sql = make_database(judges[0].mysql_schema)  # 23.01's tables: the upgrade must bring them along
    out = tmp_path / "deploy"
    _generate(out, judges[0].release, sql, tmp_path / "answers.yml")
    config = (out / "config" / "ejabberd.yml").read_text()
    assert f"for ejabberd {judges[0].release} (preset arch)" in config.splitlines()[0]

    name = f"upgrade_{secrets.token_hex(4)}"  # one Erlang node name for all: Mnesia's data belongs to it
    waiting: str | None = None
    for step, judge_ in enumerate(judges):
        if step:
            config = _upgrade(out, judges[step - 1].release, judge_.release, backend)
        node = EjabberdNode(name=name, root=judge_.root)
        nodes.append(node)
        localized = node.localize(config, sql=sql)
        if step:
            node.adopt_spool(nodes[step - 1].spool_dir)
        node.start(localized, timeout=START_TIMEOUT)
        if not step:
            for user, password in PASSWORDS.items():
                node.register(user, HOST, password)
            create_persistent_room(_account(node, "alice"), ROOM, ROOM_NAME)
            # A contact in alice's roster (the rosterusers table gains a column in 26.03).
            node.ctl("add_rosteritem", "alice", HOST, "bob", HOST, "Bob", "Friends", "both")
        else:
            assert sorted(node.ctl("registered_users", HOST).stdout.split()) == sorted(PASSWORDS)
        roster = node.ctl("get_roster", "alice", HOST).stdout
        assert f"bob@{HOST}" in roster and "Friends" in roster, f"alice's roster on {judge_.release}: {roster!r}"
        waiting = _check_data_and_leave_a_message(node, judge_, waiting)
        assert node.error_lines() == [], f"ejabberd {judge_.release}:\n{node.log_tail(60)}"
        if sql is not None:
            fresh = request.getfixturevalue("ejabberd_sql_db_for")(judge_.mysql_schema)["sql_database"]
            _assert_schema_of(request.getfixturevalue("mariadb_server"), sql["sql_database"], fresh, config,
                              judge_.release)
        node.stop()  # graceful: Mnesia is closed, as a service stop leaves it
        assert not node.running


def test_a_kept_edit_that_turns_schema_updates_off_is_named_in_the_guide_and_following_it_upgrades(
        tmp_path: Path, nodes: list[EjabberdNode], mariadb_server: MariaDB,
        ejabberd_sql_db_for: Callable[[Path], dict[str, Any]]) -> None:
    """24.12 -> 26.07 with ``update_sql_schema: false`` added by hand: the re-run keeps it, and then ejabberd
    leaves 24.12's tables as they are (the users table lacks 25.03's type column): the guide must say so."""
    old, new = judge("24.12"), judge("26.07")
    sql = ejabberd_sql_db_for(old.mysql_schema)
    out = tmp_path / "deploy"
    _generate(out, old.release, sql, tmp_path / "answers.yml")
    config_file = out / "config" / "ejabberd.yml"
    edit = "update_sql_schema: false  # mine: I change the tables myself\n"
    config_file.write_text(config_file.read_text().replace("default_db: sql\n", f"default_db: sql\n{edit}"))
    name = f"upgrade_{secrets.token_hex(4)}"
    first = EjabberdNode(name=name, root=old.root)
    nodes.append(first)
    first.start(first.localize(config_file.read_text(), sql=sql), timeout=START_TIMEOUT)
    first.register("alice", HOST, PASSWORDS["alice"])
    first.stop()

    config = _upgrade(out, old.release, new.release, "mysql")
    assert edit in config, "the hand edit is kept, as in any re-run"
    guide = (out / "UPGRADE.md").read_text()
    assert "turns update_sql_schema off (your edit, kept): ejabberd will not make these changes" in guide
    assert "ejabberd makes these changes itself" not in guide
    # The script stops before it backs up or stops anything: the running 24.12 is left as it is.
    refused = subprocess.run(["sh", str(out / "scripts" / "upgrade.sh")], capture_output=True, text=True, timeout=30)
    assert refused.returncode == 1 and "turns update_sql_schema off" in refused.stderr, refused
    assert "backup" not in refused.stdout, refused.stdout
    fresh = ejabberd_sql_db_for(new.mysql_schema)["sql_database"]
    as_written = EjabberdNode(name=name, root=new.root)
    nodes.append(as_written)
    as_written.adopt_spool(first.spool_dir)
    as_written.start(as_written.localize(config, sql=sql), timeout=START_TIMEOUT)
    as_written.stop()
    # What the guide warns of: the new release started, and the tables are still 24.12's.
    lacking = _columns(mariadb_server, fresh) - _columns(mariadb_server, sql["sql_database"])
    assert ("users", "type") in lacking, sorted(lacking)

    # The guide's way out: remove the line before starting the new release.
    config_file.write_text(config_file.read_text().replace(edit, ""))
    followed = EjabberdNode(name=name, root=new.root)
    nodes.append(followed)
    followed.adopt_spool(as_written.spool_dir)
    followed.start(followed.localize(config_file.read_text(), sql=sql), timeout=START_TIMEOUT)
    _assert_schema_of(mariadb_server, sql["sql_database"], fresh, config_file.read_text(), new.release)
    alice = _account(followed, "alice")
    found = login_and_discover(alice.jid, alice.password, alice.host, alice.port, ca_cert=alice.ca_cert)
    assert f"conference.{HOST}" in found["items"], found  # alice, registered on 24.12, logs in
    assert followed.error_lines() == [], followed.log_tail(60)
