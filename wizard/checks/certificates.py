"""Certificates: for each domain and subdomain, the files exist, the server's user can read them,
the key matches, the certificate covers the name and is in date, and the chain is complete.
"""

from __future__ import annotations

import datetime as dt
import re
import ssl
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from wizard.answers.model import Answers
from wizard.answers.validators import to_ascii
from wizard.certificates import CertificatePair, pairs
from wizard.checks.access import blocking_path
from wizard.checks.core import Checker, Context, Finding, Severity, finder

found = finder("certs", "tls")

EXPIRY_WARNING_DAYS = 7
EXPIRY_INFO_DAYS = 30


@dataclass
class Loaded:
    """The contents of one certificate (and key) file pair, or why they could not be read."""

    chain: list[x509.Certificate] = field(default_factory=list)
    key: PrivateKeyTypes | None = None
    findings: list[Finding] = field(default_factory=list)


def check(ctx: Context, now: dt.datetime | None = None) -> list[Finding]:
    answers = ctx.answers
    now = now or dt.datetime.now(dt.UTC)
    # Several names may share one file (one certificate per main domain): read and judge it once.
    by_files: dict[tuple[str, str | None], list[str]] = {}
    for pair in pairs(answers):
        by_files.setdefault((pair.cert, pair.key), []).append(pair.name)
    findings: list[Finding] = []
    for (cert, key), names in by_files.items():
        loaded = load(CertificatePair(names[0], cert, key), answers)
        findings += loaded.findings
        if not loaded.chain:
            continue
        findings += judge_file(cert, loaded, now)
        findings += [covers(name, cert, loaded.chain[0], answers) for name in names]
    return findings


