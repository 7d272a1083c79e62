"""Which certificate and key files the deployment uses, from the path templates."""

from __future__ import annotations

from dataclasses import dataclass

from wizard.answers.model import Answers


@dataclass(frozen=True)
class CertificatePair:
    name: str  # the domain the pair is for
    cert: str
    key: str | None


def pairs(answers: Answers) -> list[CertificatePair]:
    """The certificate (and key) that serves each domain and subdomain."""
    tls = answers.tls
    result = []
    for host in answers.domains.hosts:
        for name in (host, *answers.domains.subdomains(host).values()):
            fill = {"name": name, "host": host}
            result.append(CertificatePair(name, tls.cert_file.format(**fill),
                                          tls.key_file.format(**fill) if tls.key_file else None))
    return result


def certfiles(answers: Answers) -> list[str]:
    """ejabberd's ``certfiles``: every distinct file, in a stable order."""
    files: dict[str, None] = {}
    for pair in pairs(answers):
        files[pair.cert] = None
        if pair.key:
            files[pair.key] = None
    return list(files)
