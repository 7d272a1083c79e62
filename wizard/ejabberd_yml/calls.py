"""What calls need of ejabberd: its STUN server, TURN on it, and their announcement (XEP-0215).

ejabberd is its own STUN and TURN server (``ejabberd_stun``): one listener per transport,
each relaying when TURN is on, and ``mod_stun_disco`` tells clients where they are and
hands out the short-lived credentials the relay checks.
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap

from wizard.answers.model import Answers
from wizard.ejabberd_yml.yamltext import mapping, quoted, sequence
from wizard.releases import capabilities


def calls_served(answers: Answers) -> str:
    return "STUN/TURN" if answers.compliance.relays else "STUN"


def stun_listeners(answers: Answers) -> list[tuple[str, CommentedMap]]:
    """The STUN listeners, each with the comment that says what it is."""
    if not answers.compliance.stun:
        return []
    ports = answers.ports
    ip = quoted(ports.listen_ip if capabilities(answers.install.version).stun_listens_on_ipv6 else "0.0.0.0")
    what = calls_served(answers)
    listeners = [(f"{what} over {transport.upper()}",
                  mapping(port=ports.stun, ip=ip, transport=transport, module="ejabberd_stun", **_turn(answers)))
                 for transport in ("udp", "tcp")]
    listeners.append((f"{what} over TLS", mapping(port=ports.stuns, ip=ip, transport="tcp", module="ejabberd_stun",
                                                  tls=True, **_turn(answers))))
    return listeners


def _turn(answers: Answers) -> dict[str, object]:
    """The options of an ejabberd_stun listener that make it a TURN relay too."""
    if not answers.compliance.relays:
        return {"use_turn": False}
    caps, domains, relay = capabilities(answers.install.version), answers.domains, answers.ports.relay
    options: dict[str, object] = {"use_turn": True}
    # The relay tells clients this address; without it ejabberd takes the address the host name
    # resolves to, which is loopback on many machines (and the relay useless).
    if domains.ipv4:
        options[caps.option_name("turn_ip")] = quoted(domains.ipv4)
    if domains.ipv6 and caps.stun_listens_on_ipv6:
        options["turn_ipv6_address"] = quoted(domains.ipv6)
    options.update(turn_min_port=relay.start, turn_max_port=relay.stop - 1)
    return options


def stun_disco(answers: Answers) -> CommentedMap:
    ports = answers.ports
    # The one STUN server of this machine serves every domain; its name is the main
    # domain, written out because older releases do not expand @HOST@ here.
    host = quoted(answers.domains.main)
    kinds = [("stun", False)] + ([("turn", True)] if answers.compliance.relays else [])
    services = [mapping(host=host, port=ports.stun, transport=transport, type=kind, restricted=restricted)
                for kind, restricted in kinds for transport in ("udp", "tcp")]
    # TURN needs credentials (restricted): mod_stun_disco hands out short-lived ones that the
    # relay checks, so only this server's users can relay.
    services += [mapping(host=host, port=ports.stuns, transport="tcp", type=f"{kind}s", restricted=restricted)
                 for kind, restricted in kinds]
    # The listeners are listed here by name; announcing them again by address would list each twice.
    return mapping(credentials_lifetime="12h", offer_local_services=False, services=sequence(services))
