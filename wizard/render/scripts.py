"""scripts/: the guides' commands as POSIX sh scripts.

Every value from the answers enters a script in exactly one place: a variable
assignment at its top, quoted with ``shlex.quote``. The script bodies below are
constant text that only ever uses those variables inside double quotes, so no
answer can reach a shell unquoted, whatever characters it holds.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from functools import cache
from importlib.resources import files

from wizard.model import Answers
from wizard.releases import capabilities
from wizard.render.certificates import certfiles
from wizard.render.service import by_apt
from wizard.render.service import files as service_files


def script(purpose: str, variables: Mapping[str, str | int], body: str) -> str:
    header = ["#!/bin/sh", f"# {purpose}", "# Written by ejabberd-wizard; re-run the wizard rather than editing.",
              "set -eu", ""]
    assignments = [f"{name}={shlex.quote(str(value))}" for name, value in variables.items()]
    return "\n".join(header + assignments) + "\n\n" + body.strip("\n") + "\n"


@cache
def body(name: str) -> str:
    """The constant body of a script, kept as ``sh/NAME.sh`` beside this module so shellcheck can read it."""
    return files("wizard.render").joinpath("sh", f"{name}.sh").read_text(encoding="utf-8")


def words(values: list[str]) -> str:
    """Several values for ``set --``: iterate with ``for x in "$@"``."""
    return " ".join(shlex.quote(value) for value in values)


def control_variables(answers: Answers) -> dict[str, str]:
    install = answers.install
    return {"ejabberdctl": install.ejabberdctl, "config_dir": install.config_dir,
            "spool_dir": install.spool_dir, "log_dir": install.log_dir}


# `ctl` runs ejabberdctl against exactly the directories this deployment uses.
CTL_FUNCTION = """
ctl() {
    "$ejabberdctl" --config-dir "$config_dir" --spool "$spool_dir" --logs "$log_dir" "$@"
}
"""


def _packages(answers: Answers) -> list[str]:
    apt = by_apt(answers)
    # Debian splits ejabberd's MySQL driver off; the certbot hook grants access with setfacl (acl).
    packages = ["ejabberd", "erlang-p1-mysql"] if apt else ["ejabberd"]
    if answers.service.web_server == "caddy":
        packages += ["caddy", "certbot", "acl"] if apt else ["caddy", "certbot"]
    if _draws_captchas(answers):
        packages.append("imagemagick")  # captcha.sh draws with its convert; without it 26.07 does not start
    if apt and answers.database.backend == "mysql" and answers.database.server in ("localhost", "127.0.0.1", "::1"):
        packages += ["mariadb-server", "mariadb-client"]
    return packages


def _draws_captchas(answers: Answers) -> bool:
    return answers.security.registration == "captcha" and answers.security.captcha_cmd is not None


CAPTCHA_GUARD = """
if [ -n "$captcha_cmd" ] && ! command -v convert >/dev/null 2>&1; then
    echo "$captcha_cmd draws CAPTCHAs with ImageMagick's convert, which this host does not have;" >&2
    echo "ask your hoster for ImageMagick, or choose security.registration: closed" >&2
    exit 1
fi
"""


# The package's own questions (host name, admin account) are for a config this deployment
# replaces: apt asks nothing. The package lists are updated when apt cannot install from them.
APT_INSTALL = """
if [ "$(id -u)" -ne 0 ]; then
    echo "run this as root (sudo sh $0)" >&2
    exit 1
fi
DEBIAN_FRONTEND=noninteractive
export DEBIAN_FRONTEND
# shellcheck disable=SC2086 # the package names are meant to be split
if ! apt-get install -y $packages; then
    echo "updating the package lists, then trying again"
    apt-get update
    apt-get install -y $packages
fi
"""


def install(answers: Answers) -> str:
    install = answers.install
    if install.method == "package" and by_apt(answers):
        return script(
            "Install ejabberd and what this deployment needs from the distribution's packages (run as root).",
            {"packages": words(_packages(answers))},
            APT_INSTALL,
        )
    if install.method == "package":
        return script(
            "Install ejabberd and Caddy from the distribution's packages (run as root).",
            {"packages": words(_packages(answers))},
            """
