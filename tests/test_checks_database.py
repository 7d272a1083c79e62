"""The database checks against a real MariaDB: schema kind, privileges, Uberspace's naming rule."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.answers_helpers import defaults, write_secret
from tests.support.components import require
from tests.support.mariadb import MariaDB, quote_identifier, quote_literal
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.checks import Severity, run_checks

pytestmark = pytest.mark.slow  # every test here starts a real server or a terminal

OLD_SCHEMA, NEW_SCHEMA = "/usr/share/ejabberd/sql/mysql.sql", "/usr/share/ejabberd/sql/mysql.new.sql"


@pytest.fixture
def account(mariadb_server: MariaDB, tmp_path: Path) -> Any:
    name, password = f"ejc_{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    write_secret(tmp_path / "db-password", password)
    mariadb_server.execute(f"CREATE DATABASE {quote_identifier(name)};"
                           f"CREATE USER {quote_literal(name)}@'127.0.0.1' IDENTIFIED BY {quote_literal(password)};")
    yield name
    mariadb_server.execute(f"DROP DATABASE IF EXISTS {quote_identifier(name)}; "
                           f"DROP USER IF EXISTS {quote_literal(name)}@'127.0.0.1';")


def findings(tmp_path: Path, mariadb: MariaDB, account: str, preset: str = "arch", **database: Any) -> dict[str, Any]:
    answers = build_from(None, Given(defaults(preset, database={
        "backend": "mysql", "server": "127.0.0.1", "port": mariadb.port, "name": account, "user": account,
        "password_source": "file", "password_file": "db-password", **database})))
    return {f.check: f for f in run_checks(answers, only={"env"}, steps={"database"}, out=tmp_path)}


def test_a_user_without_create_rights_is_told_the_grant_to_run(tmp_path: Path, mariadb_server: MariaDB,
                                                               account: str) -> None:
    mariadb_server.execute(f"GRANT SELECT, INSERT ON {quote_identifier(account)}.* "
                           f"TO {quote_literal(account)}@'127.0.0.1';")
    found = findings(tmp_path, mariadb_server, account)
    assert found["env.database.privileges"].severity is Severity.ERROR
    assert f"GRANT ALL PRIVILEGES ON `{account}`.*" in found["env.database.privileges"].fix

    # Uberspace-style wildcard grant: `<user>\_%`.* covers <user>_ejabberd.
    prefix = account.replace("_", "\\_")[:-2] + "%"
    mariadb_server.execute(f"GRANT ALL PRIVILEGES ON `{prefix}`.* TO {quote_literal(account)}@'127.0.0.1';")
    assert findings(tmp_path, mariadb_server, account)["env.database.privileges"].severity is Severity.OK


@pytest.mark.parametrize(("schema", "new_schema", "severity"), [
    (NEW_SCHEMA, True, Severity.OK), (OLD_SCHEMA, True, Severity.ERROR), (OLD_SCHEMA, False, Severity.OK),
    (NEW_SCHEMA, False, Severity.ERROR),
])
def test_the_schema_kind_must_match_the_config(tmp_path: Path, mariadb_server: MariaDB, account: str, schema: str,
                                               new_schema: bool, severity: Severity) -> None:
    mariadb_server.import_schema(account, require(schema))
    mariadb_server.execute(f"GRANT ALL PRIVILEGES ON {quote_identifier(account)}.* "
                           f"TO {quote_literal(account)}@'127.0.0.1';")
    found = findings(tmp_path, mariadb_server, account, new_schema=new_schema)
    assert found["env.database.schema"].severity is severity
    if severity is Severity.ERROR and new_schema:
        assert "update_sql" in found["env.database.schema"].fix


def test_an_empty_database_asks_for_the_schema_script(tmp_path: Path, mariadb_server: MariaDB, account: str) -> None:
    mariadb_server.execute(f"GRANT ALL PRIVILEGES ON {quote_identifier(account)}.* "
                           f"TO {quote_literal(account)}@'127.0.0.1';")
    found = findings(tmp_path, mariadb_server, account)
    assert found["env.database"].severity is Severity.WARNING and "database.sh" in found["env.database"].fix


def test_uberspace_database_names_must_start_with_the_user(tmp_path: Path, mariadb_server: MariaDB,
                                                           account: str) -> None:
    found = findings(tmp_path, mariadb_server, account, preset="uberspace", name="ejabberd", user="isabell")
    assert found["env.database.name"].severity is Severity.ERROR
    assert found["env.database.name"].fix == "database.name: isabell_ejabberd"
    found = findings(tmp_path, mariadb_server, account, preset="uberspace", name="isabell_ejabberd", user="isabell")
    assert found["env.database.name"].severity is Severity.OK
