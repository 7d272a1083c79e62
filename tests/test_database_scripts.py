"""scripts/database.sh and scripts/backup.sh against a real MariaDB, then ejabberd on that database."""

from __future__ import annotations

import lzma
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pymysql
import pytest

from tests.answers_helpers import defaults, installed_ejabberd_version, write_answers, write_secret
from tests.support.components import require
from tests.support.mariadb import MariaDB, quote_identifier, quote_literal
from tests.support.xmpp_client import login_and_discover
from wizard.cli import main

pytestmark = pytest.mark.slow  # every test here starts a real server or a terminal

# Quotes, backslashes, $() and a #: everything that breaks a badly quoted option file or SQL string.
NASTY_PASSWORD = "p\"a\\s's #w$(id)`x`"


def _deploy(tmp_path: Path, mariadb: MariaDB, *, password_file: bool, name: str) -> Path:
    require("mysql")
    out = tmp_path / "deploy"
    database = {"backend": "mysql", "server": "127.0.0.1", "port": mariadb.port, "name": name, "user": name}
    if password_file:
        write_secret(out / "db-password", NASTY_PASSWORD)
        database |= {"password_source": "file", "password_file": "db-password"}
    else:
        database |= {"password_source": "my_print_defaults"}
    answers = defaults("arch", install={"version": installed_ejabberd_version() or "23.01",
                                        "config_dir": str(tmp_path / "etc"), "spool_dir": str(tmp_path / "spool"),
                                        "log_dir": str(tmp_path / "log")},
                       service={"backup_dir": str(tmp_path / "backups")}, database=database)
    assert main(["generate", "--out", str(out), "--answers", str(write_answers(tmp_path / "a.yml", answers)),
                 "--yes"]) == 0
    return out


def _run(script: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=120,
                          env={"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin"})


def _my_cnf(home: Path, **client: Any) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    lines = ["[client]", *(f"{key}={value}" for key, value in client.items())]
    (home / ".my.cnf").write_text("\n".join(lines) + "\n")
    return home


@pytest.fixture
def database_name(mariadb_server: MariaDB) -> Any:
    name = f"ejw_{secrets.token_hex(4)}"
    yield name
    mariadb_server.execute(f"DROP DATABASE IF EXISTS {quote_identifier(name)};" + "".join(
        f"DROP USER IF EXISTS {quote_literal(name)}@{quote_literal(host)};"
        for host in ("localhost", "127.0.0.1", "::1")))


def test_with_a_password_file_it_creates_user_database_and_schema_once(tmp_path: Path, mariadb_server: MariaDB,
                                                                       database_name: str) -> None:
    out = _deploy(tmp_path, mariadb_server, password_file=True, name=database_name)
    # The administrator is root on the server's socket, as on a fresh MariaDB.
    home = _my_cnf(tmp_path / "home", user="root", socket=mariadb_server.socket)
    script = out / "scripts" / "database.sh"
    assert NASTY_PASSWORD not in script.read_text()

    first = _run(script, home)
    assert first.returncode == 0, first.stderr
    assert "imported" in first.stdout
    assert "users" in mariadb_server.tables(database_name)
    assert len(mariadb_server.tables(database_name)) > 30
    # ejabberd's account works with exactly the password of the file.
    with pymysql.connect(host="127.0.0.1", port=mariadb_server.port, user=database_name,
                         password=NASTY_PASSWORD, database=database_name) as connection:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO users (username, server_host, password) VALUES ('kept', 'example.test', 'x')")
        connection.commit()

    second = _run(script, home)
    assert second.returncode == 0, second.stderr
    assert "nothing to do" in second.stdout
    assert mariadb_server.query("SELECT username FROM users", database_name) == [["kept"]]


def test_with_credentials_in_my_cnf_it_uses_them_as_uberspace_does(tmp_path: Path, mariadb_server: MariaDB,
                                                                    database_name: str) -> None:
    password = secrets.token_urlsafe(12)
    # Uberspace's account already exists and may create <user>_* databases.
    mariadb_server.execute(
        f"CREATE USER {quote_literal(database_name)}@'127.0.0.1' IDENTIFIED BY {quote_literal(password)};"
        f"GRANT ALL PRIVILEGES ON {quote_identifier(database_name)}.* TO {quote_literal(database_name)}@'127.0.0.1';")
    home = _my_cnf(tmp_path / "home", user=database_name, password=password)
    out = _deploy_with_home(tmp_path, mariadb_server, database_name, home)
    result = _run(out / "scripts" / "database.sh", home)
    assert result.returncode == 0, result.stderr
    assert "users" in mariadb_server.tables(database_name)
    assert password not in (out / "scripts" / "database.sh").read_text()


