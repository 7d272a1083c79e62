"""What the wizard emits is secure by default, and `check` flags a live config that is not.

- The generated config of every preset, read back as ejabberd reads it (macros expanded):
  TLS 1.2+, forward-secret ciphers of the guides, STARTTLS required, the web admin and the
  HTTP API on loopback only, hide_sensitive_log_data, show_os: false, registration closed or
  behind a CAPTCHA with a password strength, no MQTT, upload modes 0640/2750.
- Real ejabberd started with it refuses to authenticate clients before STARTTLS, serves
  neither the admin nor the API on the public web listener, and registers no account in-band,
  not even from loopback, while its users can still change their passwords.
- `check` reports each weakening of a live ejabberd.yml, with its fix.
- Secrets: never in the answers, a diff, the terminal, another readable file or a command line.
- Modes: what the wizard writes and what its scripts set never widen beyond what the guides ask.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import shlex
import socket
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest
from ruamel.yaml import YAML
from slixmpp.exceptions import IqError, IqTimeout
from textual.widgets import Input, ListView

import presets
from screens.app import WizardApp
from screens.review import ReviewScreen
from screens.work import ProposalReady
from tests.answers_helpers import (
    ACCOUNT,
    defaults,
    deployment_files,
    everything_on,
    installed_ejabberd_version,
    snapshot,
    write_answers,
    write_secret,
)
from tests.support.components import require
from tests.support.mariadb import MariaDB, quote_identifier, quote_literal
from tests.support.waiting import Posted, focus, screen_text, until
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.answers.model import Answers
from wizard.checks import Severity, run_checks
from wizard.checks.security import check_file
from wizard.cli import main
from wizard.deployment.render import deployment
from wizard.ejabberd_yml import render as ejabberd_config
from wizard.machine import Machine
from wizard.secrets import Secrets
from wizard.verify.client import ClientSession, LoginError, TlsTrust

PRESETS = presets.names()
HOST = "example.test"
# Quotes, backslash, $() and a #: a password that breaks anything that handles it carelessly. Files
# may hold it escaped (YAML, option files): MARK is the part no escaping changes, searched for instead.
MARK = "s3cr3t-"
PASSWORD = MARK + "one\"e't\\ #$(id)`x` pw"
LOOPBACK_IPS = ("127.0.0.1", "::1")


def answers_of(preset: str, **overrides: Any) -> Answers:
    return build_from(None, Given(defaults(preset, HOST, **overrides)))


def expand_macros(document: Any) -> Any:
    """The config as ejabberd sees it: a value that names a define_macro is replaced by the macro."""
    macros = document.get("define_macro") or {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items() if key != "define_macro"}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return macros.get(node, node) if isinstance(node, str) else node

    return walk(document)


@pytest.fixture(scope="module", params=PRESETS)
def preset_config(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    """Each preset's defaults rendered and read back with the C (libyaml) parser ejabberd also uses."""
    text = ejabberd_config.render(answers_of(request.param), "x")
    return request.param, expand_macros(YAML(typ="safe").load(text))


def listeners(config: dict[str, Any], module: str) -> list[dict[str, Any]]:
    return [listener for listener in config["listen"] if listener["module"] == module]


def handler_modules(listener: dict[str, Any]) -> set[str]:
    return set((listener.get("request_handlers") or {}).values())


# -- secure defaults of every preset ---------------------------------------------------------


def test_only_tls_1_2_and_newer(preset_config: tuple[str, dict[str, Any]]) -> None:
    _, config = preset_config
    for key in ("c2s_protocol_options", "s2s_protocol_options"):
        assert {"no_sslv3", "no_tlsv1", "no_tlsv1_1"} <= set(config[key]), key
    # No listener brings its own, weaker, options.
    assert all("protocol_options" not in listener for listener in config["listen"])


def test_ciphers_are_the_strong_lists_of_the_guides(preset_config: tuple[str, dict[str, Any]]) -> None:
    preset, config = preset_config
    tls = presets.load(preset).answers["tls"]
    assert (config["c2s_ciphers"], config["s2s_ciphers"]) == (tls["c2s_ciphers"], tls["s2s_ciphers"])
    for key in ("c2s_ciphers", "s2s_ciphers"):
        # What this machine's OpenSSL (the one ejabberd's fast_tls uses too) makes of the list.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_ciphers(config[key])
        tls12 = [cipher for cipher in context.get_ciphers() if cipher["protocol"] != "TLSv1.3"]
        assert tls12, key
        for cipher in tls12:
            assert cipher["kea"] in ("kx-ecdhe", "kx-dhe"), (key, cipher["name"])  # forward secret
            assert cipher["digest"] in (None, "sha256", "sha384"), (key, cipher["name"])  # AEAD or SHA-2
            assert cipher["strength_bits"] >= 128 and cipher["auth"] != "auth-null", (key, cipher["name"])


