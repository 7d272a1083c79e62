"""pytest fixtures for tests against real servers.

Enable with ``pytest_plugins = ["tests.support.fixtures"]`` in the root conftest.

* ``mariadb_server`` (session): one private MariaDB per test session, i.e.
  per pytest-xdist worker.
* ``ejabberd_sql_db``: a fresh database with ejabberd's MySQL schema and its
  own user on ``mariadb_server``; gives the sql_* settings for ``sql=``.
  ``ejabberd_sql_db_for(schema)`` makes one with another release's schema.
* ``ejabberd_node``: a starter ``start(config_text, **kw) -> EjabberdNode``
  that localizes a generated config and runs it (``root=``: the ejabberd of
  a Debian root); every node started in a test is stopped and removed
  afterwards, also when the test fails.
* ``ejabberd_judge``: a release of tests/support/releases.py and its root,
  for tests parametrized with ``indirect=["ejabberd_judge"]``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import pytest

from .components import require
from .ejabberd_node import EjabberdNode
from .mariadb import MariaDB, quote_identifier, quote_literal
from .releases import Judge, judge

EJABBERD_MYSQL_SCHEMA = "/usr/share/ejabberd/sql/mysql.new.sql"


class StartEjabberd(Protocol):
    def __call__(
        self,
        config_text: str,
        *,
        sql: Mapping[str, Any] | None = None,
        cert_names: list[str] | None = None,
        localize: bool = True,
        timeout: float = 30.0,
        root: Path | None = None,
    ) -> EjabberdNode: ...


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Remember each phase's report so fixtures can tell at teardown whether
    # the test failed (and only then dump server logs).
    report = yield
    setattr(item, f"_support_report_{report.when}", report)
    return report


def _test_failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"_support_report_{phase}", None), "failed", False)
        for phase in ("setup", "call")
    )


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDB]:
    """A MariaDB server on 127.0.0.1 for the whole session (per xdist worker)."""
    with MariaDB() as server:
        yield server


@pytest.fixture
def ejabberd_sql_db_for(mariadb_server: MariaDB) -> Iterator[Callable[[Path | str], dict[str, Any]]]:
    """``make(schema)``: a new database with the MySQL ``schema`` file; gives the sql_* options for it.

    Each database has a user of its own, so tests sharing the session's server
    cannot see each other's rows; all are dropped after the test.
    """
    made: list[tuple[str, str]] = []

    def make(schema: Path | str) -> dict[str, Any]:
        suffix = secrets.token_hex(4)
        name, user, password = f"ejabberd_{suffix}", f"ejabberd_{suffix}", secrets.token_urlsafe(12)
        mariadb_server.create_database_with_user(name, user, password)
        made.append((name, user))
        mariadb_server.import_schema(name, schema)
        return mariadb_server.sql_options(name, user, password)

    yield make
    for name, user in made:
        accounts = ", ".join(f"{quote_literal(user)}@{quote_literal(host)}" for host in ("127.0.0.1", "localhost"))
        mariadb_server.execute(f"DROP DATABASE {quote_identifier(name)}; DROP USER {accounts};")


@pytest.fixture
def ejabberd_sql_db(ejabberd_sql_db_for: Callable[[Path | str], dict[str, Any]]) -> dict[str, Any]:
    """A new database with the schema of the host's ejabberd; the sql_* options for it."""
    return ejabberd_sql_db_for(require(EJABBERD_MYSQL_SCHEMA))


@pytest.fixture(scope="session")
def ejabberd_judge(request: pytest.FixtureRequest) -> Judge:
    """The release named by the test's parameter, and its Debian root (built on first use)."""
    return judge(request.param)


@pytest.fixture
def ejabberd_node(request: pytest.FixtureRequest) -> Iterator[StartEjabberd]:
    """Start real ejabberd nodes: ``node = ejabberd_node(config_text, sql=...)``.

    The config is localized first (see ejabberd_node.localize_config) unless
    ``localize=False``. A node that fails to start raises EjabberdStartError
    with ejabberd's reason.
    """
    nodes: list[EjabberdNode] = []

    def start(
        config_text: str,
        *,
        sql: Mapping[str, Any] | None = None,
        cert_names: list[str] | None = None,
        localize: bool = True,
        timeout: float = 30.0,
        root: Path | None = None,
    ) -> EjabberdNode:
        node = EjabberdNode(root=root)
        nodes.append(node)
        config = (
            node.localize(config_text, sql=sql, cert_names=cert_names) if localize else config_text
        )
        return node.start(config, timeout=timeout)

    yield start

    failed = _test_failed(request)
    for node in nodes:
        try:
            if failed:
                # Shown by pytest under "Captured stdout teardown".
                print(f"---- ejabberd node {node.node} ({node.workdir}) ----\n{node.log_tail(80)}")
            # The node and its files are thrown away: no need for ejabberd's
            # ~2 s graceful shutdown.
            node.stop(graceful=False)
        finally:
            node.cleanup()
