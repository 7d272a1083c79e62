# scripts/certbot-hook.sh: certbot's pre, deploy and post hook (the directory it runs from
# says which).

phase=$(basename "$(dirname "$0")")

# grant READER: traverse live/ and archive/, read each lineage's files.
grant() {
    reader=$1
    eval "set -- $lineages"
    for lineage in "$@"; do
        archive=$(dirname "$(readlink -f "$lineage/cert.pem")")
        setfacl -m "u:$reader:x" "$(dirname "$lineage")" "$(dirname "$archive")"
        setfacl -m "u:$reader:rx" "$lineage" "$archive"
        for file in "$archive"/*.pem; do
            setfacl -m "u:$reader:r" "$file"
        done
    done
}

case "$phase" in
    pre)
        if [ -n "$web_server_unit" ] && systemctl is-active --quiet "$web_server_unit"; then
            systemctl stop "$web_server_unit"
            touch "$marker"
        fi
        ;;
    post)
        if [ -f "$marker" ]; then
            rm -f "$marker"
            systemctl start "$web_server_unit"
        fi
        ;;
    *)
        eval "set -- $lineages"
        for lineage in "$@"; do
            if [ ! -e "$lineage/cert.pem" ]; then
                echo "no certificate in $lineage yet: get it with certbot first (see README.md)" >&2
                exit 1
            fi
        done
        eval "set -- $readers"
        for reader in "$@"; do grant "$reader"; done
        for unit in ejabberd $web_server_unit; do
            if systemctl is-active --quiet "$unit"; then systemctl reload "$unit"; fi
        done
        ;;
esac
