"""An Uberspace 7 account in a ``Sandbox``: what the host gives an account before its README starts.

The account (``isabell``, home /home/isabell, ~/html the web root), its MySQL login in ~/.my.cnf
with Uberspace's grants (its own ``<login>_*`` databases, no CREATE USER), its supervisord reading
~/etc/services.d, and the web front end (standins/uberspace-frontend) that serves the domains
``uberspace web`` set up and fetches their certificates on the first HTTPS request.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from .sandbox import Sandbox

SUPERVISORD_CONF = """\
[unix_http_server]
file=%(ENV_HOME)s/.supervisor.sock
[supervisord]
logfile=%(ENV_HOME)s/logs/supervisord.log
pidfile=%(ENV_HOME)s/.supervisord.pid
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://%(ENV_HOME)s/.supervisor.sock
[include]
files = %(ENV_HOME)s/etc/services.d/*.ini
"""


class UberspaceHost:
    def __init__(self, sandbox: Sandbox, login: str = "isabell") -> None:
        self.sandbox = sandbox
        self.login = login
        self.home = f"/home/{login}"
        self.mysql_password = secrets.token_urlsafe(12)

    def root(self, command: str, timeout: float = 120) -> str:
        done = self.sandbox.run(command, timeout=timeout)
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
        return done.stdout

    def boot(self) -> UberspaceHost:
        login, home = self.login, self.home
        logs = self.sandbox.base
        self.root(f"useradd --create-home --uid 1000 --shell /bin/bash {login}")
        self.root(f"install -d -o {login} -g {login} /var/www/virtual/{login}/html {home}/etc/services.d "
                  f"{home}/logs && ln -s /var/www/virtual/{login}/html {home}/html && chown -h {login}: {home}/html")
        Path(self.sandbox.inside("/etc/supervisord.conf")).write_text(SUPERVISORD_CONF)
        # MySQL: the account and its databases, as Uberspace sets them up.
        self.root("install -d -o mysql -g mysql /run/mysqld")
        self.sandbox.spawn("mariadbd --user=mysql --datadir=/var/lib/mysql --socket=/run/mysqld/mysqld.sock "
                           "--bind-address=127.0.0.1 --port=3306 --skip-log-bin --innodb-buffer-pool-size=64M",
                           log=str(logs / "mariadb.log"))
        self.sandbox.wait_until("mariadb -e 'SELECT 1'", "MariaDB answering")
        self.root(f"mariadb -e \"CREATE USER '{login}'@'localhost' IDENTIFIED BY '{self.mysql_password}';"
                  f" GRANT ALL PRIVILEGES ON \\`{login}\\\\_%\\`.* TO '{login}'@'localhost';\"")
        my_cnf = self.sandbox.inside(f"{home}/.my.cnf")
        my_cnf.write_text(f"[client]\nuser={login}\npassword={self.mysql_password}\n")
        self.root(f"chown {login}: {home}/.my.cnf && chmod 600 {home}/.my.cnf")
        self.sandbox.spawn("supervisord -n -c /etc/supervisord.conf", user=login,
                           log=str(logs / "supervisord.log"))
        self.sandbox.wait_until(f"test -S {home}/.supervisor.sock", "supervisord of the account")
        self.sandbox.spawn(f"/usr/local/lib/standins/uberspace-frontend {login}", log=str(logs / "frontend.log"))
        self.sandbox.wait_until("curl -s -o /dev/null http://localhost:2019/config/", "the web front end")
        return self

    def renew_certificate(self, domain: str) -> None:
        """What Uberspace does before a certificate expires: a new one from the same CA, in ~/etc/certificates."""
        authority = "/var/lib/standin-uberspace/caddy/pki/authorities/local"
        target = f"{self.home}/etc/certificates/{domain}"
        self.root(
            f"set -e; work=$(mktemp -d); cd $work; "
            f"openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key -subj /CN={domain}"
            f" -addext subjectAltName=DNS:{domain} -out csr 2>/dev/null; "
            f"openssl x509 -req -in csr -CA {authority}/intermediate.crt -CAkey {authority}/intermediate.key"
            f" -CAcreateserial -days 30 -copy_extensions copy -out crt 2>/dev/null; "
            f"cat crt {authority}/intermediate.crt > chain; "
            f"install -m 0644 -o {self.login} -g {self.login} chain {target}.crt; "
            f"install -m 0600 -o {self.login} -g {self.login} key {target}.key; rm -rf $work")

    def run_cron_job(self, mark: str) -> None:
        """cron's part: run the account's job that carries ``mark`` in its line, as the account."""
        table = self.sandbox.run("crontab -l", user=self.login, cwd=self.home)
        (line,) = [entry for entry in table.stdout.splitlines() if mark in entry]
        command = line.split(None, 5)[5]
        done = self.sandbox.run(command, user=self.login, cwd=self.home)
        assert done.returncode == 0, f"the cron job failed: {done.stdout}{done.stderr}"
