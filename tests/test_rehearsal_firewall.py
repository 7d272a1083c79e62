"""The README's firewall step on a Debian 12 server whose firewall drops what it does not let in.

The server is the sandbox of tests/test_rehearsal_debian.py: the real apt installs ejabberd and Caddy
(the package's config listens on c2s 5222, STUN 3478/udp and the web ports 5280 and 5443, MQTT 1883, Caddy's welcome
page on 80) and the firewall, real nftables or ufw, working on the sandbox's own network namespace. A
client in another namespace, linked to it like a machine on the internet (tests/support/outside.py),
finds the deployment's ports dropped before the step and open after it, while a port the deployment does
not use stays dropped (though something listens there); and so after a reboot, and after the step again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support.outside import SERVER, Outside, probe
from tests.support.rehearsal import Rehearsal, Step, readme_steps
from tests.support.sandbox import Sandbox
from tests.test_rehearsal import DEPLOYMENT, DOMAIN, IPV4, IPV6, answers_for

pytestmark = pytest.mark.slow

STEP = "Let the ports through the firewall"
# What the deployment lets in (c2s, Caddy's HTTP, STUN), and ports of the package's config it does not.
OPENED = [("xmpp", 5222), ("http", 80), ("stun", 3478)]
NOT_OURS = [("tcp", 5280), ("tcp", 5443), ("tcp", 1883)]
NFTABLES_CONF = """#!/usr/sbin/nft -f
flush ruleset

table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif lo accept
		meta l4proto { icmp, ipv6-icmp } accept
		tcp dport 22 accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
	}
	chain output {
		type filter hook output priority filter;
	}
}
"""


@pytest.fixture
def server() -> Iterator[tuple[Sandbox, Outside]]:
    with Sandbox("debian", addresses=[IPV4, IPV6]) as sandbox, Outside(sandbox) as outside:
        yield sandbox, outside


def install(sandbox: Sandbox, *firewall: str) -> Rehearsal:
    """ejabberd and Caddy as the README's install step leaves them (apt starts both), the firewall, and
    the deployment generated; the rehearsal is in its directory."""
    rehearsal = Rehearsal(sandbox, "/root")
    rehearsal.run("DEBIAN_FRONTEND=noninteractive apt-get install -y ejabberd caddy " + " ".join(firewall))
    sandbox.wait_until("ejabberdctl status", "ejabberd with the package's config", timeout=180)
    sandbox.inside("/root/answers.yml").write_text(answers_for("debian", DOMAIN))
    rehearsal.run(f"ejabberd-wizard generate --answers answers.yml --out {DEPLOYMENT} --yes")
    rehearsal.directory = DEPLOYMENT
    return rehearsal


def firewall_step(rehearsal: Rehearsal) -> Step:
    readme = rehearsal.sandbox.inside(f"{DEPLOYMENT}/README.md").read_text()
    (step,) = [step for step in readme_steps(readme) if step.title == STEP]
    assert step.commands == ["sudo sh scripts/firewall.sh"], step
    return step


def follow(rehearsal: Rehearsal, step: Step) -> str:
    return "".join(rehearsal.run(command, step) for command in step.commands)


def seen_from_outside(outside: Outside) -> dict[int, str]:
    return {port: outside.probe(kind, port) for kind, port in OPENED + NOT_OURS}  # type: ignore[arg-type]


def open_exactly_the_deployment_s(outside: Outside) -> None:
    seen = seen_from_outside(outside)
    assert seen == {**{port: "open" for _, port in OPENED}, **{port: "dropped" for _, port in NOT_OURS}}, seen


def listening(sandbox: Sandbox) -> None:
    """On the server itself (loopback, which the firewall lets in) every port answers: what is dropped
    from outside is dropped by the firewall, not missing."""
    for kind, port in OPENED + NOT_OURS:
        assert probe(sandbox.name, kind, SERVER, port) == "open", (kind, port)  # type: ignore[arg-type]


def boot_command(sandbox: Sandbox, unit: str) -> str:
    """What the package's unit runs at boot (ExecStart=), to run as systemd would after a reboot."""
    text = sandbox.inside(f"/lib/systemd/system/{unit}").read_text()
    (command,) = re.findall(r"^ExecStart=(.+)$", text, re.M)
    return command


