"""README.md of the deployment: the ordered next steps, with the exact commands."""

from __future__ import annotations

import shlex

from wizard.answers.model import Answers
from wizard.files.endpoints import Endpoints
from wizard.files.firewall import NFT_CONF, NFT_FILE, openings
from wizard.files.platform import public_ports
from wizard.files.service import by_apt, files


def render(answers: Answers) -> str:
    steps = _uberspace_steps(answers) if answers.service.web_server == "uberspace" else _caddy_host_steps(answers)
    domains = ", ".join(answers.domains.hosts)
    lines = [
        f"# ejabberd deployment for {domains}",
        "",
        f"Written by ejabberd-wizard from the answers in `wizard.yml` (preset `{answers.preset}`, "
        f"ejabberd {answers.install.version}). Run the steps in order, from this directory.",
        "To change something, re-run the wizard on this directory (`ejabberd-wizard --out .`) or edit",
        "`wizard.yml` and run `ejabberd-wizard generate --out .`; it shows a diff before it writes.",
        "",
        "## Next steps",
        "",
    ]
    for number, (title, body) in enumerate(steps, start=1):
        lines += [f"{number}. **{title}**", ""]
        lines += [f"   {line}" if line else "" for line in body]
        lines.append("")
    lines += _files_section(answers)
    lines += ["", *_upgrade_section(answers)]
    migration = _migration_section(answers)
    if migration:
        lines += ["", *migration]
    return "\n".join(lines).rstrip("\n") + "\n"


def _code(*commands: str) -> list[str]:
    return ["```sh", *commands, "```"]


def _uberspace_steps(answers: Answers) -> list[tuple[str, list[str]]]:
    listed = ", ".join(f"{field} {port}" for field, port in public_ports(answers).items())
    steps: list[tuple[str, list[str]]] = [
        ("Open the ports", [
            f"This deployment listens on {listed}. Uberspace chooses the numbers of the ports it opens:",
            "the script opens as many as needed and, when they are not the ones above, prints the lines to",
            "put into `wizard.yml` (`ports:`) and stops (status 3). Then run `ejabberd-wizard generate --out .`",
            "and the script again, until it says all ports are open.",
            *(["The TURN relay has one of them (`turn_relay`): one call at a time can be relayed, since",
               "Uberspace opens at most 20 ports; calls that STUN gets through directly are not affected."]
              if "turn_relay" in public_ports(answers) else []),
            *_code("sh scripts/open-ports.sh"),
        ]),
        ("Build and install ejabberd", [
            f"Builds ejabberd {answers.install.version} below `{answers.install.prefix}` (takes a few minutes).",
            *_code("sh scripts/install.sh"),
        ]),
        ("Set up the web domains, backend, headers and directories", [
            "Adds every domain to Uberspace's web server (it prints the addresses for the DNS records),",
            "sends the web paths to ejabberd, sets host-meta's CORS header, checks the ports are open and adds",
            "a daily cron job that makes ejabberd read the certificates Uberspace renews (`crontab -l` shows it).",
            *_code("sh scripts/setup-platform.sh"),
        ]),
        _dns_step(),
    ]
    if answers.database.backend == "mysql":
        steps.append(_database_step(answers))
    steps += [
        ("Put the configuration in place and start ejabberd", [
            f"Copies `config/ejabberd.yml` to `{answers.install.config_dir}`, the service to "
            f"`{answers.service.unit_path}` and the host-meta files to `{answers.service.web_root}/.well-known`,",
            "keeping a backup of every file it replaces, then starts or reloads ejabberd. Uberspace gets each",
            "domain's certificate once its DNS records point here; until all are there, the script changes",
            "nothing, says which are missing and exits with status 3: run it again later.",
            "`supervisorctl status ejabberd` then shows `RUNNING` (`STARTING` in its first 15 seconds).",
            *_code("sh scripts/deploy.sh", "supervisorctl status ejabberd"),
        ]),
        _admin_step(answers),
        _tunnel_step(answers, "<your-uberspace-host>"),
        _check_step(answers),
        _backup_step(answers),
    ]
    return steps


