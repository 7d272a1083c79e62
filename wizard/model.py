"""The answers: one typed, versioned model of every choice a deployment needs.

Each field is declared once, here, with its label (``title``), the reason it
matters (``description``), the wizard step it belongs to and, where it only
applies in some setups, the condition under which it is asked. The question
catalogue, both front ends, the JSON schema and the answers-file validation all
read these declarations.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, model_validator

from wizard import validators as v
from wizard.migrations import SCHEMA_VERSION
from wizard.releases import check_supported

Domain = Annotated[str, AfterValidator(v.domain)]
Label = Annotated[str, AfterValidator(v.dns_label)]
# Strict: YAML's `true` must not become port 1.
Port = Annotated[StrictInt, AfterValidator(v.port)]
AbsolutePath = Annotated[str, AfterValidator(v.absolute_path)]
Text = Annotated[str, AfterValidator(v.safe_text)]
UserName = Annotated[str, AfterValidator(v.username)]
ContactURI = Annotated[str, AfterValidator(v.contact_uri)]
IPAddress = Annotated[str, AfterValidator(v.ip_address)]
# Certificate paths may name each domain that needs a certificate ({name}) or
# each host whose certificate also covers its subdomains ({host}).
CertPathTemplate = Annotated[str, AfterValidator(lambda s: v.path_template(s, frozenset({"name", "host"})))]


def question(title: str, why: str, step: str, *, when: dict[str, Any] | None = None, **field: Any) -> Any:
    """A model field that is also a question of the wizard.

    ``when`` maps other fields' dotted paths to the value they must have for this
    question to apply (e.g. ``{"database.backend": "mysql"}``).
    """
    extra: dict[str, Any] = {"step": step}
    if when:
        extra["when"] = when
    return Field(title=title, description=why, json_schema_extra=extra, **field)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Install(Section):
    method: Literal["source", "package"] = question(
        "Installation method",
        "Build from the release tarball into your home (shared hosting such as Uberspace, where "
        "you cannot install packages) or use the distribution's package.",
        "install",
    )
    version: Annotated[str, AfterValidator(v.ejabberd_version), AfterValidator(check_supported)] = question(
        "ejabberd version",
        "Options differ between releases and ejabberd refuses to start on one it does not know, "
        "so the config is written for exactly this release. With the package method it is the "
        "release of the installed package, when there is one; a source build takes the preset's.",
        "install",
    )
    prefix: AbsolutePath = question(
        "Installation prefix",
        "Where `make install` puts ejabberd (./configure --prefix): sbin/ejabberdctl, "
        "etc/ejabberd/, var/lib/ejabberd/ and var/log/ejabberd/ end up below it.",
        "install",
        when={"install.method": "source"},
    )
    user: UserName = question(
        "System user",
        "The account ejabberd runs as; on shared hosting your own login (./configure --enable-user).",
        "install",
    )
    home: AbsolutePath = question(
        "Home directory", "The home directory of that account; the paths below are built from it.", "install"
    )
    config_dir: AbsolutePath = question(
        "Live configuration directory",
        "Where the running server reads ejabberd.yml; the deploy script copies the generated config here.",
        "install",
    )
    ejabberdctl: AbsolutePath = question(
        "ejabberdctl", "The control command of the installed server, used by the scripts.", "install"
    )
    spool_dir: AbsolutePath = question(
        "Database directory", "Mnesia's data (users, rosters, ...) when no SQL database is used; backed up.", "install"
    )
    log_dir: AbsolutePath = question(
        "Log directory", "Where ejabberd writes its logs; check error.log there.", "install"
    )


class Domains(Section):
    hosts: list[Domain] = question(
        "XMPP domains",
        "The domains your users' addresses end in (user@domain). The first one is the main domain.",
        "domains",
        min_length=1,
    )
    conference: Label = question(
        "Group chat subdomain", "Multi-user chat rooms (XEP-0045) live at this subdomain of each domain.", "domains"
    )
    proxy: Label = question(
        "File transfer proxy subdomain",
        "The SOCKS5 bytestream proxy (XEP-0065) that relays file transfers between clients behind NAT.",
        "domains",
    )
    pubsub: Label = question(
        "PubSub subdomain", "The publish-subscribe service (XEP-0060) for feeds and shared nodes.", "domains"
    )
    upload: Label = question(
        "Web and upload subdomain",
        "HTTP file upload (XEP-0363), WebSocket and BOSH are served on this subdomain through the web server.",
        "domains",
    )
    ipv4: IPAddress | None = question(
        "Server IPv4 address",
        "When given, the DNS records include the A records of every domain; leave empty to add them yourself.",
        "domains",
        default=None,
    )
    ipv6: IPAddress | None = question(
        "Server IPv6 address",
        "When given, the DNS records include the AAAA records of every domain.",
        "domains",
        default=None,
    )

    @property
    def main(self) -> str:
        return self.hosts[0]

    def subdomains(self, host: str) -> dict[str, str]:
        """The service name of each subdomain of ``host``, e.g. {'conference': 'conference.example.org'}."""
        return {role: f"{getattr(self, role)}.{host}" for role in ("conference", "proxy", "pubsub", "upload")}

    def all_names(self) -> list[str]:
        """Every name that needs DNS records and a certificate: each host and its subdomains."""
        return [name for host in self.hosts for name in (host, *self.subdomains(host).values())]


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
        if answers.security.mqtt:
            used["mqtt"] = self.mqtt
        return used


Cipher = Annotated[str, AfterValidator(v.safe_text)]


class Tls(Section):
    cert_file: CertPathTemplate = question(
        "Certificate file",
        "Path of the certificate (with its chain); {name} stands for each domain and subdomain, "
        "{host} for each main domain when one certificate covers its subdomains.",
        "tls",
    )
    key_file: CertPathTemplate | None = question(
        "Private key file",
        "Path of the matching private key, with the same placeholders; empty when the certificate "
        "path is a glob or a combined file that holds the key too.",
        "tls",
    )
    acme: bool = question(
        "ejabberd's own ACME client",
        "Off when certificates come from elsewhere (the host, certbot); ejabberd would otherwise warn "
        "about or fight over them.",
        "tls",
    )
    protocol_options: list[Cipher] = question(
        "TLS protocol options",
        "Switch off SSLv3, TLS 1.0 and 1.1 and compression; prefer the server's cipher order.",
        "tls",
    )
    c2s_ciphers: Cipher = question(
        "Client ciphers",
        "OpenSSL cipher list for clients: forward-secret (ECDHE/DHE), AEAD (GCM, ChaCha20) where clients allow.", "tls",
    )
    s2s_ciphers: Cipher = question(
        "Server ciphers", "Ciphers for federation; may be a little wider than for clients, for old servers.", "tls"
    )
    dhfile: AbsolutePath | None = question(
        "Diffie-Hellman parameters",
        "A dhparam file for DHE ciphers (openssl dhparam 3072); empty to rely on ECDHE only.",
        "tls",
        default=None,
    )
    starttls_required: bool = question(
        "Require STARTTLS from clients", "Refuse clients that would log in without encryption.", "tls"
    )
    s2s_use_starttls: Literal["optional", "required"] = question(
        "STARTTLS for federation", "'required' refuses servers that would talk unencrypted.", "tls"
    )
    use_macros: bool = question(
        "Share TLS settings with define_macro",
        "Write the ciphers and options once as ejabberd macros (as the Arch guide does) instead of repeating them.",
        "tls",
    )


class Upload(Section):
    enabled: bool = question("HTTP file upload", "Lets clients share files and images (XEP-0363).", "upload")
    path: Annotated[str, AfterValidator(v.safe_text)] = question(
        "Upload path", "The URL path the upload handler listens on, e.g. /upload.", "upload",
        when={"upload.enabled": True}, pattern=r"^/[A-Za-z0-9._~/-]*$",
    )
    docroot: AbsolutePath = question(
        "Upload directory", "Where uploaded files are stored; @HOST@ is replaced by each domain.", "upload",
        when={"upload.enabled": True},
    )
    file_mode: Annotated[str, AfterValidator(v.private_mode)] = question(
        "Upload file mode", "Uploaded files are group-readable only (0640).", "upload",
        when={"upload.enabled": True}, pattern=r"^0[0-7]{3}$",
    )
    dir_mode: Annotated[str, AfterValidator(v.private_mode)] = question(
        "Upload directory mode", "setgid directories (2750) keep the group of the docroot on new files.", "upload",
        when={"upload.enabled": True}, pattern=r"^[0-7]?[0-7]{3}$",
    )
    max_size: int = question(
        "Largest upload (bytes)", "Files above this size are refused; 104857600 is 100 MB.", "upload",
        when={"upload.enabled": True}, ge=1,
    )
    thumbnail: bool = question(
        "Thumbnails", "Thumbnails need ImageMagick support compiled in; off is the safe choice.", "upload",
        when={"upload.enabled": True},
    )
    secret_length: int = question(
        "Slot secret length", "Length of the random part of each upload URL; 40 makes URLs unguessable.", "upload",
        when={"upload.enabled": True}, ge=8, le=128,
    )
    quota_max_days: int | None = question(
        "Delete uploads after (days)", "mod_http_upload_quota removes files older than this; empty keeps them forever.",
        "upload", when={"upload.enabled": True}, default=None, ge=1,
    )
    cors_origin: Annotated[str, AfterValidator(v.cors_origin)] | None = question(
        "CORS origin",
        "Web clients may only upload when the server sends CORS headers (XEP-0363 §5); '*' allows every "
        "web client, empty sends none.",
        "upload", when={"upload.enabled": True},
    )


class Database(Section):
    backend: Literal["mnesia", "mysql"] = question(
        "Database",
        "Mnesia is built in; MySQL/MariaDB is recommended for production (backups, size, tools).",
        "database",
    )
    server: Annotated[str, AfterValidator(v.safe_text)] = question(
        "Database server", "Host name or IP address of the MySQL/MariaDB server.", "database",
        when={"database.backend": "mysql"}, pattern=r"^[A-Za-z0-9.:_-]+$",
    )
    port: Port = question(
        "Database port", "MySQL's standard port is 3306.", "database",
        when={"database.backend": "mysql"},
    )
    name: Annotated[str, AfterValidator(v.safe_text)] = question(
        "Database name", "On Uberspace extra databases must be named <user>_<name>.", "database",
        when={"database.backend": "mysql"}, pattern=r"^[A-Za-z0-9_]{1,64}$",
    )
    user: Annotated[str, AfterValidator(v.safe_text)] = question(
        "Database user", "The account ejabberd logs in with.", "database",
        when={"database.backend": "mysql"}, pattern=r"^[A-Za-z0-9_.-]{1,80}$",
    )
    password_source: Literal["my_print_defaults", "file"] = question(
        "Where the password comes from",
        "The password never goes into the answers file: read it from MySQL's client options "
        "(my_print_defaults client, as Uberspace keeps it) or from a file only you can read.",
        "database", when={"database.backend": "mysql"},
    )
    password_file: Annotated[str, AfterValidator(v.safe_text)] = question(
        "Password file",
        "A file with mode 0600 holding the password; relative paths start at the deployment directory.",
        "database", when={"database.password_source": "file", "database.backend": "mysql"},
    )
    pool_size: int = question(
        "Connection pool size", "How many connections ejabberd keeps open to the database.", "database",
        when={"database.backend": "mysql"}, ge=1, le=100,
    )
    new_schema: bool = question(
        "New (multi-host) schema",
        "One set of tables for all domains; what current ejabberd expects. Import mysql.new.sql for it.",
        "database", when={"database.backend": "mysql"},
    )


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
    password_strength: int = question(
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

    # Older versions are brought up to this one as they are read (wizard.migrations).
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

    @property
    def admin_jid(self) -> str:
        return f"{self.service.admin_user}@{self.domains.main}"


SECTIONS: tuple[str, ...] = tuple(name for name, field in Answers.model_fields.items()
                                  if isinstance(field.annotation, type) and issubclass(field.annotation, Section))
