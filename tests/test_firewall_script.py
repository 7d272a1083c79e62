"""scripts/firewall.sh: the ports it opens, shellcheck's judgement, and what it does with ufw, with iptables
alone and with no firewall, against stand-ins that record what they are asked (the real ufw and nftables:
tests/test_rehearsal_firewall.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.answers_helpers import defaults, everything_on, write_answers, write_secret
from tests.support.components import require
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.files.firewall import firewall, openings
from wizard.files.scripts import body


def answers(preset: str = "debian", **overrides: Any) -> Any:
    given = defaults(preset, **overrides)
    given.pop("preset")
    return build_from(preset, Given(given))


def test_the_debian_preset_opens_its_listeners_and_the_web_front() -> None:
    tcp, udp = openings(answers())
    # c2s, c2s direct TLS, s2s, s2s direct TLS, proxy65, STUN/TURN over TCP and TLS; Caddy's HTTP and HTTPS.
    assert tcp == ["80", "443", "3478", "5222", "5223", "5269", "5270", "5349", "7777"]
    # Caddy's HTTP/3, STUN/TURN over UDP, the relay's range. Not the web listener behind Caddy, nor the admin's.
    assert udp == ["443", "3478", "49152-65535"]


@pytest.mark.parametrize(("overrides", "tcp", "udp"), [
    ({"compliance": {"turn": False}}, None, ["443", "3478"]),
    ({"compliance": {"stun": False}}, ["80", "443", "5222", "5223", "5269", "5270", "7777"], ["443"]),
    ({"ports": {"c2s_tls": None, "s2s_tls": None}}, ["80", "443", "3478", "5222", "5269", "5349", "7777"], None),
    ({"security": {"mqtt": True}}, ["80", "443", "1883", "3478", "5222", "5223", "5269", "5270", "5349", "7777"],
     None),
    # A relay range that holds the STUN port is one element: nft refuses overlapping ones.
    ({"ports": {"turn_relay": "3000-3999"}}, None, ["443", "3000-3999"]),
    ({"ports": {"turn_relay": "40000"}}, None, ["443", "3478", "40000"]),
], ids=["no-turn", "no-stun", "no-direct-tls", "mqtt", "relay-holds-stun", "one-port-relay"])
def test_what_the_answers_enable_and_nothing_else(overrides: dict[str, Any], tcp: list[str] | None,
                                                  udp: list[str] | None) -> None:
    base_tcp, base_udp = openings(answers())
    assert openings(answers(**overrides)) == (tcp or base_tcp, udp or base_udp)


def test_values_enter_only_through_the_quoted_assignments() -> None:
    text = firewall(answers())
    assert text.endswith(body("firewall").strip("\n") + "\n")
    assert "tcp_ports='80 443 3478 5222 5223 5269 5270 5349 7777'\nudp_ports='443 3478 49152-65535'\n" in text


def generated(tmp_path: Path, preset: str) -> Path:
    out = tmp_path / preset
    write_secret(out / "db-password", "secret-db-password")
    path = write_answers(tmp_path / f"{preset}.yml", everything_on(preset))
    from wizard.cli import main
    assert main(["generate", "--out", str(out), "--answers", str(path), "--yes"]) == 0
    return out


@pytest.mark.parametrize("preset", ["debian", "arch"])
def test_shellcheck_finds_nothing_and_the_readme_runs_it(tmp_path: Path, preset: str) -> None:
    out = generated(tmp_path, preset)
    script = out / "scripts/firewall.sh"
    result = subprocess.run([require("shellcheck", "apt-get install shellcheck"), "-s", "sh", str(script)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
    assert "   sudo sh scripts/firewall.sh\n" in (out / "README.md").read_text()


def test_uberspace_has_no_firewall_of_its_own(tmp_path: Path) -> None:
    assert not (generated(tmp_path, "uberspace") / "scripts/firewall.sh").exists()


# Stand-ins on PATH before the system's: id says root; ufw answers from a state file and logs each call.
UFW = r"""#!/bin/sh
echo "ufw $*" >> "$LOG"
case "$1" in
    status) cat "$STATE" ;;
    "show") echo "Added user rules (see 'ufw status' for running firewall):"; cat "$ADDED" 2>/dev/null ;;
esac
"""
NFT_IPTABLES = r"""#!/bin/sh
echo "nft $*" >> "$LOG"
if [ "$1 $2" = "list chains" ]; then
    printf 'table ip filter {\n\tchain INPUT {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n'
fi
"""


def run_with(tmp_path: Path, programs: dict[str, str], **env: str) -> tuple[subprocess.CompletedProcess[str], str]:
    script = tmp_path / "firewall.sh"
    script.write_text(firewall(answers()))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in {"id": "#!/bin/sh\necho 0\n", **programs}.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "calls.log"
    log.touch()
    result = subprocess.run(["sh", str(script)], capture_output=True, text=True, timeout=60,
                            env={"PATH": f"{bin_dir}:/usr/bin:/bin", "LOG": str(log), **env})
    return result, log.read_text()


def test_with_no_firewall_it_says_so_and_calls_nothing(tmp_path: Path) -> None:
    result, calls = run_with(tmp_path, {})
    assert result.returncode == 0, result.stderr
    assert "no active firewall here" in result.stdout and calls == ""


def test_with_ufw_it_allows_each_port_and_removes_what_an_earlier_run_allowed(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("Status: active\n")
    # 7777 is still wanted; 7000 was this deployment's once; 22 is the administrator's own.
    (tmp_path / "added").write_text("ufw allow 22/tcp\nufw allow 7777/tcp comment 'ejabberd-wizard'\n"
                                    "ufw allow 7000/tcp comment 'ejabberd-wizard'\n")
    result, calls = run_with(tmp_path, {"ufw": UFW}, STATE=str(tmp_path / "state"), ADDED=str(tmp_path / "added"))
    assert result.returncode == 0, result.stderr
    changes = [line for line in calls.splitlines() if not line.startswith(("ufw status", "ufw show"))]
    assert changes == ["ufw --force delete allow 7000/tcp"] + [
        f"ufw allow {rule} comment ejabberd-wizard" for rule in
        ["80/tcp", "443/tcp", "3478/tcp", "5222/tcp", "5223/tcp", "5269/tcp", "5270/tcp", "5349/tcp", "7777/tcp",
         "443/udp", "3478/udp", "49152:65535/udp"]]
    assert "ufw lets in TCP 80, 443" in result.stdout


def test_an_inactive_ufw_is_not_touched(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("Status: inactive\n")
    result, calls = run_with(tmp_path, {"ufw": UFW}, STATE=str(tmp_path / "state"))
    assert result.returncode == 0 and "no active firewall here" in result.stdout
    assert calls == "ufw status\n"


def test_iptables_alone_dropping_is_named_and_left_alone(tmp_path: Path) -> None:
    result, calls = run_with(tmp_path, {"nft": NFT_IPTABLES})
    assert result.returncode == 1
    assert "iptables drops incoming connections here (chain ip filter INPUT): nothing changed" in result.stderr
    assert calls == "nft list chains\n"


def test_it_asks_for_root(tmp_path: Path) -> None:
    result, calls = run_with(tmp_path, {"id": "#!/bin/sh\necho 1000\n", "ufw": UFW})
    assert result.returncode == 1 and "run this as root (sudo sh" in result.stderr and calls == ""