def _caddy_host_steps(answers: Answers) -> list[tuple[str, list[str]]]:
    names = " ".join(f"-d {name}" for name in answers.domains.all_names())
    apt = by_apt(answers)
    certbot = f"sudo certbot certonly --standalone {names}"
    mariadb = apt and _local_mariadb(answers)
    steps: list[tuple[str, list[str]]] = [
        ("Install ejabberd, " + ("Caddy, certbot and MariaDB" if mariadb else "Caddy and certbot"), [
            *(["With apt; the package asks nothing (its questions are for the config this deployment replaces).",
               "apt starts ejabberd with the package's config (host `localhost`) and Caddy with its welcome",
               "page on port 80; the steps below replace both."] if apt else []),
            *(["MariaDB starts too, listening on 127.0.0.1 only; its administrator is root, who logs in through",
               "the local socket without a password (`sudo mysql`)."] if mariadb else []),
            *_code("sudo sh scripts/install.sh"),
        ]),
        _firewall_step(answers),
        _dns_step(),
        ("Get the certificates", [
            "One certificate for each domain and all its subdomains, once the DNS records resolve (certbot",
            "answers on port 80 itself: nothing else may listen there yet"
            + ("; Debian's Caddy does, so it is stopped first and the deploy step starts it again)." if apt else ")."),
            "certbot asks for an e-mail address and for your agreement to Let's Encrypt's terms the first time.",
            *(_code("sudo systemctl stop caddy", certbot) if apt else _code(certbot)),
        ]),
        ("Prepare the host: upload directory, certificate access, DH parameters", [
            "Lets ejabberd and Caddy read the certificates, now and after every renewal: it installs",
            "`scripts/certbot-hook.sh` as certbot's hook, which also stops Caddy while `certbot renew`",
            "needs port 80 and reloads ejabberd and Caddy with the new certificates.",
            *_code("sudo sh scripts/setup-platform.sh"),
            "Renew with `sudo certbot renew` about once a day (a systemd timer or cron job); it renews what",
            "expires within 30 days and does nothing otherwise.",
        ]),
    ]
    if answers.database.backend == "mysql":
        steps.append(_database_step(answers))
    steps += [
        ("Put the configuration in place and start ejabberd and Caddy", [
            f"Copies `config/ejabberd.yml` to `{answers.install.config_dir}`, {_unit_placed(answers)}the Caddy "
            "site to `/etc/caddy/conf.d/ejabberd.caddy`",
            "and the host-meta files, keeping a backup of every file it replaces. Caddy's main",
            "Caddyfile must contain `import /etc/caddy/conf.d/*` ("
            + ("the previous step added it)." if apt else "Arch's default one does).")
            + (" ejabberd restarts on the first run (the package's config had another host), and reloads later."
               if apt else ""),
            "Both services are enabled, so they start at boot; `systemctl status` shows both `active (running)`.",
            *_code("sudo sh scripts/deploy.sh", "systemctl status ejabberd caddy"),
        ]),
        _admin_step(answers, run_as=answers.install.user),
        _tunnel_step(answers, "<your-server>"),
        _check_step(answers),
        _backup_step(answers, sudo=True),
    ]
    return steps


def _unit_placed(answers: Answers) -> str:
    if not by_apt(answers):
        return f"the unit to `{answers.service.unit_path}`, "
    if files(answers):
        return f"a drop-in for the package's unit to `{answers.service.unit_path}`, "
    return ""  # the package's own unit runs ejabberd as it is


