"""Fuzzing with hypothesis: the answers loader and the renderers, judged by the programs that read their output.

- The loader (answers file bytes, YAML-ish text, and well-formed documents of random shape) either
  gives answers that every renderer renders, or an ``InputError`` of one line: nothing else.
- The renderers, fed valid answers full of hostile characters (quotes, ``$(...)``, backticks, ``;``,
  backslashes, C1 controls, Unicode line separators, international domains):
  - every script passes ``sh -n`` in dash (Debian's sh) and in bash (Arch's sh), and so do the
    commands of README.md;
  - a script's body is the same text whatever the answers: an answer enters only its one quoted
    assignment, which the shell reads back as exactly the answer;
  - config/ejabberd.yml re-parses with libyaml (what ejabberd reads it with) to the same values,
    the database password included, and wizard.yml to the same answers;
  - the supervisord program, the Caddyfile (``caddy adapt``), the DNS zone and the host-meta files
    parse back to the same paths and names.
- The ejabberd.yml importer (``--import``) reads any config-like text into answers, or refuses it
  in one line. Its mapping of options is not judged here (it arrived while this was written).
- Not fuzzed: the systemd unit (no parser for ExecStart outside a running systemd; its quoting is
  tested by example).
  atheris is not used: the inputs are structured, which hypothesis generates and shrinks better,
  and a coverage-guided native fuzzer would need a separate long-running job to pay off.

Characters the validators refuse (C0 and C1 controls, line separators) are not generated where
answers are built to be valid; known bugs are left out of the strategies and pinned by strict xfail
tests instead (tests/test_bad_inputs.py), so the fuzzing stays deterministic in what it can find:
anything it finds is new.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import dns.rdatatype
import dns.zone
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from supervisor.options import ServerOptions

import presets
from tests.answers_helpers import defaults
from tests.support.components import free_port, require
from tests.support.slow import starting
from wizard.answers import validators
from wizard.answers.build import build, build_from, dump, plain_copy
from wizard.answers.given import Given, read_answers_file
from wizard.answers.model import Answers
from wizard.certificates import certfiles, pairs
from wizard.deployment.render import deployment
from wizard.ejabberd_yml.read import import_config
from wizard.errors import InputError
from wizard.files.service import supervisord_ini
from wizard.files.web import caddyfile
from wizard.secrets import Secrets

FUZZ = settings(max_examples=int(os.environ.get("EJABBERD_WIZARD_FUZZ_EXAMPLES", "30")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], database=None)
SCRIPT_SHELLS = (("dash", "-n"), ("bash", "--posix", "-n"))

# -- strategies ------------------------------------------------------------------------------------

# What str.splitlines() splits at: a password ends at the first of them (its file's first line).
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# Everything a validated path or free text may hold: no C0 controls, no DEL, no lone surrogates
# (an answers file is UTF-8, which cannot carry them).
# (C1 controls and the Unicode line separators are refused by the validators: see test_bad_inputs.)
CONTROLS = "".join(map(chr, range(32))) + "".join(map(chr, range(0x7f, 0xa0))) + "\u2028\u2029"
free_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters=CONTROLS), min_size=1, max_size=12)
hostile = st.sampled_from(["'", '"', "$(id)", "`id`", ";", "&", "|", " ", "\\", "*", "?", "~", "#", "%", "$HOME",
                           "!", "{", "}", "{$HOME}", "{path}", "é", "中", "--", "-n", "\u202e"])
text_bits = st.lists(st.one_of(free_text, hostile), min_size=1, max_size=5).map("".join)
paths = text_bits.map(lambda text: "/" + text)


@st.composite
def certificate_paths(draw: st.DrawFn) -> tuple[str, str | None]:
    """A certificate and key path template for the same names ({name}/{host}; other braces are format syntax)."""
    base = "/" + draw(text_bits.filter(lambda t: "{" not in t and "}" not in t))
    placeholder = draw(st.sampled_from(["{name}", "{host}", "combined"]))
    if placeholder == "combined":
        return base + ".pem", None
    key = draw(st.sampled_from([None, f"{base}/{placeholder}/privkey.pem"]))
    return f"{base}/{placeholder}/fullchain.pem", key


IDN_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789-äöüßéçñøåæœłşαβγδжзийклмнопрст中文日本"


@st.composite
def domains(draw: st.DrawFn) -> str:
    labels = draw(st.lists(st.text(IDN_LETTERS, min_size=1, max_size=10), min_size=1, max_size=3))
    name = ".".join([*labels, draw(st.sampled_from(["example", "test", "org", "xn--p1ai"]))])
    try:
        return validators.domain(name)
    except ValueError:
        assume(False)
        raise


passwords = st.text(st.characters(exclude_categories=["Cs"], exclude_characters=LINE_BREAKS), min_size=1, max_size=24)


@st.composite
def hostile_answers(draw: st.DrawFn) -> dict[str, Any]:
    """Valid answers of any preset, every free-text answer full of hostile characters."""
    preset = draw(st.sampled_from(presets.names()))
    hosts = draw(st.lists(domains(), min_size=1, max_size=2, unique=True))
    mysql = draw(st.booleans())
    registration = draw(st.sampled_from(["closed", "loopback", "captcha", "open"]))
    cert_file, key_file = draw(certificate_paths())
    answers = defaults(preset, hosts[0])
    answers.update({
        "install": {"user": draw(st.from_regex(r"[a-z_][a-z0-9_.-]{0,8}", fullmatch=True)), "home": draw(paths),
                    "prefix": draw(paths), "config_dir": draw(paths), "ejabberdctl": draw(paths),
                    "spool_dir": draw(paths), "log_dir": draw(paths)},
        "domains": {"hosts": hosts},
        "tls": {"cert_file": cert_file, "key_file": key_file,
                "dhfile": draw(st.none() | paths), "c2s_ciphers": draw(text_bits), "s2s_ciphers": draw(text_bits),
                "protocol_options": draw(st.lists(text_bits, min_size=1, max_size=3)),
                "use_macros": draw(st.booleans())},
        "upload": {"enabled": draw(st.booleans()), "docroot": draw(paths),
                   "path": draw(st.from_regex(r"/[A-Za-z0-9._~/-]{0,10}", fullmatch=True))},
        "database": {"backend": "mysql" if mysql else "mnesia", "password_source": "file",
                     "password_file": draw(text_bits),
                     "name": draw(st.from_regex(r"[A-Za-z0-9_]{1,12}", fullmatch=True)),
                     "user": draw(st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True)),
                     "server": draw(st.from_regex(r"[A-Za-z0-9.:_-]{1,12}", fullmatch=True))},
        "security": {"registration": registration,
                     "captcha_cmd": draw(paths) if registration == "captcha" else None},
        "service": {"unit_path": draw(paths), "web_root": draw(paths), "backup_dir": draw(paths),
                    "admin_user": draw(st.from_regex(r"[a-z_][a-z0-9_.-]{0,8}", fullmatch=True))},
        "compliance": {"abuse_addresses": [f"mailto:abuse@{hosts[0]}", f"xmpp:{hosts[0]}"],
                       "alternative_connections": draw(st.booleans()), "stun": draw(st.booleans())},
    })
    return answers


# -- the loader ------------------------------------------------------------------------------------

YAML_BITS = st.sampled_from([
    "preset: arch\n", "domains:\n", "  hosts: [", "example.test", "]\n", "ports: {c2s: ", "5222", "}\n", "tls:\n",
    "  starttls_required: ", "true", "no", "null", "~", "- ", ": ", ", ", "'", '"', "\t", "  ", "\n", "{", "}", "[",
    "]", "#", "&x ", "*x", "!!python/object:os.system ", "!!binary ", "? ", "---\n", "...\n", "%YAML 1.2\n", "0x1F",
    "1e400", "-1", "  c2s: ", "install: ", "security:\n", "  registration: open\n", "\ufeff", "é", "\U0001F600",
])
yaml_like_text = st.lists(st.one_of(YAML_BITS, st.text(st.characters(exclude_categories=["Cs"]), max_size=6)),
                          max_size=30).map("".join)

FIELD_NAMES = ["version", "preset", "install", "domains", "ports", "tls", "upload", "database", "compliance",
               "security", "service", "hosts", "c2s", "s2s", "user", "home", "backend", "cert_file", "enabled"]
leaves = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | free_text
          | st.sampled_from(["arch", "uberspace", "example.test", "/srv", "mysql", "5222"]))
documents = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(FIELD_NAMES) | free_text, children, max_size=5),
    max_leaves=25,
)


def load_and_render(path: Path, preset: str | None) -> None:
    """The loader's contract: answers that render, or one clean line of InputError."""
    try:
        answers = build_from(preset, read_answers_file(path))
    except InputError as error:
        message = str(error)
        assert message and "\n" not in message and "Traceback" not in message, message
        return
    plan = deployment(answers, Secrets(database_password="pw"))
    assert "config/ejabberd.yml" in plan.files


