"""scripts/firewall.sh: let exactly the deployment's ports through the firewall that is active here.

The ports are the ones the world connects to with these answers (``public_ports``), and the web
front's: TCP 80 and 443 for Caddy, and UDP 443 for its HTTP/3. ufw gets one ``ufw allow`` rule per
port or range; nftables gets the rules in each input chain that drops by default (an accept in a
table of its own would not let a packet past another table's drop at the same hook), kept for the
next boot in a file that ``/etc/nftables.conf`` includes. The body is ``sh/firewall.sh``.
"""

from __future__ import annotations

from wizard.answers.model import Answers
from wizard.files.platform import public_ports
from wizard.files.scripts import body, script

COMMENT = "ejabberd-wizard"  # marks the rules this script added, in ufw and in nftables
NFT_CONF = "/etc/nftables.conf"  # what the nftables service of Debian (and Arch) loads at boot
NFT_FILE = "/etc/nftables.d/ejabberd-wizard.nft"
WEB_FRONT = 80, 443


def _span(ports: range) -> str:
    return f"{ports.start}-{ports.stop - 1}" if len(ports) > 1 else str(ports.start)


def openings(answers: Answers) -> tuple[list[str], list[str]]:
    """The TCP and the UDP ports (a range as FIRST-LAST) to let in, each list in ascending order."""
    public = public_ports(answers)
    tcp = {port for field, port in public.items() if field != "turn_relay"}
    udp: list[range] = []
    if answers.service.web_server == "caddy":
        tcp.update(WEB_FRONT)
        udp.append(range(443, 444))  # Caddy answers HTTP/3 (QUIC) there
    if answers.compliance.stun:
        udp.append(range(answers.ports.stun, answers.ports.stun + 1))
    if answers.compliance.relays:
        udp.append(answers.ports.relay)
    return [str(port) for port in sorted(tcp)], [_span(ports) for ports in _merged(udp)]


def _merged(spans: list[range]) -> list[range]:
    """Ascending and without overlaps (nft refuses overlapping elements of a set)."""
    merged: list[range] = []
    for span in sorted(spans, key=lambda ports: ports.start):
        if merged and span.start <= merged[-1].stop:
            merged[-1] = range(merged[-1].start, max(merged[-1].stop, span.stop))
        else:
            merged.append(span)
    return merged


def firewall(answers: Answers) -> str:
    tcp, udp = openings(answers)
    return script(
        "Let this deployment's ports through the active firewall, ufw or nftables, now and after a reboot "
        "(run as root).",
        {"tcp_ports": " ".join(tcp), "udp_ports": " ".join(udp), "comment": COMMENT, "nft_conf": NFT_CONF,
         "nft_file": NFT_FILE},
        body("firewall"),
    )