def test_starttls_is_required_from_clients_and_servers(preset_config: tuple[str, dict[str, Any]]) -> None:
    _, config = preset_config
    c2s = listeners(config, "ejabberd_c2s")
    assert c2s and all(listener.get("tls") is True or listener.get("starttls_required") is True for listener in c2s)
    assert [listener for listener in c2s if not listener.get("tls")], "a STARTTLS listener for clients"
    assert config["s2s_use_starttls"] == "required"


def test_admin_and_http_api_listen_on_loopback_only(preset_config: tuple[str, dict[str, Any]]) -> None:
    preset, config = preset_config
    http = listeners(config, "ejabberd_http")
    admin = [listener for listener in http if handler_modules(listener) & {"ejabberd_web_admin", "mod_http_api"}]
    assert admin, "the presets switch the admin interface on"
    assert all(listener["ip"] in LOOPBACK_IPS for listener in admin)
    public_web = [listener for listener in http if listener["port"] == answers_of(preset).ports.http]
    assert len(public_web) == 1 and not handler_modules(public_web[0]) & {"ejabberd_web_admin", "mod_http_api"}
    assert {listener["port"] for listener in admin}.isdisjoint({public_web[0]["port"]})
    # The API's own rules only let loopback (or the admin, who is only reachable there) in.
    rules = config["api_permissions"]
    assert rules["public commands"]["who"]["ip"].startswith("127.")
    assert {"acl": "loopback"} in rules["admin access"]["who"]["access"]["allow"]


def test_logs_and_version_answers_keep_private_things_private(preset_config: tuple[str, dict[str, Any]]) -> None:
    _, config = preset_config
    assert config["hide_sensitive_log_data"] is True
    assert config["modules"]["mod_version"]["show_os"] is False


def test_registration_is_closed_with_a_password_strength(preset_config: tuple[str, dict[str, Any]]) -> None:
    _, config = preset_config
    register = config["modules"]["mod_register"]
    # Closed to every address, loopback too: on shared hosting every user of the host reaches it.
    assert register["access"] == "none" and "ip_access" not in register
    assert register["password_strength"] >= 32  # what a password change takes


def test_registration_by_captcha_is_captcha_protected() -> None:
    answers = answers_of("arch", security={"registration": "captcha", "captcha_cmd": "/usr/share/ejabberd/captcha.sh"})
    config = YAML(typ="safe").load(ejabberd_config.render(answers, None))
    register = config["modules"]["mod_register"]
    assert register["captcha_protected"] is True and register["password_strength"] >= 32
    assert config["captcha_cmd"] == "/usr/share/ejabberd/captcha.sh"


def test_mqtt_is_off(preset_config: tuple[str, dict[str, Any]]) -> None:
    _, config = preset_config
    assert "mod_mqtt" not in config["modules"] and not listeners(config, "mod_mqtt")


def test_uploads_get_the_modes_the_guides_ask_for(preset_config: tuple[str, dict[str, Any]]) -> None:
    _, config = preset_config
    upload = config["modules"]["mod_http_upload"]
    assert (upload["file_mode"], upload["dir_mode"]) == ("0640", "2750")


def test_passwords_are_stored_hashed_and_weak_mechanisms_are_off(preset_config: tuple[str, dict[str, Any]]) -> None:
    _, config = preset_config
    assert config["auth_password_format"] == "scram"
    assert {"digest-md5", "x-oauth2"} <= set(config["disable_sasl_mechanisms"])


# -- what real ejabberd does with it ----------------------------------------------------------


def _converse(sock: socket.socket, send: str, until: tuple[str, ...]) -> str:
    """Send ``send`` and read until one of ``until`` arrives (the socket's timeout bounds the wait)."""
    sock.sendall(send.encode())
    received = ""
    while not any(marker in received for marker in until):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk.decode("utf-8", "replace")
    return received


