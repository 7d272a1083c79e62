"""The option map: every option of ejabberd.yml the wizard owns, once, in the order the file has them.

Each entry says where the option is (a dotted path), which answers it comes from, how it is
written (``render``), how the import reads it back (``read``), the releases that have it, and
the rules the security audit judges it by. The renderer (``wizard.ejabberd_yml.render``) folds
the map over the answers; the import (``wizard.ejabberd_yml.read``) is the inverse fold: it reads
each ``Read`` and ``Presence`` entry back generically, and runs once each walk that a ``Walked``
entry names (the listeners, TLS, certificates, STUN, ...: composite values); a ``NotRead`` entry
says why nothing is read back from it. What no entry owns is kept as it is. Adding an option is
adding an entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap

from wizard.answers.model import Answers
from wizard.certificates import certfiles
from wizard.ejabberd_yml import blocks
from wizard.ejabberd_yml.audit import Rule, Seen, is_false, is_true
from wizard.ejabberd_yml.calls import calls_served, stun_disco
from wizard.ejabberd_yml.parts import ABSENT
from wizard.ejabberd_yml.registration import options_for as registration_options
from wizard.ejabberd_yml.registration import who_may_register
from wizard.ejabberd_yml.yamltext import mapping, quoted, sequence
from wizard.releases import UPDATES_SQL_SCHEMA, UPDATES_SQL_SCHEMA_BY_DEFAULT, Capabilities

PASSWORD_PLACEHOLDER = "{{sql_password}}"


@dataclass(frozen=True)
class Rendering:
    """What an entry is written from: the answers, the database password (None: a placeholder), the release."""

    answers: Answers
    sql_password: str | None
    release: Capabilities


@dataclass(frozen=True)
class Read:
    """The option's value is the answer; ``default`` is ejabberd's own where the option is not set."""

    answer: str
    default: Any = ABSENT  # ABSENT: an option not set says nothing of the answer


@dataclass(frozen=True)
class Presence:
    """The option being there at all is the answer (a module switched on)."""

    answer: str


@dataclass(frozen=True)
class Walked:
    """The option's value is composite: the import's walk ``name`` (the reader's ``read_<name>``) reads it back.

    Several entries may name one walk (``tls`` reads all the TLS options); it runs once, in the
    order ``wizard.ejabberd_yml.read.WALK_ORDER`` gives (a walk after those whose findings it uses).
    """

    name: str


@dataclass(frozen=True)
class NotRead:
    """Nothing is read back from the option, for the reason ``why`` (a constant, or derived from other answers);
    the file's value stays as it is."""

    why: str


CONSTANT = NotRead("written the same for every answer")


@dataclass(frozen=True)
class Option:
    """One option of the file. ``read``, how the import reads it back, is one of: ``Read`` (the value is an
    answer), ``Presence`` (being there is an answer), ``Walked`` (a walk of the import reads the composite
    value) or ``NotRead`` (nothing can, and why)."""

    path: str  # in the file; the last part is the name of the oldest release that has the option
    answers: tuple[str, ...]  # the answers the value comes from
    render: Callable[[Rendering], Any] | None  # the value (ABSENT: not written); None: the entry above writes it
    read: Read | Presence | Walked | NotRead
    when: Callable[[Answers], bool] = lambda answers: True  # whether the answers write the option at all
    releases: Callable[[Capabilities], bool] = lambda release: True
    rules: tuple[Rule, ...] = ()
    comment: str | Callable[[Answers], str] | None = None  # written on the option's own line


def answer(dotted: str, *, keyword: bool = False) -> Callable[[Rendering], Any]:
    """The renderer of an option whose value is the answer ``dotted`` as it is: a string quoted,
    unless it is one of ejabberd's keywords (``keyword``: loglevel: warning)."""
    section, name = dotted.split(".")

    def value(rendering: Rendering) -> Any:
        given = getattr(getattr(rendering.answers, section), name)
        return quoted(given) if isinstance(given, str) and not keyword else given

    return value


def constant(make: Callable[[Answers], Any]) -> Callable[[Rendering], Any]:
    return lambda rendering: make(rendering.answers)


def module(name: str, options: Callable[[Answers], CommentedMap] | None = None, *, comment: str | None = None,
           switch: str | None = None, when: Callable[[Answers], bool] | None = None,
           read: Walked | NotRead = CONSTANT) -> Option:
    """A module of ``modules:``; ``switch`` is the boolean answer that turns it on (its presence is read back),
    else ``read`` says how the import reads it back."""
    on = when or ((lambda answers: _answer(answers, switch)) if switch else (lambda answers: True))
    return Option(f"modules.{name}", (switch,) if switch else (), constant(options or (lambda answers: mapping())),
                  Presence(switch) if switch else read, when=on, comment=comment)


def _answer(answers: Answers, dotted: str) -> Any:
    section, name = dotted.split(".")
    return getattr(getattr(answers, section), name)


def _tls_value(macro: str, value: Callable[[Answers], Any]) -> Callable[[Rendering], Any]:
    """A TLS option: the macro's name where the answers keep TLS settings in macros, else the value itself."""
    return lambda rendering: macro if rendering.answers.tls.use_macros else value(rendering.answers)


def _macros(answers: Answers) -> CommentedMap:
    tls = answers.tls
    macros = mapping(TLS_CIPHERS=quoted(tls.c2s_ciphers), TLS_S2S_CIPHERS=quoted(tls.s2s_ciphers),
                     TLS_OPTIONS=_protocol_options(answers))
    if tls.dhfile:
        macros["DH_FILE"] = quoted(tls.dhfile)
    return macros


def _protocol_options(answers: Answers) -> Any:
    return sequence([quoted(option) for option in answers.tls.protocol_options])


def _mysql(answers: Answers) -> bool:
    return answers.database.backend == "mysql"


def _dhfile(answers: Answers) -> bool:
    return bool(answers.tls.dhfile)


def _captcha(answers: Answers) -> bool:
    return answers.security.registration == "captcha" and answers.security.captcha_cmd is not None


def _registration(seen: Seen) -> str | None:
    return who_may_register(seen.value if isinstance(seen.value, Mapping) else {}, seen.document, seen.expand)


def _weak_password(seen: Seen) -> bool:
    strength = seen.expand(seen.value.get("password_strength")) if isinstance(seen.value, Mapping) else None
    return not isinstance(strength, (int, float)) or isinstance(strength, bool) or strength <= 0


def _s2s_policy(seen: Seen) -> str:
    policy = seen.expand(seen.value)
    return f"{'not set (false)' if policy is None else repr(policy)}: other servers may deliver messages unencrypted"


HIDES_LOGGED_ADDRESSES = Rule(
    "logs", "warning", is_true, "users' IP addresses are written to the logs",
    "hide_sensitive_log_data: true (answers: security.hide_sensitive_log_data: true)")
REQUIRES_STARTTLS_OF_SERVERS = Rule(
    "s2s_starttls", "warning", lambda seen: seen.expand(seen.value) in ("required", "required_trusted"), _s2s_policy,
    "s2s_use_starttls: required (answers: tls.s2s_use_starttls: required)")
HIDES_THE_OS = Rule(
    "show_os", "warning", is_false,
    "tells anyone who asks which operating system the server runs (show_os defaults to true)",
    "mod_version: {show_os: false} (answers: security.show_os: false)")
REGISTRATION_RULES = (
    Rule("registration_loopback", "warning", lambda seen: _registration(seen) != "loopback",
         "anyone who can reach this machine's loopback may register accounts: every program on it, "
         "and on shared hosting every user of the host",
         "mod_register: {access: none}; the admin creates accounts with ejabberdctl "
         "(answers: security.registration: closed)"),
    Rule("registration", "warning", lambda seen: _registration(seen) != "open",
         "anyone may register accounts, without a CAPTCHA: spammers will",
         "mod_register: {access: none} to close it, or captcha_protected: true with "
         "captcha_cmd (answers: security.registration: closed or captcha)"),
    Rule("password_strength", "warning",
         lambda seen: _registration(seen) not in ("open", "captcha") or not _weak_password(seen),
         "registration takes any password, however weak",
         "mod_register: {password_strength: 32} (answers: security.password_strength)"),
)

OPTIONS: tuple[Option, ...] = (
    Option("hosts", ("domains.hosts",), constant(lambda a: sequence([quoted(host) for host in a.domains.hosts])),
           Walked("hosts")),
    Option("loglevel", ("security.loglevel",), answer("security.loglevel", keyword=True), Read("security.loglevel")),
    # Absent, ejabberd logs IP addresses.
    Option("hide_sensitive_log_data", ("security.hide_sensitive_log_data",), answer("security.hide_sensitive_log_data"),
           Read("security.hide_sensitive_log_data", default=False), rules=(HIDES_LOGGED_ADDRESSES,)),
    Option("certfiles", ("tls.cert_file", "tls.key_file", "domains.hosts"),
           constant(lambda a: sequence([quoted(path) for path in certfiles(a)])), Walked("certfiles"),
           comment="TLS certificates of every domain and subdomain"),
    Option("acme", ("tls.acme",), constant(lambda a: mapping(auto=False)), Walked("tls"),
           when=lambda a: not a.tls.acme),
    Option("define_macro", ("tls.c2s_ciphers", "tls.s2s_ciphers", "tls.protocol_options", "tls.dhfile"),
           constant(_macros), Walked("tls"), when=lambda a: a.tls.use_macros,
           comment="TLS settings shared by clients and servers"),
    Option("c2s_ciphers", ("tls.c2s_ciphers",), _tls_value("TLS_CIPHERS", lambda a: quoted(a.tls.c2s_ciphers)),
           Walked("tls")),
    Option("c2s_protocol_options", ("tls.protocol_options",), _tls_value("TLS_OPTIONS", _protocol_options),
           Walked("tls")),
    Option("c2s_dhfile", ("tls.dhfile",), _tls_value("DH_FILE", lambda a: quoted(a.tls.dhfile or "")), Walked("tls"),
           when=_dhfile),
    Option("s2s_use_starttls", ("tls.s2s_use_starttls",), answer("tls.s2s_use_starttls", keyword=True),
           Read("tls.s2s_use_starttls"), rules=(REQUIRES_STARTTLS_OF_SERVERS,)),
    Option("s2s_ciphers", ("tls.s2s_ciphers",), _tls_value("TLS_S2S_CIPHERS", lambda a: quoted(a.tls.s2s_ciphers)),
           Walked("tls")),
    Option("s2s_protocol_options", ("tls.protocol_options",), _tls_value("TLS_OPTIONS", _protocol_options),
           Walked("tls")),
    Option("s2s_dhfile", ("tls.dhfile",), _tls_value("DH_FILE", lambda a: quoted(a.tls.dhfile or "")), Walked("tls"),
           when=_dhfile),
    Option("auth_method", ("database.backend",), constant(lambda a: "sql" if _mysql(a) else "internal"),
           Walked("database")),
    Option("auth_password_format", ("security.scram",), constant(lambda a: "scram"), Walked("password_format"),
           when=lambda a: a.security.scram),
    # DIGEST-MD5 is obsolete and X-OAUTH2 unused; both would weaken SCRAM.
    Option("disable_sasl_mechanisms", (), constant(lambda a: sequence([quoted("digest-md5"), quoted("x-oauth2")])),
           CONSTANT),
    Option("sql_type", ("database.backend",), constant(lambda a: "mysql"), Walked("database"), when=_mysql,
           comment="MySQL/MariaDB for users, messages and module data"),
    Option("sql_server", ("database.server",), answer("database.server"), Walked("database"), when=_mysql),
    Option("sql_port", ("database.port",), answer("database.port"), Walked("database"), when=_mysql),
    Option("sql_database", ("database.name",), answer("database.name"), Walked("database"), when=_mysql),
    Option("sql_username", ("database.user",), answer("database.user"), Walked("database"), when=_mysql),
    # Never an answer: the password is read where the answers say (database.password_source); the
    # database walk reports it kept.
    Option("sql_password", (), lambda r: quoted(PASSWORD_PLACEHOLDER if r.sql_password is None else r.sql_password),
           Walked("database"), when=_mysql),
    Option("sql_pool_size", ("database.pool_size",), answer("database.pool_size"), Walked("database"), when=_mysql),
    Option("default_db", ("database.backend",), constant(lambda a: "sql"),
           NotRead("follows database.backend, which sql_type says"), when=_mysql),
    Option("new_sql_schema", ("database.new_schema",), answer("database.new_schema"), Walked("database"),
           when=_mysql),
    # 23.10 to 24.05 bring their tables up to date only when asked: an upgrade then needs no ALTER TABLE.
    Option("update_sql_schema", (), constant(lambda a: True), NotRead("follows the release"), when=_mysql,
           releases=lambda r: r.has(UPDATES_SQL_SCHEMA) and not r.has(UPDATES_SQL_SCHEMA_BY_DEFAULT)),
    Option("captcha_cmd", ("security.captcha_cmd",), answer("security.captcha_cmd"), Read("security.captcha_cmd"),
           when=_captcha),
    Option("captcha_url", ("domains.upload",),
           constant(lambda a: quoted(f"https://{a.domains.subdomains(a.domains.main)['upload']}/captcha")),
           NotRead("follows domains.upload"), when=_captcha),
    Option("listen", ("ports.*", "tls.starttls_required", "compliance.stun", "compliance.turn"),
           constant(lambda a: sequence(blocks.listener_blocks(a))), Walked("listeners"),
           comment="Ports and what answers on them"),
    Option("acl", ("service.admin_user",), constant(blocks.acl), Walked("admin"),
           comment="Who is who, and what they may do"),
    Option("access_rules", (), constant(blocks.access_rules), CONSTANT),
    Option("api_permissions", (), constant(blocks.api_permissions), CONSTANT),
    Option("shaper", (), constant(blocks.shaper), CONSTANT),
    Option("shaper_rules", (), constant(blocks.shaper_rules), CONSTANT),
    Option("modules", (), constant(lambda a: CommentedMap()), NotRead("a section: its modules are entries"),
           comment="Features (XEPs) of every domain"),
    module("mod_adhoc", comment="ad-hoc commands (XEP-0050)"),
    module("mod_admin_extra"),
    module("mod_announce", lambda a: mapping(access="announce")),
    module("mod_avatar", comment="avatars (XEP-0398, XEP-0153)"),
    module("mod_blocking", comment="blocking (XEP-0191)"),
    module("mod_bosh", comment="BOSH (XEP-0124, XEP-0206)"),
    module("mod_caps", comment="entity capabilities (XEP-0115), needed by PEP"),
    module("mod_carboncopy", comment="message carbons (XEP-0280)", switch="compliance.carbons"),
    module("mod_client_state", comment="client state indication (XEP-0352)",
           switch="compliance.client_state_indication"),
    module("mod_configure"),
    module("mod_disco", blocks.disco, comment="contact addresses (XEP-0157)", read=Walked("disco")),
    module("mod_fail2ban"),
    module("mod_http_api"),
    module("mod_http_upload", blocks.upload, comment="HTTP file upload (XEP-0363)", when=lambda a: a.upload.enabled,
           read=Walked("upload")),
    *(Option(f"modules.mod_http_upload.{name}", (f"upload.{name}",), None, Read(f"upload.{name}"))
      for name in ("docroot", "file_mode", "dir_mode", "max_size", "thumbnail", "secret_length")),
    module("mod_http_upload_quota", lambda a: mapping(max_days=a.upload.quota_max_days),
           when=lambda a: a.upload.enabled and a.upload.quota_max_days is not None, read=Walked("upload")),
    module("mod_last"),
    module("mod_mam", lambda a: mapping(assume_mam_usage=True, default="always"), comment="message archive (XEP-0313)",
           switch="compliance.mam"),
    module("mod_mqtt", switch="security.mqtt"),
    module("mod_muc", blocks.muc, comment="group chat (XEP-0045)", read=Walked("subdomains")),
    module("mod_muc_admin"),
    module("mod_offline", lambda a: mapping(access_max_user_messages="max_user_offline_messages")),
    module("mod_ping"),
    module("mod_privacy"),
    module("mod_private", comment="private storage, old bookmarks (XEP-0049)"),
    module("mod_proxy65", blocks.proxy65, comment="file transfer proxy (XEP-0065)", read=Walked("subdomains")),
    # ejabberd's default port is 7777.
    Option("modules.mod_proxy65.port", ("ports.proxy65",), None, Read("ports.proxy65", default=7777)),
    module("mod_pubsub", blocks.pubsub, comment="PubSub and PEP (XEP-0060, XEP-0163)", read=Walked("subdomains")),
    module("mod_push", comment="push notifications (XEP-0357)", switch="compliance.push"),
    module("mod_push_keepalive", when=lambda a: a.compliance.push, read=NotRead("follows compliance.push")),
    Option("modules.mod_register", ("security.registration",),
           constant(lambda a: registration_options(a.security.registration)), Walked("registration"),
           rules=REGISTRATION_RULES),
    Option("modules.mod_register.password_strength", ("security.password_strength",),
           answer("security.password_strength"), Read("security.password_strength", default=0),
           when=lambda a: bool(a.security.password_strength)),
    module("mod_roster", lambda a: mapping(versioning=True), comment="roster versioning"),
    module("mod_s2s_dialback"),
    module("mod_shared_roster"),
    module("mod_stream_mgmt", lambda a: mapping(resend_on_timeout="if_offline"), comment="stream management (XEP-0198)",
           switch="compliance.stream_management"),
    Option("modules.mod_stun_disco", ("compliance.stun", "compliance.turn", "ports.stun", "ports.stuns"),
           constant(stun_disco), Presence("compliance.stun"), when=lambda a: a.compliance.stun,
           comment=lambda a: f"{calls_served(a)} discovery (XEP-0215)"),
    # The services it announces on the file's own hosts; those of other hosts are kept as they are.
    Option("modules.mod_stun_disco.services", ("ports.stun", "ports.stuns", "compliance.turn"), None,
           Walked("stun_services")),
    module("mod_vcard", lambda a: mapping(search=False), comment="vCard (XEP-0054)"),
    module("mod_vcard_xupdate"),
    module("mod_version"),
    # ejabberd tells the OS unless show_os is false.
    Option("modules.mod_version.show_os", ("security.show_os",), answer("security.show_os"),
           Read("security.show_os", default=True), rules=(HIDES_THE_OS,)),
)
