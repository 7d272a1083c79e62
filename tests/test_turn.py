"""TURN, so calls work behind NAT: the answers, what they write (listeners, announcement, DNS),
reading it back from a file, and the checks of the relay's ports and the local firewall.

That a generated config relays for real (an allocation with the announced credentials on real
ejabberd) is shown by tests/test_verify_caas.py; that it starts on every release, by
tests/test_real_ejabberd.py (every preset switches TURN on).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import ACCOUNT, defaults, write_answers
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.answers.model import Answers
from wizard.checks.core import Context, Severity
from wizard.checks.relay import (
    check_relay_address,
    check_relay_firewall,
    check_relay_free,
    check_relay_uberspace,
    local_firewalls,
)
from wizard.cli import main
from wizard.ejabberd_yml.macros import plain
from wizard.ejabberd_yml.render import document
from wizard.files import dns_zone

ADDRESSES = {"ipv4": "192.0.2.10", "ipv6": "2001:db8::10"}


def answers_with(preset: str = "arch", **overrides: Any) -> Answers:
    return build_from(None, Given(defaults(preset, **overrides)))


def config_of(answers: Answers) -> dict[str, Any]:
    return dict(plain(document(answers, "pw")))


def stun_listeners(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [listener for listener in config["listen"] if listener["module"] == "ejabberd_stun"]


# -- the answers -----------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "kept"), [("49152-65535", "49152-65535"), (43479, "43479"),
                                             ("50000 - 50010", "50000-50010"), ("43479-43479", "43479")])
def test_a_relay_range_is_a_range_or_one_port(given: object, kept: str) -> None:
    answers = answers_with(ports={"turn_relay": given})
    assert answers.ports.turn_relay == kept
    first, _, last = kept.partition("-")
    assert answers.ports.relay == range(int(first), int(last or first) + 1)


@pytest.mark.parametrize("given", ["65535-1", "80", "1024-2000", "50000-70000", "any", True, "49152-65535; rm -rf /"])
def test_a_bad_relay_range_is_one_line_naming_the_answer_and_writes_nothing(
        given: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answers = write_answers(tmp_path / "answers.yml", defaults("arch", ports={"turn_relay": given}))
    out = tmp_path / "out"
    assert main(["generate", "--out", str(out), "--answers", str(answers), "--yes"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "ports.turn_relay" in error and "FIRST-LAST" in error
    assert not out.exists()


def test_turn_lives_on_the_stun_server_so_without_stun_there_is_none() -> None:
    answers = answers_with(compliance={"stun": False, "turn": True})
    assert not answers.compliance.relays
    assert "turn_relay" not in answers.ports.services(answers)
    assert stun_listeners(config_of(answers)) == []


def test_a_one_port_relay_is_a_port_of_the_deployment_and_a_range_is_not() -> None:
    uberspace = answers_with("uberspace")
    assert uberspace.ports.services(uberspace)["turn_relay"] == 43479
    arch = answers_with("arch")
    assert "turn_relay" not in arch.ports.services(arch)


# -- what it writes --------------------------------------------------------------------------


def test_the_stun_listeners_relay_with_the_public_addresses_and_the_range() -> None:
    config = config_of(answers_with(domains=ADDRESSES))
    listeners = stun_listeners(config)
    assert [(item["transport"], item.get("tls", False)) for item in listeners] == [
        ("udp", False), ("tcp", False), ("tcp", True)]
    for listener in listeners:
        assert listener["use_turn"] is True
        assert (listener["turn_ipv4_address"], listener["turn_ipv6_address"]) == ("192.0.2.10", "2001:db8::10")
        assert (listener["turn_min_port"], listener["turn_max_port"]) == (49152, 65535)
        assert "auth_type" not in listener  # ejabberd's default, user: only with credentials


def test_turn_is_announced_with_credentials_and_each_service_once() -> None:
    disco = config_of(answers_with())["modules"]["mod_stun_disco"]
    services = [(s["type"], s["transport"], s["port"], s["restricted"]) for s in disco["services"]]
    assert services == [("stun", "udp", 3478, False), ("stun", "tcp", 3478, False),
                        ("turn", "udp", 3478, True), ("turn", "tcp", 3478, True),
                        ("stuns", "tcp", 5349, False), ("turns", "tcp", 5349, True)]
    assert {s["host"] for s in disco["services"]} == {"example.test"}
    # Announced by name only: ejabberd would otherwise add each listener again by address.
    assert disco["offer_local_services"] is False


def test_without_turn_the_listeners_do_not_relay_and_nothing_announces_it() -> None:
    answers = answers_with(compliance={"turn": False}, domains=ADDRESSES)
    config = config_of(answers)
    assert all(listener["use_turn"] is False and "turn_min_port" not in listener
               for listener in stun_listeners(config))
    assert {s["type"] for s in config["modules"]["mod_stun_disco"]["services"]} == {"stun", "stuns"}
    assert "_turn" not in dns_zone.render(answers)


def test_the_zone_has_the_turn_records_on_the_stun_ports() -> None:
    zone = dns_zone.render(answers_with("uberspace"))
    records = {line.split()[0]: line.split()[-2:] for line in zone.splitlines() if line.startswith("_turn")}
    assert records == {"_turn._udp": ["43478", "example.test."], "_turn._tcp": ["43478", "example.test."],
                       "_turns._tcp": ["45349", "example.test."]}


def test_ejabberd_20_04_gets_its_own_name_for_the_relay_address_and_no_ipv6() -> None:
    [udp, *_] = stun_listeners(config_of(answers_with(install={"version": "20.04"}, domains=ADDRESSES)))
    assert udp["turn_ip"] == "192.0.2.10"
    assert "turn_ipv4_address" not in udp and "turn_ipv6_address" not in udp


# -- read back from a file -------------------------------------------------------------------


def test_an_imported_config_keeps_its_relay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = tmp_path / "first"
    answers = write_answers(tmp_path / "a.yml", defaults("arch", domains=ADDRESSES,
                                                         ports={"turn_relay": "50000-50100"}))
    assert main(["generate", "--out", str(first), "--answers", str(answers), "--yes"]) == 0
    # A new deployment from that file alone: its relay, range and addresses are read, not the preset's.
    again = tmp_path / "again"
    only_account = write_answers(tmp_path / "b.yml", {"preset": "arch", "install": dict(ACCOUNT)})
    assert main(["generate", "--out", str(again), "--answers", str(only_account), "--import",
                 str(first / "config" / "ejabberd.yml"), "--yes"]) == 0
    capsys.readouterr()
    saved = YAML(typ="safe").load((again / "wizard.yml").read_text())
    assert saved["compliance"]["turn"] is True and saved["ports"]["turn_relay"] == "50000-50100"
    assert (saved["domains"]["ipv4"], saved["domains"]["ipv6"]) == ("192.0.2.10", "2001:db8::10")
    assert (again / "config" / "ejabberd.yml").read_text() == (first / "config" / "ejabberd.yml").read_text()


def test_an_imported_config_without_use_turn_does_not_relay(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    first = tmp_path / "first"
    answers = write_answers(tmp_path / "a.yml", defaults("arch", compliance={"turn": False}))
    assert main(["generate", "--out", str(first), "--answers", str(answers), "--yes"]) == 0
    text = (first / "config" / "ejabberd.yml").read_text().replace("    use_turn: false\n", "")
    path = tmp_path / "no-use-turn.yml"
    path.write_text(text)  # ejabberd's default is no TURN
    again = tmp_path / "again"
    only_account = write_answers(tmp_path / "b.yml", {"preset": "arch", "install": dict(ACCOUNT)})
    assert main(["generate", "--out", str(again), "--answers", str(only_account), "--import", str(path),
                 "--yes"]) == 0
    capsys.readouterr()
    assert YAML(typ="safe").load((again / "wizard.yml").read_text())["compliance"]["turn"] is False


# -- the checks ------------------------------------------------------------------------------


@pytest.fixture
def two_taken_udp_ports() -> Iterator[list[int]]:
    sockets = []
    for _ in range(2):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    try:
        yield sorted(sock.getsockname()[1] for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


def test_ports_of_the_range_in_use_are_named_and_a_range_all_in_use_is_an_error(
        two_taken_udp_ports: list[int]) -> None:
    low, high = two_taken_udp_ports
    if low < 1025:
        pytest.skip("the kernel gave out a port below ejabberd's relay range")
    wide = answers_with(ports={"turn_relay": f"{low}-{high + 1}" if high < 65535 else f"{low - 1}-{high}"})
    [some] = check_relay_free(Context(wide, Path("out")))
    assert some.severity is Severity.INFO and f"{low}" in some.message and "skips them" in some.message
    if high == low + 1:
        [none] = check_relay_free(Context(answers_with(ports={"turn_relay": f"{low}-{high}"}), Path("out")))
        assert none.severity is Severity.ERROR and "every port" in none.message


def test_uberspace_cannot_open_a_wide_range() -> None:
    answers = answers_with("uberspace", ports={"turn_relay": "43479-43500"})
    [finding] = check_relay_uberspace(Context(answers, Path("out")))
    assert finding.severity is Severity.ERROR and "at most 20 ports" in finding.message
    assert "ports.turn_relay: PORT" in finding.fix


def _enable(root: Path, unit: str) -> None:
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    (wants / unit).touch()


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


NFT_DROP = """#!/usr/bin/nft -f
flush ruleset
table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    ct state {established, related} accept
    iif lo accept
    tcp dport { 22, 5222, 5269 } accept
    udp dport 3478 accept
