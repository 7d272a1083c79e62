# scripts/register-admin.sh after ctl: register the admin with the typed password.
# ejabberdctl shows its arguments to everyone (ps) while it runs: with the admin interface
# ($api) the account is registered with a random password, and the typed one is set
# through ejabberd's HTTP API from private files instead.

# Echo off before the prompt: what is typed right after it is not shown either.
stty -echo
trap 'stty echo' EXIT INT TERM
printf 'Password for %s@%s: ' "$admin_user" "$domain"
read -r password
stty echo
printf '\n'
if [ -z "$password" ]; then
    echo "no password given" >&2
    exit 1
fi

if [ -z "$api" ] || ! command -v curl >/dev/null 2>&1; then
    echo "(ejabberdctl shows the password on its command line while it runs; the admin interface and curl avoid that)" >&2
    ctl register "$admin_user" "$domain" "$password"
    exit 0
fi
case "$password" in
    *[[:cntrl:]]*) echo "the password holds a control character; choose another" >&2; exit 1 ;;
esac
initial=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
ctl register "$admin_user" "$domain" "$initial"

umask 077
private=$(mktemp -d)
trap 'rm -rf "$private"; stty echo' EXIT INT TERM
# The request body and the login, written by printf (built into sh: no command line shows them).
escaped=$(printf '%s' "$password" | sed 's/[\\"]/\\&/g')
printf '{"user": "%s", "host": "%s", "newpass": "%s"}' "$admin_user" "$domain" "$escaped" > "$private/body"
printf 'user = "%s@%s:%s"\n' "$admin_user" "$domain" "$initial" > "$private/login"
if ! curl --silent --show-error --fail --config "$private/login" --header 'Content-Type: application/json' \
        --data-binary @"$private/body" "$api/change_password" >/dev/null; then
    ctl unregister "$admin_user" "$domain"
    echo "could not set the password through $api; nothing is registered, try again once ejabberd runs" >&2
    exit 1
fi
echo "registered $admin_user@$domain"
