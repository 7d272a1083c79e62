# scripts/database.sh after mysql-client: create the database (and, on a server of your own,
# its user) if missing, and import ejabberd's schema once.

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
