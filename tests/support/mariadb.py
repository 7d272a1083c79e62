"""A private, throwaway MariaDB server on loopback for SQL-backed ejabberd tests."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from .components import free_port, require, shared_tempdir
from .slow import starting

MYSQL_USER = "mysql"


class MariaDBError(RuntimeError):
    """The server did not start, or a statement failed."""


def quote_literal(value: str) -> str:
    """A SQL string literal (MariaDB's default sql_mode treats backslash as escape)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class MariaDB:
    """A MariaDB server of its own: data dir and socket in a temp dir, TCP on 127.0.0.1.

    Statements run through the ``mariadb`` command line client as root over
    the Unix socket (root authenticates by socket peer credentials), so no
    Python database driver is needed. Use as a context manager or call
    ``start()`` / ``stop()``.
    """

    def __init__(self, workdir: Path | None = None) -> None:
        self.mariadbd = require("mariadbd")
        self.install_db = require("mariadb-install-db")
        self.client = require("mariadb")
        self.workdir = Path(workdir) if workdir else shared_tempdir("mariadb-")
        self.datadir = self.workdir / "data"
        self.socket = self.workdir / "mysqld.sock"
        self.log_path = self.workdir / "mariadbd.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> MariaDB:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.stop()
        finally:
            self.cleanup()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- lifecycle ---------------------------------------------------------

    def start(self, timeout: float = 30.0) -> MariaDB:
        """Initialise the data dir, start the server and wait until it answers."""
        if self.process is not None:
            raise MariaDBError("server already started")
        starting("a real MariaDB")
        self._install_db(timeout)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    self.mariadbd,
                    "--no-defaults",  # ignore the system's /etc/mysql config
                    f"--user={MYSQL_USER}",
                    f"--datadir={self.datadir}",
                    f"--socket={self.socket}",
                    f"--port={self.port}",
                    "--bind-address=127.0.0.1",
                    f"--pid-file={self.workdir / 'mariadbd.pid'}",
                    "--skip-log-bin",
                    "--innodb-buffer-pool-size=64M",
                    # grants are for '127.0.0.1'/'localhost'; no DNS lookups
                    "--skip-name-resolve",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _install_db(self, timeout: float) -> None:
        # mariadbd drops to the mysql user, which must be able to write here.
        shutil.chown(self.workdir, MYSQL_USER, MYSQL_USER)
        result = subprocess.run(
            [
                self.install_db,
                "--no-defaults",
                f"--user={MYSQL_USER}",
                f"--datadir={self.datadir}",
                "--skip-test-db",
                "--auth-root-authentication-method=socket",
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise MariaDBError(f"mariadb-install-db failed:\n{result.stdout}{result.stderr}")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise MariaDBError(f"mariadbd exited during start:\n{self.log_text()}")
            if self.socket.exists() and self._client("SELECT 1", check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise MariaDBError(f"mariadbd not ready after {timeout:.0f}s:\n{self.log_text()}")

    def stop(self, timeout: float = 15.0) -> None:
        """Shut the server down (SIGTERM is a clean shutdown for mariadbd). Idempotent."""
        if self.process is None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)
            try:
                self.process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def cleanup(self) -> None:
        """Remove data dir, socket and log. Call after stop()."""
        shutil.rmtree(self.workdir, ignore_errors=True)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- statements --------------------------------------------------------

    def _client(
        self,
        sql: str,
        db: str | None = None,
        *,
        check: bool = True,
        timeout: float = 60.0,
    ) -> subprocess.CompletedProcess[str]:
        command = [
            self.client,
            "--no-defaults",
            f"--socket={self.socket}",
            "--user=root",
            "--batch",  # tab separated, no table borders
            "--skip-column-names",
        ]
        if db is not None:
            command.append(f"--database={db}")
        # Statements go through stdin: scripts like a schema file may be large.
        result = subprocess.run(command, input=sql, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise MariaDBError(
                f"SQL failed ({result.returncode}): {result.stderr.strip()}\n{sql[:500]}"
            )
        return result

    def execute(self, sql: str, db: str | None = None, *, timeout: float = 60.0) -> str:
        """Run one or more statements as root; return the client's tab-separated output."""
        return self._client(sql, db, timeout=timeout).stdout

    def query(self, sql: str, db: str | None = None) -> list[list[str]]:
        """Rows of a query as lists of strings (NULL shows as "NULL")."""
        return [line.split("\t") for line in self.execute(sql, db).splitlines()]

    def tables(self, db: str) -> list[str]:
        return [row[0] for row in self.query("SHOW TABLES", db)]

    def create_database_with_user(self, name: str, user: str, password: str) -> None:
        """Create database ``name`` and a user with all privileges on it.

        The user exists for '127.0.0.1' (TCP clients such as ejabberd, which
        cannot use the socket) and 'localhost' (socket clients).
        """
        db = quote_identifier(name)
        statements = [f"CREATE DATABASE {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"]
        for host in ("127.0.0.1", "localhost"):
            account = f"{quote_literal(user)}@{quote_literal(host)}"
            statements += [
                f"CREATE USER {account} IDENTIFIED BY {quote_literal(password)};",
                f"GRANT ALL PRIVILEGES ON {db}.* TO {account};",
            ]
        self.execute("\n".join(statements))

    def import_schema(self, db: str, path: Path | str) -> None:
        """Load a SQL script (e.g. ejabberd's mysql.new.sql) into ``db``."""
        self.execute(Path(path).read_text(), db)

    def sql_options(self, db: str, user: str, password: str) -> dict[str, Any]:
        """The sql_* settings for ejabberd (see ejabberd_node.localize_config)."""
        return {
            "sql_server": "127.0.0.1",  # ejabberd 23.01 takes a host, not a socket
            "sql_port": self.port,
            "sql_database": db,
            "sql_username": user,
            "sql_password": password,
        }
