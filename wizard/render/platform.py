"""scripts/setup-platform.sh, open-ports.sh (Uberspace) and certbot-hook.sh: the host around ejabberd.

As in ``wizard.render.scripts``, every answer enters a script only as a quoted variable at its top.
"""

from __future__ import annotations

import shlex

from wizard.model import Answers
from wizard.render.certificates import pairs
from wizard.render.endpoints import Endpoints
from wizard.render.scripts import script, words
from wizard.render.service import by_apt

# Where certbot runs the hook during `certbot renew`: it decides what the hook does by the
# directory it finds itself in (run from scripts/, it does what the deploy phase does).
HOOK_DIRS = ("pre", "deploy", "post")
HOOK_NAME = "ejabberd-wizard"
CERTBOT_HOOKS = "/etc/letsencrypt/renewal-hooks"
# Uberspace's daily job that makes ejabberd read the certificates Uberspace renewed; the mark
# finds it again in the crontab.
RELOAD_SCHEDULE = "17 4 * * *"
RELOAD_MARK = "# ejabberd-wizard: renewed certificates"


def setup_platform(answers: Answers) -> str:
    if answers.service.web_server == "uberspace":
        return _setup_uberspace(answers)
    return _setup_caddy_host(answers)


def _setup_uberspace(answers: Answers) -> str:
    endpoints, upload = Endpoints.of(answers), answers.upload
    names = answers.domains.all_names()
    ports = [str(port) for port in public_ports(answers).values()]
    return script(
        "Prepare the Uberspace account: web domains, backend and headers, ports, certificate reloads, directories.",
        {"domains": words(names), "web_host": endpoints.web_host, "http_port": answers.ports.http,
         "host_meta_domains": words(answers.domains.hosts) if answers.compliance.alternative_connections else "",
         "public_ports": words(ports),
         "upload_dir": upload.docroot if upload.enabled else "", "dir_mode": upload.dir_mode,
         "web_root": answers.service.web_root, "service_dir": answers.service.unit_path.rsplit("/", 1)[0],
         "reload_job": f"{RELOAD_SCHEDULE} {_reload_command(answers)} {RELOAD_MARK}", "reload_mark": RELOAD_MARK},
        """
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
""",
    )


def _reload_command(answers: Answers) -> str:
    install = answers.install
    command = shlex.join([install.ejabberdctl, "--config-dir", install.config_dir, "--spool", install.spool_dir,
                          "--logs", install.log_dir, "reload_config"])
    return command.replace("%", "\\%") + " >/dev/null 2>&1"  # cron ends a command at an unescaped %


def public_ports(answers: Answers) -> dict[str, int]:
    """The ports the world connects to, by their field (the web ones go through Uberspace's web server)."""
    return {field: port for field, port in answers.ports.services(answers).items()
            if field not in ("http", "admin_http")}


def open_ports(answers: Answers) -> str:
    """Uberspace chooses the numbers of the ports it opens: open as many as the deployment needs,
    then say which numbers to put into the answers (the configuration is not final before)."""
    ports = public_ports(answers)
    return script(
        "Open the ports this deployment needs on Uberspace, and say which numbers to put into the answers.",
        {"fields": words(list(ports)), "configured": words([str(port) for port in ports.values()])},
        r"""
eval "set -- $configured"
needed=$#
missing=0
for port in "$@"; do
    if ! uberspace port list | grep -qx "$port"; then missing=$((missing + 1)); fi
done
if [ "$missing" -eq 0 ]; then
    echo "all $needed ports of this deployment are open: $configured"
    exit 0
fi
open=$(uberspace port list | wc -l)
while [ "$open" -lt "$needed" ]; do
    uberspace port add
    open=$((open + 1))
done
echo
echo "Uberspace chose these numbers. Put them into wizard.yml (ports:), then run"
echo "'ejabberd-wizard generate --out .' and this script again (the first $needed open ports are"
echo "shown: skip one that another service of yours uses):"
eval "set -- $fields"
for port in $(uberspace port list | head -n "$needed"); do
    echo "  $1: $port"
    shift
done
exit 3
""",
    )


def _lineages(answers: Answers) -> list[str]:
    """certbot's live/<name> directories the configuration reads certificates from."""
    return sorted({pair.cert.rsplit("/", 1)[0] for pair in pairs(answers)})


def _readers(answers: Answers) -> list[str]:
    """The service users that read the certificates: ejabberd's, and Caddy's in front of it."""
    return [answers.install.user, *(["caddy"] if answers.service.web_server == "caddy" else [])]


def certbot_hook(answers: Answers) -> str:
    """Keeps the certificates readable by the services and the services on the current ones.

    certbot writes every renewed key mode 0600 with no ACL, and its live/ and archive/ are 0700:
    access granted once is gone after the first renewal, so this runs after each one (deploy).
    Caddy holds port 80, which `certbot --standalone` needs: it is stopped for the renewal (pre)
    and started again after it (post), also when the renewal failed.
    """
    caddy = answers.service.web_server == "caddy"
    return script(
        "certbot hook: certificate access for the services, and reloads (pre, deploy, post).",
        {"readers": words(_readers(answers)), "lineages": words(_lineages(answers)),
         "web_server_unit": "caddy" if caddy else "", "marker": "/run/ejabberd-wizard-certbot-stopped-caddy"},
        r"""
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
""",
    )


def _setup_caddy_host(answers: Answers) -> str:
    upload, install = answers.upload, answers.install
    return script(
        "Prepare the host: upload directory, certificate access and renewal hooks, DH parameters (run as root).",
        {"user": install.user, "upload_dir": upload.docroot if upload.enabled else "", "dir_mode": upload.dir_mode,
         "dhfile": answers.tls.dhfile or "", "web_root": answers.service.web_root,
         "config_dir": install.config_dir, "hooks": CERTBOT_HOOKS, "hook_name": HOOK_NAME,
         "hook_phases": words(list(HOOK_DIRS)),
         # Debian's Caddyfile serves only its own page: it is told to read the sites of conf.d too.
         "caddy_main": "/etc/caddy/Caddyfile" if by_apt(answers) else "", "caddy_sites": "/etc/caddy/conf.d"},
        r"""
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
""",
    )