def _http_status(port: int, path: str, body: dict[str, str] | None = None, login: str | None = None) -> int:
    """The status of a GET of ``path`` on loopback, or with ``body`` a JSON POST (with ``login``: user:password)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Content-Type": "application/json"},
                                     data=json.dumps(body).encode() if body is not None else None)
    if login:
        request.add_header("Authorization", "Basic " + base64.b64encode(login.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_real_ejabberd_wants_starttls_keeps_admin_off_the_public_listener_and_registration_closed(
        preset: str, ejabberd_node: Any) -> None:
    require("/usr/sbin/ejabberdctl")
    # Mnesia: the database does not change any of this, and needs no server here.
    answers = answers_of(preset, install={"version": installed_ejabberd_version()}, database={"backend": "mnesia"})
    node = ejabberd_node(ejabberd_config.render(answers, None))

    with socket.create_connection(("127.0.0.1", node.port_for(answers.ports.c2s)), timeout=10) as sock:
        features = _converse(sock, f"<?xml version='1.0'?><stream:stream to='{HOST}' xmlns='jabber:client' "
                                   "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
                             ("</stream:features>",))
        assert re.search(r"<starttls[^>]*>\s*<required/>", features), features
        assert "<mechanisms" not in features  # no way to send a password before TLS
        # Trying anyway (PLAIN for alice/secret) is refused.
        refused = _converse(sock, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                                  "AGFsaWNlAHNlY3JldA==</auth>", ("</failure>", "</stream:error>", "<failure"))
        assert "<success" not in refused and ("encryption-required" in refused or "policy-violation" in refused
                                                or "not-authorized" in refused), refused

    public_web, admin_port = node.port_for(answers.ports.http), node.port_for(answers.ports.admin_http)
    assert _http_status(public_web, "/admin/") == 404
    assert _http_status(public_web, "/api/status") == 404
    assert _http_status(admin_port, "/admin/") == 401  # there, but asks for the admin's credentials

    # Registration is closed to clients on this machine too, and a user still changes a password.
    client_port, domain = node.port_for(answers.ports.c2s), node.hosts[0]
    node.register("alice", domain, "alice-first-password-0123")
    registered, changed = asyncio.run(_register_and_change_password(client_port, domain))
    assert registered == "the server offers no in-band registration", registered
    assert node.ctl("registered_users", domain).stdout.split() == ["alice"]
    assert changed is None and node.ctl("check_password", "alice", domain, "alice-second-password-0123").returncode == 0
    # The API on loopback is every local user's to reach (on shared hosting, every user of the host):
    # it answers only the admin, not a request without credentials, nor a user who is not the admin.
    users, host = "/api/registered_users", {"host": domain}
    assert _http_status(admin_port, users, host) in (401, 403)
    assert _http_status(admin_port, users, host, f"alice@{domain}:alice-second-password-0123") == 403
    node.register(answers.service.admin_user, domain, "the-admins-password-0123")
    assert _http_status(admin_port, users, host,
                        f"{answers.service.admin_user}@{domain}:the-admins-password-0123") == 200
    assert node.error_lines() == []



async def _register_and_change_password(port: int, domain: str) -> tuple[str, str | None]:
    """In-band registration from loopback (the error it ends in), then alice's password change (its error, if any)."""
    tls = TlsTrust(insecure=True)  # the test node's self-signed certificate
    address = ("127.0.0.1", port)
    try:
        intruder = await ClientSession.open(f"intruder@{domain}", "intruder-password-0123", address, tls, 15,
                                            register=True)
    except LoginError as refused:
        registered = str(refused)
    else:
        await intruder.close()
        registered = "registered"
    alice = await ClientSession.open(f"alice@{domain}", "alice-first-password-0123", address, tls, 15)
    try:
        await alice.client.plugin["xep_0077"].change_password("alice-second-password-0123", timeout=15)
    except (IqError, IqTimeout) as error:
        return registered, repr(error)
    finally:
        await alice.close()
    return registered, None


# -- check: a live config that weakens the defaults ------------------------------------------


