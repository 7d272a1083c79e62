"""The steps from one ejabberd release to a newer one: scripts/upgrade.sh and UPGRADE.md.

The order is the one the Uberspace guide's "Updates" section follows by hand, with the
config merge done by the wizard: back up, install the new release, stop, bring the
database along, start with the config written for the new release, then check and verify.
The script's body is ``sh/upgrade.sh``, with the stop and install commands the answers choose
(``sh/upgrade-stop-*.sh``, ``sh/upgrade-install-*.sh``) in its places.
"""

from __future__ import annotations

import re

from wizard.answers.model import Answers
from wizard.files.scripts import body, compose, control_variables, script
from wizard.files.service import by_apt
from wizard.releases import UPDATES_SQL_SCHEMA, UPDATES_SQL_SCHEMA_BY_DEFAULT, Release, capabilities

# A top-level `update_sql_schema: false` (a hand edit the re-run kept): ejabberd then leaves its tables as they are.
SCHEMA_UPDATES_OFF = re.compile(r"^update_sql_schema:\s*false\b", re.MULTILINE | re.IGNORECASE)


def _install_step(answers: Answers) -> tuple[str, str]:
    """What installs the new release, as a README line and as the piece of upgrade.sh (``sh/NAME.sh``)."""
    if answers.install.method == "source":
        return (f"Build and install ejabberd {answers.install.version} below `{answers.install.prefix}`.",
                "upgrade-install-source")
    if by_apt(answers):
        return (f"Upgrade the package: apt installs the release of the suites it reads, so ejabberd "
                f"{answers.install.version} must be in one of them (`apt-cache policy ejabberd` shows which).",
                "upgrade-install-apt")
    return ("Upgrade the package (`pacman -Si ejabberd` shows the release it installs).", "upgrade-install-pacman")


def _stop_piece(answers: Answers) -> str:
    return "upgrade-stop-systemd" if answers.service.manager == "systemd" else "upgrade-stop-supervisord"


def _stop(answers: Answers) -> str:
    """The command that stops ejabberd, as UPGRADE.md shows it (upgrade.sh runs the same piece)."""
    return body(_stop_piece(answers)).strip("\n")


def schema_steps(answers: Answers, old: str, config: str = "") -> list[str]:
    """What the database needs between ``old`` and the release of ``answers``, one line each.

    ``config`` is the ejabberd.yml the upgrade writes: a hand edit kept in it may turn the schema updates off.
    """
    new = capabilities(answers.install.version)
    notes = new.upgrade_notes(Release.parse(old))
    if answers.database.backend != "mysql":
        return ["Mnesia: ejabberd converts its tables itself on the first start of the new release."]
    if not notes:
        return ["MySQL: the schema needs no change between these releases."]
    lines = [f"MySQL, {version}: {note}." for version, note in notes]
    if not new.has(UPDATES_SQL_SCHEMA):
        return lines
    if SCHEMA_UPDATES_OFF.search(config):
        # Saying "ejabberd makes these changes" here would send the new release onto the old tables.
        lines.append("Your config/ejabberd.yml turns update_sql_schema off (your edit, kept): ejabberd will not "
                     "make these changes. Remove that line before step 4, or make them yourself after step 2: "
                     f"the tables as {answers.install.version} needs them are in its sql/mysql.new.sql "
                     "(`sh scripts/upgrade.sh` refuses to run while the line is there).")
    elif new.has(UPDATES_SQL_SCHEMA_BY_DEFAULT):
        lines.append("The config has update_sql_schema on (the default since 24.06): ejabberd makes these "
                     "changes itself on its first start, before it serves anyone.")
    else:
        lines.append(f"The config turns update_sql_schema on (off by default before 24.06): ejabberd "
                     f"{answers.install.version} makes these changes itself on its first start, before it serves "
                     "anyone.")
    return lines


def _changes_ejabberd_makes(answers: Answers, old: str) -> list[str]:
    """The releases (MySQL) whose schema changes the new release makes itself, with update_sql_schema on."""
    new = capabilities(answers.install.version)
    if answers.database.backend != "mysql" or not new.has(UPDATES_SQL_SCHEMA):
        return []
    return [version for version, _ in new.upgrade_notes(Release.parse(old))]


def script_text(answers: Answers, old: str) -> str:
    """scripts/upgrade.sh: every step in order; it stops at the first that fails.

    Before anything, it refuses to go on when the schema needs changes and the config (as it is
    when the script runs) turns update_sql_schema off: the new release would run on the old tables.
    """
    _, install_piece = _install_step(answers)
    return script(
        f"Upgrade ejabberd from {old} to {answers.install.version}: back up, stop, install, start the new config.",
        {**control_variables(answers), "old_release": old, "new_release": answers.install.version,
         "schema_changes": " ".join(_changes_ejabberd_makes(answers, old))},
        compose("ctl", "upgrade", stop=_stop_piece(answers), install=install_piece),
    )


def guide(answers: Answers, old: str, config: str = "") -> str:
    """UPGRADE.md: what the upgrade does and why, with what to do when it fails (``config``: the one written)."""
    new = answers.install.version
    install_line, _ = _install_step(answers)
    admin = f"{answers.service.admin_user}@{answers.domains.main}"
    lines = [
        f"# Upgrade from ejabberd {old} to {new}",
        "",
        f"Written by `ejabberd-wizard upgrade --to {new}`. `config/ejabberd.yml` is now written for {new}",
        "(the diff it showed has every renamed or removed option); your own edits to it are kept as in any re-run.",
        "Run the steps in order, from this directory; `sh scripts/upgrade.sh` runs 1 to 5 and stops at the",
        "first that fails.",
        "",
        "1. **Back up** (`sh scripts/backup.sh`): the database and the uploads, as they are now.",
        f"2. **Stop** ejabberd {old} (`{_stop(answers)}`).",
        f"3. **Install** {new}. {install_line}",
        f"4. **Start** {new} with the new config (`sh scripts/deploy.sh`). The database:",
        *[f"   - {line}" for line in schema_steps(answers, old, config)],
        "5. **Check and verify**:",
        "",
        "   ```sh",
        "   ejabberd-wizard check --out .",
        f"   ejabberd-wizard verify --jid {admin}",
        "   ```",
        "",
        "If the new release does not start, its reason is in the log (`error.log` in "
        f"`{answers.install.log_dir}`). To go back: stop it, install {old} again, restore the backup of step 1 "
        "and run `ejabberd-wizard rollback --out .`, which puts back the files this upgrade replaced.",
        f"An older release cannot read what a newer one wrote: never start {old} on the database {new} has used.",
        "",
    ]
    return "\n".join(lines)