def change_a_port(rehearsal: Rehearsal) -> None:
    """The user answers another file transfer proxy port (7778) and generates again, as the README says."""
    wizard_yml = rehearsal.sandbox.inside(f"{DEPLOYMENT}/wizard.yml")
    text, count = re.subn(r"^(\s+proxy65:) 7777$", r"\1 7778", wizard_yml.read_text(), flags=re.M)
    assert count == 1
    wizard_yml.write_text(text)
    rehearsal.run("ejabberd-wizard generate --out . --yes")


def nftables_dropping_by_default(rehearsal: Rehearsal) -> str:
    """The server's administrator runs nftables with a drop policy, loaded at boot by Debian's unit
    (the package from apt); the unit's command that loads it."""
    sandbox = rehearsal.sandbox
    rehearsal.run("DEBIAN_FRONTEND=noninteractive apt-get install -y nftables")
    sandbox.inside("/etc/nftables.conf").write_text(NFTABLES_CONF)
    rehearsal.run("systemctl enable nftables")
    boot = boot_command(sandbox, "nftables.service")
    assert boot == "/usr/sbin/nft -f /etc/nftables.conf", boot
    rehearsal.run(boot)
    return boot


def nftables_opened(code: int, output: str) -> None:
    """The judge of the README's firewall step where nftables drops by default."""
    assert code == 0 and "nftables lets in TCP 80, 443, 3478, 5222" in output, output
    assert "kept for the next boot in /etc/nftables.d/ejabberd-wizard.nft" in output, output


def test_nftables_dropping_by_default_lets_in_exactly_the_deployment_s_ports(
        server: tuple[Sandbox, Outside]) -> None:
    sandbox, outside = server
    rehearsal = install(sandbox)
    with rehearsal.reported():
        assert outside.probe("xmpp", 5222) == "open", "no firewall yet: the link to the server works"
        boot = nftables_dropping_by_default(rehearsal)
        assert set(seen_from_outside(outside).values()) == {"dropped"}
        listening(sandbox)
        # Why the rules go into the chain that drops: an accept in a table of its own does not get past it.
        rehearsal.run("nft add table inet elsewhere && nft add chain inet elsewhere input "
                      "'{ type filter hook input priority filter - 10; policy accept; }' && "
                      "nft add rule inet elsewhere input tcp dport 5222 accept")
        assert outside.probe("xmpp", 5222) == "dropped"
        rehearsal.run("nft delete table inet elsewhere")

        step = firewall_step(rehearsal)
        nftables_opened(0, follow(rehearsal, step))
        open_exactly_the_deployment_s(outside)
        # check reads the rules as nft does, the included file too: the relay's range is let in.
        checked = rehearsal.run("ejabberd-wizard check --out . --only ports || true")
        assert "/etc/nftables.conf lets UDP in on the relay" in checked, checked
        # In the chain that drops, where an accept counts; and in the file the unit loads at boot.
        chain = rehearsal.run("nft list chain inet filter input")
        assert chain.count('comment "ejabberd-wizard"') == 2, chain
        conf = sandbox.inside("/etc/nftables.conf").read_text()
        assert conf.startswith(NFTABLES_CONF)
        assert conf.count('include "/etc/nftables.d/ejabberd-wizard.nft"') == 1, conf

        # A reboot: the kernel starts with no rules, the unit loads /etc/nftables.conf.
        rehearsal.run("nft flush ruleset")
        assert outside.probe("xmpp", 5222) == "open", "no rules at all: nothing drops"
        rehearsal.run(boot)
        open_exactly_the_deployment_s(outside)

        # The step again changes nothing, now or at boot.
        ruleset = rehearsal.run("nft list ruleset")
        follow(rehearsal, step)
        assert rehearsal.run("nft list ruleset") == ruleset
        assert sandbox.inside("/etc/nftables.conf").read_text() == conf

        # Another port: the old one's rule goes, now and at boot.
        change_a_port(rehearsal)
        follow(rehearsal, firewall_step(rehearsal))
        chain = rehearsal.run("nft list chain inet filter input")
        kept = sandbox.inside("/etc/nftables.d/ejabberd-wizard.nft").read_text()
        for rules in (chain, kept):
            assert "7778" in rules and "7777" not in rules and rules.count('comment "ejabberd-wizard"') == 2, rules
        open_exactly_the_deployment_s(outside)