@FUZZ
@given(content=st.binary(max_size=400))
def test_loader_takes_any_bytes_without_crashing(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "answers.yml"
        path.write_bytes(content)
        try:
            build_from("arch", read_answers_file(path))
        except InputError:
            pass  # a NUL byte makes a two-line message: tests/test_bad_inputs.py, nul-byte


@FUZZ
@given(text=yaml_like_text.filter(lambda t: not any(c in t for c in "\x00|>")))
def test_loader_on_yaml_like_text(text: str) -> None:
    # Control characters and block scalars (multi-line values) are left out: the known two-line
    # messages they cause are pinned in tests/test_bad_inputs.py.
    assume(not any(ord(c) < 32 and c not in "\t\n" or 0x7f <= ord(c) <= 0x9f or 0xfffe <= ord(c) <= 0xffff
                   for c in text))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "answers.yml"
        path.write_text(text, encoding="utf-8")
        load_and_render(path, "arch")


@FUZZ
@given(document=documents, preset=st.sampled_from([None, *presets.names()]))
def test_loader_on_documents_of_any_shape(document: Any, preset: str | None) -> None:
    base = defaults(preset or "arch")
    if isinstance(document, dict):
        base.update(document)  # random sections over valid ones: the model must sort them out
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "answers.yml"
        with path.open("w", encoding="utf-8") as stream:
            YAML().dump(base if isinstance(document, dict) else document, stream)
        load_and_render(path, preset)


CONFIG_BITS = st.sampled_from([
    "hosts:\n", "  - example.test\n", "listen:\n", "  -\n", "    port: 5222\n", "    module: ejabberd_c2s\n",
    "    ip: \"::\"\n", "modules:\n", "  mod_muc: {}\n", "  mod_http_upload:\n", "    docroot: /srv\n",
    "sql_type: mysql\n", "sql_password: pw\n", "certfiles: [/etc/{name}.pem]\n", "define_macro:\n", "  A: 1\n",
    "host_config:\n", "  example.test:\n", "acl: {}\n", "&x ", "*x", "{", "}", "[", "]", ": ", "- ", "\n", "  ",
])


@FUZZ
@given(text=st.lists(st.one_of(CONFIG_BITS, free_text), max_size=25).map("".join))
def test_importer_reads_any_config_text_or_refuses_it_in_one_line(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ejabberd.yml"
        path.write_text(text, encoding="utf-8")
        try:
            import_config(path)
        except InputError as error:
            assert str(error) and "\n" not in str(error), str(error)


@FUZZ
@given(value=st.text(max_size=40), validator=st.sampled_from([
    validators.domain, validators.dns_label, validators.absolute_path, validators.safe_text, validators.username,
    validators.contact_uri, validators.ip_address, validators.ejabberd_version, validators.cors_origin]))
def test_validators_take_or_refuse_any_text_in_one_line(value: str, validator: Any) -> None:
    try:
        taken = validator(value)
    except ValueError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert isinstance(taken, str)
    assert validator in (validators.contact_uri, validators.ip_address) or not any(c in taken for c in "\n\r\x00")


# -- the renderers ---------------------------------------------------------------------------------


def _split_script(text: str) -> tuple[list[str], str]:
    """The assignment lines at the top of a script, and everything else."""
    lines = text.split("\n")
    start = 5  # shebang, purpose, notice, set -eu, blank: constant (see wizard.files.scripts.script)
    end = lines.index("", start)
    return lines[start:end], "\n".join(lines[:start] + lines[end:])


def _shell_values(scripts: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """What sh makes of each script's assignments: one sh for all, each script in a subshell."""
    program = []
    for assignments in scripts.values():
        names = [line.split("=", 1)[0] for line in assignments]
        program.append("(" + "\n".join(assignments) + "\n" + "".join(f'printf "%s\\0" "${n}"\n' for n in names) + ")")
        program.append("printf '\\1'")
    result = subprocess.run(["sh", "-c", "\n".join(program)], capture_output=True, timeout=30, check=True)
    chunks = result.stdout.decode("utf-8", "surrogateescape").split("\1")
    values = {}
    # Not strict: the output ends with a separator, so there is one (empty) chunk more than
    # scripts, and each chunk one (empty) value more than names.
    for (name, assignments), chunk in zip(scripts.items(), chunks, strict=False):
        names = [line.split("=", 1)[0] for line in assignments]
        values[name] = dict(zip(names, chunk.split("\0"), strict=False))
    return values


def _syntax_errors(files: dict[str, str], directory: Path) -> list[str]:
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    errors = []
    for shell in SCRIPT_SHELLS:
        program = f'for f; do {" ".join(shell)} "$f" || echo "FAILED $f"; done'
        result = subprocess.run([shell[0], "-c", program, "sh", *(str(directory / name) for name in files)],
                                check=False, capture_output=True, text=True, timeout=60)
        errors += [f"{shell[0]}: {line}" for line in (result.stdout + result.stderr).splitlines()]
    return errors


def _expanded(document: dict[str, Any]) -> dict[str, Any]:
    macros = document.pop("define_macro", {}) or {}
    return {key: macros.get(value, value) if isinstance(value, str) else value for key, value in document.items()}


@pytest.fixture(scope="module")
def baseline_bodies() -> dict[tuple[str, bool, str, bool], str]:
    """The script bodies of plain answers, by (preset, mysql, file, upload): what every render must keep."""
    bodies = {}
    for preset in presets.names():
        for mysql in (False, True):
            for upload in (False, True):
                answers = build_from(None, Given(defaults(preset, database={"backend": "mysql" if mysql else "mnesia"},
                                                          upload={"enabled": upload})))
                for path, planned in deployment(answers, Secrets("pw")).files.items():
                    if path.startswith("scripts/"):
                        bodies[(preset, mysql, path, upload)] = _split_script(planned.content)[1]
    return bodies


@FUZZ
@given(raw=hostile_answers(), password=passwords)
def test_renderers_quote_every_answer_and_emit_what_parses_back(
        raw: dict[str, Any], password: str, baseline_bodies: dict[tuple[str, bool, str, bool], str]) -> None:
    try:
        answers = build(presets.load(raw["preset"]), Given(raw))
    except InputError as error:
        # Two services on one port, a path too odd for a pattern: answers that are not valid, skipped.
        assume(False)
        raise AssertionError from error
    plan = deployment(answers, Secrets(database_password=password))
    files = {path: planned.content for path, planned in plan.files.items()}
    mysql = answers.database.backend == "mysql"
    scripts = {path.split("/", 1)[1]: text for path, text in files.items() if path.startswith("scripts/")}

    with tempfile.TemporaryDirectory() as directory:
        readme_commands = "\n".join(block.split("```", 1)[0] for block in files["README.md"].split("```sh\n")[1:])
        assert _syntax_errors({**scripts, "README-commands.sh": readme_commands}, Path(directory)) == []

    # Each script: the constant body of its kind, and assignments sh reads back as Python wrote them.
    assignments = {}
    for name, text in scripts.items():
        lines, body = _split_script(text)
        assert body == baseline_bodies[(answers.preset, mysql, f"scripts/{name}", answers.upload.enabled)], name
        assignments[name] = lines
    values = _shell_values(assignments)
    for name, lines in assignments.items():
        for line in lines:
            variable, quoted = line.split("=", 1)
            assert values[name][variable] == shlex.split(quoted)[0], (name, line)
    install = answers.install
    assert {k: values["deploy.sh"][k]
            for k in ("ejabberdctl", "config_dir", "spool_dir", "log_dir", "unit_path", "web_root")} \
        == {"ejabberdctl": install.ejabberdctl, "config_dir": install.config_dir, "spool_dir": install.spool_dir,
            "log_dir": install.log_dir, "unit_path": answers.service.unit_path, "web_root": answers.service.web_root}
    assert values["backup.sh"]["backup_dir"] == answers.service.backup_dir

    # config/ejabberd.yml, as libyaml reads it.
    config = _expanded(YAML(typ="safe").load(files["config/ejabberd.yml"]))
    assert config["hosts"] == answers.domains.hosts and config["certfiles"] == certfiles(answers)
    assert (config["c2s_ciphers"], config["s2s_ciphers"]) == (answers.tls.c2s_ciphers, answers.tls.s2s_ciphers)
    assert config["c2s_protocol_options"] == answers.tls.protocol_options
    if mysql:
        assert (config["sql_password"], config["sql_server"], config["sql_database"], config["sql_username"]) == \
            (password, answers.database.server, answers.database.name, answers.database.user)
    if answers.upload.enabled:
        assert config["modules"]["mod_http_upload"]["docroot"] == answers.upload.docroot
    if answers.security.captcha_cmd:
        assert config["captcha_cmd"] == answers.security.captcha_cmd

    # wizard.yml: the same answers again.
    with tempfile.TemporaryDirectory() as directory:
        saved = Path(directory) / "wizard.yml"
        saved.write_text(dump(answers), encoding="utf-8")
        assert build_from(None, read_answers_file(saved)) == answers

    _service_parses_back(files, answers)
    _caddyfile_parses_back(files, answers)
    _dns_and_host_meta_parse_back(files, answers)


def _supervisord_command(ini_text: str) -> list[str]:
    """The command supervisord runs for the program of ``ini_text``, as words."""
    with tempfile.TemporaryDirectory() as directory:
        ini = Path(directory) / "ejabberd.ini"
        ini.write_text(ini_text, encoding="utf-8")
        main_conf = Path(directory) / "supervisord.conf"
        main_conf.write_text(f"[supervisord]\n[include]\nfiles = {ini}\n")
        options = ServerOptions()
        options.configfile = str(main_conf)
        options.process_config(do_usage=False)
        return shlex.split(options.process_group_configs[0].process_configs[0].command)


def _foreground(answers: Answers) -> list[str]:
    install = answers.install
    return [install.ejabberdctl, "--config-dir", install.config_dir, "--spool", install.spool_dir,
            "--logs", install.log_dir, "foreground"]


def _service_parses_back(files: dict[str, str], answers: Answers) -> None:
    if "service/ejabberd.ini" in files:
        assert _supervisord_command(files["service/ejabberd.ini"]) == _foreground(answers)


def _caddy_adapt(caddyfile: str) -> dict[str, Any]:
    """Caddy's own reading of a Caddyfile: its JSON config."""
    caddy = require("caddy")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "Caddyfile"
        path.write_text(caddyfile, encoding="utf-8")
        adapted = subprocess.run([caddy, "adapt", "--config", str(path), "--adapter", "caddyfile"], check=False,
                                 capture_output=True, text=True, timeout=60,
                                 env={"HOME": directory, "PATH": "/usr/bin:/bin"})
    assert adapted.returncode == 0, adapted.stderr
    return json.loads(adapted.stdout)


def _caddy_runtime(value: str) -> str:
    """What Caddy's replacer (replacer.go) makes of a value without placeholders: an escaped brace is the brace.

    Checked against a running Caddy by test_caddy_serves_the_web_root_as_written.
    """
    return re.sub(r"\\([{}])", r"\1", value) if "{" in value else value


def _caddyfile_parses_back(files: dict[str, str], answers: Answers) -> None:
    if "web/Caddyfile" not in files:
        return
    config = _caddy_adapt(files["web/Caddyfile"])
    loaded = config["apps"]["tls"]["certificates"]["load_files"] if "tls" in config["apps"] else []
    served = {answers.domains.subdomains(host)["upload"] for host in answers.domains.hosts}
    if answers.compliance.alternative_connections:
        served |= set(answers.domains.hosts)  # their .well-known/host-meta
    expected = {(pair.cert, pair.key) for pair in pairs(answers) if pair.name in served and pair.key}
    assert expected <= {(item["certificate"], item["key"]) for item in loaded}
    roots = [_caddy_runtime(node["root"]) for node in _walk(config) if node.get("handler") == "vars"]
    if answers.compliance.alternative_connections:
        assert roots == [answers.service.web_root] * len(answers.domains.hosts)


def _dns_and_host_meta_parse_back(files: dict[str, str], answers: Answers) -> None:
    zone = dns.zone.from_text(files["dns/records.zone"], origin=".", relativize=False, check_origin=False)
    targets = {str(rdata.target) for name, node in zone.nodes.items() for rdataset in node.rdatasets
               if rdataset.rdtype == dns.rdatatype.SRV for rdata in rdataset}
    assert targets == {validators.to_ascii(answers.domains.main) + "."}
    if answers.compliance.alternative_connections:
        links = {link.get("href") for link in ET.fromstring(files["web/.well-known/host-meta"])}
        assert links == {link["href"] for link in json.loads(files["web/.well-known/host-meta.json"])["links"]}


def _walk_handlers(config: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [node for node in _walk(config) if node.get("handler") == kind]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["back\\slash", "{$HOME}", "{path}/{host}", "{env.HOME}", "{x", "a}b", "\\{y\\}z",
                                  "{$HOME:x}\\", "{$:{$}", "tick`s \"q\" #c", "$HOME"])
def test_caddy_serves_the_web_root_as_written(name: str, tmp_path: Path) -> None:
    # Caddy reads the Caddyfile ({$VAR}, quotes, shorthands such as {path}) and then expands
    # the root on every request ({placeholders}, escaped braces): a running Caddy judges both.
    web_root = tmp_path / "site" / name
    (web_root / ".well-known").mkdir(parents=True)
    (web_root / ".well-known" / "host-meta").write_text(f"served from {name}", encoding="utf-8")
    answers = build_from(None, Given(defaults("arch", service={"web_root": str(web_root)})))
    [root] = _walk_handlers(_caddy_adapt(caddyfile(answers)), "vars")
    port = free_port()
    config = {"admin": {"disabled": True}, "apps": {"http": {"servers": {"web": {
        "listen": [f"127.0.0.1:{port}"], "automatic_https": {"disable": True},
        "routes": [{"handle": [root, {"handler": "file_server"}]}]}}}}}
    (tmp_path / "caddy.json").write_text(json.dumps(config), encoding="utf-8")
    starting("a real Caddy")
    with subprocess.Popen([require("caddy"), "run", "--config", str(tmp_path / "caddy.json")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}) as caddy:
        try:
            assert _http_get(f"http://127.0.0.1:{port}/.well-known/host-meta", caddy) == f"served from {name}"
        finally:
            caddy.terminate()


def _http_get(url: str, server: subprocess.Popen, timeout: float = 15.0) -> str:
    """The body at ``url`` once ``server`` answers; a 404 (the wrong directory) is an answer too."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return f"HTTP {error.code}"
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize("log_dir", ["/srv/logs ;old", "/srv/logs #2", "/srv/a\u00a0;b\u3000#c ' ;d"])
def test_supervisord_runs_the_command_as_written(log_dir: str) -> None:
    answers = build_from(None, Given(defaults("uberspace", install={"log_dir": log_dir},
                                              database={"backend": "mnesia"})))
    assert _supervisord_command(supervisord_ini(answers)) == _foreground(answers)


@pytest.mark.parametrize("web_root", ["/srv/a\x85b", "/srv/a\u2028b", "/srv/a\u2029b", "/srv/a\x85", "/srv/a\rb"])
def test_wizard_yml_keeps_a_value_with_a_next_line_character(web_root: str, tmp_path: Path) -> None:
    # YAML reads these as line breaks. The validators refuse them, so answers never hold one
    # (model_copy skips validation here); the file must still say what the answers said, and
    # a re-run then refuses the value in one line instead of taking a changed one.
    valid = build_from(None, Given(defaults("arch")))
    answers = valid.model_copy(update={"service": valid.service.model_copy(update={"web_root": web_root})})
    saved = tmp_path / "wizard.yml"
    saved.write_text(dump(answers), encoding="utf-8")
    assert plain_copy(read_answers_file(saved).values) == answers.model_dump(mode="json")
    with pytest.raises(InputError, match=r"wizard\.yml:\d+: service\.web_root: .* control character"):
        build_from(None, read_answers_file(saved))


def _walk(node: Any) -> list[dict[str, Any]]:
    """Every mapping in a JSON document."""
    if isinstance(node, dict):
        return [node, *(item for value in node.values() for item in _walk(value))]
    if isinstance(node, list):
        return [item for value in node for item in _walk(value)]
    return []
