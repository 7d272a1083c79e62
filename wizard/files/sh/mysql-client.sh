# How database.sh and backup.sh log in to MySQL (the function sql). With a password file, the
# client gets the password through a private option file (the only one it reads), never on its
# command line (ps shows arguments); otherwise the client reads ~/.my.cnf itself, as on Uberspace.

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
