"""``--import``: hand-written configs read into answers, kept byte for byte, changed only where asked.

The corpus in tests/data/configs (see its README.md) holds Debian's shipped config,
ejabberd's example config, the configs of both guides and configs written in the
styles people use (macros, a comment on every line, flow style, third-party modules).
Every one is imported, rendered again unchanged (byte-identical), changed in one
answer (only that option's lines change) and run on the ejabberd installed here.
"""

from __future__ import annotations

import copy
import difflib
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import ACCOUNT, write_answers, write_secret
from tests.support.components import require
from tests.support.ejabberd_node import EjabberdNode
from wizard.answers.build import merge
from wizard.answers.catalogue import by_path
from wizard.answers.given import Given
from wizard.cli import main
from wizard.deployment.plan import mask
from wizard.ejabberd_yml.read import import_config
from wizard.machine import Machine

CORPUS = Path(__file__).parent / "data" / "configs"
CONFIG = "config/ejabberd.yml"
UBERSPACE_DB_PASSWORD = "MySuperSecretPassword"  # what the Uberspace guide's config holds
MACHINE = Machine("isabell", "/home/isabell")


@dataclass(frozen=True)
class Case:
    """One corpus file: what the answers file adds, and one answer to change."""

    name: str
    preset: str
    change: dict[str, Any]  # the changed answer
    option: tuple[str, ...]  # the config option it renders
    old: Any
    new: Any
    unmapped: tuple[str, ...]  # what the import reports as kept
    answers: dict[str, Any] = field(default_factory=dict)  # beyond the preset and the account
    unset: tuple[str, ...] = ()  # the answers the report calls the preset's: the file does not set them
    added: tuple[str, ...] = ()  # the lines the first import adds to the file
    # What the first import replaces in the file (the first occurrence of each), and the report's line on each.
    replaced: tuple[tuple[str, str, str], ...] = ()

    @property
    def path(self) -> Path:
        return CORPUS / f"{self.name}.yml"

    def as_imported(self, text: str) -> str:
        """``text`` (the file or a variant of it) as the first import writes it, before any line it adds."""
        for old, new, _ in self.replaced:
            assert old in text
            text = text.replace(old, new, 1)
        return text


EXAMPLE_HOST = {"domains": {"hosts": ["example.test"]}}  # for files that serve 'localhost'
UBERSPACE_DATABASE = {"database": {"password_source": "file", "password_file": "db-password"}}
STUN_LISTENERS = ("  - port: 40137  # STUN over UDP", '    ip: "::"', "    transport: udp", "    module: ejabberd_stun",
                  "    use_turn: false", "  - port: 40137  # STUN over TCP", '    ip: "::"', "    transport: tcp",
                  "    module: ejabberd_stun", "    use_turn: false", "  - port: 40138  # STUN over TLS",
                  '    ip: "::"', "    transport: tcp", "    module: ejabberd_stun", "    tls: true",
                  "    use_turn: false")
# The answers file's domain replaces 'localhost', which the wizard cannot write: a server of example.test.
EXAMPLE_HOST_WRITTEN = ("  - localhost\n", '  - "example.test"\n', "hosts: localhost → example.test, from your answers")
# A shipped file's certificate is localhost's: the domain answered brings the preset's certificates for it.
LOCALHOST_CERTIFICATE = ('  - "/etc/ejabberd/ejabberd.pem"\n',
                         '  - "/etc/letsencrypt/live/example.test/fullchain.pem"\n'
                         '  - "/etc/letsencrypt/live/example.test/privkey.pem"\n',
                         "certfiles: /etc/ejabberd/ejabberd.pem → /etc/letsencrypt/live/example.test/fullchain.pem, "
                         "/etc/letsencrypt/live/examp..., from your answers")
# The listener the web front forwards to (the first ejabberd_http one) speaks plain HTTP, as the front does.
WEB_TLS = ("    module: ejabberd_http\n    tls: true\n", "    module: ejabberd_http\n    tls: false\n",
           "listen.3.tls: true → false, as Caddy forwards to it in plain HTTP (127.0.0.1:5443)")
PRESETS_ANSWERS = ("not set in the file, so these answers are the preset's and ejabberd uses its own defaults "
                   "until you change one")

CASES = [
    Case("debian-12", "arch", {"security": {"loglevel": "debug"}}, ("loglevel",), "info", "debug",
         ("log_rotate_count", "disable_sasl_mechanisms", "acl.admin.user",
          "api_permissions.admin access.who.oauth", "shaper.fast", "modules.mod_muc.default_room_options.mam",
          "modules.mod_pres_counter", "modules.mod_sic"),
         EXAMPLE_HOST,
         ("domains.proxy", "domains.upload", "ports.proxy65", "ports.stuns", "security.password_strength"),
         replaced=(EXAMPLE_HOST_WRITTEN, LOCALHOST_CERTIFICATE, WEB_TLS)),
    Case("upstream-23.01", "arch", {"security": {"show_os": True}}, ("modules", "mod_version", "show_os"), False, True,
         ("api_permissions.admin access.who.oauth", "modules.mod_http_upload.put_url",
          "modules.mod_http_upload.custom_headers"),
         EXAMPLE_HOST, ("ports.stuns", "tls.cert_file", "tls.key_file", "tls.protocol_options", "tls.c2s_ciphers",
                        "tls.s2s_ciphers", "upload.docroot", "upload.file_mode", "upload.dir_mode", "upload.max_size",
                        "upload.thumbnail", "upload.secret_length", "service.admin_user"),
         replaced=(EXAMPLE_HOST_WRITTEN, WEB_TLS)),
    Case("uberspace-guide", "uberspace", {"upload": {"max_size": 209715200}},
         ("modules", "mod_http_upload", "max_size"), 104857600, 209715200,
         ("auth_method", "sql_password"), UBERSPACE_DATABASE, ("database.port",),
         # The guide announces STUN without a listener: the import adds them (and mod_stun_disco's default
         # lifetime, and that the listeners are not announced again by address).
         STUN_LISTENERS + ("    credentials_lifetime: 12h", "    offer_local_services: false")),
    Case("arch-guide", "arch", {"upload": {"quota_max_days": 14}}, ("modules", "mod_http_upload_quota", "max_days"),
         7, 14,
         ("access_rules.register", "modules.mod_http_upload.get_url", "modules.mod_pubsub.ignore_pep_from_offline",
          "modules.mod_pubsub.last_item_cache", "modules.mod_pubsub.plugins"), {},
         ("domains.proxy", "ports.proxy65", "upload.file_mode", "upload.dir_mode", "upload.max_size",
          "upload.thumbnail", "upload.secret_length")),
    Case("macros", "arch", {"tls": {"c2s_ciphers": "ECDHE+AESGCM:!aNULL"}}, ("define_macro", "TLS_CIPHERS"),
         "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5", "ECDHE+AESGCM:!aNULL",
         ("define_macro.LOG_LEVEL", "define_macro.STANZA_LIMIT", "define_macro.ADMINS", "define_macro.UPLOAD_LIMIT",
          "shaper.normal", "shaper.fast"), {},
         ("upload.file_mode", "upload.dir_mode", "upload.secret_length", "security.password_strength")),
    Case("comments", "arch", {"security": {"loglevel": "warning"}}, ("loglevel",), "info", "warning",
         ("shaper.normal", "shaper.fast"), {},
         ("tls.protocol_options", "tls.c2s_ciphers", "tls.s2s_ciphers", "upload.file_mode", "upload.dir_mode",
          "upload.thumbnail")),
    Case("flow", "arch", {"security": {"show_os": True}}, ("modules", "mod_version", "show_os"), False, True, (), {},
         ("upload.secret_length",)),
    Case("external-turn", "arch", {"security": {"loglevel": "warning"}}, ("loglevel",), "info", "warning",
         ("api_permissions.admin access.who.oauth", "modules.mod_http_upload.put_url",
          "modules.mod_http_upload.custom_headers", "modules.mod_stun_disco.secret", "modules.mod_stun_disco.services"),
         {}, ("ports.stuns", "tls.protocol_options", "tls.c2s_ciphers",
              "tls.s2s_ciphers", "upload.docroot", "upload.file_mode", "upload.dir_mode", "upload.max_size",
              "upload.thumbnail", "upload.secret_length", "service.admin_user"),
         replaced=(WEB_TLS,)),
    Case("thirdparty", "arch", {"security": {"loglevel": "debug"}}, ("loglevel",), "info", "debug",
         ("log_rotate_count", "language", "max_fsm_queue", "registration_timeout", "s2s_access", "host_config",
          "listen.3", "acl.bad_servers", "access_rules.s2s", "shaper.normal", "shaper.fast",
          "modules.mod_block_strangers", "modules.mod_default_rooms", "modules.mod_legacy_auth",
          "modules.mod_pres_counter", "modules.mod_sic", "modules.mod_stats", "modules.mod_time"), {},
         ("domains.proxy", "domains.pubsub", "domains.upload", "ports.proxy65", "ports.http", "ports.http_ip",
          "tls.protocol_options", "tls.c2s_ciphers", "tls.s2s_ciphers", "security.password_strength")),
]
IDS = [case.name for case in CASES]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def answers_for(case: Case, *changed: dict[str, Any]) -> dict[str, Any]:
    answers = merge({"preset": case.preset, "install": dict(ACCOUNT)}, case.answers)
    for change in changed:
        answers = merge(answers, change)
    return answers


