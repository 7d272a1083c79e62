"""The sections of the answers that stand on their own: installation, domains, TLS, upload, database.

The sections whose questions depend on other sections (the ports in use follow
the services switched on) are in ``wizard.answers.model``, beside the answers themselves.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, model_validator

from wizard.answers import validators as v
from wizard.answers.values import (
    AbsolutePath,
    ByteSize,
    CertPathTemplate,
    Count,
    Domain,
    IPv4Address,
    IPv6Address,
    Label,
    Port,
    Section,
    UserName,
    question,
)
from wizard.releases import check_supported


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
    ipv4: IPv4Address | None = question(
        "Server IPv4 address",
        "When given, the DNS records include the A records of every domain, and the TURN relay tells "
        "clients to send call media here (without it, the address the host's name resolves to); "
        "leave empty to add the records yourself.",
        "domains",
        default=None,
    )
    ipv6: IPv6Address | None = question(
        "Server IPv6 address",
        "When given, the DNS records include the AAAA records of every domain, and the TURN relay offers "
        "IPv6 relays at it.",
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

    @model_validator(mode="after")
    def _names_of_their_own(self) -> Domains:
        """Each name belongs to one host or service, and every record name fits into DNS."""
        roles = ("conference", "proxy", "pubsub", "upload")
        labels: dict[str, str] = {}
        for role in roles:
            label = getattr(self, role)
            if label in labels:
                # ejabberd would serve two services at one name: one of them vanishes from disco.
                raise ValueError(f"domains.{role}: {label!r} is already the label of domains.{labels[label]}; "
                                 "every service needs a subdomain of its own")
            labels[label] = role
        owners: dict[str, str] = {}
        for index, host in enumerate(self.hosts):
            for role, name in (("", host), *((role, f"{label}.{host}") for label, role in labels.items())):
                key = v.to_ascii(name)  # bücher.example and xn--bcher-kva.example are one name
                if key in owners:
                    raise ValueError(f"domains.hosts.{index}: {name!r} is also {owners[key]}; "
                                     "each domain and service subdomain may appear once")
                owners[key] = f"the {role} subdomain of {host!r}" if role else f"domains.hosts.{index}"
                # The longest name dns/records.zone writes for it is an SRV record's.
                record = v.SRV_PREFIX + key
                if len(record) > v.DNS_NAME_MAX:
                    raise ValueError(f"domains.hosts.{index}: {name!r} is too long for DNS: the record name "
                                     f"{record[:40]}... has {len(record)} of the {v.DNS_NAME_MAX} characters "
                                     "a name may have; expected a shorter domain or subdomain labels")
        return self


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
    max_size: ByteSize = question(
        "Largest upload", "Files above this size are refused: bytes, or with a unit such as 100MB or 1GiB "
        "(written as bytes; 104857600 is 100 MiB).", "upload",
        when={"upload.enabled": True}, ge=1,
    )
    thumbnail: bool = question(
        "Thumbnails", "Thumbnails need ImageMagick support compiled in; off is the safe choice.", "upload",
        when={"upload.enabled": True},
    )
    secret_length: Count = question(
        "Slot secret length", "Length of the random part of each upload URL; 40 makes URLs unguessable.", "upload",
        when={"upload.enabled": True}, ge=8, le=128,
    )
    quota_max_days: Count | None = question(
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
    pool_size: Count = question(
        "Connection pool size", "How many connections ejabberd keeps open to the database.", "database",
        when={"database.backend": "mysql"}, ge=1, le=100,
    )
    new_schema: bool = question(
        "New (multi-host) schema",
        "One set of tables for all domains; what current ejabberd expects. Import mysql.new.sql for it.",
        "database", when={"database.backend": "mysql"},
    )
