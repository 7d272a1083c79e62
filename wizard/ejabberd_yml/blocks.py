"""The composite values of ejabberd.yml: listeners, access control and the options of modules.

Each is a pure function of the answers, named by the option map (``wizard.ejabberd_yml.options``)
for the option it writes; what an answer alone says is an entry of the map itself.
"""

from __future__ import annotations

import re

from ruamel.yaml.comments import CommentedMap

from wizard.answers.model import Answers
from wizard.ejabberd_yml.calls import stun_listeners
from wizard.ejabberd_yml.yamltext import mapping, quoted, sequence

# The upload service's URL: its subdomain of every host (@HOST@), and the path the web server forwards.
PUT_URL = re.compile(r"https://(?P<label>[^./]+)\.(?:@HOST@|(?P<host>[^/]+))(?P<path>/.*)")
CORS_METHODS = "GET, HEAD, PUT, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type"


def listener_blocks(answers: Answers) -> list[CommentedMap]:
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
                              request_handlers=public_handlers(answers))))
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


def public_handlers(answers: Answers) -> CommentedMap:
    handlers = mapping(("/bosh", "mod_bosh"), ("/ws", "ejabberd_http_ws"))
    if answers.security.registration == "captcha":
        handlers["/captcha"] = "ejabberd_captcha"
    if answers.upload.enabled:
        handlers[answers.upload.path] = "mod_http_upload"
    return handlers


def acl(answers: Answers) -> CommentedMap:
    return mapping(
        admin=mapping(user=sequence([quoted(answers.admin_jid)])),
        local=mapping(user_regexp=quoted("")),
        loopback=mapping(ip=sequence([quoted("127.0.0.0/8"), quoted("::1/128")])),
    )


def access_rules(answers: Answers) -> CommentedMap:
    return mapping(
        local=mapping(allow="local"),
        c2s=mapping(deny="blocked", allow="all"),
        announce=mapping(allow="admin"),
        configure=mapping(allow="admin"),
        muc_create=mapping(allow="local"),
        pubsub_createnode=mapping(allow="local"),
        trusted_network=mapping(allow="loopback"),
    )


def api_permissions(answers: Answers) -> CommentedMap:
    return mapping(
        ("console commands", mapping(**{"from": sequence(["ejabberd_ctl"])}, who="all", what=quoted("*"))),
        ("admin access", mapping(
            who=mapping(access=mapping(allow=sequence([mapping(acl="loopback"), mapping(acl="admin")]))),
            what=sequence([quoted("*"), quoted("!stop"), quoted("!start")]),
        )),
        ("public commands", mapping(who=mapping(ip=quoted("127.0.0.1/8")),
                                    what=sequence(["status", "connected_users_number"]))),
    )


def shaper(answers: Answers) -> CommentedMap:
    return mapping(normal=mapping(rate=3000, burst_size=20000), fast=100000)


def shaper_rules(answers: Answers) -> CommentedMap:
    return mapping(
        max_user_sessions=10,
        max_user_offline_messages=mapping((5000, "admin"), (100, "all")),
        c2s_shaper=mapping(none="admin", normal="all"),
        s2s_shaper="fast",
    )


def muc(answers: Answers) -> CommentedMap:
    return mapping(
        hosts=sequence([quoted(f"{answers.domains.conference}.@HOST@")]),
        access=sequence(["allow"]),
        access_admin=sequence([mapping(allow="admin")]),
        access_create="muc_create",
        access_persistent="muc_create",
        access_mam=sequence(["allow"]),
        default_room_options=mapping(mam=answers.compliance.mam),
    )


def pubsub(answers: Answers) -> CommentedMap:
    return mapping(
        hosts=sequence([quoted(f"{answers.domains.pubsub}.@HOST@")]),
        access_createnode="pubsub_createnode",
        plugins=sequence(["flat", "pep"]),
        force_node_config=mapping(
            # OMEMO keys must be readable by contacts; bookmarks by no one else.
            (quoted("eu.siacs.conversations.axolotl.*"), mapping(access_model="open")),
            (quoted("storage:bookmarks"), mapping(access_model="whitelist")),
        ),
    )


def disco(answers: Answers) -> CommentedMap:
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


def put_url(label: str, path: str) -> str:
    return f"https://{label}.@HOST@{path}"


def parsed_put_url(url: object, main_host: str | None) -> tuple[str, str] | None:
    """The (label, path) of a put_url as ``put_url`` writes it (or with the main host for @HOST@)."""
    match = PUT_URL.fullmatch(url) if isinstance(url, str) else None
    if match is None or match["host"] not in (None, main_host):
        return None
    return match["label"], match["path"]


def upload(answers: Answers) -> CommentedMap:
    upload = answers.upload
    options = mapping(
        hosts=sequence([quoted(f"{answers.domains.upload}.@HOST@")]),
        put_url=quoted(put_url(answers.domains.upload, upload.path)),
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


def proxy65(answers: Answers) -> CommentedMap:
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
    if answers.database.backend == "mysql":
        options["ram_db_type"] = "sql"
    return options
