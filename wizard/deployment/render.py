"""The renderers: pure functions from the answers to the files of the deployment."""

from __future__ import annotations

from wizard.answers import build as answers_file
from wizard.answers.given import ANSWERS_FILE
from wizard.answers.model import Answers
from wizard.deployment.plan import Plan, PlannedFile
from wizard.ejabberd_yml import render as ejabberd_config
from wizard.files import database_scripts, dns_zone, firewall, platform, readme, scripts, service, web
from wizard.secrets import Secrets

EXECUTABLE, PUBLIC, PRIVATE = 0o755, 0o644, 0o600


CONFIG = "config/ejabberd.yml"


def deployment(answers: Answers, secrets: Secrets, *, config_on_disk: str | None = None,
               previous: Answers | None = None, previous_config: str | None = None) -> Plan:
    """Every file of the deployment directory, by its path relative to it.

    ``config_on_disk`` is config/ejabberd.yml as it is now (maybe edited by hand),
    ``previous`` the answers it was last written from and ``previous_config`` what
    they rendered to then: the new config is merged into it rather than replacing it.
    """
    with_secret = answers.database.backend == "mysql"
    config = ejabberd_config.render(answers, secrets.database_password, onto=config_on_disk, previous=previous,
                                    previous_config=previous_config)
    files: dict[str, PlannedFile] = {
        # The user's edits to wizard.yml are read as the answers: it is never a "local edit".
        ANSWERS_FILE: PlannedFile(answers_file.dump(answers), merged=True),
        CONFIG: PlannedFile(config, PRIVATE if with_secret else PUBLIC, secrets.values(), merged=True),
        "dns/records.zone": PlannedFile(dns_zone.render(answers)),
        "README.md": PlannedFile(readme.render(answers)),
    }
    files.update((path, PlannedFile(text)) for path, text in service.files(answers).items())
    if answers.compliance.alternative_connections:
        files["web/.well-known/host-meta"] = PlannedFile(web.host_meta(answers))
        files["web/.well-known/host-meta.json"] = PlannedFile(web.host_meta_json(answers))
    if answers.service.web_server == "caddy":
        files["web/Caddyfile"] = PlannedFile(web.caddyfile(answers))
    files["scripts/install.sh"] = PlannedFile(scripts.install(answers), EXECUTABLE)
    files["scripts/setup-platform.sh"] = PlannedFile(platform.setup_platform(answers), EXECUTABLE)
    if answers.service.web_server == "uberspace":
        files["scripts/open-ports.sh"] = PlannedFile(platform.open_ports(answers), EXECUTABLE)
    if answers.service.web_server == "caddy":
        files["scripts/certbot-hook.sh"] = PlannedFile(platform.certbot_hook(answers), EXECUTABLE)
        files["scripts/firewall.sh"] = PlannedFile(firewall.firewall(answers), EXECUTABLE)
    if answers.database.backend == "mysql":
        files["scripts/database.sh"] = PlannedFile(database_scripts.database(answers), EXECUTABLE)
    files["scripts/deploy.sh"] = PlannedFile(scripts.deploy(answers), EXECUTABLE)
    files["scripts/register-admin.sh"] = PlannedFile(scripts.register_admin(answers), EXECUTABLE)
    files["scripts/backup.sh"] = PlannedFile(database_scripts.backup(answers), EXECUTABLE)
    if secrets.store_database_password_at and secrets.database_password:
        files[secrets.store_database_password_at] = PlannedFile(
            secrets.database_password + "\n", PRIVATE, secrets.values())
    return Plan(files)
