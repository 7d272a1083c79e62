"""Hostile inputs of issue 20, beside tests/test_bad_inputs.py: the same contract (one line naming
the file, field or line and what is expected, exit 2, no traceback, nothing written) for inputs
that used to be taken, hang, or end in a traceback.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.answers_helpers import defaults, snapshot, write_answers
from tests.test_bad_inputs import HOST, Case, Rejection, run, yaml_text

# -- answers that broke a generated file, or were taken when they must not be ----------------

LONG_HOST = ".".join(["a" * 60] * 3) + ".example"  # 190 characters: fine alone, too long for an SRV name

ANSWERS_CASES = [
    # Control characters in any text answer (a header, a line, a C string of a generated file)
    Case("crlf-in-cors-origin", {"upload": {"enabled": True,
                                            "cors_origin": "https://a.example\r\nSet-Cookie: injected=1"}},
         ("upload.cors_origin", "control character")),
    Case("nul-in-cors-origin", {"upload": {"enabled": True, "cors_origin": "https://a.example\x00"}},
         ("upload.cors_origin", "control character")),
    Case("lf-in-cipher", {"tls": {"c2s_ciphers": "HIGH\nEVIL"}}, ("tls.c2s_ciphers", "control character")),
    Case("lf-in-version", {"install": {"version": "26.07\n"}}, ("install.version", "control character")),
    Case("lf-in-mode", {"upload": {"file_mode": "0640\n"}}, ("upload.file_mode", "control character")),
    Case("cr-in-contact", {"compliance": {"abuse_addresses": ["mailto:a@example.test\r"]}},
         ("compliance.abuse_addresses", "control character")),
    # Paths a systemd unit cannot hold (arch: systemd)
    Case("quote-in-ejabberdctl", {"install": {"ejabberdctl": '/usr/bin/ejabber"ctl'}},
         ("install.ejabberdctl", "systemd unit cannot hold '\"'")),
    Case("backslash-in-ejabberdctl", {"install": {"ejabberdctl": "/usr/bin/ejabber\\ctl"}},
         ("install.ejabberdctl", "systemd unit cannot hold")),
    Case("apostrophe-in-log-dir", {"install": {"log_dir": "/var/log/it's"}},
         ("install.log_dir", "systemd unit cannot hold \"'\"")),
    Case("apostrophe-in-spool-dir", {"install": {"spool_dir": "/var/lib/o'brien"}}, ("install.spool_dir", "systemd")),
    Case("apostrophe-in-config-dir", {"install": {"config_dir": "/etc/o'brien"}}, ("install.config_dir", "systemd")),
    # Colliding names
    Case("duplicate-host", {"domains": {"hosts": [HOST, HOST]}}, ("domains.hosts.1", "is also domains.hosts.0")),
    Case("host-is-a-service-of-another", {"domains": {"hosts": [HOST, f"conference.{HOST}"]}},
         ("domains.hosts.1", "is also the conference subdomain")),
    Case("one-label-two-roles", {"domains": {"conference": "x", "proxy": "x"}},
         ("domains.proxy", "already the label of domains.conference")),
    Case("idn-and-its-punycode", {"domains": {"hosts": ["bücher.example", "xn--bcher-kva.example"]}},
         ("domains.hosts.1", "is also domains.hosts.0")),
    # What the zone file cannot hold
    Case("names-too-long-for-dns", {"domains": {"hosts": [LONG_HOST + "a" * 50]}},
         ("domains.hosts.0", "too long for DNS")),
    Case("ipv6-as-ipv4", {"domains": {"ipv4": "::1"}}, ("domains.ipv4", "is an IPv6 address")),
    Case("ipv4-as-ipv6", {"domains": {"ipv6": "192.0.2.1"}}, ("domains.ipv6", "is an IPv4 address")),
    Case("zone-index", {"domains": {"ipv6": "fe80::1%eth0"}}, ("domains.ipv6", "zone index")),
    # The upload taking another handler's path
    Case("upload-on-bosh", {"upload": {"enabled": True, "path": "/bosh"}}, ("upload.path", "BOSH")),
    Case("upload-on-ws", {"upload": {"enabled": True, "path": "/ws/"}}, ("upload.path", "WebSocket")),
    Case("upload-on-root", {"upload": {"enabled": True, "path": "/"}}, ("upload.path", "a path of its own")),
    Case("upload-on-captcha", {"upload": {"enabled": True, "path": "/captcha"},
                               "security": {"registration": "captcha", "captcha_cmd": "/usr/bin/captcha.sh"}},
         ("upload.path", "CAPTCHA")),
    # Booleans for numbers
    Case("true-max-size", {"upload": {"enabled": True, "max_size": True}}, ("upload.max_size", "valid integer")),
    Case("true-quota", {"upload": {"enabled": True, "quota_max_days": True}},
         ("upload.quota_max_days", "valid integer")),
    Case("true-strength", {"security": {"password_strength": True}}, ("security.password_strength", "valid integer")),
    Case("true-pool", {"database": {"pool_size": True}}, ("database.pool_size", "valid integer")),
    # Other values
    Case("month-13", {"install": {"version": "23.13"}}, ("install.version", "the month from 01 to 12")),
    Case("contact-port-99999", {"compliance": {"abuse_addresses": ["https://example.org:99999/abuse"]}},
         ("compliance.abuse_addresses.0", "port")),
    Case("contact-bad-host", {"compliance": {"abuse_addresses": ["https://-x-/abuse"]}},
         ("compliance.abuse_addresses.0", "is not a host name")),
    Case("origin-bad-port", {"upload": {"enabled": True, "cors_origin": "https://a.example:70000"}},
         ("upload.cors_origin", "not an origin")),
]

UBERSPACE_CASES = [
    Case("uberspace-c2s-80", {"ports": {"c2s": 80}}, ("ports.c2s", "port 80 is privileged")),
    Case("uberspace-http-443", {"ports": {"http": 443}}, ("ports.http", "port 443 is privileged")),
]


def _params(cases: list[Case]) -> list[Any]:
    return [pytest.param(case, id=case.id) for case in cases]


def _refused(case: Case, preset: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Rejection:
    bad = tmp_path / "answers.yml"
    if isinstance(case.content, bytes):
        bad.write_bytes(case.content)
    else:
        write_answers(bad, defaults(preset, HOST, **case.content))
    out = tmp_path / "deploy"
    rejection = run(capsys, "generate", "--out", str(out), "--answers", str(bad), "--yes")
    rejection.check(*case.expected, f"{bad}:")
    assert not out.exists()
    return rejection


@pytest.mark.parametrize("case", _params(ANSWERS_CASES))
def test_answers_that_would_break_a_generated_file(case: Case, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _refused(case, "arch", tmp_path, capsys)


@pytest.mark.parametrize("case", _params(UBERSPACE_CASES))
def test_ports_uberspace_cannot_open(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(case, "uberspace", tmp_path, capsys)


def test_a_quote_in_a_path_is_still_taken_where_it_can_be_quoted(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Uberspace's supervisord quotes like a shell: the systemd limits do not apply there."""
    answers = write_answers(tmp_path / "a.yml", defaults("uberspace", HOST, install={"log_dir": "/var/log/it's"}))
    assert run(capsys, "generate", "--out", str(tmp_path / "d"), "--answers", str(answers), "--dry-run").code == 0


def test_the_raw_yaml_line_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = Case("cors-crlf-raw", yaml_text('upload: {enabled: true, cors_origin: "https://a.example\\r\\nX: 1"}\n'),
                ("answers.yml:4: upload.cors_origin",))
    _refused(case, "arch", tmp_path, capsys)


__all__ = ["os", "snapshot", "stat"]
