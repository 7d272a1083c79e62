"""DNS checks against real name servers on loopback: nsd serving zones built from the
deployment's own dns/records.zone, with one thing broken per domain; a server that never
answers; and an in-process server that shows the lookups run concurrently."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.answers_helpers import defaults, write_answers
from tests.support.dns_server import DelayingServer, NsdServer, SilentServer, zones_from_records
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.answers.model import Answers
from wizard.checks import Finding, Nameserver, Severity, run_checks
from wizard.checks.dns import planned_queries
from wizard.cli import main
from wizard.errors import InputError
from wizard.files import dns_zone

ADDRESSES = {"ipv4": "192.0.2.10", "ipv6": "2001:db8::10"}


def answers_dict(host: str, **overrides: Any) -> dict[str, Any]:
    # Uberspace: non-standard ports, so the SRV records are required.
    return defaults("uberspace", host, domains={"hosts": [host], **ADDRESSES}, **overrides)


def answers_for(host: str) -> Answers:
    return build_from(None, Given(answers_dict(host)))


def zone_for(host: str) -> str:
    return zones_from_records(dns_zone.render(answers_for(host)))[host]


def without(pattern: str) -> Callable[[str], str]:
    return lambda zone: "".join(line for line in zone.splitlines(keepends=True) if not re.search(pattern, line))


def replacing(pattern: str, replacement: str) -> Callable[[str], str]:
    return lambda zone: re.sub(pattern, replacement, zone, flags=re.MULTILINE)


# One domain per case, each served by the same nsd.
BROKEN: dict[str, Callable[[str], str]] = {
    "allright.test": lambda zone: zone,
    "srvmissing.test": without(r"^_xmpp-client\._tcp "),
    "nodata.test": replacing(r"^_xmpp-client\._tcp .*$", '_xmpp-client._tcp IN TXT "not an SRV record"'),
    "srvport.test": replacing(r"^(_xmpp-client\._tcp .*) 40222 ", r"\1 5222 "),
    "dottarget.test": replacing(r"^_xmpp-client\._tcp .*$", "_xmpp-client._tcp IN SRV 0 0 0 ."),
    "localtarget.test": replacing(r"^(_xmpp-server\._tcp +IN SRV +\d+ \d+ \d+) \S+$", r"\1 localhost."),
    "txtmissing.test": without(r"^_xmppconnect "),
    "nxsub.test": without(r"conference"),
    "elsewhere.test": replacing(r"^(@ +IN A +)192\.0\.2\.10$", r"\g<1>198.51.100.7"),
}
SERVFAIL = "servfail.test"  # configured in nsd without data


@pytest.fixture(scope="module")
def nsd() -> Iterator[NsdServer]:
    zones = {host: mutate(zone_for(host)) for host, mutate in BROKEN.items()}
    with NsdServer(zones, failing=[SERVFAIL]) as server:
        yield server


def dns_findings(host: str, nameserver: str, timeout: float = 3.0) -> list[Finding]:
    return run_checks(answers_for(host), only={"dns"}, nameserver=nameserver, timeout=timeout)


def one(findings: list[Finding], check: str, subject: str) -> Finding:
    matching = [f for f in findings if f.check == check and f.subject == subject]
    assert len(matching) == 1, f"{check} {subject}: {matching or [(f.check, f.subject) for f in findings]}"
    return matching[0]


def cli_check(tmp_path: Path, capsys: pytest.CaptureFixture[str], host: str,
              nameserver: str) -> tuple[int, list[dict[str, str]]]:
    answers = write_answers(tmp_path / f"{host}.yml", answers_dict(host))
    code = main(["check", "--answers", str(answers), "--only", "dns", "--nameserver", nameserver, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_all_records_right_pass_and_exit_0(nsd: NsdServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = cli_check(tmp_path, capsys, "allright.test", nsd.address)
    assert code == 0
    assert {f["severity"] for f in findings} == {"ok"}
    checks = {f["check"] for f in findings}
    assert {"dns.a", "dns.aaaa", "dns.srv.xmpp-client", "dns.srv.xmpps-client", "dns.srv.xmpp-server",
            "dns.srv.xmpps-server", "dns.srv.stun-udp", "dns.srv.stun-tcp", "dns.srv.stuns-tcp",
            "dns.txt.xmppconnect"} <= checks
    # Every address of the domain and its four subdomains, both families.
    assert len([f for f in findings if f["check"] in ("dns.a", "dns.aaaa")]) == 10
    assert set(findings[0]) == {"check", "group", "step", "severity", "subject", "message", "fix"}


@pytest.mark.slow
def test_missing_srv_on_a_non_standard_port_is_an_error(nsd: NsdServer, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = cli_check(tmp_path, capsys, "srvmissing.test", nsd.address)
    assert code == 1
    finding = next(f for f in findings if f["subject"] == "_xmpp-client._tcp.srvmissing.test")
    assert finding["severity"] == "error" and finding["check"] == "dns.srv.xmpp-client"
    assert "NXDOMAIN" in finding["message"] and "40222" in finding["message"]
    assert finding["fix"] == "_xmpp-client._tcp.srvmissing.test. 3600 IN SRV 5 0 40222 srvmissing.test."
    assert [f["subject"] for f in findings if f["severity"] != "ok"] == ["_xmpp-client._tcp.srvmissing.test"]


@pytest.mark.slow
def test_a_name_without_the_srv_record_is_nodata(nsd: NsdServer) -> None:
    finding = one(dns_findings("nodata.test", nsd.address), "dns.srv.xmpp-client", "_xmpp-client._tcp.nodata.test")
    assert finding.severity is Severity.ERROR
    assert "NODATA" in finding.message and "NXDOMAIN" not in finding.message


@pytest.mark.slow
def test_srv_with_the_wrong_port_names_both_ports(nsd: NsdServer, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = cli_check(tmp_path, capsys, "srvport.test", nsd.address)
    assert code == 1
    finding = next(f for f in findings if f["subject"] == "_xmpp-client._tcp.srvport.test")
    assert finding["severity"] == "error"
    assert "5222" in finding["message"] and "40222" in finding["message"]
    assert finding["fix"].endswith("_xmpp-client._tcp.srvport.test. 3600 IN SRV 5 0 40222 srvport.test.")


@pytest.mark.slow
def test_dot_target_is_flagged(nsd: NsdServer) -> None:
    finding = one(dns_findings("dottarget.test", nsd.address), "dns.srv.xmpp-client",
                  "_xmpp-client._tcp.dottarget.test")
    assert finding.severity is Severity.ERROR
    assert "'.'" in finding.message and "not available" in finding.message


@pytest.mark.slow
def test_localhost_target_is_flagged(nsd: NsdServer) -> None:
    finding = one(dns_findings("localtarget.test", nsd.address), "dns.srv.xmpp-server",
                  "_xmpp-server._tcp.localtarget.test")
    assert finding.severity is Severity.ERROR
    assert "localhost" in finding.message


@pytest.mark.slow
def test_missing_xmppconnect_txt_is_a_warning_and_exit_0(nsd: NsdServer, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = cli_check(tmp_path, capsys, "txtmissing.test", nsd.address)
    assert code == 0
    problems = [f for f in findings if f["severity"] != "ok"]
    assert [(f["check"], f["severity"], f["step"]) for f in problems] == [
        ("dns.txt.xmppconnect", "warning", "compliance")]
    assert "_xmpp-client-websocket=wss://xmpp.txtmissing.test/ws" in problems[0]["fix"]
    assert "_xmpp-client-xbosh=https://xmpp.txtmissing.test/bosh" in problems[0]["fix"]


@pytest.mark.slow
def test_nxdomain_subdomain(nsd: NsdServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = cli_check(tmp_path, capsys, "nxsub.test", nsd.address)
    assert code == 1
    address = next(f for f in findings if f["check"] == "dns.a" and f["subject"] == "conference.nxsub.test")
    assert address["severity"] == "error" and "NXDOMAIN" in address["message"]
    assert address["fix"] == "conference.nxsub.test. 3600 IN A 192.0.2.10"
    srv = next(f for f in findings if f["subject"] == "_xmpp-server._tcp.conference.nxsub.test")
    assert srv["severity"] == "error" and "NXDOMAIN" in srv["message"]
    # The other subdomains are fine.
    assert next(f for f in findings
                if f["check"] == "dns.a" and f["subject"] == "pubsub.nxsub.test")["severity"] == "ok"


@pytest.mark.slow
def test_address_that_is_not_the_configured_one(nsd: NsdServer) -> None:
    finding = one(dns_findings("elsewhere.test", nsd.address), "dns.a", "elsewhere.test")
    assert finding.severity is Severity.ERROR
    assert "198.51.100.7" in finding.message and "192.0.2.10" in finding.message


@pytest.mark.slow
def test_servfail_and_refused_are_told_apart(nsd: NsdServer) -> None:
    failing = one(dns_findings(SERVFAIL, nsd.address), "dns.a", SERVFAIL)
    assert failing.severity is Severity.ERROR and "SERVFAIL" in failing.message
    refused = one(dns_findings("not-served.test", nsd.address), "dns.a", "not-served.test")
    assert refused.severity is Severity.ERROR and "REFUSED" in refused.message


def test_a_server_that_never_answers_times_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with SilentServer() as silent:
        code, findings = cli_check(tmp_path, capsys, "allright.test", silent.address)
        assert silent.received > 0
    assert code == 1
    assert findings and all("(timeout)" in f["message"] for f in findings)
    client = next(f for f in findings if f["check"] == "dns.srv.xmpp-client")
    assert client["severity"] == "error" and "NXDOMAIN" not in client["message"]


def test_lookups_run_concurrently() -> None:
    """All queries are at the server at the same time (counted by the server, not timed)."""
    answers = build_from(None, Given(answers_dict("allright.test")))
    zones = zones_from_records(dns_zone.render(answers))
    with DelayingServer(zones, delay=0.3) as server:
        findings = run_checks(answers, only={"dns"}, nameserver=server.address)
    assert {f.severity for f in findings} == {Severity.OK}
    assert server.answered == len(planned_queries(answers)) >= 26
    assert server.max_in_flight == server.answered


@pytest.mark.slow
def test_step_filter_runs_only_that_steps_lookups(nsd: NsdServer) -> None:
    findings = run_checks(answers_for("allright.test"), steps={"compliance"}, nameserver=nsd.address)
    assert findings and {f.step for f in findings} == {"compliance"}
    assert {f.check for f in findings} >= {"dns.srv.stun-udp", "dns.txt.xmppconnect"}


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1:5353", Nameserver("127.0.0.1", 5353)),
    ("127.0.0.1", Nameserver("127.0.0.1", 53)),
    ("[::1]:5353", Nameserver("::1", 5353)),
    ("::1", Nameserver("::1", 53)),
    ("localhost:5300", Nameserver("127.0.0.1", 5300)),
])
def test_nameserver_parsing(text: str, expected: Nameserver) -> None:
    parsed = Nameserver.parse(text)
    if text.startswith("localhost"):
        assert parsed.port == expected.port and parsed.address in ("127.0.0.1", "::1")
    else:
        assert parsed == expected


@pytest.mark.parametrize("text", ["127.0.0.1:99999", "127.0.0.1:dns", ":53", "[::1]:0"])
def test_bad_nameserver_is_one_line_and_exit_2(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InputError):
        Nameserver.parse(text)
    answers = write_answers(tmp_path / "a.yml", answers_dict("allright.test"))
    assert main(["check", "--answers", str(answers), "--only", "dns", "--nameserver", text]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1 and "--nameserver" in captured.err
