# scripts/setup-platform.sh on Uberspace: web domains, backend and headers, ports,
# the daily certificate reload, directories.

eval "set -- $domains"
for domain in "$@"; do
    if uberspace web domain list | grep -qxF "$domain"; then
        echo "web domain already added: $domain"
    else
        uberspace web domain add "$domain"
    fi
done

# ejabberd sends the CORS headers of uploads itself (mod_http_upload custom_headers).
uberspace web backend set "$web_host/" --http --port "$http_port"

# Browser clients read host-meta from another origin (XEP-0156): it needs the CORS header.
eval "set -- $host_meta_domains"
for domain in "$@"; do
    uberspace web header set "$domain/.well-known/host-meta" Access-Control-Allow-Origin '*'
done

missing=0
eval "set -- $public_ports"
for port in "$@"; do
    if ! uberspace port list | grep -qx "$port"; then
        echo "port $port is not open: run sh scripts/open-ports.sh (README.md, step 'Open the ports')" >&2
        missing=1
    fi
done

# Uberspace renews the certificates in ~/etc/certificates by itself; ejabberd reads them again
# on reload_config, which this daily job runs (the job is replaced, never added twice).
{ crontab -l 2>/dev/null | grep -vF "$reload_mark" || true; echo "$reload_job"; } | crontab -

if [ -n "$upload_dir" ]; then
    mkdir -p "$upload_dir"
    chmod "$dir_mode" "$upload_dir"
fi
mkdir -p "$web_root/.well-known" "$service_dir"
exit "$missing"
