# scripts/deploy.sh after ctl: wait for the certificates, put every file in place with a backup,
# then start or reload ejabberd (and Caddy).

here=$(cd "$(dirname "$0")/.." && pwd)
stamp=$(date +%Y%m%d-%H%M%S)

# ejabberd starts without a certificate it cannot read, and clients are cut off: none is
# missing before anything is put in place.
missing_certificates() {
    eval "set -- $certificates"
    for file in "$@"; do
        if [ ! -s "$file" ]; then echo "  $file"; fi
    done
}
if [ -n "$(missing_certificates)" ] && [ -n "$fetch_by_https" ]; then
    # Uberspace gets a domain's certificate on the first HTTPS request to it, once its DNS points here.
    # No domain reached means DNS does not point here yet: nothing to wait for. A domain that
    # was reached may still fail its first request (curl's TLS errors) while Uberspace fetches.
    answered=""
    eval "set -- $domains"
    for domain in "$@"; do
        code=0
        curl -ksS -o /dev/null --max-time 30 "https://$domain" 2>/dev/null || code=$?
        case "$code" in 6|7|28) ;; *) answered=yes ;; esac
    done
    waited=0
    while [ -n "$answered" ] && [ -n "$(missing_certificates)" ] && [ "$waited" -lt 60 ]; do
        sleep 2
        waited=$((waited + 2))
    done
fi
if [ -n "$(missing_certificates)" ]; then
    echo "no certificate yet (nothing was changed):" >&2
    missing_certificates >&2
    echo "$certificate_advice" >&2
    exit 3
fi

# install_file SOURCE DEST MODE: show what changes (passwords masked), keep DEST.bak-<time>,
# then replace DEST atomically.
install_file() {
    if [ -f "$2" ] && cmp -s "$1" "$2"; then
        echo "unchanged: $2"
        return 0
    fi
    mkdir -p "$(dirname "$2")"
    if [ -f "$2" ]; then
        if command -v diff >/dev/null 2>&1; then
            diff -u "$2" "$1" | sed 's/^\([-+ ][[:space:]]*sql_password:\).*/\1 "********"/' || true
        fi
        cp -p "$2" "$2.bak-$stamp"
        echo "backup:    $2.bak-$stamp"
    fi
    tmp="$2.tmp-$$"
    cp "$1" "$tmp"
    chmod "$3" "$tmp"
    if [ -n "$owner" ]; then chown "$owner" "$tmp"; fi
    mv -f "$tmp" "$2"
    echo "installed: $2"
}

# A config the wizard did not write (the package's own) is replaced: ejabberd restarts rather than
# reloads, so that its hosts, listeners and database are the new ones from the start.
taken_over=""
if [ -f "$config_dir/ejabberd.yml" ] && ! grep -q 'ejabberd-wizard' "$config_dir/ejabberd.yml"; then
    taken_over=yes
fi
install_file "$here/config/ejabberd.yml" "$config_dir/ejabberd.yml" "$config_mode"
if [ -n "$statoverride" ] && ! dpkg-statoverride --list "$config_dir/ejabberd.yml" >/dev/null; then
    dpkg-statoverride --update --add root "$group" "$config_mode" "$config_dir/ejabberd.yml"
fi
owner_of_others=$owner
owner=""
if [ -n "$service_file" ]; then
    install_file "$here/$service_file" "$unit_path" 0644
elif [ -f "$unit_path" ]; then
    # No answer needs the drop-in any more: the package's unit alone runs ejabberd.
    mv -f "$unit_path" "$unit_path.bak-$stamp"
    echo "removed:   $unit_path (backup: $unit_path.bak-$stamp)"
fi
if [ -n "$alternative_connections" ]; then
    install_file "$here/web/.well-known/host-meta" "$web_root/.well-known/host-meta" 0644
    install_file "$here/web/.well-known/host-meta.json" "$web_root/.well-known/host-meta.json" 0644
fi
if [ -n "$caddy_site" ]; then
    install_file "$here/web/Caddyfile" "$caddy_site" 0644
fi
owner=$owner_of_others

if [ "$manager" = systemd ]; then
    systemctl daemon-reload
    systemctl enable ejabberd
    if ! systemctl is-active --quiet ejabberd; then
        systemctl start ejabberd
    elif [ -n "$taken_over" ]; then
        systemctl restart ejabberd
    else
        ctl reload_config
    fi
    if [ -n "$caddy_site" ]; then
        systemctl enable caddy
        if systemctl is-active --quiet caddy; then systemctl reload caddy; else systemctl start caddy; fi
    fi
else
    supervisorctl reread
    # On the first deploy, update adds ejabberd and starts it (autostart).
    supervisorctl update
    if ctl status >/dev/null 2>&1; then
        ctl reload_config
    else
        case "$(supervisorctl status ejabberd 2>/dev/null || true)" in
            *RUNNING*|*STARTING*) ;;
            *) supervisorctl start ejabberd ;;
        esac
        # As systemd does with Type=notify: done once ejabberd answers, so that the next step
        # (registering the admin) finds it running.
        waited=0
        until ctl status >/dev/null 2>&1; do
            if [ "$waited" -ge 120 ]; then
                supervisorctl status ejabberd >&2 || true
                echo "ejabberd did not start within 120 s: see $log_dir/error.log" >&2
                exit 1
            fi
            sleep 1
            waited=$((waited + 1))
        done
        echo "ejabberd is running"
    fi
fi
