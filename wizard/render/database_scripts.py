"""scripts/database.sh and scripts/backup.sh: MySQL's database and user, and the backups.

As in ``wizard.render.scripts``, every answer enters a script only as a quoted variable at its top.
"""

from __future__ import annotations

from wizard.model import Answers
from wizard.render.scripts import control_variables, script, words

# How the scripts log in to MySQL. With a password file, the client gets the
# password through a private option file (the only one it reads), never on its command line (`ps` shows
# arguments); otherwise the client reads ~/.my.cnf itself, as on Uberspace.
MYSQL_CLIENT = r"""
here=$(cd "$(dirname "$0")/.." && pwd)
client_options=""
if [ -n "$password_file" ]; then
    case "$password_file" in /*) ;; *) password_file="$here/$password_file" ;; esac
    umask 077
    client_options=$(mktemp)
    trap 'rm -f "$client_options"' EXIT
    # Option-file values are double-quoted; backslashes and quotes inside are escaped.
    {
        printf '[client]\nuser="%s"\npassword="' "$db_user"
        head -n 1 "$password_file" | tr -d '\r\n' | sed 's/[\\"]/\\&/g'
        printf '"\n'
    } > "$client_options"
fi

# sql [mysql arguments...]: as ejabberd's database user.
sql() {
    if [ -n "$client_options" ]; then
        mysql --defaults-file="$client_options" --host="$server" --port="$port" "$@"
    else
        mysql --host="$server" --port="$port" "$@"
    fi
}
"""


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
        MYSQL_CLIENT + r"""
schema=""
eval "set -- $schema_candidates"
for candidate in "$@"; do
    if [ -f "$candidate" ]; then schema=$candidate; break; fi
done

if [ -n "$create_user" ]; then
    # We own the account: create it as the database administrator (root on the
    # local socket), with the password going through stdin, not the command line.
    # The client prints a statement it fails on, password and all: only its ERROR
    # lines are shown, and none of a statement quoted in them.
    escaped=$(head -n 1 "$password_file" | tr -d '\r' | sed "s/[\\']/\\\\&/g")
    errors=$(mktemp)
    for client_host in localhost 127.0.0.1 ::1; do
        if ! mysql 2>"$errors" <<EOF
CREATE DATABASE IF NOT EXISTS \`$database\`;
CREATE USER IF NOT EXISTS '$db_user'@'$client_host' IDENTIFIED BY '$escaped';
GRANT ALL PRIVILEGES ON \`$database\`.* TO '$db_user'@'$client_host';
EOF
        then
            grep '^ERROR' "$errors" | sed "s/ near '.*/ (the statement is not shown: it holds the password)/" >&2
            rm -f "$errors"
            echo "could not create the database user $db_user as the database administrator (the mysql client's login, e.g. root in ~/.my.cnf)" >&2
            exit 1
        fi
    done
    rm -f "$errors"
else
    # The account exists already (on Uberspace it is yours, and may create <user>_* databases).
    sql -e "CREATE DATABASE IF NOT EXISTS \`$database\`"
fi

tables=$(sql -N -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$database' AND table_name = 'users'")
if [ "$tables" -gt 0 ]; then
    echo "database $database already has ejabberd's tables: nothing to do"
    exit 0
fi
if [ -z "$schema" ]; then
    echo "ejabberd's schema file was not found in: $schema_candidates" >&2
    exit 1
fi
sql "$database" < "$schema"
echo "imported $schema into $database"
""",  # noqa: E501 (the lines of the script as it is written out)
    )

def backup(answers: Answers) -> str:
    service, mysql = answers.service, answers.database.backend == "mysql"
    return script(
        "Back up ejabberd's configuration, database and logs into the backup directory.",
        {**control_variables(answers), "backup_dir": service.backup_dir,
         "upload_dir": answers.upload.docroot if answers.upload.enabled else "", "use_mysql": "yes" if mysql else "",
         **_mysql_variables(answers)},
        MYSQL_CLIENT + """
umask 077
stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$backup_dir"
set -- "$config_dir" "$spool_dir" "$log_dir"
# Uploaded files, when they are kept outside the spool directory.
if [ -n "$upload_dir" ] && [ -d "$upload_dir" ]; then
    case "$upload_dir/" in "$spool_dir"/*) ;; *) set -- "$@" "$upload_dir" ;; esac
fi
tar -czf "$backup_dir/ejabberd-$stamp.tar.gz" "$@"
echo "wrote $backup_dir/ejabberd-$stamp.tar.gz"
if [ -n "$use_mysql" ]; then
    # Dump first and compress after, so a failing mysqldump stops the script (sh has no pipefail).
    dump="$backup_dir/$database-$stamp.sql"
    if [ -n "$client_options" ]; then
        mysqldump --defaults-file="$client_options" --host="$server" --port="$port" --single-transaction "$database" > "$dump"
    else
        mysqldump --host="$server" --port="$port" --single-transaction "$database" > "$dump"
    fi
    xz "$dump"
    echo "wrote $dump.xz"
fi
""",  # noqa: E501 (the lines of the script as it is written out)
    )
