"""The answers: one typed, versioned model of every choice a deployment needs.

Each field is declared once, here or in ``wizard.answers.sections``, with its label (``title``), the reason it
matters (``description``), the wizard step it belongs to and, where it only
applies in some setups, the condition under which it is asked. The question
catalogue, both front ends, the JSON schema and the answers-file validation all
read these declarations.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wizard.answers import validators as v
from wizard.answers.migrations import SCHEMA_VERSION
from wizard.answers.sections import Database, Domains, Install, Tls, Upload
from wizard.answers.values import AbsolutePath, ContactURI, Count, Port, PortRange, Section, UserName, question

__all__ = ["SECTIONS", "Answers"]


class Ports(Section):
    listen_ip: Literal["::", "0.0.0.0"] = question(
        "Public listener address",
        "'::' listens on IPv6 and IPv4 alike; use '0.0.0.0' where the host has no IPv6.",
        "ports",
    )
    c2s: Port = question(
        "Client port (STARTTLS)", "Clients connect here and upgrade to TLS (RFC 6120). Standard: 5222.", "ports"
    )
    c2s_tls: Port | None = question(
        "Client port (direct TLS)",
        "TLS from the first byte (XEP-0368) gets through strict firewalls. Standard: 5223.",
        "ports",
    )
    s2s: Port = question(
        "Server port", "Other servers connect here to deliver messages (federation). Standard: 5269.", "ports"
    )
    s2s_tls: Port | None = question(
        "Server port (direct TLS)", "Federation over direct TLS (XEP-0368). Standard: 5270.", "ports"
    )
    proxy65: Port = question(
        "File transfer proxy port", "Clients relay file transfers through this port (XEP-0065).", "ports"
    )
    http: Port = question(
        "Web port", "Upload, WebSocket and BOSH; the web server in front of ejabberd forwards to it.", "ports"
    )
    http_ip: Literal["::", "0.0.0.0", "127.0.0.1", "::1"] = question(
        "Web listener address",
        "Only the web server needs to reach this port: loopback where it runs on the same machine; "
        "Uberspace's web backends need '::'.",
        "ports",
    )
    admin_http: Port = question(
        "Admin port",
        "The web admin and the HTTP API listen here, on loopback only; reach it with an SSH tunnel.",
        "ports",
    )
    stun: Port = question("STUN port", "Audio/video calls discover their public address here (UDP and TCP).", "ports")
    stuns: Port = question("STUN over TLS port", "STUN over TLS for networks that only let TLS through.", "ports")
    turn_relay: PortRange = question(
        "TURN relay ports",
        "Each call relayed by TURN takes one UDP port from this range (FIRST-LAST, or one port); "
        "the firewall must let UDP in on all of them. Uberspace opens at most 20 ports and chooses "
        "their numbers, so there the relay gets one opened port: one relayed call at a time.",
        "ports", when={"compliance.stun": True, "compliance.turn": True}, default="49152-65535",
    )
    mqtt: Port = question(
        "MQTT port", "Only used when the MQTT broker is switched on.", "ports",
        when={"security.mqtt": True}, default=1883,
    )

    def services(self, answers: Answers) -> dict[str, int]:
        """Each port that is in use with these answers, by the field that sets it."""
        used: dict[str, int] = {"c2s": self.c2s, "s2s": self.s2s, "proxy65": self.proxy65, "http": self.http}
        if self.c2s_tls is not None:
            used["c2s_tls"] = self.c2s_tls
        if self.s2s_tls is not None:
            used["s2s_tls"] = self.s2s_tls
        if answers.security.admin_interface:
            used["admin_http"] = self.admin_http
        if answers.compliance.stun:
            used["stun"] = self.stun
            used["stuns"] = self.stuns
        if answers.compliance.relays and len(self.relay) == 1:
            # A one-port relay is a port like the others: opened, free, its own.
            used["turn_relay"] = self.relay.start
        if answers.security.mqtt:
            used["mqtt"] = self.mqtt
        return used

    @property
    def relay(self) -> range:
        """The UDP ports TURN relays calls through (``turn_relay``)."""
        first, _, last = self.turn_relay.partition("-")
        return range(int(first), int(last or first) + 1)


class Compliance(Section):
    abuse_addresses: list[ContactURI] = question(
        "Abuse contact", "Where to report abuse (XEP-0157); compliance testers require it.", "compliance"
    )
    support_addresses: list[ContactURI] = question(
        "Support contact", "Where users get help (XEP-0157).", "compliance", default_factory=list
    )
    admin_addresses: list[ContactURI] = question(
        "Admin contact", "The server's administrators (XEP-0157).", "compliance", default_factory=list
    )
    security_addresses: list[ContactURI] = question(
        "Security contact", "Where to report vulnerabilities (XEP-0157).", "compliance", default_factory=list
    )
    alternative_connections: bool = question(
        "Announce WebSocket and BOSH",
        "Web clients find the WebSocket/BOSH endpoints through .well-known/host-meta and the "
        "_xmppconnect TXT record (XEP-0156).",
        "compliance",
    )
    stun: bool = question(
        "STUN for calls",
        "ejabberd's STUN server and its announcement (XEP-0215) let audio/video calls find a way through NAT.",
        "compliance",
    )
    turn: bool = question(
        "TURN relay for calls",
        "When neither side of a call can reach the other (both behind NAT or a strict firewall), "
        "the media goes through ejabberd's TURN relay; without it such calls fail. Clients get "
        "short-lived credentials through XEP-0215, so only your users can relay.",
        "compliance", when={"compliance.stun": True}, default=False,
    )
    mam: bool = question(
        "Message archive",
        "Keeps history on the server so every device of a user sees it (XEP-0313), also for group chats.",
        "compliance", default=True,
    )
    stream_management: bool = question(
        "Stream management",
        "Mobile clients resume a dropped connection without losing messages (XEP-0198).",
        "compliance", default=True,
    )
    push: bool = question(
        "Push notifications", "Wakes sleeping mobile clients through their push service (XEP-0357).", "compliance",
        default=True,
    )
    carbons: bool = question(
        "Message carbons", "Copies each message to all of a user's devices (XEP-0280).", "compliance", default=True
    )
    client_state_indication: bool = question(
        "Client state indication", "Holds back unimportant traffic while a phone's screen is off (XEP-0352).",
        "compliance", default=True,
    )

    @property
    def relays(self) -> bool:
        """Whether ejabberd relays calls: TURN is its STUN server with TURN switched on."""
        return self.stun and self.turn


class Security(Section):
    hide_sensitive_log_data: bool = question(
        "Hide IP addresses in logs", "Keeps users' addresses out of the log files.", "security"
    )
    admin_interface: bool = question(
        "Web admin interface",
        "On its own port, bound to loopback: not exposed with the public web features.",
        "security",
    )
    show_os: bool = question(
        "Tell the operating system", "mod_version answers with the OS to anyone who asks; off hides it.", "security"
    )
    scram: bool = question(
        "Store passwords hashed (SCRAM)", "Otherwise ejabberd stores passwords in plain text.", "security"
    )
    loglevel: Literal[
        "none", "emergency", "alert", "critical", "error", "warning", "notice", "info", "debug"
    ] = question(
        "Log level", "'warning' for production; 'info' or 'debug' while testing.", "security"
    )
    mqtt: bool = question("MQTT broker", "ejabberd's MQTT service; off unless you need it.", "security")
    registration: Literal["closed", "loopback", "captcha", "open"] = question(
        "Account registration",
        "'closed': only the admin creates accounts (ejabberdctl); 'loopback': also any program on this machine, "
        "upstream's default, but on shared hosting every user of the host; 'captcha': anyone, after solving a "
        "CAPTCHA; 'open': anyone, which invites spammers.",
        "security",
    )
    password_strength: Count = question(
        "Minimum password entropy", "Passwords weaker than this many bits are refused at registration (0 = no check).",
        "security", ge=0, le=128,
    )
    captcha_cmd: AbsolutePath | None = question(
        "CAPTCHA command", "The script that draws CAPTCHA images (needs ImageMagick).", "security",
        when={"security.registration": "captcha"}, default=None,
    )


class Service(Section):
    manager: Literal["supervisord", "systemd"] = question(
        "Service manager", "What keeps ejabberd running: supervisord on Uberspace, systemd elsewhere.", "service"
    )
    web_server: Literal["uberspace", "caddy"] = question(
        "Web server in front",
        "Who serves HTTPS and forwards upload/WebSocket/BOSH to ejabberd: Uberspace's web backend, or Caddy v2.",
        "service",
    )
    unit_path: AbsolutePath = question(
        "Service file", "Where the service definition is installed.", "service"
    )
    admin_user: UserName = question(
        "Admin account",
        "The user name of the admin account (on the main domain), registered after the start.",
        "service",
    )
    web_root: AbsolutePath = question(
        "Web root", "The web server serves .well-known files (XEP-0156 host-meta) from here.", "service"
    )
    backup_dir: AbsolutePath = question("Backup directory", "Where scripts/backup.sh puts its archives.", "service")


class Answers(BaseModel):
    """Every choice of one deployment. Saved as ``wizard.yml``, without secrets."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, title="ejabberd-wizard answers")

    # Older versions are brought up to this one as they are read (wizard.answers.migrations).
    version: Literal[1] = Field(SCHEMA_VERSION, description="Version of this answers format.")
    preset: str = Field(description="The preset these answers started from (see `ejabberd-wizard presets`).")
    install: Install
    domains: Domains
    ports: Ports
    tls: Tls
    upload: Upload
    database: Database
    compliance: Compliance
    security: Security
    service: Service

    @model_validator(mode="after")
    def _no_shared_ports(self) -> Answers:
        seen: dict[int, str] = {}
        for field, number in self.ports.services(self).items():
            if number in seen:
                raise ValueError(f"ports.{field}: port {number} is already used by ports.{seen[number]}; "
                                 "every service needs its own port")
            seen[number] = field
        return self

    @model_validator(mode="after")
    def _captcha_needs_command(self) -> Answers:
        if self.security.registration == "captcha" and not self.security.captcha_cmd:
            raise ValueError("security.captcha_cmd: registration 'captcha' needs the path of a CAPTCHA script")
        return self

    @model_validator(mode="after")
    def _paths_the_service_files_can_hold(self) -> Answers:
        # Caddy cannot be given every path (see validators.caddy_path).
        if self.service.web_server == "caddy":
            for field, path in (("service.web_root", self.service.web_root), ("tls.cert_file", self.tls.cert_file),
                                ("tls.key_file", self.tls.key_file)):
                try:
                    v.caddy_path(path or "", template=field.startswith("tls."))
                except ValueError as error:
                    raise ValueError(f"{field}: {error}") from None
        return self

    @model_validator(mode="after")
    def _upload_path_of_its_own(self) -> Answers:
        # ejabberd keeps one handler per path: the upload would silently replace BOSH or WebSocket.
        if self.upload.enabled:
            taken = {"/bosh": "BOSH (mod_bosh)", "/ws": "WebSocket (ejabberd_http_ws)",
                     "/.well-known": "the host-meta files (XEP-0156)"}
            if self.security.registration == "captcha":
                taken["/captcha"] = "the CAPTCHA images (ejabberd_captcha)"
            path = "/" + self.upload.path.strip("/")
            if path == "/" or path in taken:
                what = taken.get(path, "every other handler of the web port")
                raise ValueError(f"upload.path: {self.upload.path!r} is the path of {what}; "
                                 "expected a path of its own such as '/upload'")
        return self

    @model_validator(mode="after")
    def _ports_a_shared_host_lets_us_open(self) -> Answers:
        # Uberspace's accounts are not root: a port below 1024 cannot be listened on there,
        # and 80/443 belong to its own web front end.
        if self.service.web_server == "uberspace":
            for field, number in self.ports.services(self).items():
                if number < 1024:
                    raise ValueError(f"ports.{field}: port {number} is privileged, and Uberspace lets an "
                                     "account listen only from 1024 up; expected the port `uberspace port add` "
                                     "opened (40000-61000) or, for the web port, one above 1024")
        return self

    @model_validator(mode="after")
    def _paths_a_systemd_unit_can_hold(self) -> Answers:
        if self.service.manager == "systemd":
            install = self.install
            for field, path, characters in (
                    ("install.ejabberdctl", install.ejabberdctl, v.SYSTEMD_EXECUTABLE),
                    ("install.config_dir", install.config_dir, v.SYSTEMD_ARGUMENT),
                    ("install.spool_dir", install.spool_dir, v.SYSTEMD_ARGUMENT),
                    ("install.log_dir", install.log_dir, v.SYSTEMD_ARGUMENT)):
                try:
                    v.systemd_path(path, characters)
                except ValueError as error:
                    raise ValueError(f"{field}: {error}") from None
        return self

    @property
    def admin_jid(self) -> str:
        return f"{self.service.admin_user}@{self.domains.main}"


SECTIONS: tuple[str, ...] = tuple(name for name, field in Answers.model_fields.items()
                                  if isinstance(field.annotation, type) and issubclass(field.annotation, Section))
