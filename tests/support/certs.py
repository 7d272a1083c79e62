"""Throwaway self-signed certificates for TLS between test clients and servers."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


class CertPair(NamedTuple):
    """Paths of a certificate and its key; unpacks as ``cert, key``."""

    cert: Path
    key: Path

    @property
    def combined(self) -> Path:
        """Certificate followed by key in one file, the form ejabberd's certfiles loads."""
        return self.cert.with_suffix(".pem")


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", name.replace("*", "wildcard"))


def _san_entry(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _build_cert(names: list[str], key: ec.EllipticCurvePrivateKey, days: int) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    # Backdate a little so a client whose clock is slightly behind accepts it.
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([_san_entry(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # s2s uses the same certificate as a TLS client, hence CLIENT_AUTH too.
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )


def make_self_signed(dirpath: Path | str, names: list[str], days: int = 30) -> CertPair:
    """Create a self-signed certificate valid for all ``names`` (CN = first name).

    Writes ``<cn>.crt``, ``<cn>.key`` and the combined ``<cn>.pem`` into
    ``dirpath``. The certificate itself can be given to clients as their CA
    file. All files are world-readable because servers under test run as
    their own system users (ejabberd, caddy, ...) and the key is worthless.
    """
    if not names:
        raise ValueError("a certificate needs at least one name")
    directory = Path(dirpath)
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _build_cert(names, key, days)

    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    stem = _file_stem(names[0])
    pair = CertPair(cert=directory / f"{stem}.crt", key=directory / f"{stem}.key")
    pair.cert.write_bytes(cert_pem)
    pair.key.write_bytes(key_pem)
    pair.combined.write_bytes(cert_pem + key_pem)
    for path in (directory, pair.cert, pair.key, pair.combined):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return pair
