"""What ``ejabberd-wizard verify`` reads: its settings, checked, from any front end.

Exit codes: 0 every test passed (or could not be run here), 1 a test failed,
2 bad input or no session at all (server down, wrong password, untrusted
certificate), told in one line. The command line asks the password, runs the tests and
prints the report (wizard.cli_commands).

Two environment variables serve tests and set-ups without the usual front (a
``--nameserver`` / ``--http-base`` option, when the command line has one, wins):

* ``EJABBERD_WIZARD_NAMESERVER=HOST[:PORT]`` sends every DNS query verify makes
  to this nameserver, as ``check --nameserver`` does.
* ``EJABBERD_WIZARD_HTTP_BASE='https://HOST=http://IP:PORT ...'``, for testing
  behind no proxy: requests for an origin go to the given base instead (the
  web server in front of ejabberd terminates TLS in production).
"""

from __future__ import annotations

import os
from pathlib import Path

from wizard.checks.core import Nameserver
from wizard.errors import InputError
from wizard.secrets import read_secret_file
from wizard.verify.run import Settings

TIMEOUT = 10.0  # seconds, for every single network operation
PROBE_LIMIT = 3 * TIMEOUT  # a whole test, which may take a few operations
HTTP_BASE_ENV = "EJABBERD_WIZARD_HTTP_BASE"


def settings_for(jid: str, password: str, *, server: str | None = None, port: int | None = None,
                 ca: Path | None = None, insecure: bool = False, nameserver: Nameserver | None = None,
                 http_base: str | None = None) -> Settings:
    """Checked settings for a verify run, from any front end; ``InputError`` names the bad one."""
    if port is not None and not 0 < port < 65536:
        raise InputError(f"--port: {port} is not a port number (1-65535)")
    if ca is not None and not ca.is_file():
        raise InputError(f"--ca: {ca}: no such file")
    return Settings(
        jid=_bare_jid(jid), password=password, server=server or None, port=port, ca=ca, insecure=insecure,
        nameserver=nameserver or Nameserver.from_environment(),
        http_base=http_base or os.environ.get(HTTP_BASE_ENV, ""), timeout=TIMEOUT, probe_limit=PROBE_LIMIT,
    )


def check_ca(path: Path) -> None:
    """--ca: a regular file of PEM certificates, read once here so a wrong one is named before connecting."""
    import ssl

    from wizard.textfile import read_text

    text = read_text(path, expected="a CA certificate (PEM)", limit=4 * 2**20, usual_size="a CA bundle is far smaller")
    try:
        ssl.create_default_context(cadata=text)
    except (ssl.SSLError, ValueError) as error:
        reason = getattr(error, "reason", None) or str(error).splitlines()[0]
        raise InputError(f"--ca {path}: not a PEM certificate ({reason}); expected a file with "
                         "-----BEGIN CERTIFICATE-----") from None


def read_password(path: Path) -> str:
    """The first line of --password-file, which only its owner may read."""
    return read_secret_file(path, f"--password-file {path}", "the account's password")


def _bare_jid(text: str) -> str:
    local, at, domain = text.partition("/")[0].partition("@")
    if not at or not local or not domain or any(c.isspace() for c in text):
        raise InputError(f"--jid {text!r}: expected an account address, user@domain")
    return f"{local}@{domain.lower().rstrip('.')}"
