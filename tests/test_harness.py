"""Tests proving the real-component harness in tests/support works.

They run a real ejabberd (and MariaDB) and therefore skip on machines
without them, except in CI (CI=true) where a missing component fails.
"""

from __future__ import annotations

import socket
import subprocess
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography import x509
from ruamel.yaml import YAML

from tests.support.certs import make_self_signed
from tests.support.components import free_port, require
from tests.support.ejabberd_node import (
    DEFAULT_CAPTCHA_CMD,
    EJABBERDCTL,
    EjabberdError,
    EjabberdNode,
    localize_config,
    start_expect_failure,
)
from tests.support.xmpp_client import XMPPAuthError, XMPPError, login_and_discover

if TYPE_CHECKING:
    # Not imported at run time: pytest must import the plugin module itself
    # (pytest_plugins below) to rewrite its asserts.
    from tests.support.fixtures import StartEjabberd
    from tests.support.mariadb import MariaDB

# Registers the fixtures when no conftest does (importing it twice is harmless).
pytest_plugins = ["tests.support.fixtures"]

DOMAIN = "example.test"

# What a generated config looks like: public IPs, well-known ports, system
# paths. Quoted flow-sequence IPs check that quotes survive the rewrite.
GENERATED_CONFIG = textwrap.dedent(
    """\
    hosts:
      - example.test
    loglevel: info
    certfiles:
      - /etc/letsencrypt/live/example.test/fullchain.pem
    define_macro:
      DH_FILE: /etc/ejabberd/dhparams.pem
    c2s_dhfile: DH_FILE
    s2s_dhfile: /etc/ejabberd/dhparams.pem
    listen:
      - port: 5222
        ip: "::"
        module: ejabberd_c2s
        starttls_required: true
      - port: 5269
        ip: "::"
        module: ejabberd_s2s_in
      - port: 5443
        ip: "0.0.0.0"
        module: ejabberd_http
        tls: true
        request_handlers:
          /upload: mod_http_upload
      - port: 3478
        ip: "::"
        transport: udp
        module: ejabberd_stun
        use_turn: false
    acl:
      loopback:
        ip: ["127.0.0.0/8", "::1/128"]
    access_rules:
      c2s:
        allow: all
      local:
        allow: all
    modules:
      mod_caps: {}
      mod_disco: {}
      mod_muc:
        host: conference.@HOST@
      mod_pubsub:
        plugins: [flat, pep]
      mod_proxy65:
        port: 7777
      mod_http_upload:
        put_url: https://@HOST@:5443/upload
        docroot: /var/lib/ejabberd/upload
      mod_stun_disco:
        services:
          - host: 203.0.113.1
            port: 3478
            type: stun
            transport: udp
            restricted: false
    """
)

SQL_CONFIG = textwrap.dedent(
    """\
    hosts:
      - example.test
    certfiles:
      - /etc/ejabberd/ejabberd.pem
    listen:
      - port: 5222
        ip: "::"
        module: ejabberd_c2s
        starttls_required: true
    sql_type: mysql
    sql_server: db.example.net
    sql_database: xmpp
    sql_username: xmpp
    sql_password: generated-secret
    new_sql_schema: true
    default_db: sql
    auth_method: sql
    modules:
      mod_disco: {}
      mod_roster: {}
      mod_offline: {}
    """
)


def _load(text: str):
    return YAML(typ="rt").load(text)


# --------------------------------------------------------------------------
# Building blocks (no servers)
# --------------------------------------------------------------------------


def test_free_port_never_repeats_and_is_bindable():
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[-1]))


def test_require_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed on this machine"):
        require("no-such-binary-xyz")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="is required in CI"):
        require("no-such-binary-xyz")
    assert require("sh").endswith("/sh")


def test_self_signed_cert_covers_all_names(tmp_path: Path):
    cert_path, key_path = make_self_signed(tmp_path, ["example.test", "*.example.test"])
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["example.test", "*.example.test"]
    assert cert.subject.rfc4514_string() == "CN=example.test"
    combined = cert_path.with_suffix(".pem").read_text()
    assert "BEGIN CERTIFICATE" in combined and "PRIVATE KEY" in combined
    assert key_path.stat().st_mode & 0o004  # readable by the ejabberd user


