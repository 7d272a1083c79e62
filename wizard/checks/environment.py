"""Environment: ejabberd and the programs the preset relies on are here, the installed release
is the one the config is written for, the upload directory has room, the database lets ejabberd in.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pymysql

from wizard.answers.model import Answers
from wizard.checks.core import Checker, Context, Finding, Severity, finder
from wizard.errors import InputError
from wizard.installation import find, find_program
from wizard.machine import installed_ejabberd
from wizard.releases import NEWEST, OLDEST, Release, capabilities
from wizard.secrets import resolve

GiB = 1024**3
LOW_DISK = GiB  # below this the upload directory fills up soon


def _install_command(answers: Answers, arch_package: str, debian_package: str) -> str:
    if answers.preset == "arch":
        return f"pacman -S {arch_package}"
    if answers.preset == "debian":
        return f"apt-get install {debian_package}"
    return f"install {debian_package} (Debian: apt-get install {debian_package})"


def check_install(ctx: Context) -> list[Finding]:
    """ejabberdctl where the answers say, and the release the config targets."""
    answers = ctx.answers
    found = finder("env", "install")
    install = answers.install
    findings = []
    ctl = Path(install.ejabberdctl)
    elsewhere = find_program("ejabberdctl")
    if ctl.is_file() and os.access(ctl, os.X_OK):
        findings.append(found("env.ejabberdctl", Severity.OK, str(ctl), "is installed"))
    elif install.method == "source":
        # Built into the prefix by the deployment's own script; another ejabberd here is not this one.
        findings.append(found("env.ejabberdctl", Severity.INFO, str(ctl),
                              "does not exist: ejabberd is not built and installed into the prefix yet",
                              f"sh {ctx.out / 'scripts' / 'install.sh'}"))
        return findings
    elif elsewhere:
        findings.append(found("env.ejabberdctl", Severity.ERROR, str(ctl),
                              f"does not exist, but ejabberdctl is at {elsewhere}; the scripts would not find it",
                              f"install.ejabberdctl: {elsewhere}"))
    else:
        findings.append(found("env.ejabberdctl", Severity.ERROR, str(ctl), "ejabberd is not installed",
                              _install_command(answers, "ejabberd", "ejabberd")))
        return findings
    findings.append(_release(answers))
    return findings


def check_target(ctx: Context) -> list[Finding]:
    """A release between two the table knows is written with the older one's options: say so."""
    target = capabilities(ctx.answers.install.version)
    if target.note is None:
        return []
    return [finder("env", "install")("env.target", Severity.WARNING, f"ejabberd {ctx.answers.install.version}",
                                     target.note, f'install.version: "{target.entry.version}", if that is the '
                                     "release that runs")]


def check_uberspace_account(ctx: Context) -> list[Finding]:
    """root is never the Uberspace account. (Off the Uberspace host the login is not taken from this
    machine at all: the preset asks for it, see Machine.account.)"""
    answers = ctx.answers
    if answers.service.web_server != "uberspace" or answers.install.user != "root":
        return []
    return [finder("env", "install")("env.account", Severity.ERROR, "install.user", "root is no Uberspace "
                                      "account: ejabberd runs as your own Uberspace login there, in its home",
                                      "install.user: your Uberspace login, and install.home: /home/LOGIN")]


def _release(answers: Answers) -> Finding:
    found = finder("env", "install")
    wanted = answers.install.version
    installation = find(answers)
    if installation is None:
        return found("env.version", Severity.WARNING, "ejabberd", "which release is installed cannot be told "
                     "(no ejabberd.app under the prefix or /usr)", "")
    if installation.version == wanted:
        package = installed_ejabberd()
        which = f"{package.source}, " if package and package.release == wanted else ""
        return found("env.version", Severity.OK, f"ejabberd {wanted}",
                     f"ejabberd {installation.version} is installed ({which}{installation.ebin}); "
                     "the config is written for it")
    try:
        capabilities(installation.version)
        fix = f'install.version: "{installation.version}"'
    except ValueError:
        fix = (f"install ejabberd {OLDEST} or newer" if installation.release < Release.parse(OLDEST)
               else f"install ejabberd {NEWEST}, the newest release the wizard knows")
    return found("env.version", Severity.ERROR, f"ejabberd {installation.version}",
                 f"the config is written for ejabberd {wanted}, but {installation.version} is installed "
                 f"({installation.ebin}); ejabberd refuses options it does not know", fix)


