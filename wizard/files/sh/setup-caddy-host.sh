# scripts/setup-platform.sh on a host of your own with Caddy (Arch, Debian): upload
# directory, certbot's hooks, DH parameters, Caddy's sites.

if [ "$(id -u)" -ne 0 ]; then
    echo "run this as root (sudo sh $0)" >&2
    exit 1
fi
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "$upload_dir" ]; then
    install -d -o "$user" -g "$user" -m "$dir_mode" "$upload_dir"
fi

# The hook keeps the certificates readable by the services after every renewal; run it now
# for the certificates certbot just wrote.
eval "set -- $hook_phases"
for phase in "$@"; do
    install -D -m 0755 "$here/scripts/certbot-hook.sh" "$hooks/$phase/$hook_name"
done
sh "$here/scripts/certbot-hook.sh"

# RFC 7919's named group: the parameters every client knows, nothing to generate.
if [ -n "$dhfile" ] && [ ! -f "$dhfile" ]; then
    openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe3072 -out "$dhfile"
    chown "root:$user" "$dhfile"
    chmod 0640 "$dhfile"
fi
install -d -m 0755 "$web_root/.well-known"
install -d -m 0750 -g "$user" "$config_dir"
if [ -n "$caddy_main" ] && ! grep -qxF "import $caddy_sites/*" "$caddy_main"; then
    install -d -m 0755 "$caddy_sites"
    printf '\n# The sites of ejabberd-wizard (and any other) in %s\nimport %s/*\n' "$caddy_sites" "$caddy_sites" \
        >> "$caddy_main"
    echo "added to $caddy_main: import $caddy_sites/*"
fi
