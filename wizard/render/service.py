"""service/: what keeps ejabberd running, supervisord on Uberspace or systemd."""

from __future__ import annotations

import re
import shlex

from wizard.model import Answers
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