def out_dir(tmp_path: Path, case: Case, name: str = "deploy") -> Path:
    out = tmp_path / name
    if case.name == "uberspace-guide":
        write_secret(out / "db-password", UBERSPACE_DB_PASSWORD)
    return out


def import_into(tmp_path: Path, case: Case, capsys: pytest.CaptureFixture[str], *changed: dict[str, Any],
                name: str = "deploy") -> tuple[Path, str]:
    """``generate --import`` of the case's file into a new deployment; returns it and what was printed."""
    out = out_dir(tmp_path, case, name)
    path = write_answers(tmp_path / f"{name}-answers.yml", answers_for(case, *changed))
    code, printed, err = run(capsys, "generate", "--out", str(out), "--answers", str(path), "--import", str(case.path),
                             "--yes")
    assert code == 0, err
    return out, printed


def config_diff(printed: str) -> list[str]:
    """The changed lines of config/ejabberd.yml in a diff that ``diff`` printed."""
    start = printed.index(f"+++ b/{CONFIG}")
    end = printed.find("\n--- ", start)
    section = printed[start:end if end > 0 else None]
    return [line for line in section.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def option_line(case: Case) -> str:
    """The line of the corpus file that holds the case's option."""
    node: Any = YAML(typ="rt").load(case.path.read_text())
    for key in case.option[:-1]:
        node = node[key]
    return case.path.read_text().splitlines()[node.lc.key(case.option[-1])[0]]


def scalar(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def with_option(data: dict[str, Any], option: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    node = changed
    for key in option[:-1]:
        node = node[key]
    node[option[-1]] = value
    return changed


# -- the round trip ------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_import_renders_the_file_byte_identical_and_reports_what_it_keeps(
        case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, printed = import_into(tmp_path, case, capsys)
    written = (out / CONFIG).read_text()
    expected = case.as_imported(case.path.read_text())
    if not case.added:
        assert written == expected
    assert _removed_lines(expected, written) == []
    assert _added_lines(expected, written) == list(case.added)
    # The report comes first: one line per kept part, naming the file and line, then the preset's answers.
    report = [line for line in printed.splitlines() if line.startswith(f"# {case.path}")]
    assert printed.splitlines()[:len(report)] == report
    kept = [line for line in report if line.endswith(("kept as it is", "kept as they are"))]
    assert tuple(line.split(": ", 1)[1].split(": ", 1)[0] for line in kept) == case.unmapped
    assert all(line.split(":")[1].isdigit() for line in kept)
    # And one line per option the import changes, at the line of the file it changes.
    changes = [line.split(": ", 1)[1] for line in report if " → " in line]
    assert changes == [said for _, _, said in case.replaced]
    text = case.path.read_text()
    for old, _, said in case.replaced:
        option = said.split(":", 1)[0].rsplit(".", 1)[-1]
        line = 1 + text[:text.rindex(f"{option}:", 0, text.index(old) + len(old))].count("\n")
        assert f"# {case.path}:{line}: {said}" in report
    assert report[-1] == f"# {case.path}: {PRESETS_ANSWERS}: {', '.join(case.unset)}"

    # Nothing left to do: neither with the import again nor from the saved answers.
    answers = write_answers(tmp_path / "same.yml", answers_for(case))
    code, printed, _ = run(capsys, "diff", "--out", str(out), "--answers", str(answers), "--import", str(case.path))
    assert code == 0 and "+++" not in printed
    assert run(capsys, "diff", "--out", str(out))[:2] == (0, "")
    # `diff` shows the same before anything is written: the imported file, as a new file.
    fresh = out_dir(tmp_path, case, "fresh")
    code, printed, _ = run(capsys, "diff", "--out", str(fresh), "--answers", str(answers), "--import", str(case.path))
    assert code == 1
    assert [line[1:] for line in config_diff(printed)] == mask(written, ()).splitlines()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_one_changed_answer_changes_only_the_lines_of_its_option(
        case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = import_into(tmp_path, case, capsys)
    saved = YAML(typ="safe").load((out / "wizard.yml").read_text())
    changed = write_answers(tmp_path / "changed.yml", merge(saved, case.change))
    code, printed, _ = run(capsys, "diff", "--out", str(out), "--answers", str(changed))
    assert code == 1
    old = option_line(case)
    lines = config_diff(printed)
    assert [line for line in lines if line.startswith("-")] == [f"-{old}"]
    added = [line[1:] for line in lines if line.startswith("+")]
    assert len(added) == 1
    # ruamel may move a comment after the value by the difference in its length.
    assert added[0].split() == old.replace(scalar(case.old), scalar(case.new), 1).split()


# -- real ejabberd --------------------------------------------------------------------

THIRD_PARTY_MODULE = """\
%% A stand-in for ejabberd-contrib's mod_default_rooms: its name and option, no function.
-module(mod_default_rooms).
-export([start/2, stop/1, reload/3, depends/2, mod_opt_type/1, mod_options/1, mod_doc/0]).
start(_Host, _Opts) -> ok.
stop(_Host) -> ok.
reload(_Host, _NewOpts, _OldOpts) -> ok.
depends(_Host, _Opts) -> [].
mod_opt_type(rooms) -> econf:list(econf:binary()).
mod_options(_Host) -> [{rooms, []}].
mod_doc() -> #{}.
"""


@pytest.fixture
def node_with_contrib_module() -> Iterator[EjabberdNode]:
    """A node that can load a compiled third-party module (vm.args puts its ebin on the code path)."""
    require("/usr/sbin/ejabberdctl")
    erlc = require("/usr/bin/erlc")
    with EjabberdNode() as node:
        ebin = node.workdir / "contrib" / "ebin"
        ebin.mkdir(parents=True)
        (ebin / "mod_default_rooms.erl").write_text(THIRD_PARTY_MODULE)
        subprocess.run([erlc, "-o", str(ebin), str(ebin / "mod_default_rooms.erl")], check=True, timeout=60,
                       capture_output=True)
        node.conf_dir.mkdir(parents=True)
        (node.conf_dir / "vm.args").write_text(f"-pa {ebin}\n")
        yield node
        node.stop(graceful=False)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_changed_import_keeps_everything_else_and_runs_on_real_ejabberd(
        case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest,
        ejabberd_release: str) -> None:
    out, _ = import_into(tmp_path, case, capsys, case.change)
    written = (out / CONFIG).read_text()
    # Only the option changed, whatever the layout: the rest is what the import writes unchanged.
    original = YAML(typ="safe").load((import_into(tmp_path, case, capsys, name="unchanged")[0] / CONFIG).read_text())
    assert YAML(typ="safe").load(written) == with_option(original, case.option, case.new)
    # The answers are for the release installed here, which the file runs on.
    assert YAML(typ="safe").load((out / "wizard.yml").read_text())["install"]["version"] == ejabberd_release

    assert_runs_on_real_ejabberd(case, written, request)


def assert_runs_on_real_ejabberd(case: Case, config: str, request: pytest.FixtureRequest) -> None:
    if case.name == "thirdparty":
        node = request.getfixturevalue("node_with_contrib_module")
        node.start(node.localize(config))
    elif case.name == "uberspace-guide":
        node = request.getfixturevalue("ejabberd_node")(config, sql=request.getfixturevalue("ejabberd_sql_db"))
    else:
        node = request.getfixturevalue("ejabberd_node")(config)
    assert node.error_lines() == [], node.log_tail()


# Answers that add, remove and change entries and list items: a listener's port, the
# upload module and its request handler go, STUN listeners and mod_stun_disco come.
RESHAPE = {"ports": {"c2s": 15222}, "upload": {"enabled": False}, "compliance": {"stun": True}}
UPLOAD_ENTRIES = ("mod_http_upload", "mod_http_upload_quota")


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_entries_and_items_added_and_removed_leave_every_other_line_as_it_was(
        case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest,
        ejabberd_release: str) -> None:
    out, _ = import_into(tmp_path, case, capsys)
    saved = YAML(typ="safe").load((out / "wizard.yml").read_text())
    before = (out / CONFIG).read_text()
    assert run(capsys, "generate", "--out", str(out), "--answers",
               str(write_answers(tmp_path / "reshaped.yml", merge(saved, RESHAPE))), "--yes")[0] == 0
    after = (out / CONFIG).read_text()

    old_port = saved["ports"]["c2s"]
    upload_lines = _entry_lines(before, "modules", UPLOAD_ENTRIES)
    for number, line in _removed_lines(before, after):
        assert (f"port: {old_port}" in line or "mod_http_upload" in line or number in upload_lines), (number, line)
    config = YAML(typ="safe").load(after)
    assert not set(UPLOAD_ENTRIES) & set(config["modules"]) and "mod_stun_disco" in config["modules"]
    # Every file announcing STUN has its listener now (the Uberspace guide's since the import).
    assert {15222, saved["ports"]["stun"]} <= {item["port"] for item in config["listen"]}
    assert_runs_on_real_ejabberd(case, after, request)


CIPHER_OPTIONS = {"c2s_ciphers": ("ejabberd_c2s", "ECDHE+AESGCM:!aNULL"),
                  "s2s_ciphers": ("ejabberd_s2s_in", "ECDHE+AESGCM:!eNULL")}


def effective(config: dict[str, Any], option: str) -> Any:
    """What ejabberd uses for a cipher option: its first listener's own, else the global option,
    macros expanded (None: ejabberd's default)."""
    config = expanded(config)
    listener = next(item for item in config["listen"] if item.get("module") == CIPHER_OPTIONS[option][0])
    return listener.get("ciphers", config.get(option))


@pytest.mark.parametrize("option", sorted(CIPHER_OPTIONS))
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_changed_answer_takes_effect_whatever_the_files_macros_and_nothing_else_does(
        case: Case, option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Debian shares one macro between client and server ciphers, the Arch guide names its own,
    upstream's example sets none: the answer reaches the option ejabberd uses, and only that one."""
    out, _ = import_into(tmp_path, case, capsys)
    saved = YAML(typ="safe").load((out / "wizard.yml").read_text())
    before = YAML(typ="safe").load((out / CONFIG).read_text())
    new = CIPHER_OPTIONS[option][1]
    changed = write_answers(tmp_path / "changed.yml", merge(saved, {"tls": {option: new}}))
    assert run(capsys, "generate", "--out", str(out), "--answers", str(changed), "--yes")[0] == 0
    after = YAML(typ="safe").load((out / CONFIG).read_text())
    assert effective(after, option) == new
    for other in set(CIPHER_OPTIONS) - {option}:
        assert effective(after, other) == effective(before, other)


def expanded(config: dict[str, Any]) -> dict[str, Any]:
    """The config as ejabberd reads it: every value naming a macro replaced by the macro's value."""
    macros = config.get("define_macro") or {}

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return macros.get(value, value)
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return {key: walk(value) for key, value in config.items() if key != "define_macro"}


def client_listener(config: dict[str, Any]) -> dict[str, Any]:
    return next(item for item in config["listen"] if item.get("module") == "ejabberd_c2s" and not item.get("tls"))


# An answer, a new value, and where ejabberd reads it (listener options win over global ones).
EFFECTS: dict[str, tuple[dict[str, Any], Callable[[Any], Any], Any]] = {
    "protocol_options": ({"tls": {"protocol_options": ["no_sslv3", "no_tlsv1", "no_tlsv1_1", "no_tlsv1_2"]}},
                         lambda config: client_listener(config).get("protocol_options",
                                                                    config.get("c2s_protocol_options")),
                         ["no_sslv3", "no_tlsv1", "no_tlsv1_1", "no_tlsv1_2"]),
    "client-port": ({"ports": {"c2s": 15222}}, lambda config: client_listener(config)["port"], 15222),
    "upload-size": ({"upload": {"max_size": 12345}},
                    lambda config: config["modules"].get("mod_http_upload", {}).get("max_size"), 12345),
    "loglevel": ({"security": {"loglevel": "error"}}, lambda config: config.get("loglevel"), "error"),
    "starttls": ({"tls": {"starttls_required": False}}, lambda config: client_listener(config).get("starttls_required"),
                 False),
    "dhfile": ({"tls": {"dhfile": "/etc/new-dh.pem"}},
               lambda config: client_listener(config).get("dhfile", config.get("c2s_dhfile")), "/etc/new-dh.pem"),
}


@pytest.mark.parametrize("effect", sorted(EFFECTS))
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_changed_answer_reaches_what_ejabberd_reads(case: Case, effect: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    change, read, new = EFFECTS[effect]
    out, _ = import_into(tmp_path, case, capsys)
    saved = YAML(typ="safe").load((out / "wizard.yml").read_text())
    if effect == "upload-size" and not saved["upload"]["enabled"]:
        new = None  # a file without HTTP upload: the size has nowhere to go, and nothing adds the module
    changed = write_answers(tmp_path / "changed.yml", merge(saved, change))
    assert run(capsys, "generate", "--out", str(out), "--answers", str(changed), "--yes")[0] == 0
    assert read(expanded(YAML(typ="safe").load((out / CONFIG).read_text()))) == new


@pytest.mark.slow
def test_a_macro_shared_by_two_options_runs_on_real_ejabberd_once_one_changes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], ejabberd_node: Any, ejabberd_release: str) -> None:
    case = next(case for case in CASES if case.name == "debian-12")
    out, _ = import_into(tmp_path, case, capsys)
    saved = YAML(typ="safe").load((out / "wizard.yml").read_text())
    changed = write_answers(tmp_path / "changed.yml", merge(saved, {"tls": {"c2s_ciphers": "ECDHE+AESGCM:!aNULL"}}))
    code, printed, _ = run(capsys, "diff", "--out", str(out), "--answers", str(changed))
    # The shared macro takes the new value; the other option keeps the old one, written out.
    assert code == 1 and config_diff(printed) == [
        "-  'TLS_CIPHERS': \"HIGH:!aNULL:!eNULL:!3DES:@STRENGTH\"", "+  'TLS_CIPHERS': \"ECDHE+AESGCM:!aNULL\"",
        "-s2s_ciphers: 'TLS_CIPHERS'", "+s2s_ciphers: \"HIGH:!aNULL:!eNULL:!3DES:@STRENGTH\""]
    assert run(capsys, "generate", "--out", str(out), "--answers", str(changed), "--yes")[0] == 0
    node = ejabberd_node((out / CONFIG).read_text())
    assert node.error_lines() == [], node.log_tail()


def _removed_lines(before: str, after: str) -> list[tuple[int, str]]:
    """The lines of ``before`` (0-based numbers) that ``after`` does not keep."""
    old = before.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=after.splitlines(), autojunk=False)
    return [(number, old[number]) for tag, start, end, _, _ in matcher.get_opcodes() if tag in ("delete", "replace")
            for number in range(start, end)]


def _added_lines(before: str, after: str) -> list[str]:
    """The lines of ``after`` that ``before`` does not have."""
    new = after.splitlines()
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=new, autojunk=False)
    return [new[number] for tag, _, _, start, end in matcher.get_opcodes() if tag in ("insert", "replace")
            for number in range(start, end)]


def _entry_lines(text: str, parent: str, keys: tuple[str, ...]) -> set[int]:
    """The lines from each of ``keys`` in the block mapping ``parent`` to the next entry."""
    mapping = YAML(typ="rt").load(text)[parent]
    starts = [mapping.lc.key(key)[0] for key in mapping]
    ends = [*starts[1:], len(text.splitlines())]
    return {line for key, start, end in zip(mapping, starts, ends, strict=True) if key in keys
            for line in range(start, end)}


# -- what is mapped ------------------------------------------------------------------


def imported_answers(name: str, preset: str, **answers: Any) -> dict[str, Any]:
    """The answers the import of a corpus file gives, over the preset, as wizard.yml would hold them."""
    imported = import_config(CORPUS / f"{name}.yml")
    built, _ = imported.answers(None, Given(merge({"preset": preset, "install": dict(ACCOUNT)}, answers)), MACHINE)
    return built.model_dump(mode="json")


def test_the_uberspace_guide_maps_to_the_uberspace_answers() -> None:
    answers = imported_answers("uberspace-guide", "uberspace", **UBERSPACE_DATABASE)
    assert answers["domains"] == {"hosts": ["isabell.example"], "conference": "conference", "proxy": "proxy",
                                  "pubsub": "pubsub", "upload": "xmpp", "ipv4": None, "ipv6": None}
    assert answers["ports"] == {"listen_ip": "::", "c2s": 40132, "c2s_tls": 40133, "s2s": 40134, "s2s_tls": 40135,
                                "proxy65": 40136, "http": 5443, "http_ip": "::", "admin_http": 5280, "stun": 40137,
                                "stuns": 40138, "turn_relay": "43479", "mqtt": 1883}
    assert answers["compliance"]["turn"] is False  # the guide announces STUN only
    tls = answers["tls"]
    assert (tls["cert_file"], tls["key_file"]) == ("/home/isabell/etc/certificates/{name}.crt",
                                                   "/home/isabell/etc/certificates/{name}.key")
    assert tls["acme"] is False and tls["use_macros"] is False and tls["dhfile"] is None
    assert tls["protocol_options"] == ["no_sslv3", "no_tlsv1", "no_tlsv1_1", "cipher_server_preference",
                                       "no_compression"]
    assert tls["c2s_ciphers"].startswith("ECDHE-ECDSA-AES256-GCM-SHA384:") and tls["s2s_use_starttls"] == "required"
    assert answers["database"] == {
        "backend": "mysql", "server": "localhost", "port": 3306, "name": "isabell_ejabberd", "user": "isabell",
        "password_source": "file", "password_file": "db-password", "pool_size": 5, "new_schema": False}
    assert answers["upload"] == {"enabled": True, "path": "/upload", "docroot": "/home/isabell/ejabberd/uploads",
                                 "file_mode": "0640", "dir_mode": "2750", "max_size": 104857600, "thumbnail": False,
                                 "secret_length": 40, "quota_max_days": 14, "cors_origin": None}
    assert answers["compliance"]["abuse_addresses"] == ["mailto:abuse@isabell.example"]
    assert answers["security"] == {
        "hide_sensitive_log_data": True, "admin_interface": True, "show_os": False, "scram": True,
        "loglevel": "warning", "mqtt": False, "registration": "loopback", "password_strength": 0, "captcha_cmd": None}
    assert answers["service"]["admin_user"] == "admin"


def test_registration_from_loopback_is_read_as_it_is_said_to_weaken_and_closed_when_answered(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The Uberspace guide 'closes' registration with upstream's ip_access: trusted_network, which every
    user of a shared host reaches: read as what it is, said in the report, closed by answering closed."""
    from wizard.ejabberd_yml.read import LOOPBACK_REGISTRATION

    case = next(case for case in CASES if case.name == "uberspace-guide")
    out, printed = import_into(tmp_path, case, capsys)
    line = 1 + case.path.read_text().splitlines().index("    ip_access: trusted_network")
    assert f"# {case.path}:{line}: {LOOPBACK_REGISTRATION}" in printed.splitlines()
    assert YAML(typ="safe").load((out / "wizard.yml").read_text())["security"]["registration"] == "loopback"

    out, _ = import_into(tmp_path, case, capsys, {"security": {"registration": "closed"}}, name="closed")
    written = (out / CONFIG).read_text()
    assert YAML(typ="safe").load(written)["modules"]["mod_register"] == {"access": "none"}
    assert _removed_lines(case.path.read_text(), written) == [(line - 1, "    ip_access: trusted_network")]


@pytest.mark.parametrize("registration", ["closed", "loopback", "open"])
def test_each_registration_the_wizard_writes_is_read_back_as_its_answer(tmp_path: Path, registration: str) -> None:
    from wizard.answers.build import build_from
    from wizard.ejabberd_yml.render import render

    answers = build_from(None, Given({"preset": "arch", "install": dict(ACCOUNT),
                                      "domains": {"hosts": ["example.test"]},
                                      "security": {"registration": registration}}), MACHINE)
    written = tmp_path / "ejabberd.yml"
    written.write_text(render(answers, None))
    imported = import_config(written)
    assert imported.given.get("security.registration") == registration
    assert not [note for note in imported.unmapped if note.key.startswith("modules.mod_register")]


def test_the_arch_guide_maps_macros_globs_and_registration() -> None:
    answers = imported_answers("arch-guide", "arch")
    assert answers["domains"]["hosts"] == ["cnjabber.net", "wehack.space"] and answers["domains"]["upload"] == "file"
    tls = answers["tls"]
    # One glob per certbot lineage: {host}, and no separate key file.
    assert (tls["cert_file"], tls["key_file"]) == ("/etc/letsencrypt/live/{host}/*.pem", None)
    assert tls["use_macros"] is True and tls["dhfile"] == "/etc/ejabberd/dhparam.pem"
    assert tls["c2s_ciphers"].startswith("ECDHE+CHACHA20:") and tls["s2s_ciphers"] == "ECDHE+HIGH:DHE+HIGH:!SHA1"
    assert tls["protocol_options"][0] == "no_sslv2" and tls["starttls_required"] is True
    ports = answers["ports"]
    assert (ports["c2s"], ports["c2s_tls"], ports["s2s"], ports["s2s_tls"], ports["http"], ports["http_ip"]) == (
        5222, None, 5269, None, 5444, "127.0.0.1")
    assert answers["security"]["registration"] == "captcha" and answers["security"]["password_strength"] == 32
    assert answers["security"]["admin_interface"] is False and answers["service"]["admin_user"] == "root"
    assert (answers["upload"]["path"], answers["upload"]["quota_max_days"]) == ("/put", 7)
    assert answers["compliance"]["mam"] is True and answers["compliance"]["push"] is False
    assert answers["compliance"]["abuse_addresses"] == []


def test_debians_config_maps_what_it_can_and_needs_a_real_domain() -> None:
    imported = import_config(CORPUS / "debian-12.yml")
    assert imported.given.get("domains.hosts") is None  # 'localhost' is no domain the wizard writes
    assert imported.given.get("tls.cert_file") is None  # localhost's: the domain answered brings its own
    certificate = next(item for item in imported.unmapped if item.key == "certfiles")
    assert "the certificate of localhost" in str(certificate) and "domains.hosts" in certificate.answers
    assert imported.given.get("tls.c2s_ciphers") == "HIGH:!aNULL:!eNULL:!3DES:@STRENGTH"
    assert imported.given.get("tls.use_macros") is True and imported.given.get("security.mqtt") is True
    assert imported.given.get("compliance.mam") is False and imported.given.get("ports.s2s_tls") is None
    hosts = next(item for item in imported.unmapped if item.key == "hosts")
    assert hosts.line == 32 and "'localhost'" in str(hosts)


# -- the command line ----------------------------------------------------------------


def test_answers_file_wins_over_the_import_which_wins_over_the_preset(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    case = next(case for case in CASES if case.name == "comments")
    out, _ = import_into(tmp_path, case, capsys, {"security": {"loglevel": "debug"}})
    saved = YAML(typ="safe").load((out / "wizard.yml").read_text())
    assert saved["security"]["loglevel"] == "debug"  # the answers file
    assert saved["ports"]["http"] == 5443 and saved["ports"]["http_ip"] == "127.0.0.1"  # the import (arch: 5444)
    assert saved["service"]["web_root"] == "/srv/http/xmpp-wellknown"  # the preset
    assert "loglevel: debug" in (out / CONFIG).read_text()


def test_errors_name_the_file_that_gave_the_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    comments = CORPUS / "comments.yml"
    admin_line = 1 + next(n for n, line in enumerate(comments.read_text().splitlines()) if "port: 5280" in line)
    # The answers file takes the port of the imported web admin listener.
    answers = tmp_path / "answers.yml"
    answers.write_text("preset: arch\ninstall:\n  user: isabell\n  home: /home/isabell\nports:\n  c2s: 5280\n")
    code, out, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(answers), "--import",
                         str(comments), "--yes")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{comments}:{admin_line}: ports.admin_http: port 5280 is already used by ports.c2s" in err
    # And the answers file's line, when its answer is the one in the way.
    answers.write_text("preset: arch\ninstall:\n  user: isabell\n  home: /home/isabell\nports:\n  http: 5222\n")
    code, _, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(answers), "--import",
                       str(comments), "--yes")
    assert code == 2 and f"{answers}:6: ports.http: port 5222 is already used by ports.c2s" in err
    assert not (tmp_path / "d").exists()


def test_import_alone_takes_the_live_config_the_preset_knows(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    live = tmp_path / "etc" / "ejabberd"
    live.mkdir(parents=True)
    shutil.copy(CORPUS / "macros.yml", live / "ejabberd.yml")
    answers = write_answers(tmp_path / "answers.yml", {"install": {**ACCOUNT, "config_dir": str(live)}})
    code, _, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--preset", "arch", "--answers", str(answers),
                       "--import", "--yes")
    assert code == 0, err
    assert (tmp_path / "d" / CONFIG).read_bytes() == (live / "ejabberd.yml").read_bytes()
    # Without a preset there is no live config to take.
    code, _, err = run(capsys, "diff", "--out", str(tmp_path / "e"), "--import")
    assert code == 2 and err.count("\n") == 1 and "--import: without a file" in err


def test_the_database_password_stays_in_the_file_and_out_of_the_answers(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    case = next(case for case in CASES if case.name == "uberspace-guide")
    out, printed = import_into(tmp_path, case, capsys)
    assert UBERSPACE_DB_PASSWORD not in printed and UBERSPACE_DB_PASSWORD not in (out / "wizard.yml").read_text()
    assert "sql_password: a secret is never an answer: put the password into database.password_file" in printed
    written = (out / CONFIG).read_text()
    assert _removed_lines(case.path.read_text(), written) == [] and UBERSPACE_DB_PASSWORD in written
    # Another password in the password file is a change of the config, never shown.
    write_secret(out / "db-password", "a-new-password")
    code, printed, _ = run(capsys, "diff", "--out", str(out))
    assert code == 1 and "a-new-password" not in printed and UBERSPACE_DB_PASSWORD not in printed
    assert f"+++ b/{CONFIG}\n# only a secret value changed (not shown)" in printed


def test_yaml_anchors_and_aliases_survive_an_unchanged_round_trip(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    text = (CORPUS / "comments.yml").read_text().replace("  normal: 1000", "  normal: &slow 1000").replace(
        "  fast: 50000", "  fast: *slow")
    assert text.count("&slow") == 1 and text.count("*slow") == 1
    path = tmp_path / "anchors.yml"
    path.write_text(text)
    answers = write_answers(tmp_path / "answers.yml", {"preset": "arch", "install": dict(ACCOUNT)})
    code, _, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(answers), "--import",
                       str(path), "--yes")
    assert code == 0, err
    assert (tmp_path / "d" / CONFIG).read_text() == text


BILLION_LAUGHS = "\n".join(
    ['hosts: ["lol.example"]', 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]"
       for previous, name in zip("abcdefgh", "bcdefghi", strict=True)]
) + "\n"


@pytest.mark.parametrize(("content", "expected"), [
    (b"hosts: [unclosed\nloglevel: info\n", ":2: not valid YAML"),
    (b"- hosts\n- listen\n", ": a list; expected an ejabberd config"),
    (b"", ": empty; expected an ejabberd config"),
    (b"# nothing but a comment\n", ": empty; expected an ejabberd config"),
    (b"hosts:\n  - \"caf\xe9.example\"\n", ":2: byte 15 is not UTF-8"),
    (BILLION_LAUGHS.encode(), ":7: the document grows past 100000 nodes here"),
    (b"a: &a [1, *a]\n", ":1: alias *a refers to a node it is part of"),
    (b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n", ":1: nested more than 64 levels deep"),
    (b"".join(b" " * level + b"k:\n" for level in range(1000)), ":65: nested more than 64 levels deep"),
    (b"hosts: [a.example]\nloglevel: in\x00fo\n", ":2: not valid YAML: unacceptable character #x0000"),
    (b"# " + b"x" * 5 * 1024 * 1024 + b"\n", ": larger than 4 MiB"),
    # ruamel quotes both values of a duplicate key, here 40 kB: the message names the key instead.
    (b"acl:\n  admin: {user: [" + b", ".join([b"someone"] * 5000) + b"]}\n  admin: {user: [x]}\n",
     ":3: not valid YAML: the key 'admin' is there twice in the mapping that starts on line 2\n"),
    (b"hosts: [a.example]\nloglevel: [" + b"x" * 50_000 + b"\n", ":3: not valid YAML: expected ',' or ']'"),
], ids=["not-yaml", "not-a-mapping", "empty", "only-a-comment", "not-utf8", "billion-laughs", "recursive-alias",
        "deep-flow", "deep-block", "nul-byte", "huge", "duplicate-key-of-a-long-value", "long-unclosed-value"])
def test_a_broken_import_exits_2_with_one_line_naming_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str) -> None:
    path = tmp_path / "ejabberd.yml"
    path.write_bytes(content)
    began = time.monotonic()
    code, out, err = run(capsys, "diff", "--out", str(tmp_path / "d"), "--preset", "arch", "--import", str(path))
    # A guard against expanding the file, not a speed target (that is benchmarks/import_size): each case
    # costs about a second of CPU, a billion laughs expanded would take hours; a loaded machine took 8.7 s.
    assert time.monotonic() - began < 60
    assert (code, out) == (2, "") and err.count("\n") == 1, err
    assert f"ejabberd-wizard: {path}{expected}" in err
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("where", ["missing", "directory", "below-a-file"])
def test_an_import_that_cannot_be_read_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
    (tmp_path / "file.yml").write_text("hosts: [a.example]\n")
    (tmp_path / "dir").mkdir()
    path = {"missing": tmp_path / "nothing.yml", "directory": tmp_path / "dir",
            "below-a-file": tmp_path / "file.yml" / "ejabberd.yml"}[where]
    code, out, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--preset", "arch", "--import", str(path),
                         "--yes")
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert err.startswith(f"ejabberd-wizard: {path}: ")
    assert any(reason in err for reason in ("no such file", "is a directory", "cannot read: Not a directory"))


ODD = """\
hosts: ["odd.example"]
loglevel: 4
certfiles:
  - "/etc/ssl/private/odd.example.pem"
  - "/etc/ssl/private/old-server.pem"
  - "/etc/ssl/private/wildcard.pem"
c2s_protocol_options: ["no_sslv3"]
s2s_protocol_options: ["no_sslv3", "no_tlsv1"]
sql_type: pgsql
sql_password: "hunter2"
listen:
  - {port: 5222, module: ejabberd_c2s}
  - {port: 5347, module: ejabberd_service, ip: "127.0.0.1"}
modules:
  mod_register: {access: register_rule}
  mod_http_upload: {put_url: "https://@HOST@:5443/upload", file_mode: 0640}
"""


def test_what_the_model_cannot_say_is_reported_and_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "odd.yml"
    path.write_text(ODD)
    imported = import_config(path)
    reasons = {item.key: item.why for item in imported.unmapped}
    assert reasons.keys() == {"loglevel", "certfiles", "s2s_protocol_options", "sql_type", "sql_password", "listen.1",
                              "modules.mod_register", "modules.mod_http_upload.put_url",
                              "modules.mod_http_upload.file_mode"}
    assert "4 is not a value the wizard can write for security.loglevel" in reasons["loglevel"]
    assert "no pattern of {name}" in reasons["certfiles"] and "differs from c2s_protocol_options" in reasons[
        "s2s_protocol_options"]
    assert "'pgsql': the wizard writes MySQL/MariaDB or Mnesia only" in reasons["sql_type"]
    assert "hunter2" not in " ".join(reasons.values())
    assert all(why.endswith("kept as it is") for why in reasons.values())
    assert [item.line for item in imported.unmapped if item.key == "listen.1"] == [13]
    answers = write_answers(tmp_path / "answers.yml", {"preset": "arch", "install": dict(ACCOUNT)})
    code, _, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(answers), "--import",
                       str(path), "--yes")
    assert code == 0, err
    assert (tmp_path / "d" / CONFIG).read_text() == ODD
    assert "hunter2" not in (tmp_path / "d" / "wizard.yml").read_text()


def test_under_puts_the_answers_file_over_the_import_for_the_front_ends() -> None:
    imported = import_config(CORPUS / "comments.yml")
    given = imported.under(Given({"preset": "arch", "security": {"loglevel": "debug"}}, "answers.yml"))
    assert given.get("security.loglevel") == "debug" and given.get("ports.http") == 5443
    assert given.get("preset") == "arch" and given.source == "answers.yml"


# -- what the file does not set -------------------------------------------------------


def test_the_report_names_the_answers_that_are_the_presets_and_your_own_ones_are_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Upstream's example sets no ciphers: wizard.yml has the preset's, ejabberd its defaults, and the report says so;
    ciphers of the user's own are written at once."""
    case = next(case for case in CASES if case.name == "upstream-23.01")
    out, printed = import_into(tmp_path, case, capsys)
    named = next(line for line in printed.splitlines() if PRESETS_ANSWERS in line).rsplit(": ", 1)[1].split(", ")
    # How the file is written, not what ejabberd does.
    assert "tls.c2s_ciphers" in named and "tls.use_macros" not in named
    assert not [key for key in named if key.startswith(("install.", "service.")) and key != "service.admin_user"]
    saved = YAML(typ="safe").load((out / "wizard.yml").read_text())
    assert saved["tls"]["c2s_ciphers"] and "c2s_ciphers" not in YAML(typ="safe").load((out / CONFIG).read_text())

    own = "ECDHE+AESGCM:!aNULL"
    fresh = out_dir(tmp_path, case, "own")
    answers = write_answers(tmp_path / "own.yml", answers_for(case, {"tls": {"c2s_ciphers": own}}))
    code, printed, _ = run(capsys, "generate", "--out", str(fresh), "--answers", str(answers), "--import",
                           str(case.path), "--yes")
    assert code == 0
    assert YAML(typ="safe").load((fresh / CONFIG).read_text())["c2s_ciphers"] == own
    assert _added_lines(case.as_imported(case.path.read_text()), (fresh / CONFIG).read_text()) == [
        f'c2s_ciphers: "{own}"']
    line = next(line for line in printed.splitlines() if PRESETS_ANSWERS in line)
    assert "tls.c2s_ciphers" not in line and "tls.s2s_ciphers" in line


def test_plain_modes_answers_confirmed_as_shown_are_still_the_presets() -> None:
    """Plain mode sets every answer the user confirms with Enter: the report names the same answers as generate's."""
    from presets import load as load_preset
    from wizard.answers.catalogue import QUESTIONS
    from wizard.answers.draft import Draft

    case = next(case for case in CASES if case.name == "comments")
    imported = import_config(case.path)
    draft = Draft.start(load_preset(case.preset), imported.under(Given(answers_for(case))), MACHINE)
    for question in QUESTIONS:
        if question.applies(draft.values()):
            draft.set(question, draft.value(question))
    report = imported.start(case.preset, Given(draft.given), MACHINE).report
    assert str(report[-1]) == f"{case.path}: {PRESETS_ANSWERS}: {', '.join(case.unset)}"
    # One answer changed in the wizard is the user's: written, so no longer named.
    draft.set(by_path("tls.c2s_ciphers"), "ECDHE+AESGCM:!aNULL")
    report = imported.start(case.preset, Given(draft.given), MACHINE).report
    assert "tls.c2s_ciphers" not in str(report[-1]) and "tls.s2s_ciphers" in str(report[-1])


# A value for each answer ejabberd.yml cannot say (install.version is the installed release, read elsewhere).
OUTSIDE: dict[str, dict[str, Any]] = {
    "install": {"method": "source", "prefix": "/opt/ejabberd", "user": "other", "home": "/home/other",
                "config_dir": "/srv/etc", "ejabberdctl": "/opt/bin/ejabberdctl", "spool_dir": "/srv/spool",
                "log_dir": "/srv/log"},
    "domains": {"ipv4": "192.0.2.1", "ipv6": "2001:db8::1"},
    "database": {"password_source": "file", "password_file": "/srv/db-password"},
    "compliance": {"alternative_connections": False},
    "tls": {"use_macros": True},
    "service": {"manager": "supervisord", "web_server": "uberspace", "unit_path": "/srv/unit.ini",
                "web_root": "/srv/www", "backup_dir": "/srv/backups"},
}


def test_the_answers_the_report_leaves_out_change_nothing_ejabberd_reads() -> None:
    from wizard.answers.build import build_from
    from wizard.ejabberd_yml.macros import plain
    from wizard.ejabberd_yml.read import OUTSIDE_THE_CONFIG
    from wizard.ejabberd_yml.render import document

    assert {f"{section}.{name}" for section, names in OUTSIDE.items() for name in names} == OUTSIDE_THE_CONFIG - {
        "install.version"}
    # The server's addresses reach the file only as the TURN relay's, and are read back from there.
    base = {"preset": "arch", "install": dict(ACCOUNT), "domains": {"hosts": ["example.test"]},
            "database": {"backend": "mysql"}, "tls": {"use_macros": False}, "compliance": {"turn": False}}
    before = document(build_from(None, Given(base), MACHINE), "pw")
    for section, names in OUTSIDE.items():
        for name, value in names.items():
            after = document(build_from(None, Given(merge(base, {section: {name: value}})), MACHINE), "pw")
            assert expanded(plain(after)) == expanded(plain(before)), f"{section}.{name}"


# -- STUN announced without a listener -------------------------------------------------


def test_stun_announced_without_a_listener_gets_them_in_the_diff_and_the_report_says_why(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = next(case for case in CASES if case.name == "uberspace-guide")
    fresh = out_dir(tmp_path, case)
    answers = write_answers(tmp_path / "answers.yml", answers_for(case))
    code, printed, _ = run(capsys, "diff", "--out", str(fresh), "--answers", str(answers), "--import", str(case.path))
    assert code == 1 and "+  - port: 40138  # STUN over TLS" in printed
    services_line = 1 + case.path.read_text().splitlines().index("    services:")
    assert (f"# {case.path}:{services_line}: modules.mod_stun_disco.services: announces STUN on 40137/udp, 40137/tcp, "
            "40138/tcp but no ejabberd_stun listener answers there; the diff adds the listeners compliance.stun: true "
            "stands for (answer compliance.stun: false to remove the announcement instead)") in printed.splitlines()
    # Once written, the STUN answers reach both the listeners and what is announced.
    out, _ = import_into(tmp_path, case, capsys)
    saved = YAML(typ="safe").load((out / "wizard.yml").read_text())
    changed = write_answers(tmp_path / "changed.yml", merge(saved, {"ports": {"stun": 40139}}))
    assert run(capsys, "generate", "--out", str(out), "--answers", str(changed), "--yes")[0] == 0
    config = YAML(typ="safe").load((out / CONFIG).read_text())
    assert [item["port"] for item in config["listen"] if item["module"] == "ejabberd_stun"] == [40139, 40139, 40138]
    assert [item["port"] for item in config["modules"]["mod_stun_disco"]["services"]] == [40139, 40139, 40138]


def test_stun_answered_off_removes_the_announcement_without_a_listener(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    case = next(case for case in CASES if case.name == "uberspace-guide")
    out, printed = import_into(tmp_path, case, capsys, {"compliance": {"stun": False}})
    config = YAML(typ="safe").load((out / CONFIG).read_text())
    assert "mod_stun_disco" not in config["modules"]
    assert not [item for item in config["listen"] if item["module"] == "ejabberd_stun"]
    assert "; with compliance.stun: false the diff removes the announcement" in printed


def test_stun_announced_otherwise_than_the_wizard_writes_is_kept_with_what_to_do(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only the UDP service, and a lifetime of the user's own: the wizard cannot tell which listeners are meant."""
    case = next(case for case in CASES if case.name == "uberspace-guide")
    text = case.path.read_text()
    tcp_and_tls = text.index('      - host: "isabell.example"\n        port: 40137\n        type: stun\n'
                             '        transport: tcp')
    text = text[:tcp_and_tls] + text[text.index("  mod_vcard:"):]
    text = text.replace("  mod_stun_disco:\n", "  mod_stun_disco:\n    credentials_lifetime: 1h\n")
    path = tmp_path / "stun-udp.yml"
    path.write_text(text)
    out = out_dir(tmp_path, case)
    answers = write_answers(tmp_path / "answers.yml", answers_for(case))
    code, printed, err = run(capsys, "generate", "--out", str(out), "--answers", str(answers), "--import", str(path),
                             "--yes")
    assert code == 0, err
    assert (out / CONFIG).read_text() == text
    warning = next(line for line in printed.splitlines() if "mod_stun_disco.services" in line)
    assert warning.endswith("announces STUN on 40137/udp but no ejabberd_stun listener answers there; kept as it is: "
                            "add an ejabberd_stun listener on each port, or leave out services so that mod_stun_disco "
                            "announces the listeners there are")


# -- STUN and TURN of other hosts -------------------------------------------------------

EXTERNAL = next(case for case in CASES if case.name == "external-turn")
TURN_HOST = "turn.example.net"
OWN_UDP_LISTENER = ('  -\n    port: 3478\n    ip: "::"\n    transport: udp\n    module: ejabberd_stun\n'
                    "    ## TURN is coturn's, on turn.example.net (see mod_stun_disco).\n    use_turn: false\n")


def own_stun_service(port: int, transport: str, kind: str) -> str:
    return (f'      - host: "example.net"\n        port: {port}\n        transport: {transport}\n        type: {kind}\n'
            "        restricted: false\n")


def own_stun_listener(port: int, tls: bool) -> str:
    lines = ["  -", f"    port: {port}", '    ip: "::"', "    transport: tcp", *(["    tls: true"] if tls else []),
             "    module: ejabberd_stun", "    use_turn: false"]
    return "\n".join(lines) + "\n"


# The corpus file announces only the TURN server elsewhere (ejabberd announces its own UDP
# listener by itself); "mixed" lists ejabberd's own services after it, as the wizard writes
# them, with their listeners; "tls-only" only its own STUN over TLS.
STUN_VARIANTS = {
    "other-host-only": ((), ()),
    "mixed": ((own_stun_service(3478, "udp", "stun"), own_stun_service(3478, "tcp", "stun"),
               own_stun_service(5349, "tcp", "stuns")),
              (own_stun_listener(3478, False), own_stun_listener(5349, True))),
    "tls-only": ((own_stun_service(5349, "tcp", "stuns"),), (own_stun_listener(5349, True),)),
}


def stun_variant(tmp_path: Path, name: str) -> Path:
    """The corpus file with ejabberd's own STUN services and listeners of ``name`` added."""
    services, listeners = STUN_VARIANTS[name]
    text = EXTERNAL.path.read_text()
    last_service, mqtt = "        restricted: true\n  mod_vcard:", "  -\n    port: 1883\n"
    assert text.count(last_service) == 1 and text.count(mqtt) == 1
    text = text.replace(last_service, "        restricted: true\n" + "".join(services) + "  mod_vcard:")
    text = text.replace(mqtt, "".join(listeners) + mqtt)
    path = tmp_path / f"{name}.yml"
    path.write_text(text)
    return path


def services_of(config: dict[str, Any], *, other_hosts: bool) -> list[dict[str, Any]]:
    services = config["modules"]["mod_stun_disco"]["services"]
    return [service for service in services if (service["host"] == TURN_HOST) == other_hosts]


def test_services_of_other_hosts_give_no_stun_answer_and_are_reported_as_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The TURN server elsewhere announces STUN on 80 and 443: neither is a port of this ejabberd."""
    lines = EXTERNAL.path.read_text().splitlines()
    first = 1 + lines.index(f"        host: {TURN_HOST}")
    imported = import_config(EXTERNAL.path)
    assert imported.given.get("ports.stun") == 3478  # ejabberd's own listener
    assert imported.given.get("ports.stuns") is None  # no own STUN over TLS: the preset's, as the report says
    out, printed = import_into(tmp_path, EXTERNAL, capsys)
    assert (out / CONFIG).read_text() == EXTERNAL.as_imported(EXTERNAL.path.read_text())
    assert (f"# {EXTERNAL.path}:{first}: modules.mod_stun_disco.services: {TURN_HOST} 80/udp stun, 80/udp turn, "
            "80/tcp turn, 443/tcp stuns, 443/tcp turns: not a host of this file, so taken to be another server's: "
            "no answer takes their ports, a changed STUN answer leaves them alone, and compliance.stun: false removes "
            "them with mod_stun_disco; kept as they are") in printed.splitlines()
    saved = YAML(typ="safe").load((out / "wizard.yml").read_text())
    assert (saved["ports"]["stun"], saved["ports"]["stuns"]) == (3478, 5349)

    # Without ejabberd's own listener, nothing in the file says a STUN port: both are the preset's.
    text = EXTERNAL.path.read_text()
    assert text.count(OWN_UDP_LISTENER) == 1
    path = tmp_path / "no-listener.yml"
    path.write_text(text.replace(OWN_UDP_LISTENER, ""))
    answers = write_answers(tmp_path / "answers.yml", answers_for(EXTERNAL))
    code, printed, err = run(capsys, "generate", "--out", str(tmp_path / "no-listener"), "--answers", str(answers),
                             "--import", str(path), "--yes")
    assert code == 0, err
    assert (tmp_path / "no-listener" / CONFIG).read_text() == EXTERNAL.as_imported(path.read_text())
    saved = YAML(typ="safe").load((tmp_path / "no-listener" / "wizard.yml").read_text())
    assert (saved["ports"]["stun"], saved["ports"]["stuns"]) == (3478, 5349)
    named = next(line for line in printed.splitlines() if PRESETS_ANSWERS in line).rsplit(": ", 1)[1].split(", ")
    assert {"ports.stun", "ports.stuns"} <= set(named)
    assert sum("modules.mod_stun_disco.services" in line for line in printed.splitlines()) == 1


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(STUN_VARIANTS))
def test_a_changed_stun_port_changes_the_servers_own_stun_and_keeps_the_other_hosts(
        variant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest,
        ejabberd_release: str) -> None:
    path = stun_variant(tmp_path, variant)
    answers = write_answers(tmp_path / "answers.yml", answers_for(EXTERNAL))
    out = tmp_path / "deploy"
    code, _, err = run(capsys, "generate", "--out", str(out), "--answers", str(answers), "--import", str(path), "--yes")
    assert code == 0, err
    before = (out / CONFIG).read_text()
    assert before == EXTERNAL.as_imported(path.read_text())
    saved = YAML(typ="safe").load((out / "wizard.yml").read_text())
    assert (saved["ports"]["stun"], saved["ports"]["stuns"]) == (3478, 5349)
    changed = write_answers(tmp_path / "changed.yml",
                            merge(saved, {"ports": {"stun": 3479}, "compliance": {"stun": True}}))
    assert run(capsys, "generate", "--out", str(out), "--answers", str(changed), "--yes")[0] == 0
    after = (out / CONFIG).read_text()

    # Only the port lines of ejabberd's own STUN change: each listener and service of it over UDP or TCP.
    own = len(STUN_VARIANTS[variant][0]) - sum("stuns" in service for service in STUN_VARIANTS[variant][0])
    listeners = 1 + sum("tls: true" not in listener for listener in STUN_VARIANTS[variant][1])
    assert [line.strip() for _, line in _removed_lines(before, after)] == ["port: 3478"] * (listeners + own)
    assert [line.strip() for line in _added_lines(before, after)] == ["port: 3479"] * (listeners + own)
    config, original = YAML(typ="safe").load(after), YAML(typ="safe").load(before)
    assert services_of(config, other_hosts=True) == services_of(original, other_hosts=True)
    assert [(item["port"], item.get("tls", False))
            for item in config["listen"] if item["module"] == "ejabberd_stun"] == \
        [(3479, False)] * listeners + [(5349, True)] * (len(STUN_VARIANTS[variant][1]) + 1 - listeners)
    assert {(item["type"], item["port"]) for item in services_of(config, other_hosts=False)} <= {("stun", 3479),
                                                                                                 ("stuns", 5349)}
    assert_runs_on_real_ejabberd(EXTERNAL, after, request)


def test_own_stun_announced_without_a_listener_next_to_another_hosts_is_kept_with_what_to_do(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Adding the listeners would rewrite services whole (the wizard's base has no mod_stun_disco
    then), which would drop the other host's: the file is kept and the report says what to do."""
    text = stun_variant(tmp_path, "mixed").read_text()
    text = text.replace(OWN_UDP_LISTENER, "").replace("".join(STUN_VARIANTS["mixed"][1]), "")
    assert "ejabberd_stun" not in text
    path = tmp_path / "unserved.yml"
    path.write_text(text)
    answers = write_answers(tmp_path / "answers.yml", answers_for(EXTERNAL))
    code, printed, err = run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(answers), "--import",
                             str(path), "--yes")
    assert code == 0, err
    assert (tmp_path / "d" / CONFIG).read_text() == EXTERNAL.as_imported(text)
    lines = [line for line in printed.splitlines() if "modules.mod_stun_disco.services" in line]
    assert len(lines) == 2
    assert lines[0].endswith(f"{TURN_HOST} 80/udp stun, 80/udp turn, 80/tcp turn, 443/tcp stuns, 443/tcp turns: not a "
                             "host of this file, so taken to be another server's: no answer takes their ports, a "
                             "changed STUN answer leaves them alone, and compliance.stun: false removes them with "
                             "mod_stun_disco; kept as they are")
    assert lines[1].endswith("announces STUN on 3478/udp, 3478/tcp, 5349/tcp but no ejabberd_stun listener answers "
                             "there; kept as it is: add an ejabberd_stun listener on each port, "
                             "or leave out this server's services so that mod_stun_disco announces the listeners "
                             "there are")


def test_stun_answered_off_removes_the_other_hosts_services_with_mod_stun_disco_as_the_report_says(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, printed = import_into(tmp_path, EXTERNAL, capsys, {"compliance": {"stun": False}})
    assert "compliance.stun: false removes them with mod_stun_disco; kept as they are" in printed
    written = (out / CONFIG).read_text()
    config = YAML(typ="safe").load(written)
    assert "mod_stun_disco" not in config["modules"]
    assert not [item for item in config["listen"] if item["module"] == "ejabberd_stun"]
    # In the diff, every line of them.
    hosts = [(number, line) for number, line in enumerate(EXTERNAL.path.read_text().splitlines())
             if f"host: {TURN_HOST}" in line]
    assert len(hosts) == 5 and set(hosts) <= set(_removed_lines(EXTERNAL.path.read_text(), written))