def _tool(answers: Answers, step: str, program: str, why: str, fix: str) -> Finding:
    found = finder("env", step)
    path = find_program(program)
    if path:
        return found(f"env.tool.{program}", Severity.OK, program, f"{program} is at {path}")
    return found(f"env.tool.{program}", Severity.ERROR, program, f"{program} is missing; {why}", fix)


def check_service_tools(ctx: Context) -> list[Finding]:
    """What keeps ejabberd running and what serves the web side, as the preset chose."""
    answers = ctx.answers
    service = answers.service
    findings = []
    if service.manager == "supervisord":
        findings.append(_tool(answers, "service", "supervisorctl", "supervisord runs ejabberd in this setup",
                              _install_command(answers, "supervisor", "supervisor")))
    else:
        findings.append(_tool(answers, "service", "systemctl", "systemd runs ejabberd in this setup",
                              "this machine has no systemd: choose service.manager: supervisord"))
    if service.web_server == "caddy":
        findings.append(_tool(answers, "service", "caddy", "Caddy serves HTTPS and forwards upload, WebSocket and BOSH",
                              _install_command(answers, "caddy", "caddy")))
    else:
        findings.append(_tool(answers, "service", "uberspace", "this is not an Uberspace host, but the web server is "
                              "Uberspace's", "run this on your Uberspace, or choose a preset for this machine "
                              "(ejabberd-wizard presets)"))
    return findings


def check_disk(ctx: Context) -> list[Finding]:
    upload = ctx.answers.upload
    if not upload.enabled:
        return []
    found = finder("env", "upload")
    # @HOST@ stands for each domain: the space that matters is that of the directory above it.
    directory = Path(upload.docroot.split("@HOST@")[0])
    existing = next((p for p in (directory, *directory.parents) if p.exists()), Path("/"))
    free = shutil.disk_usage(existing).free
    shown = f"{free / GiB:.1f} GiB free on the file system of {existing}"
    if free < upload.max_size:
        return [found("env.disk", Severity.ERROR, upload.docroot,
                      f"{shown}: less than one upload may take ({upload.max_size} bytes)",
                      "free some space, or set upload.max_size lower or upload.docroot to a larger disk")]
    if free < LOW_DISK:
        return [found("env.disk", Severity.WARNING, upload.docroot, f"only {shown}; uploads will fill it soon",
                      "free some space, set upload.quota_max_days, or move upload.docroot to a larger disk")]
    return [found("env.disk", Severity.OK, upload.docroot, shown)]


def check_database(ctx: Context) -> list[Finding]:
    """MySQL answers at the given address and lets the given user into the database."""
    answers = ctx.answers
    database = answers.database
    if database.backend != "mysql":
        return []
    found = finder("env", "database")
    findings = [_tool(answers, "database", "mysql", "scripts/database.sh uses the mysql client",
                      _install_command(answers, "mariadb-clients", "mariadb-client"))]
    subject = f"{database.user}@{database.server}:{database.port}/{database.name}"
    try:
        password = resolve(answers, ctx.out).database_password
    except InputError as error:
        fix = ("add password=... under [client] in ~/.my.cnf" if database.password_source == "my_print_defaults"
               else f"write the password into {database.password_file} (relative to {ctx.out}) and chmod 600 it")
        return [*findings, found("env.database", Severity.ERROR, subject, f"no database password: {error}", fix)]
    try:
        connection = pymysql.connect(host=database.server, port=database.port, user=database.user,
                                     password=password or "", database=database.name,
                                     connect_timeout=max(1, round(ctx.timeout)),
                                     read_timeout=max(1, round(ctx.timeout)))
    except pymysql.err.MySQLError as error:
        return [*findings, _connect_error(subject, error, ctx)]
    with connection, connection.cursor() as cursor:
        cursor.execute("SHOW TABLES LIKE 'users'")
        has_schema = cursor.fetchone() is not None
        multihost = False
        if has_schema:
            cursor.execute("SHOW COLUMNS FROM users LIKE 'server_host'")
            multihost = cursor.fetchone() is not None
        cursor.execute("SHOW GRANTS FOR CURRENT_USER()")
        grants = [row[0] for row in cursor.fetchall()]
    if not has_schema:
        findings.append(found("env.database", Severity.WARNING, subject,
                              "the database is reachable but has no ejabberd tables yet",
                              f"sh {ctx.out / 'scripts' / 'database.sh'}"))
    else:
        findings.append(found("env.database", Severity.OK, subject,
                              "the database is reachable and has ejabberd's tables"))
        findings.append(_schema_kind(subject, multihost, answers))
    findings.append(_may_create_tables(subject, grants, database.name))
    return findings


