"""service/: what keeps ejabberd running, supervisord on Uberspace or systemd."""

from __future__ import annotations

import re
import shlex

from wizard.answers.model import Answers
from wizard.releases import capabilities


def _ejabberdctl_foreground(answers: Answers) -> list[str]:
    install = answers.install
    return [install.ejabberdctl, "--config-dir", install.config_dir, "--spool", install.spool_dir,
            "--logs", install.log_dir, "foreground"]


def supervisord_ini(answers: Answers) -> str:
    # supervisord splits `command` like a shell (shlex) and expands %(...)s, so
    # every word is shell-quoted and every % doubled. Its ini parser ends a value at
    # whitespace followed by ; or # (an inline comment), quotes or not: closing and
    # reopening the quotes there ('a '';b' is the word "a ;b") keeps them apart.
    command = shlex.join(_ejabberdctl_foreground(answers)).replace("%", "%%")
    command = re.sub(r"(\s)(?=[;#])", r"\1''", command)
    return (
        "; ejabberd under supervisord, written by ejabberd-wizard.\n"
        "[program:ejabberd]\n"
        f"command={command}\n"
        "autostart=yes\n"
        "autorestart=yes\n"
        "startsecs=15\n"
        "stopasgroup=true\n"
        "killasgroup=true\n"
        # ejabberdctl foreground stops cleanly on SIGINT; TERM would leave beam running.
        "stopsignal=INT\n"
    )


def systemd_quote(word: str) -> str:
    """One word of a systemd command line: quoted, with specifiers and variables escaped."""
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"' if any(c.isspace() for c in word) or escaped != word or not word else word


def systemd_unit(answers: Answers) -> str:
    install = answers.install
    base = " ".join(systemd_quote(w) for w in _ejabberdctl_foreground(answers)[:-1])
    # With Type=notify, `systemctl start` returns once ejabberd accepts connections and commands
    # (beam, a child of ejabberdctl, sends the notice: NotifyAccess=all), so the next README step
    # can register the admin; with Type=simple it returned while ejabberd was still starting.
    ready_notice = capabilities(install.version).tells_systemd_when_ready
    return "".join([
        "# ejabberd under systemd, written by ejabberd-wizard.\n"
        "[Unit]\n"
        "Description=ejabberd XMPP server\n"
        "After=network-online.target\n"
        "Wants=network-online.target\n"
        "\n"
        "[Service]\n",
        *(["Type=notify\n", "NotifyAccess=all\n", "TimeoutStartSec=300\n"] if ready_notice else ["Type=simple\n"]),
        f"User={install.user}\n"
        f"Group={install.user}\n"
        f"ExecStart={base} foreground\n"
        f"ExecStop={base} stop\n"
        f"ExecReload={base} reload_config\n"
        "Restart=on-failure\n"
        "RestartSec=5\n"
        "LimitNOFILE=65536\n"
        "PrivateTmp=true\n"
        "ProtectSystem=full\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n",
    ])


def by_apt(answers: Answers) -> bool:
    """Installed from Debian's (or Ubuntu's) package: apt, and the package's own systemd unit."""
    return answers.install.method == "package" and answers.preset == "debian"


# What the Debian package's unit runs: its ejabberdctl, with the directories of /etc/default/ejabberd.
DEBIAN_PACKAGE = {"ejabberdctl": "/usr/sbin/ejabberdctl", "config_dir": "/etc/ejabberd",
                  "spool_dir": "/var/lib/ejabberd", "log_dir": "/var/log/ejabberd"}
# The package's unit has ProtectHome=true: ejabberd sees nothing below these.
HIDDEN_BY_THE_UNIT = ("/home/", "/root/", "/run/user/")


def dropin(answers: Answers) -> str | None:
    """A drop-in for the package's unit, only where an answer needs one (never a replacement)."""
    install, changes = answers.install, []
    if any(getattr(install, field) != value for field, value in DEBIAN_PACKAGE.items()):
        base = " ".join(systemd_quote(w) for w in _ejabberdctl_foreground(answers)[:-1])
        changes += ["# ejabberd's directories are not the package's: its ejabberdctl is told them.",
                    "ExecStart=", f"ExecStart={base} foreground", "ExecStop=", f"ExecStop={base} stop",
                    "ExecReload=", f"ExecReload={base} reload_config"]
    used = [install.config_dir, install.spool_dir, install.log_dir, answers.tls.cert_file]
    if answers.upload.enabled:
        used.append(answers.upload.docroot)
    if any((path.rstrip("/") + "/").startswith(HIDDEN_BY_THE_UNIT) for path in used):
        changes += ["# A directory ejabberd uses is below /home, /root or /run/user, which the unit hides.",
                    "ProtectHome=false"]
    unit = []
    if answers.database.backend == "mysql" and answers.database.server in ("localhost", "127.0.0.1", "::1"):
        # Debian's MariaDB on this machine (scripts/install.sh installs it): ejabberd starts after it,
        # rather than retrying its SQL connection while MariaDB starts at boot.
        unit = ["[Unit]", "# ejabberd keeps its data in MariaDB on this machine: started with it, after it.",
                "Wants=mariadb.service", "After=mariadb.service"]
    if not changes and not unit:
        return None
    service = ["[Service]", *changes] if changes else []
    return "\n".join(["# Drop-in for the ejabberd package's unit, written by ejabberd-wizard.", *unit, *service]) + "\n"


def files(answers: Answers) -> dict[str, str]:
    """service/: supervisord's program, the wizard's systemd unit, or the drop-in for the package's unit."""
    if answers.service.manager == "supervisord":
        return {"service/ejabberd.ini": supervisord_ini(answers)}
    if by_apt(answers):
        override = dropin(answers)
        return {"service/ejabberd-wizard.conf": override} if override else {}
    return {"service/ejabberd.service": systemd_unit(answers)}
