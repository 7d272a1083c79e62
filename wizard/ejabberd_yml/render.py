"""config/ejabberd.yml from the answers, for the target ejabberd release.

Everything both guides configure by hand is here, with their mistakes mended:
``modules:`` (not ``module:``), ``mod_http_upload_quota``, ``docroot``, a real
STUN listener behind the STUN announcement, and ``auth_method: sql`` when users
are to live in MySQL.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from wizard.certificates import certfiles
from wizard.config_file import load_config
from wizard.ejabberd_yml.calls import calls_served, stun_disco, stun_listeners
from wizard.ejabberd_yml.merge import merge_onto
from wizard.ejabberd_yml.yamltext import dump, mapping, quoted, sequence
from wizard.errors import FileError
from wizard.model import Answers
from wizard.releases import UPDATES_SQL_SCHEMA_BY_DEFAULT, capabilities

# Marks the config as the wizard's, and says where its answers are.
HEADER = """\
ejabberd configuration written by ejabberd-wizard for ejabberd {version} (preset {preset}).
The answers behind it are in wizard.yml; change them there or in the wizard and
generate again. Options: https://docs.ejabberd.im/admin/configuration/
"""

PASSWORD_PLACEHOLDER = "{{sql_password}}"
CORS_METHODS = "GET, HEAD, PUT, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type"


def render(answers: Answers, sql_password: str | None, *, onto: str | None = None,
           previous: Answers | None = None, previous_config: str | None = None) -> str:
    """The config for ``answers``; with ``onto`` (the file as it is now), merged into it.

    ``previous`` are the answers the file was last written from and ``previous_config``
    what they rendered to then (``merge_base``), if recorded: the base of the merge (see
    ``wizard.ejabberd_yml.merge``). Without the record, the base is what ``previous`` render to now.
    """
    new = document(answers, sql_password)
    if onto is None:
        return dump(new)
    base = _recorded(previous_config) if previous_config is not None else None
    if base is None and previous is not None:
        base = document(previous, None)
    merged = merge_onto(onto, base, new).text
    if base is not None:
        # The merge keeps the file's own top comment; the wizard's header names the release and
        # preset, so it follows them unless it was edited by hand.
        old_header, new_header = _header(dump(base)), _header(dump(new))
        if merged.startswith(old_header):
            merged = new_header + merged[len(old_header):]
    return merged


def _header(text: str) -> str:
    lines = text.splitlines(keepends=True)
    count = next((index for index, line in enumerate(lines) if not line.startswith("#")), len(lines))
    return "".join(lines[:count])


def merge_base(answers: Answers) -> str:
    """What the merge of the next run starts from: the config for ``answers``, unmerged.

    Without the password, so that a changed password always counts as a change (and the
    record holds no secret).
    """
    return dump(document(answers, None))


def _recorded(text: str) -> CommentedMap | None:
    try:
        return load_config(text, Path("merge base"))
    except FileError:
        return None  # a damaged record: the base is rendered again instead


def document(answers: Answers, sql_password: str | None) -> CommentedMap:
    doc = CommentedMap()
    doc["hosts"] = sequence([quoted(host) for host in answers.domains.hosts])
    doc["loglevel"] = answers.security.loglevel
    doc["hide_sensitive_log_data"] = answers.security.hide_sensitive_log_data
    doc["certfiles"] = sequence([quoted(path) for path in certfiles(answers)])
    if not answers.tls.acme:
        doc["acme"] = mapping(auto=False)
    doc.update(_tls(answers))
    doc.update(_authentication(answers))
    if answers.database.backend == "mysql":
        doc.update(_sql(answers, sql_password))
    doc.update(_captcha(answers))
    doc["listen"] = sequence(_listeners(answers))
    doc.update(_access(answers))
    doc["modules"] = _modules(answers)

    header = HEADER.format(version=answers.install.version, preset=answers.preset)
    if note := capabilities(answers.install.version).note:
        header += "".join(f"{line}\n" for line in textwrap.wrap(f"{note}.", 88))
    doc.yaml_set_start_comment(header)
    _comment(doc, "certfiles", "TLS certificates of every domain and subdomain")
    _comment(doc, "listen", "Ports and what answers on them")
    _comment(doc, "acl", "Who is who, and what they may do")
    _comment(doc, "modules", "Features (XEPs) of every domain")
    if "define_macro" in doc:
        _comment(doc, "define_macro", "TLS settings shared by clients and servers")
    if "sql_type" in doc:
        _comment(doc, "sql_type", "MySQL/MariaDB for users, messages and module data")
    return doc


def _comment(doc: CommentedMap, key: str, text: str) -> None:
    # On the key's own line: a comment between two keys would belong to the node
    # above it when the file is read back, and go with it when that node changes.
    doc.yaml_add_eol_comment(text, key)


def _tls(answers: Answers) -> dict[str, Any]:
    tls = answers.tls
    options = sequence([quoted(option) for option in tls.protocol_options])
    values: dict[str, Any] = {}
    protocol_options: str | CommentedSeq  # a macro's name, or the options themselves
    if tls.use_macros:
        macros = mapping(
            TLS_CIPHERS=quoted(tls.c2s_ciphers),
            TLS_S2S_CIPHERS=quoted(tls.s2s_ciphers),
            TLS_OPTIONS=options,
        )
        if tls.dhfile:
            macros["DH_FILE"] = quoted(tls.dhfile)
        values["define_macro"] = macros
        c2s_ciphers, s2s_ciphers, protocol_options, dhfile = "TLS_CIPHERS", "TLS_S2S_CIPHERS", "TLS_OPTIONS", "DH_FILE"
    else:
        c2s_ciphers, s2s_ciphers, protocol_options = quoted(tls.c2s_ciphers), quoted(tls.s2s_ciphers), options
        dhfile = quoted(tls.dhfile or "")
    values["c2s_ciphers"] = c2s_ciphers
    values["c2s_protocol_options"] = protocol_options
    if tls.dhfile:
        values["c2s_dhfile"] = dhfile
    values["s2s_use_starttls"] = tls.s2s_use_starttls
    values["s2s_ciphers"] = s2s_ciphers
    values["s2s_protocol_options"] = protocol_options
    if tls.dhfile:
        values["s2s_dhfile"] = dhfile
    return values


def _authentication(answers: Answers) -> dict[str, Any]:
    values: dict[str, Any] = {"auth_method": "sql" if answers.database.backend == "mysql" else "internal"}
    if answers.security.scram:
        values["auth_password_format"] = "scram"
    # DIGEST-MD5 is obsolete and X-OAUTH2 unused; both would weaken SCRAM.
    values["disable_sasl_mechanisms"] = sequence([quoted("digest-md5"), quoted("x-oauth2")])
    return values


def _sql(answers: Answers, password: str | None) -> dict[str, Any]:
    database = answers.database
    caps = capabilities(answers.install.version)
    values: dict[str, Any] = {
        "sql_type": "mysql",
        "sql_server": quoted(database.server),
        "sql_port": database.port,
        "sql_database": quoted(database.name),
        "sql_username": quoted(database.user),
        "sql_password": quoted(password if password is not None else PASSWORD_PLACEHOLDER),
        "sql_pool_size": database.pool_size,
        "default_db": "sql",
        caps.sql_schema_option: database.new_schema,
    }
    if caps.updates_sql_schema and not caps.has(UPDATES_SQL_SCHEMA_BY_DEFAULT):
        # 23.10 to 24.05 bring their tables up to date only when asked: an upgrade then needs no ALTER TABLE.
        values["update_sql_schema"] = True
    return values


def _captcha(answers: Answers) -> dict[str, Any]:
    if answers.security.registration != "captcha" or answers.security.captcha_cmd is None:
        return {}
    web = answers.domains.subdomains(answers.domains.main)["upload"]
    return {"captcha_cmd": quoted(answers.security.captcha_cmd), "captcha_url": quoted(f"https://{web}/captcha")}


def _listeners(answers: Answers) -> list[CommentedMap]:
    ports, ip = answers.ports, quoted(answers.ports.listen_ip)
    c2s_common = {"max_stanza_size": 262144, "shaper": "c2s_shaper", "access": "c2s"}
    listeners: list[tuple[str, CommentedMap]] = [
        ("clients, STARTTLS", mapping(port=ports.c2s, ip=ip, module="ejabberd_c2s", **c2s_common,
                                      starttls=True, starttls_required=answers.tls.starttls_required)),
    ]
    if ports.c2s_tls is not None:
        listeners.append(("clients, direct TLS (XEP-0368)",
                          mapping(port=ports.c2s_tls, ip=ip, module="ejabberd_c2s", **c2s_common, tls=True)))
    listeners.append(("servers (federation)", mapping(port=ports.s2s, ip=ip, module="ejabberd_s2s_in",
                                                       max_stanza_size=524288, shaper="s2s_shaper")))
    if ports.s2s_tls is not None:
        listeners.append(("servers, direct TLS (XEP-0368)",
                          mapping(port=ports.s2s_tls, ip=ip, module="ejabberd_s2s_in",
                                  max_stanza_size=524288, shaper="s2s_shaper", tls=True)))
    listeners.append(("web: upload, WebSocket, BOSH (behind the web server)",
                      mapping(port=ports.http, ip=quoted(ports.http_ip), module="ejabberd_http", tls=False,
                              request_handlers=_public_handlers(answers))))
    if answers.security.admin_interface:
        listeners.append(("web admin and HTTP API, loopback only (ssh -L tunnel)",
                          mapping(port=ports.admin_http, ip=quoted("127.0.0.1"), module="ejabberd_http", tls=False,
                                  request_handlers=mapping(("/admin", "ejabberd_web_admin"),
                                                           ("/api", "mod_http_api")))))
    listeners += stun_listeners(answers)
    if answers.security.mqtt:
        listeners.append(("MQTT", mapping(port=ports.mqtt, ip=ip, module="mod_mqtt", backlog=1000)))
    for comment, listener in listeners:
        listener.yaml_add_eol_comment(comment, "port")
    return [listener for _, listener in listeners]


def _public_handlers(answers: Answers) -> CommentedMap:
    handlers = mapping(("/bosh", "mod_bosh"), ("/ws", "ejabberd_http_ws"))
    if answers.security.registration == "captcha":
        handlers["/captcha"] = "ejabberd_captcha"
    if answers.upload.enabled:
        handlers[answers.upload.path] = "mod_http_upload"
    return handlers


def _access(answers: Answers) -> dict[str, Any]:
    loopback = sequence([quoted("127.0.0.0/8"), quoted("::1/128")])
    acl = mapping(
        admin=mapping(user=sequence([quoted(answers.admin_jid)])),
        local=mapping(user_regexp=quoted("")),
        loopback=mapping(ip=loopback),
    )
    access_rules = mapping(
        local=mapping(allow="local"),
        c2s=mapping(deny="blocked", allow="all"),
        announce=mapping(allow="admin"),
        configure=mapping(allow="admin"),
        muc_create=mapping(allow="local"),
        pubsub_createnode=mapping(allow="local"),
        trusted_network=mapping(allow="loopback"),
    )
    api_permissions = mapping(
        ("console commands", mapping(**{"from": sequence(["ejabberd_ctl"])}, who="all", what=quoted("*"))),
        ("admin access", mapping(
            who=mapping(access=mapping(allow=sequence([mapping(acl="loopback"), mapping(acl="admin")]))),
            what=sequence([quoted("*"), quoted("!stop"), quoted("!start")]),
        )),
        ("public commands", mapping(who=mapping(ip=quoted("127.0.0.1/8")),
                                    what=sequence(["status", "connected_users_number"]))),
    )
    shaper = mapping(normal=mapping(rate=3000, burst_size=20000), fast=100000)
    shaper_rules = mapping(
        max_user_sessions=10,
        max_user_offline_messages=mapping((5000, "admin"), (100, "all")),
        c2s_shaper=mapping(none="admin", normal="all"),
        s2s_shaper="fast",
    )
    return {"acl": acl, "access_rules": access_rules, "api_permissions": api_permissions,
            "shaper": shaper, "shaper_rules": shaper_rules}


def _modules(answers: Answers) -> CommentedMap:
    domains, compliance = answers.domains, answers.compliance
    sql = answers.database.backend == "mysql"
    modules: list[tuple[str, Any, str | None]] = [
        ("mod_adhoc", {}, "ad-hoc commands (XEP-0050)"),
        ("mod_admin_extra", {}, None),
        ("mod_announce", mapping(access="announce"), None),
        ("mod_avatar", {}, "avatars (XEP-0398, XEP-0153)"),
        ("mod_blocking", {}, "blocking (XEP-0191)"),
        ("mod_bosh", {}, "BOSH (XEP-0124, XEP-0206)"),
        ("mod_caps", {}, "entity capabilities (XEP-0115), needed by PEP"),
        *([("mod_carboncopy", {}, "message carbons (XEP-0280)")] if compliance.carbons else []),
        *([("mod_client_state", {}, "client state indication (XEP-0352)")]
          if compliance.client_state_indication else []),
        ("mod_configure", {}, None),
        ("mod_disco", _disco(answers), "contact addresses (XEP-0157)"),
        ("mod_fail2ban", {}, None),
        ("mod_http_api", {}, None),
    ]
    if answers.upload.enabled:
        modules.append(("mod_http_upload", _upload(answers), "HTTP file upload (XEP-0363)"))
        if answers.upload.quota_max_days is not None:
            modules.append(("mod_http_upload_quota", mapping(max_days=answers.upload.quota_max_days), None))
    modules.append(("mod_last", {}, None))
    if compliance.mam:
        modules.append(("mod_mam", mapping(assume_mam_usage=True, default="always"), "message archive (XEP-0313)"))
    if answers.security.mqtt:
        modules.append(("mod_mqtt", {}, None))
    modules += [
        ("mod_muc", mapping(
            hosts=sequence([quoted(f"{domains.conference}.@HOST@")]),
            access=sequence(["allow"]),
            access_admin=sequence([mapping(allow="admin")]),
            access_create="muc_create",
            access_persistent="muc_create",
            access_mam=sequence(["allow"]),
            default_room_options=mapping(mam=compliance.mam),
        ), "group chat (XEP-0045)"),
        ("mod_muc_admin", {}, None),
        ("mod_offline", mapping(access_max_user_messages="max_user_offline_messages"), None),
        ("mod_ping", {}, None),
        ("mod_privacy", {}, None),
        ("mod_private", {}, "private storage, old bookmarks (XEP-0049)"),
        ("mod_proxy65", _proxy65(answers, sql), "file transfer proxy (XEP-0065)"),
        ("mod_pubsub", mapping(
            hosts=sequence([quoted(f"{domains.pubsub}.@HOST@")]),
            access_createnode="pubsub_createnode",
            plugins=sequence(["flat", "pep"]),
            force_node_config=mapping(
                # OMEMO keys must be readable by contacts; bookmarks by no one else.
                (quoted("eu.siacs.conversations.axolotl.*"), mapping(access_model="open")),
                (quoted("storage:bookmarks"), mapping(access_model="whitelist")),
            ),
        ), "PubSub and PEP (XEP-0060, XEP-0163)"),
        *([("mod_push", {}, "push notifications (XEP-0357)"), ("mod_push_keepalive", {}, None)]
          if compliance.push else []),
        ("mod_register", _register(answers), None),
        ("mod_roster", mapping(versioning=True), "roster versioning"),
        ("mod_s2s_dialback", {}, None),
        ("mod_shared_roster", {}, None),
        *([("mod_stream_mgmt", mapping(resend_on_timeout="if_offline"), "stream management (XEP-0198)")]
          if compliance.stream_management else []),
    ]
    if answers.compliance.stun:
        modules.append(("mod_stun_disco", stun_disco(answers), f"{calls_served(answers)} discovery (XEP-0215)"))
    modules += [
        ("mod_vcard", mapping(search=False), "vCard (XEP-0054)"),
        ("mod_vcard_xupdate", {}, None),
        ("mod_version", mapping(show_os=answers.security.show_os), None),
    ]
    result = CommentedMap()
    for name, options, comment in modules:
        result[name] = options if isinstance(options, CommentedMap) else CommentedMap(options)
        if comment:
            result.yaml_add_eol_comment(comment, name)
    return result


def _disco(answers: Answers) -> CommentedMap:
    compliance = answers.compliance
    kinds = [
        ("abuse-addresses", compliance.abuse_addresses),
        ("admin-addresses", compliance.admin_addresses),
        ("security-addresses", compliance.security_addresses),
        ("support-addresses", compliance.support_addresses),
    ]
    info = [
        mapping(modules="all", name=quoted(name), urls=sequence([quoted(url) for url in urls]))
        for name, urls in kinds
        if urls
    ]
    return mapping(server_info=sequence(info)) if info else CommentedMap()


def _upload(answers: Answers) -> CommentedMap:
    upload = answers.upload
    options = mapping(
        hosts=sequence([quoted(f"{answers.domains.upload}.@HOST@")]),
        put_url=quoted(f"https://{answers.domains.upload}.@HOST@{upload.path}"),
        docroot=quoted(upload.docroot),
        file_mode=quoted(upload.file_mode),
        dir_mode=quoted(upload.dir_mode),
        max_size=upload.max_size,
        secret_length=upload.secret_length,
        access="local",
    )
    options["thumbnail"] = upload.thumbnail
    if upload.cors_origin is None:
        return options
    # Browsers only let web clients upload when these are sent (XEP-0363 §5). Values
    # are literal: releases before 25.03 do not expand @HOST@ here.
    options["custom_headers"] = mapping(
        ("Access-Control-Allow-Origin", quoted(upload.cors_origin)),
        ("Access-Control-Allow-Methods", quoted(CORS_METHODS)),
        ("Access-Control-Allow-Headers", quoted(CORS_HEADERS)),
    )
    return options


def _proxy65(answers: Answers, sql: bool) -> CommentedMap:
    options = mapping(
        hosts=sequence([quoted(f"{answers.domains.proxy}.@HOST@")]),
        name=quoted("File Transfer Proxy"),
        ip=quoted(answers.ports.listen_ip),
        # Clients are told this name, not the wildcard address ejabberd binds to.
        hostname=quoted(answers.domains.subdomains(answers.domains.main)["proxy"]),
        port=answers.ports.proxy65,
        access="local",
        max_connections=5,
    )
    if sql:
        options["ram_db_type"] = "sql"
    return options


def _register(answers: Answers) -> CommentedMap:
    security = answers.security
    # Closed is 'access: none': no in-band registration from anywhere, and none announced.
    # Loopback ('ip_access: trusted_network', upstream's default) is not only the admin's:
    # every program of the machine, and on shared hosting every user of the host, can reach
    # it: that is the answer 'loopback', for who wants it. The admin creates accounts with
    # ejabberdctl, which needs no mod_register; users still change their passwords through it.
    options = {"closed": mapping(access="none"), "loopback": mapping(ip_access="trusted_network")}.get(
        security.registration, mapping(ip_access="all"))
    options["access_from"] = "deny"
    if security.registration == "captcha":
        options["captcha_protected"] = True
    if security.password_strength:
        options["password_strength"] = security.password_strength
    return options
