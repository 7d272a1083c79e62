"""``--import`` with answers: an answer given wins over the imported file, for every answer.

Debian's shipped /etc/ejabberd/ejabberd.yml (tests/data/configs/debian-12.yml, from the
ejabberd 23.01 package, unchanged) serves ``hosts: [localhost]``, which the wizard cannot
write, and has its web listener on 5443 with ``tls: true``. With ``domains.hosts`` answered,
every generated file serves the answered domain, the config included; without it nothing is
written and the one line says which line of the file holds what, and why; the listener the
web front forwards to speaks plain HTTP, as the front does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import ACCOUNT, write_answers
from wizard.answers.build import merge
from wizard.answers.given import Given
from wizard.cli import main
from wizard.ejabberd_yml.read import import_config
from wizard.machine import Machine

CORPUS = Path(__file__).parent / "data" / "configs"
DEBIAN = CORPUS / "debian-12.yml"
CONFIG = "config/ejabberd.yml"
MACHINE = Machine("isabell", "/home/isabell")
HOST = "example.test"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def line_of(path: Path, text: str) -> int:
    """The 1-based line of ``path`` that is ``text``, stripped."""
    return 1 + [line.strip() for line in path.read_text().splitlines()].index(text)


def generate(tmp_path: Path, capsys: pytest.CaptureFixture[str], imported: Path, *changes: dict[str, Any],
             name: str = "deploy") -> tuple[Path, str]:
    """``generate --import`` into a new deployment ``name``, with the arch preset's answers and ``changes``."""
    answers: dict[str, Any] = {"preset": "arch", "install": dict(ACCOUNT)}
    for change in changes:
        answers = merge(answers, change)
    out = tmp_path / name
    code, printed, err = run(capsys, "generate", "--out", str(out), "--answers",
                             str(write_answers(tmp_path / "answers.yml", answers)), "--import", str(imported), "--yes")
    assert code == 0, err
    return out, printed


def config_of(out: Path) -> dict[str, Any]:
    return YAML(typ="safe").load((out / CONFIG).read_text())


# -- the domain ------------------------------------------------------------------------