def test_localize_config_rewrites_only_machine_specifics(tmp_path: Path):
    cert = make_self_signed(tmp_path / "certs", ["example.test"])
    sql = {"sql_server": "127.0.0.1", "sql_port": 3307}
    # Not in GENERATED_CONFIG itself: ejabberd refuses to start when
    # captcha_cmd is set but ImageMagick (used by captcha.sh) is missing.
    config = GENERATED_CONFIG + "captcha_cmd: /opt/nonexistent/captcha.sh\n"
    localized = localize_config(config, tmp_path, cert_pem=cert.combined, sql=sql)
    doc = _load(localized.text)

    assert localized.hosts == [DOMAIN]
    assert all(listener["ip"] == "127.0.0.1" for listener in doc["listen"])
    assert [listener["port"] for listener in doc["listen"]] == [
        localized.port_for(port) for port in (5222, 5269, 5443, 3478)
    ]
    assert len(set(localized.ports.values())) == len(localized.ports)
    modules = doc["modules"]
    assert modules["mod_proxy65"]["port"] == localized.port_for(7777)
    assert modules["mod_proxy65"]["ip"] == "127.0.0.1"
    assert modules["mod_stun_disco"]["services"][0]["port"] == localized.port_for(3478)
    assert modules["mod_http_upload"]["docroot"] == str(tmp_path / "upload")
    assert doc["certfiles"] == [str(cert.combined)]
    assert doc["define_macro"]["DH_FILE"] == str(tmp_path / "dhparams.pem")
    assert doc["s2s_dhfile"] == str(tmp_path / "dhparams.pem")
    assert "BEGIN DH PARAMETERS" in (tmp_path / "dhparams.pem").read_text()
    assert doc["captcha_cmd"] == DEFAULT_CAPTCHA_CMD
    assert (doc["sql_server"], doc["sql_port"]) == ("127.0.0.1", 3307)

    # Untouched: what the wizard decided.
    assert doc["c2s_dhfile"] == "DH_FILE"
    assert modules["mod_muc"]["host"] == "conference.@HOST@"
    assert modules["mod_http_upload"]["put_url"] == "https://@HOST@:5443/upload"
    assert '["127.0.0.0/8", "::1/128"]' in localized.text
    assert "&" not in localized.text and "*id" not in localized.text  # no anchors


def test_localize_config_leaves_macro_ports_alone(tmp_path: Path):
    config = textwrap.dedent(
        """\
        hosts: [example.test]
        define_macro:
          C2S_PORT: 5222
        listen:
          - port: C2S_PORT
            ip: "::"
            module: ejabberd_c2s
        """
    )
    localized = localize_config(config, tmp_path, cert_pem=tmp_path / "cert.pem")
    listener = _load(localized.text)["listen"][0]
    assert (listener["port"], listener["ip"]) == ("C2S_PORT", "127.0.0.1")
    assert localized.ports == {}


# --------------------------------------------------------------------------
# Real ejabberd
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ejabberdctl() -> str:
    return require(EJABBERDCTL)


@pytest.mark.slow
def test_generated_config_runs_and_serves_discovery(ejabberdctl, ejabberd_node: StartEjabberd):
    node = ejabberd_node(GENERATED_CONFIG)
    node.register("alice", DOMAIN, "wonderland")
    assert node.cert is not None  # made when the node's config was localized

    result = login_and_discover(
        f"alice@{DOMAIN}", "wonderland", "127.0.0.1", node.port_for(5222), ca_cert=node.cert.cert
    )

    assert f"conference.{DOMAIN}" in result["items"]
    assert f"pubsub.{DOMAIN}" in result["items"]
    assert "http://jabber.org/protocol/muc" in result["features"][f"conference.{DOMAIN}"]
    assert "http://jabber.org/protocol/disco#info" in result["server_features"]
    assert node.error_lines() == []


@pytest.mark.slow
def test_login_failures_are_reported_clearly(
    ejabberdctl, ejabberd_node: StartEjabberd, tmp_path: Path
):
    node = ejabberd_node(GENERATED_CONFIG)
    node.register("alice", DOMAIN, "wonderland")
    port = node.port_for(5222)
    with pytest.raises(XMPPAuthError, match="not-authorized"):
        login_and_discover(f"alice@{DOMAIN}", "wrong", "127.0.0.1", port, timeout=10)

    other_ca, _key = make_self_signed(tmp_path, [DOMAIN])
    with pytest.raises(XMPPError, match="certificate verify failed"):
        login_and_discover(
            f"alice@{DOMAIN}", "wonderland", "127.0.0.1", port, ca_cert=other_ca, timeout=10
        )