@pytest.fixture
def live(tmp_path: Path) -> Callable[[Callable[[Any], None]], list[Any]]:
    """``weaken(edit)``: the generated arch config as the deployment's, ``edit``-ed as the live one; the findings."""
    live_dir = tmp_path / "live"
    answers_file = write_answers(tmp_path / "a.yml", defaults("arch", HOST, install={"config_dir": str(live_dir)}))
    out = tmp_path / "deploy"
    assert main(["generate", "--out", str(out), "--answers", str(answers_file), "--yes"]) == 0
    answers = build_from(None, Given(defaults("arch", HOST, install={"config_dir": str(live_dir)})))

    def weaken(edit: Callable[[Any], None]) -> list[Any]:
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        document = yaml.load((out / "config" / "ejabberd.yml").read_text())
        edit(document)
        live_dir.mkdir(exist_ok=True)
        with (live_dir / "ejabberd.yml").open("w") as stream:
            yaml.dump(document, stream)
        findings = [f for f in run_checks(answers, only={"config"}, out=out) if f.check.startswith("config.security")]
        # The deployment's own file keeps every default: one OK finding for it, the rest are the live file's.
        assert [f.severity for f in findings if f.subject.startswith(str(out))] == [Severity.OK]
        return [f for f in findings if f.subject.startswith(str(live_dir))]

    return weaken


def _listener(document: Any, module: str, **match: Any) -> Any:
    return next(listener for listener in document["listen"]
                if listener["module"] == module and all(listener.get(k) == v for k, v in match.items()))


def _set(path: str, value: Any) -> Callable[[Any], None]:
    def edit(document: Any) -> None:
        *parents, last = path.split(".")
        node = document
        for key in parents:
            node = node[key]
        node[last] = value
    return edit


def _web_listener(document: Any) -> Any:
    return _listener(document, "ejabberd_http", port=5444)


# Each edit is called for what it does to the document; what it returns is ignored.
WEAKENINGS: list[tuple[str, Callable[[Any], object], list[tuple[str, Severity]]]] = [
    ("clients without STARTTLS",
     lambda d: _listener(d, "ejabberd_c2s", port=5222).__setitem__("starttls_required", False),
     [("config.security.starttls", Severity.ERROR)]),
    ("TLS 1.0 and 1.1 allowed (the shared macro)",
     _set("define_macro.TLS_OPTIONS", ["no_sslv3", "cipher_server_preference"]),
     [("config.security.protocols", Severity.ERROR)] * 2),
    ("a listener with weaker options of its own",
     lambda d: _listener(d, "ejabberd_c2s", port=5223).__setitem__("protocol_options", ["no_sslv3"]),
     [("config.security.protocols", Severity.ERROR)]),
    ("broken and not forward-secret ciphers",
     _set("define_macro.TLS_CIPHERS", "ALL:@SECLEVEL=0"),
     [("config.security.ciphers", Severity.ERROR), ("config.security.ciphers", Severity.WARNING)]),
    ("/admin on the public web listener",
     lambda d: _web_listener(d)["request_handlers"].__setitem__("/admin", "ejabberd_web_admin"),
     [("config.security.admin_exposed", Severity.ERROR)]),
    ("the admin listener moved to every address",
     lambda d: _listener(d, "ejabberd_http", port=5280).__setitem__("ip", "::"),
     [("config.security.admin_exposed", Severity.ERROR)] * 2),
    ("mod_http_api on the public web listener",
     lambda d: _web_listener(d)["request_handlers"].__setitem__("/api", "mod_http_api"),
     [("config.security.admin_exposed", Severity.ERROR)]),
    ("show_os on", _set("modules.mod_version.show_os", True), [("config.security.show_os", Severity.WARNING)]),
    ("IP addresses in the logs", _set("hide_sensitive_log_data", False), [("config.security.logs", Severity.WARNING)]),
    ("registration open, without a CAPTCHA", lambda d: d["modules"]["mod_register"].pop("access"),
     [("config.security.registration", Severity.WARNING)]),
    ("registration open, without password strength",
     lambda d: (d["modules"]["mod_register"].pop("access"),
                d["modules"]["mod_register"].__setitem__("captcha_protected", True),
                d["modules"]["mod_register"].pop("password_strength")),
     [("config.security.password_strength", Severity.WARNING)]),
    ("registration from loopback (upstream's trusted_network)",
     lambda d: (d["modules"]["mod_register"].pop("access"),
                d["modules"]["mod_register"].__setitem__("ip_access", "trusted_network")),
     [("config.security.registration_loopback", Severity.WARNING)]),
    ("MQTT on", _set("modules.mod_mqtt", {}), [("config.security.mqtt", Severity.WARNING)]),
    ("servers without STARTTLS", _set("s2s_use_starttls", "optional"),
     [("config.security.s2s_starttls", Severity.WARNING)]),
]


