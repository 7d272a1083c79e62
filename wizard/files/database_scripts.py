"""scripts/database.sh and scripts/backup.sh: MySQL's database and user, and the backups.

As in ``wizard.files.scripts``, every answer enters a script only as a quoted variable at its top; the
bodies are ``sh/mysql-client.sh`` (how both log in) followed by ``sh/database.sh`` or ``sh/backup.sh``.
"""

from __future__ import annotations

from wizard.answers.model import Answers
from wizard.files.scripts import compose, control_variables, script, words


def _mysql_variables(answers: Answers) -> dict[str, str | int]:
    db = answers.database
    return {"server": db.server, "port": db.port, "database": db.name, "db_user": db.user,
            # Only MySQL has a password: on Mnesia the scripts must not look for its file.
            "password_file": db.password_file if db.backend == "mysql" and db.password_source == "file" else ""}


def database(answers: Answers) -> str:
    db, install = answers.database, answers.install
    schema = "mysql.new.sql" if db.new_schema else "mysql.sql"
    candidates = [f"{install.prefix}/src/ejabberd-{install.version}/sql/{schema}",
                  f"{install.prefix}/lib/ejabberd-{install.version}/priv/sql/{schema}",
                  f"/usr/share/ejabberd/sql/{schema}", f"/usr/lib/ejabberd/priv/sql/{schema}"]
    return script(
        "Create the MySQL database (and, on a server of your own, its user) if missing, and import "
        "ejabberd's schema once. Safe to re-run: it never drops or changes existing data.",
        {**_mysql_variables(answers), "schema_candidates": words(candidates),
         # Only on a server of our own may the administrator make ejabberd's account; a hosting
         # account (Uberspace) is the database user itself and may not create users.
         "create_user": "yes" if db.password_source == "file" and answers.service.web_server != "uberspace" else ""},
        compose("mysql-client", "database"),
    )


def backup(answers: Answers) -> str:
    service, mysql = answers.service, answers.database.backend == "mysql"
    return script(
        "Back up ejabberd's configuration, database and logs into the backup directory.",
        {**control_variables(answers), "backup_dir": service.backup_dir,
         "upload_dir": answers.upload.docroot if answers.upload.enabled else "", "use_mysql": "yes" if mysql else "",
         **_mysql_variables(answers)},
        compose("mysql-client", "backup"),
    )
