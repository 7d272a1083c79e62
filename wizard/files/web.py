"""web/: the XEP-0156 host-meta files and, with Caddy, the Caddyfile."""

from __future__ import annotations

import json
import re
from xml.sax.saxutils import quoteattr

from wizard.answers.model import Answers
from wizard.certificates import CertificatePair, pairs
from wizard.files.endpoints import Endpoints


def host_meta(answers: Answers) -> str:
    endpoints = Endpoints.of(answers)
    return (
        "<?xml version='1.0' encoding='utf-8'?>\n"
        "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n"
        f"  <Link rel=\"urn:xmpp:alt-connections:xbosh\" href={quoteattr(endpoints.bosh)} />\n"
        f"  <Link rel=\"urn:xmpp:alt-connections:websocket\" href={quoteattr(endpoints.websocket)} />\n"
        "</XRD>\n"
    )


def host_meta_json(answers: Answers) -> str:
    endpoints = Endpoints.of(answers)
    links = [
        {"rel": "urn:xmpp:alt-connections:xbosh", "href": endpoints.bosh},
        {"rel": "urn:xmpp:alt-connections:websocket", "href": endpoints.websocket},
    ]
    return json.dumps({"links": links}, indent=2) + "\n"


def caddy_quote(text: str, *, placeholders: bool = False) -> str:
    """A Caddyfile token that Caddy reads as ``text`` (a path ``validators.caddy_path`` takes).

    ``placeholders``: Caddy expands the value again when it uses it (the root on every request).
    """
    if text and all(c.isalnum() or c in "/._-:*[]" for c in text):
        return text
    if placeholders and "{" in text:
        # Caddy's replacer reads a brace after a backslash as the brace itself, and the
        # adapter's shorthands ({path}, {host}, ...) never match a } after a backslash.
        # Without a {, Caddy 2.6 would keep such a backslash: then nothing is escaped.
        text = re.sub(r"([{}])", r"\\\1", text)
    # Caddy replaces {$NAME} in the file's text before it reads a single token, quoted or
    # not; its own {$NAME:default} gives "{$" back for the empty NAME, which is never set.
    text = text.replace("{$", "{$:{$}")
    # Backticks keep every character as written; double quotes keep a backslash too, but
    # read one before a " as an escape.
    if "`" not in text:
        return f"`{text}`"
    return '"' + text.replace('"', '\\"') + '"'


def caddyfile(answers: Answers) -> str:
    """Caddy v2: HTTPS for the web subdomain, forwarded to ejabberd's web listener."""
    upstream_ip = {"::": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::1": "[::1]"}.get(
        answers.ports.http_ip, answers.ports.http_ip)
    upstream = f"{upstream_ip}:{answers.ports.http}"
    certificates = {pair.name: pair for pair in pairs(answers)}
    blocks = [
        "# Caddy v2 configuration for the ejabberd web features, written by ejabberd-wizard.\n"
        "# Validate with: caddy validate --config Caddyfile --adapter caddyfile\n"
    ]
    for host in answers.domains.hosts:
        web_host = answers.domains.subdomains(host)["upload"]
        lines = [f"{web_host} {{", *_tls_line(certificates[web_host]), "\theader {"]
        lines.append('\t\tStrict-Transport-Security "max-age=31536000"')
        lines.append('\t\tX-Content-Type-Options "nosniff"')
        lines += ["\t}", f"\treverse_proxy {upstream}", "}"]
        blocks.append("\n".join(lines) + "\n")
        if answers.compliance.alternative_connections:
            blocks.append("\n".join([
                f"# XEP-0156: web clients look for {host}/.well-known/host-meta",
                f"{host} {{",
                *_tls_line(certificates[host]),
                "\thandle /.well-known/host-meta* {",
                f"\t\troot * {caddy_quote(answers.service.web_root, placeholders=True)}",
                '\t\theader Access-Control-Allow-Origin "*"',
                "\t\tfile_server",
                "\t}",
                "}",
            ]) + "\n")
    return "\n".join(blocks)


def _tls_line(pair: CertificatePair) -> list[str]:
    # Without a separate key file Caddy cannot use the pair; it then gets its own certificate.
    if pair.key is None:
        return []
    return [f"\ttls {caddy_quote(pair.cert)} {caddy_quote(pair.key)}"]