%s  }
}
"""


def test_an_nftables_ruleset_that_drops_the_relay_is_found_and_one_that_lets_it_in_passes(tmp_path: Path) -> None:
    answers = answers_with()
    _write(tmp_path, "etc/nftables.conf", NFT_DROP % "")
    assert check_relay_firewall(Context(answers, Path("out")), tmp_path) == []  # not enabled: not run at boot
    _enable(tmp_path, "nftables.service")
    [blocked] = check_relay_firewall(Context(answers, Path("out")), tmp_path)
    assert blocked.severity is Severity.WARNING and "49152-65535" in blocked.message
    assert blocked.fix == ("sudo sh scripts/firewall.sh (README.md, step 'Let the ports through the firewall'), or "
                           f"add `udp dport 49152-65535 accept` to the input chain of {tmp_path}/etc/nftables.conf")
    _write(tmp_path, "etc/nftables.conf", NFT_DROP % "    udp dport 49152-65535 accept  # TURN relay\n")
    [fine] = check_relay_firewall(Context(answers, Path("out")), tmp_path)
    assert fine.severity is Severity.OK


def test_nftables_rules_in_an_included_file_are_read_as_nft_reads_them(tmp_path: Path) -> None:
    """scripts/firewall.sh keeps its rules in a file of its own, which one line of /etc/nftables.conf includes."""
    answers = answers_with()
    _write(tmp_path, "etc/nftables.conf", NFT_DROP % "" + 'include "/etc/nftables.d/ejabberd-wizard.nft" # ...\n')
    _enable(tmp_path, "nftables.service")
    [blocked] = check_relay_firewall(Context(answers, Path("out")), tmp_path)  # the file is not there (yet)
    assert blocked.severity is Severity.WARNING
    rule = 'insert rule inet filter input udp dport { 443, 3478, 49152-65535 } accept comment "ejabberd-wizard"\n'
    _write(tmp_path, "etc/nftables.d/ejabberd-wizard.nft", rule)
    [fine] = check_relay_firewall(Context(answers, Path("out")), tmp_path)
    assert fine.severity is Severity.OK
    # A pattern, as nft takes it.
    _write(tmp_path, "etc/nftables.conf", NFT_DROP % "" + 'include "/etc/nftables.d/*.nft"\n')
    [fine] = check_relay_firewall(Context(answers, Path("out")), tmp_path)
    assert fine.severity is Severity.OK


def test_ufw_and_iptables_rules_are_read_as_they_are_saved(tmp_path: Path) -> None:
    answers = answers_with(ports={"turn_relay": "50000-50010"})
    _write(tmp_path, "etc/ufw/ufw.conf", "ENABLED=yes\n")
    _write(tmp_path, "etc/default/ufw", 'DEFAULT_INPUT_POLICY="DROP"\n')
    _write(tmp_path, "etc/ufw/user.rules", "### tuple ### allow udp 50000:50005 0.0.0.0/0 any 0.0.0.0/0 in\n")
    _write(tmp_path, "etc/iptables/rules.v4", "*filter\n:INPUT DROP [0:0]\n"
                                               "-A INPUT -p udp -m udp --dport 50000:50010 -j ACCEPT\nCOMMIT\n")
    _enable(tmp_path, "netfilter-persistent.service")
    assert [firewall.file.name for firewall in local_firewalls(tmp_path)] == ["user.rules", "rules.v4"]
    ufw, iptables = check_relay_firewall(Context(answers, Path("out")), tmp_path)
    assert ufw.severity is Severity.WARNING and "5 of the relay's ports (50006-50010)" in ufw.message
    assert ufw.fix.startswith("sudo sh scripts/firewall.sh") and ufw.fix.endswith(", or ufw allow 50000:50010/udp")
    assert iptables.severity is Severity.OK


def test_uberspace_firewall_is_its_port_list_not_a_local_ruleset(tmp_path: Path) -> None:
    _write(tmp_path, "etc/nftables.conf", NFT_DROP % "")
    _enable(tmp_path, "nftables.service")
    assert check_relay_firewall(Context(answers_with("uberspace"), Path("out")), tmp_path) == []



def test_without_a_public_address_the_relay_would_announce_the_host_names_and_that_is_said() -> None:
    given = Context(answers_with(domains=ADDRESSES), Path("out"))
    [fine] = check_relay_address(given)
    assert fine.severity is Severity.OK and "192.0.2.10" in fine.message
    unset = Context(answers_with(), Path("out"))
    [loopback] = check_relay_address(unset, own_address="127.0.1.1")
    assert loopback.severity is Severity.WARNING and "127.0.1.1" in loopback.message
    assert loopback.fix == "domains.ipv4: the server's public IPv4 address"
    [public] = check_relay_address(unset, own_address="9.9.9.9")  # a global address (only compared here)
    assert public.severity is Severity.INFO and "9.9.9.9" in public.message
    assert check_relay_address(Context(answers_with(compliance={"turn": False}), Path("out"))) == []
