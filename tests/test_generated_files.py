"""Every generated file is judged by the program that will read it."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import dns.rdatatype
import dns.zone
import pytest
from ruamel.yaml import YAML
from supervisor.options import ServerOptions

from tests.answers_helpers import defaults, everything_on, write_answers, write_secret
from tests.support.certs import make_self_signed
from tests.support.components import require
from wizard.cli import main

PRESETS = ("uberspace", "arch", "debian")
# Every shell metacharacter that could escape a badly quoted word.
# (No " ;" or " #": supervisord would read a comment there, and the answers refuse it.)
NASTY = "/tmp/it's a \"path\" with $(touch /tmp/pwned) `id`;x & | > < * ? $HOME end"
UNIT_NASTY = NASTY.replace("'", "").replace('"', "")


def generate(tmp_path: Path, answers: dict, name: str = "deploy") -> Path:
    out = tmp_path / name
    write_secret(out / "db-password", "secret-db-password")
    path = write_answers(tmp_path / f"{name}.yml", answers)
    assert main(["generate", "--out", str(out), "--answers", str(path), "--yes"]) == 0
    return out


@pytest.fixture(params=[(preset, variant) for preset in PRESETS for variant in ("defaults", "everything")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def deployment(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    preset, variant = request.param
    answers = defaults(preset) if variant == "defaults" else everything_on(preset)
    if preset == "uberspace" and variant == "defaults":
        # Uberspace keeps the MySQL password where my_print_defaults finds it.
        (tmp_path / ".my.cnf").write_text("[client]\npassword=secret-db-password\n")
        monkeypatch.setenv("HOME", str(tmp_path))
    return generate(tmp_path, answers)


def test_supervisord_accepts_the_program_section(tmp_path: Path) -> None:
    out = generate(tmp_path, defaults("uberspace", database={"backend": "mnesia"}))
    ini = out / "service" / "ejabberd.ini"
    main_conf = tmp_path / "supervisord.conf"
    main_conf.write_text(f"[supervisord]\n[include]\nfiles = {ini}\n")
    options = ServerOptions()
    options.configfile = str(main_conf)
    options.process_config(do_usage=False)
    (group,) = options.process_group_configs
    (program,) = group.process_configs
    assert program.name == "ejabberd"
    assert program.command.split() == [
        "/home/isabell/sbin/ejabberdctl", "--config-dir", "/home/isabell/etc/ejabberd",
        "--spool", "/home/isabell/var/lib/ejabberd", "--logs", "/home/isabell/var/log/ejabberd", "foreground",
    ]
    assert program.autorestart and program.stopasgroup and program.killasgroup


def test_supervisord_keeps_odd_paths_intact(tmp_path: Path) -> None:
    odd = "/home/isa bell/100%/sbin/ejabberdctl"
    out = generate(tmp_path, defaults("uberspace", database={"backend": "mnesia"}, install={"ejabberdctl": odd}))
    main_conf = tmp_path / "supervisord.conf"
    main_conf.write_text(f"[supervisord]\n[include]\nfiles = {out / 'service' / 'ejabberd.ini'}\n")
    options = ServerOptions()
    options.configfile = str(main_conf)
    options.process_config(do_usage=False)
    command = options.process_group_configs[0].process_configs[0].command
    assert shlex.split(command)[0] == odd


def test_caddy_validates_the_caddyfile(tmp_path: Path) -> None:
    caddy = require("caddy")
    certs = tmp_path / "letsencrypt"
    for host in ("example.test", "second-example.test"):
        pair = make_self_signed(certs / host, [host, f"*.{host}"])
        pair.cert.rename(certs / host / "fullchain.pem")
        pair.key.rename(certs / host / "privkey.pem")
    answers = everything_on("arch", tls={"cert_file": f"{certs}/{{host}}/fullchain.pem",
                                          "key_file": f"{certs}/{{host}}/privkey.pem"})
    out = generate(tmp_path, answers)
    caddyfile = out / "web" / "Caddyfile"
    result = subprocess.run([caddy, "validate", "--config", str(caddyfile), "--adapter", "caddyfile"],
                            capture_output=True, text=True, timeout=60,
                            env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    text = caddyfile.read_text()
    assert "reverse_proxy 127.0.0.1:5444" in text
    assert "file.example.test {" in text and "file.second-example.test {" in text
    assert "proxy " not in text.replace("reverse_proxy", "")  # no Caddy v1 syntax


def test_zone_file_parses_and_has_every_record(deployment: Path) -> None:
    text = (deployment / "dns" / "records.zone").read_text()
    zone = dns.zone.from_text(text, origin=".", relativize=False, check_origin=False)
    records = {(str(name), dns.rdatatype.to_text(rdataset.rdtype)): rdataset
               for name, node in zone.nodes.items() for rdataset in node.rdatasets}
    wizard = YAML(typ="safe").load((deployment / "wizard.yml").read_text())
    ports, host = wizard["ports"], wizard["domains"]["hosts"][0]
    expected = {
        "_xmpp-client._tcp": ports["c2s"], "_xmpps-client._tcp": ports["c2s_tls"],
        "_xmpp-server._tcp": ports["s2s"], "_xmpps-server._tcp": ports["s2s_tls"],
        "_stun._udp": ports["stun"], "_stun._tcp": ports["stun"], "_stuns._tcp": ports["stuns"],
        f"_xmpp-server._tcp.{wizard['domains']['conference']}": ports["s2s"],
    }
    for label, port in expected.items():
        (srv,) = records[(f"{label}.{host}.", "SRV")]
        assert srv.port == port and str(srv.target) == f"{host}."
    txt = {b"".join(r.strings).decode() for r in records[(f"_xmppconnect.{host}.", "TXT")]}
    web = f"{wizard['domains']['upload']}.{host}"
    assert txt == {f"_xmpp-client-websocket=wss://{web}/ws", f"_xmpp-client-xbosh=https://{web}/bosh"}


def test_nsd_checkzone_accepts_the_records(tmp_path: Path) -> None:
    checkzone = require("nsd-checkzone")
    out = generate(tmp_path, defaults("arch", domains={"ipv4": "192.0.2.1", "ipv6": "2001:db8::1"}))
    # A provider's zone has its own SOA and NS; ours are the records to add to it.
    zone = tmp_path / "zone"
    zone.write_text("$ORIGIN example.test.\n"
                    "@ 3600 IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 3600\n"
                    "@ 3600 IN NS ns.example.test.\nns 3600 IN A 192.0.2.53\n"
                    + (out / "dns" / "records.zone").read_text())
    result = subprocess.run([checkzone, "example.test", str(zone)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_international_domain_is_written_as_ascii_in_dns_and_unicode_in_ejabberd(tmp_path: Path) -> None:
    out = generate(tmp_path, defaults("arch", host="bücher.example"))
    assert "$ORIGIN xn--bcher-kva.example." in (out / "dns" / "records.zone").read_text()
    assert '- "bücher.example"' in (out / "config" / "ejabberd.yml").read_text()


def test_host_meta_files_are_well_formed(deployment: Path) -> None:
    xml = ET.fromstring((deployment / "web" / ".well-known" / "host-meta").read_text())
    links = {link.attrib["rel"]: link.attrib["href"] for link in xml}
    data = json.loads((deployment / "web" / ".well-known" / "host-meta.json").read_text())
    assert links == {link["rel"]: link["href"] for link in data["links"]}
    assert links["urn:xmpp:alt-connections:websocket"].startswith("wss://")
    assert links["urn:xmpp:alt-connections:xbosh"].startswith("https://")


def test_every_script_is_valid_posix_sh(deployment: Path) -> None:
    scripts = sorted((deployment / "scripts").glob("*.sh"))
    assert {s.name for s in scripts} >= {"install.sh", "setup-platform.sh", "deploy.sh", "register-admin.sh",
                                         "backup.sh"}
    for script in scripts:
        result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, f"{script.name}: {result.stderr}"
        text = script.read_text()
        assert text.startswith("#!/bin/sh\n") and "\nset -eu\n" in text
        assert script.stat().st_mode & 0o111


def _assignments(script: Path) -> list[str]:
    lines = script.read_text().splitlines()
    return [line for line in lines if re.match(r"^[a-z_]+=", line)]


@pytest.mark.parametrize("preset", PRESETS)
def test_answers_with_shell_metacharacters_come_out_quoted(tmp_path: Path, preset: str) -> None:
    # A systemd unit cannot hold quotes in these paths (they are refused as answers there).
    in_unit = NASTY if preset == "uberspace" else UNIT_NASTY
    answers = everything_on(preset, upload={"docroot": NASTY}, service={"backup_dir": NASTY, "web_root": NASTY},
                            install={"config_dir": in_unit, "prefix": NASTY, "ejabberdctl": in_unit})
    out = generate(tmp_path, answers)
    pwned = Path("/tmp/pwned")
    pwned.unlink(missing_ok=True)
    for script in sorted((out / "scripts").glob("*.sh")):
        assert subprocess.run(["sh", "-n", str(script)], timeout=30).returncode == 0
        text = script.read_text()
        # The value appears only in its one quoted assignment...
        body = "\n".join(line for line in text.splitlines() if line not in _assignments(script))
        assert "$(touch /tmp/pwned)" not in body, script.name
        # ...and evaluating the assignments gives back exactly the answer.
        block = "\n".join(_assignments(script))
        names = [line.split("=", 1)[0] for line in _assignments(script)]
        printed = subprocess.run(["sh", "-c", block + "\n" + "".join(f'printf "%s\\0" "${n}"\n' for n in names)],
                                 capture_output=True, timeout=30)
        # Not strict: each value ends with a separator, so there is one (empty) value more than names.
        values = dict(zip(names, printed.stdout.decode().split("\0"), strict=False))
        for name, value in values.items():
            for nasty in {NASTY, in_unit}:
                if nasty in value:
                    # The answer (or a path below it), or a list of words for `eval "set -- $list"`.
                    words = [value] if value.startswith(nasty) else shlex.split(value)
                    assert any(word.startswith(nasty) for word in words), (script.name, name)
    assert not pwned.exists()
    config = YAML(typ="safe").load((out / "config" / "ejabberd.yml").read_text())
    assert config["modules"]["mod_http_upload"]["docroot"] == NASTY


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("admin_interface", [True, False])
def test_the_readme_says_who_makes_accounts_when_registration_is_closed(tmp_path: Path, preset: str,
                                                                       admin_interface: bool) -> None:
    readme = {}
    for registration in ("closed", "captcha"):
        security = {"registration": registration, "admin_interface": admin_interface,
                    "captcha_cmd": "/usr/share/ejabberd/captcha.sh" if registration == "captcha" else None}
        database = {"password_source": "file", "password_file": "db-password"} if preset == "uberspace" else {}
        out = generate(tmp_path, defaults(preset, "example.test", security=security, database=database),
                       name=registration)
        readme[registration] = (out / "README.md").read_text()
    where = "create the other accounts there (Virtual Hosts" if admin_interface else "create accounts with `ejabberdctl"
    assert where in readme["closed"] and "Registration is closed" not in readme["captcha"]
