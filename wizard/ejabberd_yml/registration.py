"""Who may register accounts in-band: ``mod_register``'s options for security.registration, and back.

One encoding for the three readers of it: the renderer writes ``options_for`` the answer, the
import reads ``who_may_register`` as the answer, and the audit judges what it finds there.

Closed is ``access: none``: no in-band registration from anywhere, and none announced.
Loopback (``ip_access: trusted_network``, upstream's default) is not only the admin's: every
program of the machine, and on shared hosting every user of the host, can reach it: that is
the answer 'loopback', for who wants it. The admin creates accounts with ejabberdctl, which
needs no mod_register; users still change their passwords through it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap

from wizard.ejabberd_yml.yamltext import mapping

# The option that says who may register, by answer (open and captcha: everyone, from everywhere).
WHO = {"closed": ("access", "none"), "loopback": ("ip_access", "trusted_network"), "open": ("ip_access", "all"),
       "captcha": ("ip_access", "all")}
NOBODY = ("none", "deny")  # access rules that let no one through
Expand = Callable[[Any], Any]  # a value as ejabberd reads it: a define_macro name replaced by the macro's value


def options_for(registration: str) -> CommentedMap:
    """mod_register's options for the answer (password_strength aside: an answer of its own)."""
    option, value = WHO[registration]
    options = mapping((option, value), access_from="deny")
    if registration == "captcha":
        options["captcha_protected"] = True
    return options


def who_may_register(options: Mapping[str, Any], document: Mapping[str, Any], expand: Expand) -> str | None:
    """The answer mod_register's ``options`` say (closed, loopback, open or captcha); None where access
    rules the wizard does not write decide. Without its own access rules, mod_register lets everyone
    register from everywhere."""
    access, ip_access = expand(options.get("access")), expand(options.get("ip_access"))
    if access in NOBODY:
        return "closed"
    if not _allows_everyone(document, access):
        return None
    if not _allows_everyone(document, ip_access):
        return "loopback" if _loopback_only(document, ip_access, expand) else None
    return "captcha" if expand(options.get("captcha_protected")) is True else "open"


def _allows_everyone(document: Mapping[str, Any], rule: Any) -> bool:
    """Whether an access rule (by name) lets everyone through: 'all', or a rule that is only 'allow: all'."""
    if rule is None or rule in ("all", "allow"):
        return True
    if not isinstance(rule, str):
        return False
    rules = document.get("access_rules")
    body = rules.get(rule) if isinstance(rules, Mapping) else None
    if isinstance(body, Mapping):
        return list(body.items()) == [("allow", "all")]
    if isinstance(body, list):
        return body == ["allow"] or body == [{"allow": "all"}]
    return False


def _loopback_only(document: Mapping[str, Any], rule: Any, expand: Expand) -> bool:
    """Whether an access rule (by name) lets in only addresses of this machine, as upstream's
    'trusted_network' does: 'allow' of one acl whose networks are all loopback."""
    rules, acls = document.get("access_rules"), document.get("acl")
    body = rules.get(rule) if isinstance(rules, Mapping) and isinstance(rule, str) else None
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if not isinstance(body, Mapping) or list(body) != ["allow"] or not isinstance(acls, Mapping):
        return False
    acl = acls.get(expand(body["allow"]))
    networks = acl.get("ip") if isinstance(acl, Mapping) and list(acl) == ["ip"] else None
    networks = [networks] if isinstance(networks, str) else networks
    return isinstance(networks, list) and bool(networks) and all(_is_loopback_network(net) for net in networks)


def _is_loopback_network(network: Any) -> bool:
    try:
        parsed = ipaddress.ip_network(str(network), strict=False)
    except ValueError:
        return False
    return all(_is_loopback_address(address) for address in (parsed.network_address, parsed.broadcast_address))


def _is_loopback_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1, as upstream's acl lists it
    return address.is_loopback or bool(mapped and mapped.is_loopback)