if [ "$(id -u)" -ne 0 ]; then
    echo "run this as root (sudo sh $0)" >&2
    exit 1
fi
# shellcheck disable=SC2086 # the package names are meant to be split
pacman -S --needed --noconfirm $packages
""",
        )
    flags = ["--enable-user=" + install.user]
    if answers.database.backend == "mysql":
        flags.append("--enable-mysql")
        if answers.database.new_schema:
            flags.append(capabilities(install.version).schema_configure_flag)
    # No package manager here: say before the build that the CAPTCHA cannot be drawn. The
    # guard is in every script (values enter only through the assignments at the top).
    captcha_cmd = str(answers.security.captcha_cmd) if _draws_captchas(answers) else ""
    return script(
        "Build ejabberd from its release tarball and install it below the prefix.",
        {"version": install.version, "prefix": install.prefix, "source_dir": f"{install.prefix}/src",
         "configure_flags": words(flags), "captcha_cmd": captcha_cmd},
        CAPTCHA_GUARD + """
mkdir -p "$source_dir"
cd "$source_dir"
if [ ! -f "ejabberd-$version/configure.ac" ]; then
    wget -O "ejabberd-$version.tar.gz" "https://github.com/processone/ejabberd/archive/refs/tags/$version.tar.gz"
    tar xf "ejabberd-$version.tar.gz"
fi
cd "ejabberd-$version"
./autogen.sh
eval "set -- $configure_flags"
./configure --prefix="$prefix" "$@"
make
make install
echo "installed: $prefix/sbin/ejabberdctl"
""",
    )


def deploy(answers: Answers) -> str:
    service = answers.service
    caddy = service.web_server == "caddy"
    variables: dict[str, str | int] = {
        **control_variables(answers),
        "owner": "root:" + answers.install.user if caddy else "",
        "config_mode": "0640" if caddy else "0600",
        "service_file": _service_file(answers),
        "unit_path": service.unit_path,
        # dpkg's record of the config's owner and mode: the package's maintainer script would
        # otherwise make it ejabberd's own (0600) on every upgrade.
        "statoverride": "yes" if by_apt(answers) else "",
        "group": answers.install.user,
        "web_root": service.web_root,
        "alternative_connections": "yes" if answers.compliance.alternative_connections else "",
        "caddy_site": "/etc/caddy/conf.d/ejabberd.caddy" if caddy else "",
        "manager": service.manager,
        # With ejabberd's own ACME client there are no files to wait for.
        "certificates": "" if answers.tls.acme else words(certfiles(answers)),
        "domains": words(answers.domains.all_names()),
        "fetch_by_https": "" if caddy else "yes",
        "certificate_advice": (
            "get them with certbot (README.md, step 'Get the certificates'), then run this again" if caddy else
            "Uberspace fetches them once the DNS records of dns/records.zone point here: check them "
            "(README.md, step 'Add the DNS records'), then run this again"),
    }
    return script(
        "Copy the deployment into place, keeping a backup of every file it replaces, then (re)load.",
        variables,
        CTL_FUNCTION + r"""
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
""",
    )


def _service_file(answers: Answers) -> str:
    """The service definition in the deployment directory; none where the package's unit does it all."""
    return next(iter(service_files(answers)), "")


def register_admin(answers: Answers) -> str:
    # ejabberdctl shows its arguments to everyone (`ps`) while it runs. With the admin
    # listener on loopback, the account is registered with a random password, and the
    # typed one is set through ejabberd's HTTP API from private files instead.
    api = f"http://127.0.0.1:{answers.ports.admin_http}/api" if answers.security.admin_interface else ""
    return script(
        "Register the admin account; asks for its password.",
        {**control_variables(answers), "admin_user": answers.service.admin_user, "domain": answers.domains.main,
         "api": api},
        CTL_FUNCTION + r"""
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
""",  # noqa: E501 (the lines of the script as it is written out)
    )