@pytest.mark.slow
def test_two_nodes_from_one_config_run_side_by_side(ejabberdctl, ejabberd_node: StartEjabberd):
    first = ejabberd_node(GENERATED_CONFIG)
    second = ejabberd_node(GENERATED_CONFIG)
    assert first.port_for(5222) != second.port_for(5222)
    assert "is running" in second.ctl("status").stdout


@pytest.mark.slow
def test_a_port_taken_between_localizing_and_starting_is_replaced(ejabberdctl):
    with EjabberdNode() as node:
        localized = node.localize(GENERATED_CONFIG)
        taken = localized.port_for(5222)
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", taken))
            squatter.listen()
            node.start(localized)
            assert node.port_for(5222) != taken
            assert "is running" in node.ctl("status").stdout
            assert node.error_lines() == []  # the failed start's logs are gone


@pytest.mark.slow
def test_stop_leaves_no_processes(ejabberdctl):
    with EjabberdNode() as node:
        node.start(node.localize(GENERATED_CONFIG))
        cookie = node.cookie
    leftovers = subprocess.run(["pgrep", "-f", cookie], capture_output=True, text=True).stdout
    assert leftovers == ""
    assert not node.workdir.exists()


@pytest.mark.slow
def test_bad_config_yields_ejabberds_reason(ejabberdctl):
    reason = start_expect_failure(GENERATED_CONFIG + "foo: bar\n")
    assert "Unknown option" in reason
    assert "foo" in reason


@pytest.mark.slow
def test_broken_yaml_is_passed_through_to_ejabberd(ejabberdctl):
    reason = start_expect_failure("hosts: [example.test\n")
    assert "Failed to read YAML file" in reason


# --------------------------------------------------------------------------
# Real MariaDB (+ ejabberd on SQL)
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_mariadb_database_with_user_and_schema(mariadb_server: MariaDB):
    mariadb_server.create_database_with_user("harness_check", "harness", "pa'ss")
    try:
        mariadb_server.import_schema(
            "harness_check", require("/usr/share/ejabberd/sql/mysql.new.sql")
        )
        assert "users" in mariadb_server.tables("harness_check")
        # The user can log in over TCP, as ejabberd will.
        login = subprocess.run(
            [require("mariadb"), "--no-defaults", "-h", "127.0.0.1", "-P", str(mariadb_server.port),
             "-u", "harness", "-ppa'ss", "harness_check", "-e", "SELECT COUNT(*) FROM users"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert login.returncode == 0, login.stderr
    finally:
        mariadb_server.execute(
            "DROP DATABASE harness_check; DROP USER 'harness'@'127.0.0.1', 'harness'@'localhost';"
        )


@pytest.mark.slow
def test_ejabberd_on_sql_stores_registered_users(
    ejabberdctl, mariadb_server: MariaDB, ejabberd_sql_db: dict, ejabberd_node: StartEjabberd
):
    node = ejabberd_node(SQL_CONFIG, sql=ejabberd_sql_db)
    node.check_sql(DOMAIN)
    node.register("bob", DOMAIN, "builder")

    rows = mariadb_server.query(
        "SELECT username, server_host FROM users", ejabberd_sql_db["sql_database"]
    )
    assert ["bob", DOMAIN] in rows
    assert node.cert is not None  # made when the node's config was localized
    login_and_discover(
        f"bob@{DOMAIN}", "builder", "127.0.0.1", node.port_for(5222), ca_cert=node.cert.cert
    )
    assert node.error_lines() == []


@pytest.mark.slow
def test_wrong_sql_password_is_caught_by_check_sql(
    ejabberdctl, ejabberd_sql_db: dict, ejabberd_node: StartEjabberd
):
    node = ejabberd_node(SQL_CONFIG, sql={**ejabberd_sql_db, "sql_password": "wrong"})
    with pytest.raises(EjabberdError, match="SQL backend .* does not answer"):
        node.check_sql(DOMAIN, timeout=5)
    # The timed-out ejabberdctl client VM was killed, not left waiting.
    ctl_clients = subprocess.run(
        ["pgrep", "-f", f"ctl-{node.node}"], capture_output=True, text=True
    )
    assert ctl_clients.stdout == ""
