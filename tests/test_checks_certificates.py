"""Certificate checks on real certificate files, made here with cryptography: a test CA,
leaf certificates with chosen names and dates, keys that match and keys that do not."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.answers_helpers import defaults
from tests.support.components import shared_tempdir
from wizard.answers.build import build_from
from wizard.answers.given import Given
from wizard.checks import Finding, Severity, run_checks
from wizard.checks.certificates import matches

HOST = "example.test"
NAMES = [HOST, f"conference.{HOST}", f"proxy.{HOST}", f"pubsub.{HOST}", f"file.{HOST}"]  # arch's subdomains
NOW = dt.datetime.now(dt.UTC)
# The server's user must be another one than root for "unreadable" to mean anything.
SERVER_USER = "nobody" if os.geteuid() == 0 else getpass.getuser()


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass
class Authority:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls, name: str = "Test CA") -> Authority:
        key = _key()
        cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        return cls(cert, key)

    def issue(self, names: list[str], key: ec.EllipticCurvePrivateKey, *, not_after: dt.datetime,
              not_before: dt.datetime | None = None) -> x509.Certificate:
        return (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(not_before or NOW - dt.timedelta(days=1)).not_valid_after(not_after)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
                .sign(self.key, hashes.SHA256()))


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture
def cert_dir() -> Iterator[Path]:
    # World-traversable, unlike pytest's tmp_path: the server's user must be able to enter it.
    directory = shared_tempdir("certs-")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def ca() -> Authority:
    return Authority.create()


def write_pair(directory: Path, cert_bytes: bytes, key: ec.EllipticCurvePrivateKey | None,
               stem: str = HOST) -> tuple[Path, Path]:
    cert_path, key_path = directory / f"{stem}.crt", directory / f"{stem}.key"
    cert_path.write_bytes(cert_bytes)
    if key is not None:
        key_path.write_bytes(key_pem(key))
    for path in (cert_path, key_path):
        if path.exists():
            path.chmod(0o644)
    return cert_path, key_path


def cert_findings(directory: Path, preset: str = "arch", key_file: str | None = "{host}.key",
                  **overrides: Any) -> list[Finding]:
    tls: dict[str, Any] = {"cert_file": f"{directory}/{{host}}.crt",
                           "key_file": f"{directory}/{key_file}" if key_file else None}
    answers = defaults(preset, HOST, tls=tls, **overrides)
    answers["install"]["user"] = SERVER_USER
    return run_checks(build_from(None, Given(answers)), only={"certs"})


def problems(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is not Severity.OK]


def test_valid_certificate_with_its_chain(cert_dir: Path, ca: Authority) -> None:
    key = _key()
    write_pair(cert_dir, pem(ca.issue(NAMES, key, not_after=NOW + dt.timedelta(days=90)), ca.cert), key)
    findings = cert_findings(cert_dir)
    assert problems(findings) == []
    assert sorted(f.subject for f in findings if f.check == "certs.name") == sorted(NAMES)
    valid = [f for f in findings if f.check == "certs.valid"]
    assert len(valid) == 1 and "chain complete" in valid[0].message and f"{HOST}.crt" in valid[0].subject
    assert {f.step for f in findings} == {"tls"}


def test_expired_certificate_is_an_error(cert_dir: Path, ca: Authority) -> None:
    key = _key()
    leaf = ca.issue(NAMES, key, not_before=NOW - dt.timedelta(days=100), not_after=NOW - dt.timedelta(days=10))
    write_pair(cert_dir, pem(leaf, ca.cert), key)
    [expiry] = [f for f in cert_findings(cert_dir) if f.check == "certs.expiry"]
    assert expiry.severity is Severity.ERROR and "expired" in expiry.message and expiry.fix


@pytest.mark.parametrize(("days", "severity"), [(3, Severity.WARNING), (20, Severity.INFO)])
def test_certificate_expiring_soon(cert_dir: Path, ca: Authority, days: int, severity: Severity) -> None:
    key = _key()
    write_pair(cert_dir, pem(ca.issue(NAMES, key, not_after=NOW + dt.timedelta(days=days)), ca.cert), key)
    [expiry] = [f for f in cert_findings(cert_dir) if f.check == "certs.expiry"]
    assert expiry.severity is severity
    assert f"expires in {days - 1} days" in expiry.message or f"expires in {days} days" in expiry.message


def test_certificate_for_other_names(cert_dir: Path, ca: Authority) -> None:
    key = _key()
    write_pair(cert_dir, pem(ca.issue(["other.test", "www.other.test"], key, not_after=NOW + dt.timedelta(days=90)),
                             ca.cert), key)
    findings = cert_findings(cert_dir)
    wrong = [f for f in findings if f.check == "certs.name"]
    assert sorted(f.subject for f in wrong) == sorted(NAMES)
    assert all(f.severity is Severity.ERROR and "other.test, www.other.test" in f.message for f in wrong)
    assert all(f.fix for f in wrong)


def test_wildcard_covers_the_subdomains(cert_dir: Path, ca: Authority) -> None:
    key = _key()
    write_pair(cert_dir, pem(ca.issue([HOST, f"*.{HOST}"], key, not_after=NOW + dt.timedelta(days=90)), ca.cert), key)
    findings = cert_findings(cert_dir)
    assert problems(findings) == []
    assert sorted(f.subject for f in findings if f.check == "certs.name" and f.severity is Severity.OK) == sorted(NAMES)


def test_wildcard_matching_rules() -> None:
    assert matches("conference.example.test", ["*.example.test"])
    assert not matches("example.test", ["*.example.test"])  # not the domain itself
    assert not matches("a.conference.example.test", ["*.example.test"])  # exactly one label
    assert matches("EXAMPLE.test", ["example.test"])


def test_key_that_does_not_match(cert_dir: Path, ca: Authority) -> None:
    write_pair(cert_dir, pem(ca.issue(NAMES, _key(), not_after=NOW + dt.timedelta(days=90)), ca.cert), _key())
    findings = cert_findings(cert_dir)
    [mismatch] = [f for f in findings if f.check == "certs.key"]
    assert mismatch.severity is Severity.ERROR and "does not belong" in mismatch.message
    assert not [f for f in findings if f.check == "certs.valid"]


def test_key_in_the_certificate_file_when_there_is_no_key_file(cert_dir: Path, ca: Authority) -> None:
    key = _key()
    write_pair(cert_dir, pem(ca.issue(NAMES, key, not_after=NOW + dt.timedelta(days=90)), ca.cert) + key_pem(key), None)
    assert problems(cert_findings(cert_dir, key_file=None)) == []
    write_pair(cert_dir, pem(ca.issue(NAMES, key, not_after=NOW + dt.timedelta(days=90)), ca.cert), None)
    [missing_key] = problems(cert_findings(cert_dir, key_file=None))
    assert missing_key.check == "certs.key" and "no tls.key_file" in missing_key.message


def test_key_the_server_user_cannot_read(cert_dir: Path, ca: Authority) -> None:
    key = _key()
    _, key_path = write_pair(cert_dir, pem(ca.issue(NAMES, key, not_after=NOW + dt.timedelta(days=90)), ca.cert), key)
    key_path.chmod(0o600 if os.geteuid() == 0 else 0o000)
    [unreadable] = problems(cert_findings(cert_dir))
    assert unreadable.check == "certs.readable" and unreadable.severity is Severity.ERROR
    assert unreadable.subject == str(key_path)
    if os.geteuid() == 0:
        assert SERVER_USER in unreadable.message
        assert unreadable.fix == f"setfacl -m u:{SERVER_USER}:r {key_path}"


def test_missing_files(cert_dir: Path, ca: Authority) -> None:
    [missing] = cert_findings(cert_dir)
    assert missing.subject == str(cert_dir / f"{HOST}.crt")  # the key is not mentioned again
    assert missing.check == "certs.file" and missing.severity is Severity.ERROR and "does not exist" in missing.message
    assert missing.fix == f"put the certificate (with its chain) for {HOST} where tls.cert_file points"
    write_pair(cert_dir, pem(ca.issue(NAMES, _key(), not_after=NOW + dt.timedelta(days=90)), ca.cert), None)
    [no_key] = cert_findings(cert_dir)
    assert no_key.subject == str(cert_dir / f"{HOST}.key") and "does not exist" in no_key.message


def test_missing_certificate_on_uberspace_says_it_comes_with_the_first_visit(cert_dir: Path) -> None:
    findings = cert_findings(cert_dir, preset="uberspace")
    [main_cert] = [f for f in findings if f.subject == str(cert_dir / f"{HOST}.crt")]
    assert "first HTTPS visit" in main_cert.message
    assert main_cert.fix.startswith(f"uberspace web domain add {HOST}")


def test_self_signed_is_noted(cert_dir: Path) -> None:
    authority = Authority.create(HOST)  # a self-signed certificate is its own authority
    leaf = (x509.CertificateBuilder().subject_name(_name(HOST)).issuer_name(_name(HOST))
            .public_key(authority.key.public_key()).serial_number(1)
            .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in NAMES]), critical=False)
            .sign(authority.key, hashes.SHA256()))
    write_pair(cert_dir, pem(leaf), authority.key)
    [note] = problems(cert_findings(cert_dir))
    assert note.check == "certs.self_signed" and note.severity is Severity.WARNING


def test_chain_incomplete_or_broken(cert_dir: Path, ca: Authority) -> None:
    key = _key()
    leaf = ca.issue(NAMES, key, not_after=NOW + dt.timedelta(days=90))
    write_pair(cert_dir, pem(leaf), key)  # the issuer is neither in the file nor trusted
    [incomplete] = problems(cert_findings(cert_dir))
    assert incomplete.check == "certs.chain" and incomplete.severity is Severity.WARNING
    assert "Test CA" in incomplete.message
    write_pair(cert_dir, pem(leaf, Authority.create("Unrelated CA").cert), key)
    [broken] = problems(cert_findings(cert_dir))
    assert broken.check == "certs.chain" and broken.severity is Severity.ERROR and "Unrelated CA" in broken.message


def test_not_a_certificate(cert_dir: Path) -> None:
    (cert_dir / f"{HOST}.crt").write_text("hello\n")
    (cert_dir / f"{HOST}.key").write_bytes(key_pem(_key()))
    [finding] = problems(cert_findings(cert_dir))
    assert finding.check == "certs.file" and "no PEM certificate" in finding.message