def _schema_kind(subject: str, multihost: bool, answers: Answers) -> Finding:
    """The tables must be of the schema the config names: the new one has a server_host column."""
    found = finder("env", "database")
    wanted = answers.database.new_schema
    if multihost == wanted:
        kind = "new (multi-host)" if wanted else "old (single-host)"
        return found("env.database.schema", Severity.OK, subject, f"the tables use the {kind} schema the config names")
    if wanted:
        return found("env.database.schema", Severity.ERROR, subject,
                     "the tables use the old schema (users has no server_host column) but the config names the new one",
                     f"convert them with `{answers.install.ejabberdctl} update_sql` (mod_admin_update_sql), "
                     "or set database.new_schema: false")
    return found("env.database.schema", Severity.ERROR, subject,
                 "the tables use the new schema (users has a server_host column) but the config names the old one",
                 "set database.new_schema: true")


def _may_create_tables(subject: str, grants: list[str], name: str) -> Finding:
    """ejabberd creates and alters tables (update_sql_schema, new modules): the user needs those rights."""
    found = finder("env", "database")
    for grant in grants:
        match = re.match(r"GRANT (.+) ON (\S+)\.\* TO ", grant)
        if not match:
            continue
        rights, pattern = match.group(1).upper(), match.group(2).strip("`")
        if ("ALL PRIVILEGES" in rights or "CREATE" in rights) and _grant_covers(pattern, name):
            return found("env.database.privileges", Severity.OK, subject, "the user may create tables in the database")
    return found("env.database.privileges", Severity.ERROR, subject, "the user may not create tables in the database",
                 f"as the database administrator: GRANT ALL PRIVILEGES ON `{name}`.* TO <user>@<host>;")


def _grant_covers(pattern: str, name: str) -> bool:
    """Whether a GRANT's database pattern (`*`, or with the wildcards `%` and `_`) names the database."""
    if pattern == "*":
        return True
    parts, escaped = [], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append({"%": ".*", "_": "."}.get(char) or re.escape(char))
    return re.fullmatch("".join(parts), name) is not None


def check_database_name(ctx: Context) -> list[Finding]:
    """Uberspace only lets an account create databases named <user>_<name>."""
    database = ctx.answers.database
    if database.backend != "mysql" or ctx.answers.service.web_server != "uberspace":
        return []
    found = finder("env", "database")
    if database.name.startswith(f"{database.user}_"):
        return [found("env.database.name", Severity.OK, database.name, "follows Uberspace's <user>_<name> rule")]
    return [found("env.database.name", Severity.ERROR, database.name,
                  f"Uberspace only allows databases named {database.user}_<name>",
                  f"database.name: {database.user}_ejabberd")]


def _connect_error(subject: str, error: pymysql.err.MySQLError, ctx: Context) -> Finding:
    found = finder("env", "database")
    code = error.args[0] if error.args and isinstance(error.args[0], int) else None
    text = error.args[1] if len(error.args) > 1 else str(error)
    database = ctx.answers.database
    if code == 1045:
        return found("env.database", Severity.ERROR, subject, f"access denied: {text}",
                     "check database.user and the password where database.password_source says")
    if code in (1044, 1049):
        return found("env.database", Severity.ERROR, subject, f"no usable database {database.name}: {text}",
                     f"sh {ctx.out / 'scripts' / 'database.sh'} (creates it and imports the schema)")
    if code in (2003, 2005, 2006, 2013):
        return found("env.database", Severity.ERROR, subject,
                     f"no MySQL server answers at {database.server}:{database.port}: {text}",
                     "start the database server, or correct database.server and database.port")
    return found("env.database", Severity.ERROR, subject, f"cannot log in to the database: {text}",
                 "check the database.* answers")


CHECKERS = (
    Checker("env", frozenset({"install"}), check_install),
    Checker("env", frozenset({"install"}), check_target),
    Checker("env", frozenset({"install"}), check_uberspace_account),
    Checker("env", frozenset({"service"}), check_service_tools),
    Checker("env", frozenset({"upload"}), check_disk),
    Checker("env", frozenset({"database"}), check_database),
    Checker("env", frozenset({"database"}), check_database_name),
)