def _firewall_step(answers: Answers) -> tuple[str, list[str]]:
    tcp, udp = openings(answers)
    lines = [
        "Where ufw is active, or an nftables input chain drops by default, this lets in TCP "
        f"{', '.join(tcp)}" + (f" and UDP {', '.join(udp)}" if udp else "") + ", nothing else:",
        "`ufw allow` rules (comment `ejabberd-wizard`), or rules in the nftables chain that drops (an accept",
        "in a table of its own would not get past that drop), kept for the next boot in",
        f"`{NFT_FILE}`, which a line at the end of `{NFT_CONF}` includes (the file the",
        "nftables service loads at boot; `nft -c` checks it first). With neither active it says so and changes",
        "nothing. Run again it changes nothing; after a change of ports it removes the old ones' rules.",
    ]
    if answers.compliance.relays:
        lines.append("Calls relayed by TURN fail without the UDP range, and nothing in ejabberd's log says why; "
                     "`ejabberd-wizard check` reads the saved rules and says what they drop.")
    return ("Let the ports through the firewall", [*lines, *_code("sudo sh scripts/firewall.sh")])


def _dns_step() -> tuple[str, list[str]]:
    return ("Add the DNS records", [
        "`dns/records.zone` lists every record, in zone-file syntax: the SRV records tell clients and",
        "servers the ports, the TXT record and the STUN/TURN records announce the web and call services.",
    ])


def _local_mariadb(answers: Answers) -> bool:
    """MariaDB from the distribution's packages, on this machine (scripts/install.sh installs it)."""
    db = answers.database
    return db.backend == "mysql" and db.server in ("localhost", "127.0.0.1", "::1")


def _database_step(answers: Answers) -> tuple[str, list[str]]:
    db = answers.database
    source = ("`my_print_defaults client` (your ~/.my.cnf)" if db.password_source == "my_print_defaults"
              else f"the file `{db.password_file}`")
    # Debian's MariaDB lets only root in as its administrator, through the socket (unix_socket).
    as_root = by_apt(answers) and _local_mariadb(answers)
    return ("Create the database and import the schema", [
        f"Creates `{db.name}` on {db.server}:{db.port} if it is missing and imports ejabberd's schema once;",
        f"running it again changes nothing. The password ejabberd uses comes from {source}.",
        *([f"As root, MariaDB's administrator, it also creates the user `{db.user}` with that password."]
          if as_root and db.password_source == "file" else []),
        *_code(("sudo " if as_root else "") + "sh scripts/database.sh"),
        "Moving an existing server's data from Mnesia: see the end of this file.",
    ])


def _upgrade_section(answers: Answers) -> list[str]:
    where = ("`pacman -Si ejabberd` shows the release an upgrade of the package installs"
             if answers.install.method == "package" else "new releases: https://github.com/processone/ejabberd/releases")
    if by_apt(answers):
        where = "`apt-cache policy ejabberd` shows the release an upgrade of the package installs"
    return [
        "## Upgrading ejabberd",
        "",
        f"This deployment is written for ejabberd {answers.install.version}; {where}. To move to a newer one:",
        *_code("ejabberd-wizard upgrade --to RELEASE --out ."),
        "It writes the config for that release (the diff shows every option it renames or removes; your own",
        "edits are kept) and the steps in order, `UPGRADE.md` and `scripts/upgrade.sh`: back up, stop, install,",
        "start with the new config (the database brought along), check. It refuses to go back to an older release.",
        *(_apt_upgrade_lines(answers) if by_apt(answers) else []),
        "",
    ]


def _apt_upgrade_lines(answers: Answers) -> list[str]:
    config = f"{answers.install.config_dir}/ejabberd.yml"
    return [
        "",
        f"### What `apt upgrade` asks about `{config}`",
        "",
        f"The package keeps `{config}` with ucf, not as a dpkg conffile. When an upgrade brings a new version",
        "of the package's own config, apt asks *What do you want to do about modified configuration file",
        "ejabberd.yml?*: answer **keep the local version currently installed** (the default; installing the",
        "maintainer's version would replace this deployment's config by one for `localhost`). The package's",
        f"version is then left beside it as `{config}.ucf-dist`, to delete. Without a terminal",
        "(`DEBIAN_FRONTEND=noninteractive`) the local version is kept as well. `/etc/caddy/Caddyfile` is a",
        "dpkg conffile with one added line: for it, apt asks *Configuration file ... What would you like to do",
        "about it?*: answer **N** (keep your currently-installed version). `scripts/deploy.sh` records the",
        "config's owner and mode with `dpkg-statoverride`, so an upgrade keeps them too.",
    ]


