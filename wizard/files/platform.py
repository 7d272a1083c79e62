"""scripts/setup-platform.sh, open-ports.sh (Uberspace) and certbot-hook.sh: the host around ejabberd.

As in ``wizard.files.scripts``, every answer enters a script only as a quoted variable at its top; the
bodies are ``sh/setup-uberspace.sh`` or ``sh/setup-caddy-host.sh``, ``sh/open-ports.sh`` and ``sh/certbot-hook.sh``.
"""

from __future__ import annotations

import shlex

from wizard.answers.model import Answers
from wizard.certificates import pairs
from wizard.files.endpoints import Endpoints
from wizard.files.scripts import compose, script, words
from wizard.files.service import by_apt

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
        compose("setup-uberspace"),
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
        compose("open-ports"),
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
        compose("certbot-hook"),
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
        compose("setup-caddy-host"),
    )