def test_the_answered_domain_is_the_configs_as_it_is_every_other_files(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out, printed = generate(tmp_path, capsys, DEBIAN, {"domains": {"hosts": [HOST]}})
    assert config_of(out)["hosts"] == [HOST]
    assert YAML(typ="safe").load((out / "wizard.yml").read_text())["domains"]["hosts"] == [HOST]
    assert f"{HOST}." in (out / "dns" / "records.zone").read_text()
    assert f"file.{HOST} {{" in (out / "web" / "Caddyfile").read_text()
    # Said once, at the file's line, in the report's one wording for a change; no longer called kept.
    hosts = line_of(DEBIAN, "hosts:")
    assert f"# {DEBIAN}:{hosts}: hosts: localhost → {HOST}, from your answers" in printed.splitlines()
    assert not [line for line in printed.splitlines() if "hosts:" in line and "kept as it is" in line]
    # Only that line of the domain changes.
    assert [line for line in (out / CONFIG).read_text().splitlines() if "localhost" in line] == \
        [line for line in DEBIAN.read_text().splitlines() if "localhost" in line and line.lstrip().startswith("#")]


def test_without_the_domain_the_one_line_says_which_value_of_the_file_cannot_be_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = write_answers(tmp_path / "answers.yml", {"preset": "arch", "install": dict(ACCOUNT)})
    for command in (["generate", "--yes"], ["diff"]):
        code, out, err = run(capsys, *command, "--out", str(tmp_path / "d"), "--answers", str(answers), "--import",
                             str(DEBIAN))
        assert (code, out) == (2, "") and err.count("\n") == 1, err
        assert err.startswith(f"ejabberd-wizard: {DEBIAN}:{line_of(DEBIAN, 'hosts:')}: hosts: ['localhost'] is not a "
                              "value the wizard can write for domains.hosts ('localhost' is not a valid domain name")
        assert err.rstrip().endswith("; answer domains.hosts to replace it") and "missing" not in err
        assert not (tmp_path / "d").exists()


# -- every answer ----------------------------------------------------------------------

ODD = """\
hosts: ["odd.example"]
loglevel: 4
certfiles:
  - "/etc/ssl/private/odd.example.pem"
  - "/etc/ssl/private/old-server.pem"
auth_password_format: sha256
listen:
  - {port: 5222, module: ejabberd_c2s}
  - {port: 5443, module: ejabberd_http, ip: "127.0.0.1", request_handlers: {/ws: ejabberd_http_ws}}
modules:
  mod_register: {access: register_rule}
"""

# An answer for a part of ODD that the wizard cannot read, what the config then says, and the report's line.
UNREADABLE: dict[str, tuple[dict[str, Any], tuple[str, ...], Any, str]] = {
    "loglevel": ({"security": {"loglevel": "warning"}}, ("loglevel",), "warning",
                 "loglevel: 4 → warning, from your answers"),
    "certfiles": ({"tls": {"cert_file": "/etc/ssl/{host}.crt", "key_file": "/etc/ssl/{host}.key"}}, ("certfiles",),
                  ["/etc/ssl/odd.example.crt", "/etc/ssl/odd.example.key"],
                  "certfiles: /etc/ssl/private/odd.example.pem, /etc/ssl/private/old-server.pem → "
                  "/etc/ssl/odd.example.crt, /etc/ssl/odd.example.key, from your answers"),
    "password-format": ({"security": {"scram": True}}, ("auth_password_format",), "scram",
                        "auth_password_format: sha256 → scram, from your answers"),
    "registration": ({"security": {"registration": "closed"}}, ("modules", "mod_register", "access"), "none",
                     "modules.mod_register.access: register_rule → none, from your answers"),
}


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_an_answer_wins_over_a_part_of_the_file_the_wizard_cannot_read(
        name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    change, option, value, said = UNREADABLE[name]
    path = tmp_path / "odd.yml"
    path.write_text(ODD)
    out, printed = generate(tmp_path, capsys, path, change)
    node: Any = config_of(out)
    for key in option:
        node = node[key]
    assert node == value
    assert any(line.startswith(f"# {path}:") and line.endswith(said) for line in printed.splitlines()), printed
    # Everything else of the file stays as it is.
    changed = {line for line in (out / CONFIG).read_text().splitlines()} - set(ODD.splitlines())
    assert len(changed) <= 3, changed


def test_an_answer_that_changes_what_the_file_says_is_named_too(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    comments = CORPUS / "comments.yml"
    out, printed = generate(tmp_path, capsys, comments, {"security": {"loglevel": "debug"}})
    assert config_of(out)["loglevel"] == "debug"
    line = next(n for n, text in enumerate(comments.read_text().splitlines(), 1) if text.startswith("loglevel:"))
    assert f"# {comments}:{line}: loglevel: info → debug, from your answers" in printed.splitlines()


def test_the_wizards_answers_reach_the_config_as_the_answers_files_do(tmp_path: Path) -> None:
    """The TUI and plain mode give their answers to ``Imported.start`` as one layer, as propose() does."""
    from wizard.answers.build import build_from
    from wizard.deployment.proposal import proposal_for

    imported = import_config(DEBIAN)
    given = imported.under(Given({"preset": "arch", "install": dict(ACCOUNT), "domains": {"hosts": [HOST]}}))
    start = imported.start("arch", given, MACHINE)
    assert f"hosts: localhost → {HOST}, from your answers" in [line.text for line in start.report]
    proposal = proposal_for(build_from("arch", given, MACHINE), tmp_path / "out", start=start)
    config = next(change for change in proposal.changes if change.path == CONFIG)
    assert YAML(typ="safe").load(config.planned.content)["hosts"] == [HOST]


# -- the web front ---------------------------------------------------------------------


def web_listener(config: dict[str, Any]) -> dict[str, Any]:
    return next(item for item in config["listen"] if item.get("module") == "ejabberd_http"
                and "/ws" in (item.get("request_handlers") or {}))


def test_the_listener_the_web_front_forwards_to_speaks_plain_http_as_the_front_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Debian's 5443 listener has tls: true; Caddy forwards to it in plain HTTP, which a TLS listener refuses."""
    out, printed = generate(tmp_path, capsys, DEBIAN, {"domains": {"hosts": [HOST]}})
    listener = web_listener(config_of(out))
    assert (listener["port"], listener["ip"], listener.get("tls", False)) == (5443, "::", False)
    assert "\treverse_proxy 127.0.0.1:5443\n" in (out / "web" / "Caddyfile").read_text()
    tls = 1 + DEBIAN.read_text().splitlines().index("    tls: true", line_of(DEBIAN, "port: 5443"))
    assert (f"# {DEBIAN}:{tls}: listen.3.tls: true → false, as Caddy forwards to it in plain HTTP "
            "(127.0.0.1:5443)") in printed.splitlines()
    # The admin listener on 5280 is no listener of the front's: it keeps its TLS.
    admin = next(item for item in config_of(out)["listen"] if item["port"] == 5280)
    assert admin["tls"] is True


def test_a_web_listener_the_front_cannot_reach_is_named_with_what_to_change(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ODD.replace('ip: "127.0.0.1", request_handlers', 'ip: "10.0.0.5", request_handlers')
    path = tmp_path / "elsewhere.yml"
    path.write_text(text)
    out, printed = generate(tmp_path, capsys, path)
    line = next(line for line in printed.splitlines() if "listen.1:" in line)
    assert line == (f"# {path}:9: listen.1: Caddy forwards to 127.0.0.1:5443 in plain HTTP, but this listener is on "
                    '10.0.0.5:5443; answer ports.http_ip to have it written there, or change it to ip: "127.0.0.1"')
    # Answered, the listener is written where the front forwards to.
    out, printed = generate(tmp_path, capsys, path, {"ports": {"http_ip": "127.0.0.1"}}, name="answered")
    listener = web_listener(config_of(out))
    assert (listener["ip"], listener["port"]) == ("127.0.0.1", 5443)
    assert not [line for line in printed.splitlines() if "listen.1:" in line and "forwards to" in line]


def test_a_file_without_a_web_listener_is_told_where_the_front_forwards_to(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    thirdparty = CORPUS / "thirdparty.yml"
    _, printed = generate(tmp_path, capsys, thirdparty)
    assert (f"# {thirdparty}:{line_of(thirdparty, 'listen:')}: listen: no ejabberd_http listener with mod_bosh, "
            "ejabberd_http_ws or mod_http_upload, where Caddy forwards upload, WebSocket and BOSH (127.0.0.1:5444); "
            'add one there (port: 5444, ip: "127.0.0.1", tls: false)') in printed.splitlines()
