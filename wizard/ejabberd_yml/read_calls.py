"""Reading what a config offers calls: the STUN services mod_stun_disco announces, and TURN on the listeners."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wizard.ejabberd_yml.parts import line_of as _line
from wizard.ejabberd_yml.parts import options_of as _options
from wizard.ejabberd_yml.reader import Reader


class CallsReading(Reader):
    def read_stun_services(self) -> None:
        """The STUN ports mod_stun_disco announces on the file's own hosts (the listeners, read
        later, say it too when there are any).

        A service on another host (a TURN server on another machine, such as a coturn) is not
        this ejabberd's: its ports are no answer, and it stays in the file as it is, reported in
        one line. The merge keeps such items too (``wizard.ejabberd_yml.merge``): a changed STUN answer
        changes only the server's own services.
        """
        if self.modules is None:
            return
        options = _options(self.modules.get("mod_stun_disco"))
        services = self.get(options, "services")
        services = services if isinstance(services, list) else []
        own_hosts = (*self.file_hosts, "@HOST@")
        seen: set[str] = set()
        announced_turn = False
        others: dict[str, list[str]] = {}  # host: "80/udp turn", as announced
        first_other: int | None = None
        for index, service in enumerate(services):
            if not isinstance(service, Mapping):
                continue
            # ejabberd's defaults: type stun, 3478 or 5349 (TLS), UDP or TCP (TLS).
            kind = str(self.get(service, "type", "stun"))
            tls = kind in ("stuns", "turns")
            port = self.get(service, "port", 5349 if tls else 3478)
            transport = self.get(service, "transport", "tcp" if tls else "udp")
            host = self.get(service, "host")
            if host not in own_hosts:
                others.setdefault(str(host), []).append(f"{port}/{transport} {kind}")
                first_other = first_other or _line(services, index)
                continue
            if kind in ("turn", "turns"):
                announced_turn = True
            if kind in ("stun", "stuns"):
                self.announced_stun.append(f"{port}/{transport}")
                self.announced_line = _line(options, "services")
                if kind not in seen:
                    seen.add(kind)
                    self.put(f"ports.{kind}", port, service, "port", "modules.mod_stun_disco.services")
        if seen:
            # What this server announces says whether it relays; its listeners, read later, say it better.
            self.put("compliance.turn", announced_turn, options, "services")
        self.other_hosts = bool(others)
        if others:
            announced = "; ".join(f"{host} {', '.join(items)}" for host, items in others.items())
            self.keep("modules.mod_stun_disco.services",
                      f"{announced}: not {'a host' if len(others) == 1 else 'hosts'} of this file, so taken to be "
                      "another server's: no answer takes their ports, a changed STUN answer leaves them alone, and "
                      "compliance.stun: false removes them with mod_stun_disco; kept as they are",
                      first_other or _line(options, "services"))

    def _read_turn(self, options: Mapping[str, Any], index: int) -> None:
        """TURN is the STUN listeners' use_turn (ejabberd's default: off) and its relay range."""
        relays = self.get(options, "use_turn", False) is True
        self.put("compliance.turn", relays, options, "use_turn" if "use_turn" in options else None)
        if relays:
            # The relay's public addresses are those of the DNS records (the one place they are in the file).
            addresses = (("domains.ipv4", ("turn_ipv4_address", "turn_ip")), ("domains.ipv6", ("turn_ipv6_address",)))
            for answer, names in addresses:
                for name in names:
                    if name in options:
                        self.put(answer, self.get(options, name), options, name, f"listen.{index}.{name}")
            first, last = self.get(options, "turn_min_port", 49152), self.get(options, "turn_max_port", 65535)
            self.put("ports.turn_relay", str(first) if first == last else f"{first}-{last}", options,
                     "turn_min_port" if "turn_min_port" in options else None, f"listen.{index}.turn_min_port")