def _migration_section(answers: Answers) -> list[str]:
    if answers.database.backend != "mysql":
        return []
    install, db = answers.install, answers.database
    ctl = " ".join(shlex.quote(word) for word in (install.ejabberdctl, "--config-dir", install.config_dir,
                                                  "--spool", install.spool_dir, "--logs", install.log_dir))
    return [
        "## Moving an existing server from Mnesia to MySQL",
        "",
        "Only when ejabberd ran here before, on Mnesia: after creating the database and before putting the",
        "configuration in place, with the old server still running, export its data (accounts and password",
        "hashes: readable by you only) and import it:",
        *_code("umask 077", f"{ctl} export2sql {shlex.quote(answers.domains.main)} ~/ejabberd-export.sql",
               f"mysql {shlex.quote(db.name)} < ~/ejabberd-export.sql", "rm ~/ejabberd-export.sql"),
        "",
    ]


def _admin_step(answers: Answers, run_as: str | None = None) -> tuple[str, list[str]]:
    command = "sh scripts/register-admin.sh"
    if run_as:
        command = f"sudo -u {shlex.quote(run_as)} {command}"
    return ("Register the admin account", [
        f"Creates `{answers.admin_jid}`; it asks for the password.",
        *_code(command),
    ])


def _tunnel_step(answers: Answers, host: str) -> tuple[str, list[str]]:
    # With registration closed, nobody but the admin makes accounts: say where.
    closed = answers.security.registration == "closed"
    if not answers.security.admin_interface:
        return ("Web admin", ["The web admin interface is switched off."
                              + (" Registration is closed: create accounts with `ejabberdctl register`."
                                 if closed else "")])
    port = answers.ports.admin_http
    return ("Reach the web admin through an SSH tunnel", [
        "It listens on loopback only. From your own computer:",
        *_code(f"ssh -L {port}:127.0.0.1:{port} {host} -N"),
        f"then open http://127.0.0.1:{port}/admin and log in as `{answers.admin_jid}`.",
        *([f"Registration is closed: create the other accounts there (Virtual Hosts, `{answers.domains.main}`, Users).",
           "`ejabberdctl register` works too, but shows the password to other users of the machine while it runs."]
          if closed else []),
    ])


def _check_step(answers: Answers) -> tuple[str, list[str]]:
    return ("Check that it works", [
        "On this server: `check` looks at the ports, certificates, DNS records and configuration, and",
        "`verify` logs in as the admin (it asks for the password) and tries what clients use, the way the",
        "Conversations compliance tester does. Success: `check` ends with `0 errors`, and `verify` passes",
        "every test it can run from here, except those your ejabberd release lacks (their `fix:` names the",
        "release that has them).",
        *_code("ejabberd-wizard check --out .", f"ejabberd-wizard verify --jid {shlex.quote(answers.admin_jid)}"),
    ])


def _backup_step(answers: Answers, sudo: bool = False) -> tuple[str, list[str]]:
    command = ("sudo " if sudo else "") + "sh scripts/backup.sh"
    return ("Back up regularly", [
        f"Archives the configuration, database and logs into `{answers.service.backup_dir}`"
        + (" and dumps MySQL with `mysqldump | xz`." if answers.database.backend == "mysql" else "."),
        *_code(command),
        "Check the logs now and then, especially `error.log` in " + f"`{answers.install.log_dir}`.",
    ])


def _files_section(answers: Answers) -> list[str]:
    endpoints = Endpoints.of(answers)
    return [
        "## What is here",
        "",
        "- `wizard.yml`: the answers (no secrets).",
        "- `config/ejabberd.yml`: the server configuration.",
        "- `dns/records.zone`: the DNS records to add.",
        *(["- `service/`: the service definition."] if files(answers) else []),
        f"- `web/`: the XEP-0156 host-meta files (WebSocket `{endpoints.websocket}`, BOSH `{endpoints.bosh}`)"
        + (" and the Caddy site." if answers.service.web_server == "caddy" else "."),
        "- `scripts/`: the steps above.",
    ]
