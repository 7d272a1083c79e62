"""scripts/: the guides' commands as POSIX sh scripts, install.sh, deploy.sh and register-admin.sh here.

Every value from the answers enters a script in exactly one place: a variable assignment at its
top, quoted with ``shlex.quote`` (``script``). The bodies are constant text, the files of ``sh/``
beside this module, that only ever use those variables inside double quotes, so no answer can reach
a shell unquoted, whatever characters it holds. Where the answers choose between bodies, Python
chooses which files (``compose``), never what is in them.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from functools import cache
from importlib.resources import files

from wizard.answers.model import Answers
from wizard.certificates import certfiles
from wizard.files.service import by_apt
from wizard.files.service import files as service_files
from wizard.releases import capabilities

# A line of a body that the piece of that name, chosen by the caller, replaces.
PIECE = re.compile(r"^# piece: ([a-z_]+)$", re.MULTILINE)


def script(purpose: str, variables: Mapping[str, str | int], body: str) -> str:
    header = ["#!/bin/sh", f"# {purpose}", "# Written by ejabberd-wizard; re-run the wizard rather than editing.",
              "set -eu", ""]
    assignments = [f"{name}={shlex.quote(str(value))}" for name, value in variables.items()]
    return "\n".join(header + assignments) + "\n\n" + body.strip("\n") + "\n"


@cache
def body(name: str) -> str:
    """The constant body of a script, kept as ``sh/NAME.sh`` beside this module.

    A file opens with comment lines saying what it is, up to its first empty line: they are for
    its reader, and are not part of the body.
    """
    text = files("wizard.files").joinpath("sh", f"{name}.sh").read_text(encoding="utf-8")
    opening, blank, rest = text.partition("\n\n")
    if not blank or not all(line.startswith("#") for line in opening.split("\n")):
        raise ValueError(f"sh/{name}.sh does not open with comment lines saying what it is, then an empty line")
    return rest


def compose(*names: str, **pieces: str) -> str:
    """The bodies ``names``, an empty line between each two, with each ``# piece: KEY`` line
    replaced by the body named ``pieces[KEY]``: only files of ``sh/`` ever enter."""
    text = "\n\n".join(body(name).strip("\n") for name in names) + "\n"
    slots = PIECE.findall(text)
    if sorted(slots) != sorted(pieces):
        raise ValueError(f"the pieces {sorted(pieces)} do not fill the places {sorted(slots)} of {names}")
    return PIECE.sub(lambda slot: body(pieces[slot.group(1)]).strip("\n"), text)


def words(values: list[str]) -> str:
    """Several values for ``set --``: iterate with ``for x in "$@"``."""
    return " ".join(shlex.quote(value) for value in values)


def control_variables(answers: Answers) -> dict[str, str]:
    """What the body ``ctl`` (ejabberdctl against this deployment's directories) needs."""
    install = answers.install
    return {"ejabberdctl": install.ejabberdctl, "config_dir": install.config_dir,
            "spool_dir": install.spool_dir, "log_dir": install.log_dir}


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


def install(answers: Answers) -> str:
    install = answers.install
    if install.method == "package" and by_apt(answers):
        return script(
            "Install ejabberd and what this deployment needs from the distribution's packages (run as root).",
            {"packages": words(_packages(answers))},
            compose("install-apt"),
        )
    if install.method == "package":
        return script(
            "Install ejabberd and Caddy from the distribution's packages (run as root).",
            {"packages": words(_packages(answers))},
            compose("install-pacman"),
        )
    flags = ["--enable-user=" + install.user]
    if answers.database.backend == "mysql":
        flags.append("--enable-mysql")
        if answers.database.new_schema:
            flags.append(capabilities(install.version).schema_configure_flag)
    # The CAPTCHA guard is in every build script, with an empty captcha_cmd where none is drawn
    # (values enter only through the assignments at the top).
    captcha_cmd = str(answers.security.captcha_cmd) if _draws_captchas(answers) else ""
    return script(
        "Build ejabberd from its release tarball and install it below the prefix.",
        {"version": install.version, "prefix": install.prefix, "source_dir": f"{install.prefix}/src",
         "configure_flags": words(flags), "captcha_cmd": captcha_cmd},
        compose("install-source"),
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
        compose("ctl", "deploy"),
    )


def _service_file(answers: Answers) -> str:
    """The service definition in the deployment directory; none where the package's unit does it all."""
    return next(iter(service_files(answers)), "")


def register_admin(answers: Answers) -> str:
    # The typed password is set through ejabberd's HTTP API when the admin listener is on
    # loopback (sh/register-admin.sh says why); without it, by ejabberdctl.
    api = f"http://127.0.0.1:{answers.ports.admin_http}/api" if answers.security.admin_interface else ""
    return script(
        "Register the admin account; asks for its password.",
        {**control_variables(answers), "admin_user": answers.service.admin_user, "domain": answers.domains.main,
         "api": api},
        compose("ctl", "register-admin"),
    )