def load(pair: CertificatePair, answers: Answers) -> Loaded:
    loaded = Loaded()
    files = [pair.cert] + ([pair.key] if pair.key else [])
    for path in files:
        problem = _file_problem(Path(path), pair.name, answers)
        if problem:
            # One finding is enough: a missing certificate usually means its key is missing too.
            loaded.findings.append(problem)
            return loaded
    cert_bytes = Path(pair.cert).read_bytes()
    try:
        loaded.chain = x509.load_pem_x509_certificates(cert_bytes)
    except ValueError:
        loaded.findings.append(found("certs.file", Severity.ERROR, pair.cert,
                                     "holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                                     _obtain_fix(pair.name, answers)))
        return loaded
    # Without a key file the key is expected in the certificate file (a combined PEM).
    key_path = pair.key or pair.cert
    try:
        loaded.key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        why = "" if pair.key else " (there is no tls.key_file, so the key must follow the certificate)"
        loaded.findings.append(found("certs.key", Severity.ERROR, key_path,
                                     f"no unencrypted private key here{why}: {error}",
                                     "point tls.key_file at the private key (PEM, without a passphrase)"))
    return loaded


def _file_problem(path: Path, name: str, answers: Answers) -> Finding | None:
    user = answers.install.user
    if not path.is_file():
        what = "does not exist" if not path.exists() else "is not a file"
        message = f"{what}; ejabberd needs it for {name}"
        if answers.service.web_server == "uberspace":
            message += " (on Uberspace the certificate appears after the first HTTPS visit of the domain)"
        return found("certs.file", Severity.ERROR, str(path), message, _obtain_fix(name, answers))
    try:
        blocked = blocking_path(path, user)
    except KeyError:
        return found("certs.readable", Severity.INFO, str(path),
                     f"there is no user {user} on this machine, so whether the server can read {path} is not known")
    if blocked is not None:
        kind = "enter the directory" if blocked != path else "read"
        grant = "x" if blocked != path else "r"
        return found("certs.readable", Severity.ERROR, str(path),
                     f"{user}, the user ejabberd runs as, cannot {kind} {blocked}",
                     f"setfacl -m u:{user}:{grant} {blocked}")
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        return found("certs.readable", Severity.ERROR, str(path),
                     f"this check cannot read it: {error.strerror}", "run the check as root or as the server's user")
    return None


def _obtain_fix(name: str, answers: Answers) -> str:
    if answers.service.web_server == "uberspace":
        return f"uberspace web domain add {name}; then visit https://{name}/ once (curl -sI https://{name}/)"
    if "letsencrypt" in answers.tls.cert_file:
        host = next((h for h in answers.domains.hosts if name == h or name.endswith("." + h)), name)
        names = " ".join(f"-d {n}" for n in answers.domains.all_names() if n == host or n.endswith("." + host))
        return f"certbot certonly --expand --cert-name {host} {names}"
    return f"put the certificate (with its chain) for {name} where tls.cert_file points"


def judge_file(path: str, loaded: Loaded, now: dt.datetime) -> list[Finding]:
    leaf = loaded.chain[0]
    findings = []
    if loaded.key is not None and not _same_key(leaf, loaded.key):
        findings.append(found("certs.key", Severity.ERROR, path, "the private key does not belong to this certificate",
                              "use the key the certificate was issued for: `openssl x509 -noout -pubkey -in CERT` "
                              "and `openssl pkey -pubout -in KEY` must print the same"))
    findings += _expiry(path, leaf, now)
    findings += _chain(path, loaded.chain)
    if not any(f.severity.rank >= Severity.WARNING.rank for f in findings):
        until = leaf.not_valid_after_utc.date().isoformat()
        findings.append(found("certs.valid", Severity.OK, path,
                              f"valid until {until}, issued by {_common_name(leaf.issuer)}, "
                              "key matches, chain complete"))
    return findings


def _same_key(cert: x509.Certificate, key: PrivateKeyTypes) -> bool:
    def der(public_key: object) -> bytes:
        return public_key.public_bytes(  # type: ignore[attr-defined, no-any-return]
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    return der(cert.public_key()) == der(key.public_key())


def _expiry(path: str, leaf: x509.Certificate, now: dt.datetime) -> list[Finding]:
    if leaf.not_valid_before_utc > now:
        return [found("certs.expiry", Severity.ERROR, path,
                      f"not valid before {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC (check this machine's clock)",
                      "renew the certificate")]
    left = leaf.not_valid_after_utc - now
    end = f"{leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
    if left <= dt.timedelta(0):
        return [found("certs.expiry", Severity.ERROR, path, f"expired on {end}", "renew the certificate")]
    if left < dt.timedelta(days=EXPIRY_WARNING_DAYS):
        return [found("certs.expiry", Severity.WARNING, path, f"expires in {_days(left)} ({end})",
                      "renew it now; check that automatic renewal works")]
    if left < dt.timedelta(days=EXPIRY_INFO_DAYS):
        return [found("certs.expiry", Severity.INFO, path, f"expires in {_days(left)} ({end})",
                      "renewal is usually automatic; make sure it is")]
    return []


def _days(delta: dt.timedelta) -> str:
    days = delta.days
    return "less than a day" if days < 1 else f"{days} day{'s' if days != 1 else ''}"


def _chain(path: str, chain: list[x509.Certificate]) -> list[Finding]:
    leaf = chain[0]
    if _issued_by(leaf, leaf):
        return [found("certs.self_signed", Severity.WARNING, path,
                      "self-signed: clients will warn and other servers may refuse to federate",
                      "use a certificate from a public CA such as Let's Encrypt")]
    for child, parent in pairwise(chain):
        if not _issued_by(child, parent):
            return [found("certs.chain", Severity.ERROR, path,
                          f"the chain is broken: {_common_name(child.subject)} is not issued by the next certificate, "
                          f"{_common_name(parent.subject)}",
                          "write the certificate first, then each issuer in order (fullchain.pem does)")]
    last = chain[-1]
    if _issued_by(last, last) or _trusted_issuer(last):
        return []
    return [found("certs.chain", Severity.WARNING, path,
                  f"the chain is incomplete: {_common_name(last.subject)} is issued by {_common_name(last.issuer)}, "
                  "which is neither in the file nor a trusted root; clients may not find it",
                  "append the intermediate certificates (use fullchain.pem rather than cert.pem)")]


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _trusted_issuer(cert: x509.Certificate) -> bool:
    return any(_issued_by(cert, root) for root in trusted_roots().get(cert.issuer.rfc4514_string(), []))


@lru_cache(maxsize=1)
def trusted_roots() -> dict[str, list[x509.Certificate]]:
    """This machine's trusted root certificates, by subject."""
    roots: dict[str, list[x509.Certificate]] = {}
    cafile = ssl.get_default_verify_paths().cafile
    try:
        bundle = Path(cafile).read_bytes() if cafile else b""
    except OSError:
        bundle = b""
    # One by one: a single malformed root (some bundles have one) must not lose the others.
    for block in re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", bundle, re.DOTALL):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                root = x509.load_pem_x509_certificate(block)
            except ValueError:
                continue
        roots.setdefault(root.subject.rfc4514_string(), []).append(root)
    return roots


def covers(name: str, path: str, leaf: x509.Certificate, answers: Answers) -> Finding:
    names = dns_names(leaf)
    if matches(to_ascii(name), names):
        return found("certs.name", Severity.OK, name, f"covered by {path}")
    shown = ", ".join(names) if names else (f"no subjectAltName (CN {_common_name(leaf.subject)} "
                                            "alone counts for nothing)")
    return found("certs.name", Severity.ERROR, name, f"{path} does not cover {name}: it is for {shown}",
                 _obtain_fix(name, answers))


def dns_names(cert: x509.Certificate) -> list[str]:
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [name.lower() for name in extension.value.get_values_for_type(x509.DNSName)]


def matches(name: str, patterns: list[str]) -> bool:
    """RFC 6125 matching: exact, or a wildcard standing for exactly the left-most label."""
    name = name.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.rstrip(".")
        if pattern == name:
            return True
        if pattern.startswith("*.") and "." in name and name.split(".", 1)[1] == pattern[2:]:
            return True
    return False


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


CHECKERS = (Checker("certs", frozenset({"tls"}), check),)