def test_on_uberspace_with_a_password_file_it_uses_the_account_and_never_creates_users(
        tmp_path: Path, mariadb_server: MariaDB, database_name: str) -> None:
    """The account's own rights, as Uberspace grants them: its <user>_* databases, no CREATE USER."""
    account = f"ub{secrets.token_hex(3)}"
    name = f"{account}_ejabberd"
    mariadb_server.execute(
        f"CREATE USER {quote_literal(account)}@'127.0.0.1' IDENTIFIED BY {quote_literal(NASTY_PASSWORD)};"
        f"GRANT ALL PRIVILEGES ON `{account}\\_%`.* TO {quote_literal(account)}@'127.0.0.1';")
    try:
        out = tmp_path / "deploy"
        write_secret(out / "db-password", NASTY_PASSWORD)
        answers = defaults("uberspace", database={
            "backend": "mysql", "server": "127.0.0.1", "port": mariadb_server.port, "name": name, "user": account,
            "password_source": "file", "password_file": "db-password"})
        assert main(["generate", "--out", str(out), "--answers", str(write_answers(tmp_path / "a.yml", answers)),
                     "--yes"]) == 0
        # No administrator login anywhere: the script has only the account.
        result = _run(out / "scripts" / "database.sh", tmp_path / "empty-home")
        assert result.returncode == 0, result.stderr
        assert "users" in mariadb_server.tables(name)
        assert NASTY_PASSWORD not in result.stdout + result.stderr
    finally:
        mariadb_server.execute(f"DROP DATABASE IF EXISTS {quote_identifier(name)};"
                               f"DROP USER IF EXISTS {quote_literal(account)}@'127.0.0.1';")


def test_a_failing_user_creation_never_shows_the_password(tmp_path: Path, mariadb_server: MariaDB,
                                                          database_name: str) -> None:
    """The MariaDB client prints the statement it failed on; the password in it must not reach the terminal."""
    out = _deploy(tmp_path, mariadb_server, password_file=True, name=database_name)
    # An administrator login that may not create users.
    weak = f"weak{secrets.token_hex(3)}"
    login = f"{quote_literal(weak)}@'localhost'"
    mariadb_server.execute(f"CREATE USER {login} IDENTIFIED BY 'weak';"
                           f"GRANT ALL PRIVILEGES ON {quote_identifier(database_name)}.* TO {login};")
    try:
        home = _my_cnf(tmp_path / "home", user=weak, password="weak", socket=mariadb_server.socket)
        result = _run(out / "scripts" / "database.sh", home)
        print(repr(result.stdout), repr(result.stderr))
        assert result.returncode != 0
        assert "CREATE USER" in result.stderr or "Access denied" in result.stderr, result.stderr
        assert NASTY_PASSWORD not in result.stdout + result.stderr
        assert "p\"a" not in result.stdout + result.stderr and "s's" not in result.stdout + result.stderr
    finally:
        mariadb_server.execute(f"DROP USER IF EXISTS {login};")


def _deploy_with_home(tmp_path: Path, mariadb: MariaDB, name: str, home: Path) -> Path:
    # generate reads the password the way ejabberd will get it: my_print_defaults client.
    import os

    previous = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        return _deploy(tmp_path, mariadb, password_file=False, name=name)
    finally:
        if previous is not None:
            os.environ["HOME"] = previous


def test_backup_dumps_the_database_with_xz(tmp_path: Path, mariadb_server: MariaDB, database_name: str) -> None:
    require("xz")
    out = _deploy(tmp_path, mariadb_server, password_file=True, name=database_name)
    home = _my_cnf(tmp_path / "home", user="root", socket=mariadb_server.socket)
    assert _run(out / "scripts" / "database.sh", home).returncode == 0
    for directory in ("etc", "spool", "log"):
        (tmp_path / directory).mkdir(exist_ok=True)
        (tmp_path / directory / "marker").write_text(directory)
    result = _run(out / "scripts" / "backup.sh", home)
    assert result.returncode == 0, result.stderr
    (dump,) = (tmp_path / "backups").glob(f"{database_name}-*.sql.xz")
    assert b"CREATE TABLE `users`" in lzma.decompress(dump.read_bytes())
    (archive,) = (tmp_path / "backups").glob("ejabberd-*.tar.gz")
    listing = subprocess.run(["tar", "-tzf", str(archive)], capture_output=True, text=True, check=True,
                             timeout=30).stdout
    assert "etc/marker" in listing and "spool/marker" in listing
    assert dump.stat().st_mode & 0o077 == 0 and archive.stat().st_mode & 0o077 == 0


def test_ejabberd_keeps_its_users_in_the_database_the_script_made(tmp_path: Path, mariadb_server: MariaDB,
                                                                  database_name: str, ejabberd_node: Any) -> None:
    require("/usr/sbin/ejabberdctl")
    out = _deploy(tmp_path, mariadb_server, password_file=True, name=database_name)
    home = _my_cnf(tmp_path / "home", user="root", socket=mariadb_server.socket)
    assert _run(out / "scripts" / "database.sh", home).returncode == 0

    node = ejabberd_node((out / "config" / "ejabberd.yml").read_text())
    node.register("carol", "example.test", "a long enough password 1")
    assert mariadb_server.query("SELECT username FROM users", database_name) == [["carol"]]
    result = login_and_discover("carol@example.test", "a long enough password 1", "127.0.0.1", node.port_for(5222),
                                ca_cert=node.cert.cert)
    assert "conference.example.test" in result["items"]
    assert node.error_lines() == []
    assert NASTY_PASSWORD not in node.log_text()
