"""Importing a rendered config gives back the answers it was rendered from, for every answer the config says.

Over generated answers (each preset, a sample of the release table, the switches and values the
config expresses), the config the wizard writes is imported again: every answer the import reads
equals the one rendered, and every answer the config says is read. What the config does not say
is named in ``NOT_SAID`` with the reason, so that a new answer is either read back or listed there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.answers_helpers import ACCOUNT
from wizard.answers.build import build_from, merge
from wizard.answers.catalogue import by_path
from wizard.answers.given import Given
from wizard.answers.model import Answers
from wizard.certificates import certfiles
from wizard.ejabberd_yml.parts import ABSENT, answer_at
from wizard.ejabberd_yml.read import Imported, import_config
from wizard.ejabberd_yml.render import render
from wizard.ejabberd_yml.start import CONFIG_ANSWERS
from wizard.errors import InputError
from wizard.machine import Machine
from wizard.releases import VERSIONS

PRESETS = ("uberspace", "arch", "debian")
MACHINE = Machine(login="isabell", home_dir="/home/isabell")  # nothing installed, no platform recognised

# Answers the config does not say, with why (each only where it applies; see ``_not_said``).
NOT_SAID = {
    # ejabberd has no option for the address of the relay when TURN is off: the answer reaches only the DNS records.
    "domains.ipv4": lambda a: not (a.compliance.stun and a.compliance.turn),
    "domains.ipv6": lambda a: not (a.compliance.stun and a.compliance.turn) or a.domains.ipv4 is None,
    # The admin listener is written only with the admin interface, MQTT's only with MQTT.
    "ports.admin_http": lambda a: not a.security.admin_interface,
    "ports.mqtt": lambda a: not a.security.mqtt,
    # The STUN listeners are written only with STUN, the relay range only with TURN too.
    "ports.stun": lambda a: not a.compliance.stun,
    "ports.stuns": lambda a: not a.compliance.stun,
    "ports.turn_relay": lambda a: not (a.compliance.stun and a.compliance.turn),
    "compliance.turn": lambda a: not a.compliance.stun,
    # Without upload, its subdomain is only in certfiles (and the CAPTCHA's address), which say no label.
    "domains.upload": lambda a: not a.upload.enabled,
    # ... and so is an upload label of one's own: the certificates' pattern cannot be told (see _may_be_kept).
    "tls.cert_file": lambda a: _label_unsaid(a),
    "tls.key_file": lambda a: _label_unsaid(a),
    # The CAPTCHA program is written only with registration behind a CAPTCHA.
    "security.captcha_cmd": lambda a: a.security.registration != "captcha",
}

CERTIFICATES = ("tls.cert_file", "tls.key_file")

hosts = st.lists(st.sampled_from(["example.test", "chat.example.org", "xmpp.example.net"]), min_size=1,
                 max_size=2, unique=True)
addresses = st.lists(st.sampled_from(["mailto:abuse@example.test", "xmpp:admin@example.test",
                                      "https://example.test/support"]), max_size=2, unique=True)
sizes = st.integers(min_value=1, max_value=10**9)


@st.composite
def answer_sets(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    preset = draw(st.sampled_from(PRESETS))
    backend = draw(st.sampled_from(["mnesia", "mysql"]))
    stun = draw(st.booleans())
    registration = draw(st.sampled_from(["closed", "loopback", "open", "captcha"]))
    answers: dict[str, Any] = {
        "preset": preset,
        "install": {**ACCOUNT, "version": draw(st.sampled_from(VERSIONS))},
        "domains": {"hosts": draw(hosts), "conference": draw(st.sampled_from(["conference", "muc"])),
                    "upload": draw(st.sampled_from(["upload", "files"])),
                    "ipv4": draw(st.sampled_from([None, "192.0.2.10"])),
                    "ipv6": draw(st.sampled_from([None, "2001:db8::10"]))},
        "ports": {"c2s_tls": draw(st.sampled_from([None, 5223])), "s2s_tls": draw(st.sampled_from([None, 5270])),
                  "listen_ip": draw(st.sampled_from(["::", "0.0.0.0"]))},
        "tls": {"acme": draw(st.booleans()), "starttls_required": draw(st.booleans()),
                "s2s_use_starttls": draw(st.sampled_from(["optional", "required"])),
                "use_macros": draw(st.booleans()),
                "dhfile": draw(st.sampled_from([None, "/etc/ejabberd/dhparam.pem"])),
                "c2s_ciphers": draw(st.sampled_from(["ECDHE+AESGCM:ECDHE+CHACHA20", "HIGH:!aNULL"]))},
        "upload": {"enabled": draw(st.booleans()), "max_size": draw(sizes), "thumbnail": draw(st.booleans()),
                   "quota_max_days": draw(st.sampled_from([None, 7, 30])),
                   "cors_origin": draw(st.sampled_from([None, "https://web.example.test"]))},
        "database": {"backend": backend, "pool_size": draw(st.integers(1, 100)), "new_schema": draw(st.booleans())},
        "compliance": {"abuse_addresses": draw(addresses), "support_addresses": draw(addresses),
                       "mam": draw(st.booleans()), "push": draw(st.booleans()), "carbons": draw(st.booleans()),
                       "stream_management": draw(st.booleans()), "client_state_indication": draw(st.booleans()),
                       "stun": stun, "turn": draw(st.booleans())},
        "security": {"registration": registration, "scram": draw(st.booleans()),
                     "hide_sensitive_log_data": draw(st.booleans()), "show_os": draw(st.booleans()),
                     "mqtt": draw(st.booleans()), "admin_interface": draw(st.booleans()),
                     "loglevel": draw(st.sampled_from(["warning", "info", "error"])),
                     "password_strength": draw(st.sampled_from([0, 32, 64]))},
    }
    if registration == "captcha":
        answers = merge(answers, {"security": {"captcha_cmd": "/usr/share/ejabberd/captcha.sh"}})
    return preset, answers


def _built(preset: str, values: dict[str, Any]) -> Answers | None:
    try:
        return build_from(preset, Given(values=values), MACHINE)
    except InputError:
        return None  # answers that do not hold together (a port shared, say): no config to render


def _may_be_kept(answers: Answers, key: str) -> bool:
    """The parts of a rendered config that stay as they are on import."""
    if key == "sql_password":
        return True  # a secret is never an answer
    return key == "certfiles" and _label_unsaid(answers)


def _label_unsaid(answers: Answers) -> bool:
    """Without upload, an upload label of one's own is in the certificates' names alone: their pattern
    cannot be told (the default label, "upload", is assumed, and read back)."""
    return not answers.upload.enabled and answers.domains.upload != "upload"


def _with(answers: Answers, imported: Imported) -> Answers:
    tls = {name: imported.given.values["tls"][name] for name in ("cert_file", "key_file")
           if name in imported.given.values["tls"]}
    return answers.model_copy(update={"tls": answers.tls.model_copy(update=tls)})


def _not_said(answers: Answers, key: str) -> bool:
    """Whether the config for ``answers`` does not say the answer ``key``: it does not apply, or is listed above."""
    if not by_path(key).applies(answers.model_dump(mode="json")):
        return True
    return key in NOT_SAID and NOT_SAID[key](answers)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=answer_sets())
def test_importing_a_rendered_config_gives_back_every_answer_it_says(case: tuple[str, dict[str, Any]],
                                                                     tmp_path: Path) -> None:
    preset, values = case
    answers = _built(preset, values)
    if answers is None:
        return
    path = tmp_path / "ejabberd.yml"
    path.write_text(render(answers, "a-password"), encoding="utf-8")
    imported = import_config(path)
    assert [str(note) for note in imported.unmapped if not _may_be_kept(answers, note.key)] == []
    rendered = answers.model_dump(mode="json")
    read_back = imported.given.values
    for key in CONFIG_ANSWERS:
        got = answer_at(read_back, key)
        if key in CERTIFICATES and got is not ABSENT:
            # One domain: a path template and the path it gives are the same file; compared as files.
            assert certfiles(_with(answers, imported)) == certfiles(answers), key
        elif got is ABSENT:
            said = answer_at(rendered, key)
            assert _not_said(answers, key), f"{key}: said by the config ({said!r}) but not read back"
        else:
            assert got == answer_at(rendered, key), f"{key}: rendered {answer_at(rendered, key)!r}, read back {got!r}"