@pytest.mark.parametrize(("what", "edit", "expected"), WEAKENINGS, ids=[w[0] for w in WEAKENINGS])
def test_check_flags_each_weakening_of_the_live_config(live: Callable[..., list[Any]], what: str,
                                                       edit: Callable[[Any], None],
                                                       expected: list[tuple[str, Severity]]) -> None:
    findings = live(edit)
    assert sorted((f.check, f.severity) for f in findings) == sorted(expected), findings
    for finding in findings:
        assert finding.fix and finding.step == "install" and re.search(r"ejabberd\.yml:\d+: ", finding.subject)


def test_check_command_exits_1_and_shows_the_fix(tmp_path: Path, live: Callable[..., list[Any]],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    live(lambda d: _listener(d, "ejabberd_c2s", port=5222).__setitem__("starttls_required", False))
    capsys.readouterr()
    code = main(["check", "--out", str(tmp_path / "deploy"), "--only", "config"])
    out = capsys.readouterr().out
    assert code == 1
    assert "may log in without encryption" in out and "fix: starttls_required: true" in out


def test_check_flags_what_debian_ships_as_its_default_config() -> None:
    shipped = Path(require("/etc/ejabberd/ejabberd.yml"))
    findings = check_file(shipped)
    # Debian 12's ejabberd serves /admin and /api on "::" and runs an MQTT broker.
    assert {(f.check, f.severity) for f in findings} >= {("config.security.admin_exposed", Severity.ERROR),
                                                           ("config.security.mqtt", Severity.WARNING)}


@pytest.mark.parametrize("name", ["upstream-23.01", "uberspace-guide"])
def test_check_flags_registration_from_loopback_in_the_configs_people_start_from(name: str) -> None:
    """Upstream's example and the Uberspace guide 'close' registration with ip_access: trusted_network."""
    config = Path(__file__).parent / "data" / "configs" / f"{name}.yml"
    registration = [f for f in check_file(config) if f.check == "config.security.registration_loopback"]
    assert [f.severity for f in registration] == [Severity.WARNING]
    assert "access: none" in registration[0].fix and "shared hosting" in registration[0].message


# -- secrets -----------------------------------------------------------------------------------


def _with_password(tmp_path: Path, password: str = PASSWORD, **overrides: Any) -> tuple[Path, Path]:
    out = tmp_path / "deploy"
    write_secret(out / "db-password", password)
    database = {"backend": "mysql", "password_source": "file", "password_file": "db-password"}
    return out, write_answers(tmp_path / "a.yml", defaults("arch", HOST, database=database, **overrides))


def test_the_password_is_only_in_files_no_one_else_may_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = MARK + "two " + PASSWORD[::-1]
    out, answers = _with_password(tmp_path)
    assert main(["generate", "--out", str(out), "--answers", str(answers), "--yes"]) == 0
    write_secret(out / "db-password", second)  # a second run keeps a backup of the first config
    assert main(["generate", "--out", str(out), "--yes"]) == 0
    assert main(["diff", "--out", str(out)]) == 0
    shown = capsys.readouterr()
    assert MARK not in shown.out + shown.err
    assert "# only a secret value changed (not shown)" in shown.out

    holding = [path for path in out.rglob("*") if path.is_file() and MARK.encode() in path.read_bytes()]
    assert sorted(str(path.relative_to(out)).split("/")[0] for path in holding) == [".backup", "config", "db-password"]
    for path in holding:
        assert path.stat().st_mode & 0o077 == 0, path
        # ...and so is the backup it is kept in.
        for directory in path.relative_to(out).parents:
            if directory.parts[:1] == (".backup",) and len(directory.parts) == 2:
                assert (out / directory).stat().st_mode & 0o077 == 0, directory
    assert (out / "config" / "ejabberd.yml").stat().st_mode & 0o077 == 0
    assert MARK not in (out / "wizard.yml").read_text()


def test_no_readable_file_lets_others_guess_the_password(tmp_path: Path) -> None:
    password = "hunter2"  # a weak one, as people choose
    out, answers = _with_password(tmp_path, password)
    assert main(["generate", "--out", str(out), "--answers", str(answers), "--yes"]) == 0
    readable = {path.relative_to(out): path.read_text() for path in out.rglob("*")
                if path.is_file() and path.stat().st_mode & 0o004}
    # What another local user can do: the answers, the renderer, a word list.
    saved = build_from(None, Given(YAML(typ="safe").load(readable[Path("wizard.yml")])))
    record = json.loads(readable.get(Path(".wizard-written.json"), "{}"))
    guessed = [guess for guess in ("123456", "password", "hunter2", "letmein")
               if hashlib.sha256(ejabberd_config.render(saved, guess).encode()).hexdigest()
               == record.get("config/ejabberd.yml")]
    assert guessed == []


async def test_the_tui_review_shows_the_config_diff_with_the_password_masked(tmp_path: Path) -> None:
    out = tmp_path / "deploy"
    write_secret(out / "db-password", PASSWORD)
    given = Given({"domains": {"hosts": [HOST]}, "install": dict(ACCOUNT),
                   "database": {"backend": "mysql", "password_source": "file", "password_file": "db-password"}})
    app = WizardApp(out, "arch", given, Machine(login=ACCOUNT["user"], home_dir=ACCOUNT["home"]), checks=False)
    posted = Posted()
    async with app.run_test(size=(160, 60), message_hook=posted) as pilot:
        await pilot.press("ctrl+r")
        await posted.next(pilot, ProposalReady)
        review = app.screen
        assert isinstance(review, ReviewScreen) and review.proposal is not None
        files = review.query_one("#files", ListView)
        files.index = [item.name for item in files.children].index("config/ejabberd.yml")
        await until(pilot, lambda: review.shown is not None and review.shown.path == "config/ejabberd.yml",
                    "the diff of config/ejabberd.yml")
        # Scroll to the password line of the diff, so it is on the screen if it is shown at all.
        assert review.shown is not None
        diff = review.shown.masked_diff()
        line = next(i for i, text in enumerate(diff.splitlines()) if "sql_password" in text)
        review.query_one("#diff-scroll").scroll_to(y=line - 2, animate=False)
        screen = await until(pilot, lambda: "sql_password" in (text := screen_text(app)) and text,
                             "the password line of the diff on the screen")
    assert 'sql_password: "********"' in screen
    assert MARK not in screen


async def test_a_password_typed_into_the_tui_is_not_shown(tmp_path: Path) -> None:
    given = Given({"domains": {"hosts": [HOST]}, "install": dict(ACCOUNT),
                   "database": {"backend": "mysql", "password_source": "file", "password_file": "db-password"}})
    app = WizardApp(tmp_path / "deploy", "arch", given, Machine(login=ACCOUNT["user"], home_dir=ACCOUNT["home"]),
                    checks=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.go_to("database")
        secret = await until(pilot, lambda: app.screen.query_one("#secret-database-password"), "the password field")
        assert secret.display  # no password file yet: the wizard asks for it
        await focus(pilot, secret.query_one(Input))
        await pilot.press(*(MARK + "typed"))
        # It was typed, and taken.
        await until(pilot, lambda: app.session is not None and app.session.secrets.get("database_password")
                    == MARK + "typed", "the typed password in the session")
        screen = screen_text(app)
    assert "Database password" in screen and MARK not in screen


@pytest.fixture
def database_name(mariadb_server: MariaDB) -> Iterator[str]:
    name = f"ejw_{os.urandom(4).hex()}"
    yield name
    mariadb_server.execute(f"DROP DATABASE IF EXISTS {quote_identifier(name)};" + "".join(
        f"DROP USER IF EXISTS {quote_literal(name)}@{quote_literal(host)};"
        for host in ("localhost", "127.0.0.1", "::1")))


def _traced(script: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with xtrace: the shell prints every command line it runs, expanded, as ps would show it."""
    return subprocess.run(["sh", "-x", str(script)], check=False, capture_output=True, text=True, timeout=120,
                          env={"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin"})


@pytest.mark.slow
def test_the_scripts_never_put_the_password_on_a_command_line(tmp_path: Path, mariadb_server: MariaDB,
                                                              database_name: str) -> None:
    require("mysql")
    require("xz")
    database = {"backend": "mysql", "server": "127.0.0.1", "port": mariadb_server.port, "name": database_name,
                "user": database_name, "password_source": "file", "password_file": "db-password"}
    out = tmp_path / "deploy"
    write_secret(out / "db-password", PASSWORD)
    dirs = {name: tmp_path / name for name in ("etc", "spool", "log")}
    for directory in dirs.values():
        directory.mkdir()
    answers = defaults("arch", HOST, database=database, service={"backup_dir": str(tmp_path / "backups")},
                       install={"config_dir": str(dirs["etc"]), "spool_dir": str(dirs["spool"]),
                                "log_dir": str(dirs["log"])})
    assert main(["generate", "--out", str(out), "--answers", str(write_answers(tmp_path / "a.yml", answers)),
                 "--yes"]) == 0
    home = tmp_path / "home"
    home.mkdir()
    # The database administrator: root on the server's socket, as on a fresh MariaDB.
    (home / ".my.cnf").write_text(f"[client]\nuser=root\nsocket={mariadb_server.socket}\n")

    for name in ("database.sh", "backup.sh"):
        result = _traced(out / "scripts" / name, home)
        assert result.returncode == 0, result.stderr
        commands = [line for line in result.stderr.splitlines() if line.startswith("+")]
        assert len(commands) > 10, result.stderr  # the trace is there
        # An assignment alone (password=...) starts no process; everything else is a command line.
        command_lines = [line for line in commands if not re.fullmatch(r"\++ [A-Za-z_][A-Za-z0-9_]*=.*", line)]
        assert any(line.startswith(("+ mysql", "+ mysqldump")) for line in command_lines)
        assert not [line for line in command_lines if MARK in line], name
        assert MARK not in result.stdout, name
    # The password worked, so it really went through: stdin and a private option file.
    assert "users" in mariadb_server.tables(database_name)


@pytest.mark.slow
def test_ejabberd_gets_the_password_the_database_script_set(tmp_path: Path, mariadb_server: MariaDB,
                                                            database_name: str) -> None:
    require("mysql")
    out = tmp_path / "deploy"
    out.mkdir()
    (out / "db-password").write_bytes(b"crlf-password\r\n")
    (out / "db-password").chmod(0o600)
    database = {"backend": "mysql", "server": "127.0.0.1", "port": mariadb_server.port, "name": database_name,
                "user": database_name, "password_source": "file", "password_file": "db-password"}
    answers = write_answers(tmp_path / "a.yml", defaults("arch", HOST, database=database))
    assert main(["generate", "--out", str(out), "--answers", str(answers), "--yes"]) == 0
    home = tmp_path / "home"
    home.mkdir()
    (home / ".my.cnf").write_text(f"[client]\nuser=root\nsocket={mariadb_server.socket}\n")
    created = subprocess.run(["sh", str(out / "scripts" / "database.sh")], check=False, capture_output=True, text=True,
                             timeout=120, env={"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin"})
    assert created.returncode == 0, created.stderr
    config = YAML(typ="safe").load((out / "config" / "ejabberd.yml").read_text())
    with pymysql.connect(host="127.0.0.1", port=mariadb_server.port, user=database_name,
                         password=config["sql_password"], database=database_name, connect_timeout=10):
        pass  # ejabberd's login, with the password of its config


# -- modes ---------------------------------------------------------------------------------------

MODE_COMMAND = re.compile(r"\b(chmod|install|mkdir|umask)\b([^\n;|&]*)")


def _assignments(text: str) -> dict[str, str]:
    return {name: shlex.split(value)[0] if value else "" for name, value in
            re.findall(r"^([a-z_]+)=(.*)$", text, re.MULTILINE)}


def _modes_set(text: str) -> list[tuple[str, str]]:
    """Every (command, mode) a script sets, with ``"$variable"`` modes resolved from its assignments."""
    variables = _assignments(text)
    modes = []
    for command, rest in MODE_COMMAND.findall(text):
        words = rest.split()
        if command == "umask":
            modes.append((command, words[0]))
            continue
        if command == "chmod":
            candidates = [words[0]] if words else []
        else:
            candidates = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "-m"]
        for mode in candidates:
            name = re.fullmatch(r'"?\$\{?(\w+)\}?"?', mode)
            modes.append((command, variables.get(name.group(1), f"${name.group(1)}") if name else mode))
    return modes


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("variant", [defaults, everything_on], ids=["defaults", "everything"])
def test_scripts_never_widen_a_mode(preset: str, variant: Callable[..., dict[str, Any]]) -> None:
    answers = build_from(None, Given(variant(preset, HOST)))
    plan = deployment(answers, Secrets(database_password="x"))
    seen = []
    for path, planned in plan.files.items():
        if not path.startswith("scripts/"):
            continue
        text = planned.content
        assert not re.search(r"\bchmod\s+-R\b|\bchmod\s+\S*[ao]?\+[rwx]", text), path
        for command, mode in _modes_set(text):
            seen.append(mode)
            if command == "umask":
                assert mode == "077", (path, mode)
                continue
            # "$3" in deploy.sh's install_file: the modes it is called with are below.
            if mode.startswith("$"):
                continue
            assert re.fullmatch(r"0?[0-7]{3,4}", mode), (path, command, mode)
            assert int(mode, 8) & 0o002 == 0, (path, command, mode)  # nobody else may write
        for called in re.findall(r'^\s*install_file "[^"]+" "[^"]+" "?([^"\s]+)"?$', text, re.MULTILINE):
            mode = _assignments(text).get(called.lstrip("$"), called)
            assert mode in ("0600", "0640", "0644"), (path, called)
            seen.append(mode)
    assert "2750" in seen or not answers.upload.enabled  # the upload directory, as the guides ask
    assert "777" not in " ".join(seen)


def test_deploy_installs_the_config_private_and_keeps_its_backup_private(tmp_path: Path) -> None:
    """The file-installing half of the real deploy.sh (the service manager half needs a real init)."""
    live = tmp_path / "live"
    certs = tmp_path / "certificates"
    answers = defaults("uberspace", HOST, database={"backend": "mnesia"},
                       install={"config_dir": str(live / "etc")},
                       tls={"cert_file": f"{certs}/{{name}}.crt", "key_file": f"{certs}/{{name}}.key"},
                       service={"unit_path": str(live / "services" / "ejabberd.ini"), "web_root": str(live / "html")})
    out = tmp_path / "deploy"
    assert main(["generate", "--out", str(out), "--answers", str(write_answers(tmp_path / "a.yml", answers)),
                 "--yes"]) == 0
    certs.mkdir()  # deploy.sh changes nothing before Uberspace has fetched every certificate
    for name in (HOST, *(f"{sub}.{HOST}" for sub in ("conference", "proxy", "pubsub", "xmpp"))):
        (certs / f"{name}.crt").write_text("x\n")
        (certs / f"{name}.key").write_text("x\n")
    (live / "etc").mkdir(parents=True)
    old = live / "etc" / "ejabberd.yml"
    old.write_text("the old config\n")
    old.chmod(0o600)

    script = (out / "scripts" / "deploy.sh").read_text()
    head, _, _ = script.partition('\nif [ "$manager" = systemd ]; then')
    assert head != script
    install_only = out / "scripts" / "install-only.sh"
    install_only.write_text(head + "\n")  # beside the real one: it finds the deployment as "$0/.."
    result = subprocess.run(["sh", str(install_only)], check=False, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert old.read_text() == (out / "config" / "ejabberd.yml").read_text()
    assert oct(old.stat().st_mode & 0o7777) == oct(0o600)
    (backup,) = (live / "etc").glob("ejabberd.yml.bak-*")
    assert backup.read_text() == "the old config\n" and backup.stat().st_mode & 0o077 == 0
    assert oct((live / "services" / "ejabberd.ini").stat().st_mode & 0o7777) == oct(0o644)
    assert oct((live / "html" / ".well-known" / "host-meta").stat().st_mode & 0o7777) == oct(0o644)


def test_generated_files_carry_their_modes(tmp_path: Path) -> None:
    out, answers = _with_password(tmp_path)
    assert main(["generate", "--out", str(out), "--answers", str(answers), "--yes"]) == 0
    modes = {path: (out / path).stat().st_mode & 0o7777 for path in deployment_files(out)}
    assert modes.pop("config/ejabberd.yml") == 0o600  # it holds the database password
    assert modes.pop("db-password") == 0o600
    assert all(mode == 0o755 for path, mode in modes.items() if path.startswith("scripts/"))
    assert all(mode == 0o644 for path, mode in modes.items() if not path.startswith("scripts/"))
    assert (out / ".wizard.lock").stat().st_mode & 0o077 == 0
    assert all(path.stat().st_mode & 0o077 == 0 for path in (out / ".backup").iterdir())


def test_no_directory_it_creates_is_writable_by_others_whatever_the_umask(tmp_path: Path) -> None:
    answers = write_answers(tmp_path / "a.yml", defaults("arch", HOST))
    out = tmp_path / "deploy"
    previous = os.umask(0)
    try:
        assert main(["generate", "--out", str(out), "--answers", str(answers), "--yes"]) == 0
    finally:
        os.umask(previous)
    writable = [str(path.relative_to(out)) for path in [out, *out.rglob("*")] if path.stat().st_mode & 0o002]
    assert writable == []
    assert snapshot(out)  # it did write