def test_ufw_lets_in_exactly_the_deployment_s_ports(server: tuple[Sandbox, Outside]) -> None:
    sandbox, outside = server
    rehearsal = install(sandbox, "ufw")
    with rehearsal.reported():
        rehearsal.run("ufw default deny incoming && ufw --force enable")
        assert set(seen_from_outside(outside).values()) == {"dropped"}
        listening(sandbox)

        step = firewall_step(rehearsal)
        follow(rehearsal, step)
        open_exactly_the_deployment_s(outside)
        added = rehearsal.run("ufw show added")
        assert "ufw allow 5222/tcp comment 'ejabberd-wizard'" in added, added
        assert "ufw allow 49152:65535/udp comment 'ejabberd-wizard'" in added, added
        checked = rehearsal.run("ejabberd-wizard check --out . --only ports || true")
        assert "/etc/ufw/user.rules lets UDP in on the relay" in checked, checked

        # A reboot: ufw's unit loads the rules ufw keeps.
        boot = boot_command(sandbox, "ufw.service")
        rehearsal.run(boot.replace("start", "stop"))
        assert outside.probe("xmpp", 5222) == "open", "ufw stopped: nothing drops"
        rehearsal.run(boot)
        open_exactly_the_deployment_s(outside)

        # The step again changes nothing; another port replaces the old one's rule.
        follow(rehearsal, step)
        assert rehearsal.run("ufw show added") == added
        change_a_port(rehearsal)
        follow(rehearsal, firewall_step(rehearsal))
        after = rehearsal.run("ufw show added")
        assert "ufw allow 7778/tcp comment 'ejabberd-wizard'" in after and "7777" not in after, after
        open_exactly_the_deployment_s(outside)


def test_without_an_active_firewall_the_step_says_so_and_changes_nothing(server: tuple[Sandbox, Outside]) -> None:
    sandbox, outside = server
    rehearsal = Rehearsal(sandbox, "/root")
    # nftables and ufw installed, neither dropping: Debian's own /etc/nftables.conf accepts everything.
    rehearsal.run("DEBIAN_FRONTEND=noninteractive apt-get install -y nftables ufw")
    rehearsal.run(boot_command(sandbox, "nftables.service"))
    sandbox.inside("/root/answers.yml").write_text(answers_for("debian", DOMAIN))
    rehearsal.run(f"ejabberd-wizard generate --answers answers.yml --out {DEPLOYMENT} --yes")
    rehearsal.directory = DEPLOYMENT
    conf = sandbox.inside("/etc/nftables.conf").read_text()
    ruleset = rehearsal.run("nft list ruleset")
    said = follow(rehearsal, firewall_step(rehearsal))
    assert "no active firewall here" in said, said
    assert rehearsal.run("nft list ruleset") == ruleset and sandbox.inside("/etc/nftables.conf").read_text() == conf
    assert not sandbox.inside("/etc/nftables.d").exists() and "Status: inactive" in rehearsal.run("ufw status")


def test_a_dropping_chain_that_etc_nftables_conf_does_not_load_is_opened_until_the_reboot_and_said(
        server: tuple[Sandbox, Outside]) -> None:
    """The drop policy was set by hand (or by another tool), not by /etc/nftables.conf: the rules cannot be
    kept there. They are in place now; the step says so and fails, and /etc/nftables.conf is as it was."""
    sandbox, outside = server
    rehearsal = install(sandbox, "nftables")
    with rehearsal.reported():
        rehearsal.run(boot_command(sandbox, "nftables.service"))  # Debian's own /etc/nftables.conf: accepts all
        conf = sandbox.inside("/etc/nftables.conf").read_text()
        rehearsal.run("nft add table inet by_hand && nft add chain inet by_hand input "
                      "'{ type filter hook input priority filter; policy drop; }' && "
                      "nft add rule inet by_hand input ct state established,related accept")
        assert outside.probe("xmpp", 5222) == "dropped"
        (command,) = firewall_step(rehearsal).commands
        done = sandbox.run(command, cwd=DEPLOYMENT)
        assert done.returncode == 1, done
        assert "in place until the next reboot only" in done.stderr and "insert rule inet by_hand input" in done.stderr
        open_exactly_the_deployment_s(outside)
        assert sandbox.inside("/etc/nftables.conf").read_text() == conf
        assert not sandbox.inside("/etc/nftables.d/ejabberd-wizard.nft").exists()
        assert not list(sandbox.inside("/etc").glob("nftables.conf.*")), "a backup or a new version left behind"
