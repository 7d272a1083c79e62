"""Each preset's README, followed exactly in a Debian root that stands in for the platform.

Only what a Debian root cannot have is replaced (tests/support/standins: pacman, systemctl,
certbot); ejabberd, Caddy, curl, setfacl, openssl and the wizard itself are the real ones. The DNS
provider is a real nsd inside the sandbox's network namespace, serving the deployment's own
dns/records.zone, and the server's public addresses are on the namespace's loopback.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator

import pytest

import presets
from tests.support.dns_server import write_nsd_files, zones_from_records
from tests.support.rehearsal import Rehearsal, Step, Typed, readme_steps
from tests.support.sandbox import Sandbox
from tests.support.uberspace_host import UberspaceHost

pytestmark = pytest.mark.slow

IPV4, IPV6 = "192.0.2.10", "2001:db8::10"
DOMAIN = "example.test"
ADMIN_PASSWORD = "correct horse battery staple"
DEPLOYMENT = "/root/ejabberd-deploy"

def answers_for(preset: str, domain: str) -> str:
    """What a person answers on the sandbox: the release its packages have, the domain, its addresses."""
    return (f"preset: {preset}\n"
            'install:\n  version: "23.01"  # the ejabberd of the sandbox\'s packages (Debian 12)\n'
            f'domains:\n  hosts: [{domain}]\n  ipv4: {IPV4}\n  ipv6: "{IPV6}"\n'
            f'compliance:\n  abuse_addresses: ["mailto:abuse@{domain}"]\n')


class Provider:
    """The DNS provider: nsd in the sandbox, serving the records the README says to add."""

    def __init__(self, sandbox: Sandbox, domain: str = DOMAIN, deployment: str = DEPLOYMENT) -> None:
        self.sandbox, self.domain, self.deployment = sandbox, domain, deployment

    def publish(self, step: Step) -> None:
        records = self.sandbox.inside(f"{self.deployment}/dns/records.zone").read_text()
        workdir = self.sandbox.base / "dns"
        workdir.mkdir(exist_ok=True)
        config = write_nsd_files(workdir, ["127.0.0.1", "::1"], zones_from_records(records))
        self.sandbox.spawn_host("/usr/sbin/nsd", "-d", "-c", str(config), log=str(self.sandbox.base / "nsd.log"))
        # getent asks the root's resolver, the way every program in it will.
        answered = self.sandbox.wait_until(f"getent ahosts {self.domain}", f"{step}: the DNS records resolving",
                                           timeout=10)
        assert IPV4 in answered.stdout


def tunnel_target(sandbox: Sandbox) -> Callable[[Step], None]:
    def check(step: Step) -> None:
        """`ssh -L PORT:127.0.0.1:PORT server` runs on the user's computer; what it reaches must answer."""
        (command,) = step.commands
        forwarded = re.search(r"-L (\d+):([\d.]+):(\d+)", command)
        assert forwarded, command
        _, host, port = forwarded.groups()
        answer = sandbox.run(f"curl -sS -o /dev/null -w '%{{http_code}}' http://{host}:{port}/admin/")
        assert answer.stdout.strip() in ("200", "401"), f"{step}: the web admin does not answer: {answer}"
    return check


def verify_status(output: str, title: str) -> str | None:
    """What verify's text report says of the test ``title``: PASS, FAIL, NOT TESTED HERE (None: absent)."""
    found = re.search(rf"^\s+(PASS|FAIL|NOT TESTED HERE)\s+\S+(?: \S+)?\s+{re.escape(title)}[:,] ", output, re.M)
    return found.group(1) if found else None


def judge_check(code: int, output: str) -> None:
    assert code == 0 and re.search(r"\b0 errors\b", output), "check found errors"


def judge_verify(code: int, output: str) -> None:
    """Every test passes that this sandbox and this release allow: a failure must be the release's."""
    for title in ("Core features: STARTTLS, SASL, resource binding", "Group chat: create a room",
                  "Upload: PUT and GET through the web server",
                  "host-meta names WebSocket and BOSH, readable by browsers", "XMPP over WebSocket", "XMPP over BOSH"):
        assert verify_status(output, title) == "PASS", f"{title}: {verify_status(output, title)}"
    failures = re.findall(r"^\s+FAIL .*\n\s+fix: (.*)$", output, re.M)
    # A compliance tester's failing test lists the failing tests it rests on below it, each with its fix.
    grouped = re.findall(r"^\s+FAIL .*\n(?=\s+FAIL )", output, re.M)
    assert len(failures) == len(re.findall(r"^\s+FAIL ", output, re.M)) - len(grouped), "a FAIL without a fix"
    # The release's, or the presets' closed registration (which caas counts against listing the server).
    allowed = ("install.version:", "security.registration: captcha")
    assert all(fix.startswith(allowed) for fix in failures), f"failures: {failures}"
    assert code == (1 if failures else 0)


def test_every_preset_has_its_readme_rehearsed() -> None:
    """A preset added without a rehearsal here fails: its README would be the one nobody followed."""
    from tests import test_rehearsal_debian  # a module of its own (it imports this one)

    suffix = "_readme_followed_exactly_ends_with_a_server_clients_use"
    rehearsed = {name.removeprefix("test_the_").removesuffix(suffix)
                 for name in [*globals(), *vars(test_rehearsal_debian)] if name.endswith(suffix)}
    assert rehearsed == set(presets.names())


@pytest.fixture
def arch_sandbox() -> Iterator[Sandbox]:
    with Sandbox("arch", addresses=[IPV4, IPV6]) as sandbox:
        yield sandbox


def host_meta_allows_other_origins(rehearsal: Rehearsal, domain: str) -> None:
    """Web clients read host-meta from another origin: it needs the CORS header."""
    host_meta = rehearsal.run(f"curl -sS -D - -o /dev/null https://{domain}/.well-known/host-meta")
    assert re.search(r"^access-control-allow-origin: \*\s*$", host_meta, re.M | re.I), host_meta


def answer_loglevel_info(rehearsal: Rehearsal) -> None:
    """What the README says to change an answer: edit wizard.yml (security.loglevel), then generate."""
    answers_file = rehearsal.sandbox.inside(f"{rehearsal.directory}/wizard.yml")
    edited = re.sub(r"^(\s+loglevel:) \S+$", r"\1 info", answers_file.read_text(), count=1, flags=re.M)
    assert edited != answers_file.read_text(), "wizard.yml has no security.loglevel to change"
    answers_file.write_text(edited)
    rehearsal.run("ejabberd-wizard generate --out . --yes")


def served_certificate(sandbox: Sandbox, port: int, name: str) -> str:
    """SHA-256 fingerprint of the certificate the server on ``port`` presents for ``name``."""
    shown = sandbox.run(f"openssl s_client -connect {IPV4}:{port} -servername {name} </dev/null 2>/dev/null"
                        " | openssl x509 -noout -fingerprint -sha256", timeout=60)
    assert shown.returncode == 0 and "Fingerprint" in shown.stdout, f"no certificate on {port}: {shown}"
    return shown.stdout.strip()


def issued_certificate(sandbox: Sandbox) -> str:
    shown = sandbox.run(f"openssl x509 -noout -fingerprint -sha256 -in /etc/letsencrypt/live/{DOMAIN}/cert.pem")
    assert shown.returncode == 0, shown
    return shown.stdout.strip()


def force_renewal(rehearsal: Rehearsal, sandbox: Sandbox) -> str:
    """``certbot renew --force-renewal`` once ejabberd and Caddy serve the issued certificate; the new one."""
    before = issued_certificate(sandbox)
    assert served_certificate(sandbox, 5223, DOMAIN) == before == served_certificate(sandbox, 443, f"file.{DOMAIN}")
    rehearsal.run("certbot renew --force-renewal")
    after = issued_certificate(sandbox)
    assert after != before
    return after


def both_serve(sandbox: Sandbox, certificate: str) -> None:
    assert served_certificate(sandbox, 5223, DOMAIN) == certificate, "ejabberd still serves the old certificate"
    assert served_certificate(sandbox, 443, f"file.{DOMAIN}") == certificate, "Caddy still serves the old certificate"


def test_the_arch_readme_followed_exactly_ends_with_a_server_clients_use(arch_sandbox: Sandbox) -> None:
    sandbox = arch_sandbox
    provider = Provider(sandbox)
    sandbox.inside("/root/answers.yml").write_text(answers_for("arch", DOMAIN))
    rehearsal = Rehearsal(
        sandbox, "/root",
        answers=[Typed("Enter email address", f"admin@{DOMAIN}"), Typed("(Y)es/(N)o:", "Y"),
                 Typed(f"Password for admin@{DOMAIN}:", ADMIN_PASSWORD)],
        elsewhere={"Add the DNS records": provider.publish,
                   "Reach the web admin through an SSH tunnel": tunnel_target(sandbox)},
        judges={"ejabberd-wizard check": judge_check, "ejabberd-wizard verify": judge_verify,
                "sudo sh scripts/firewall.sh": no_firewall_to_open},
    )
    with rehearsal.reported():
        rehearsal.run(f"ejabberd-wizard generate --answers answers.yml --out {DEPLOYMENT} --yes")
        rehearsal.directory = DEPLOYMENT
        readme = sandbox.inside(f"{DEPLOYMENT}/README.md").read_text()
        steps = rehearsal.follow(readme)
        assert [step.title for step in steps] == [step.title for step in readme_steps(readme)]
        assert not any("cannot open" in entry or "No such file" in entry for entry in rehearsal.transcript)

        host_meta_allows_other_origins(rehearsal, DOMAIN)

        # A renewal (what the daily `certbot renew` does once one is due) reaches ejabberd and Caddy.
        after = force_renewal(rehearsal, sandbox)
        # certbot wrote the new key 0600 with no ACL: the hook gave the services access to it.
        acl = rehearsal.run(f"getfacl -p --omit-header /etc/letsencrypt/archive/{DOMAIN}/privkey2.pem")
        assert "user:jabber:r--" in acl and "user:caddy:r--" in acl, acl
        both_serve(sandbox, after)
        assert rehearsal.run("systemctl is-active ejabberd caddy").split() == ["active", "active"]

        # Change an answer the way the README says (edit wizard.yml, generate), deploy again.
        answer_loglevel_info(rehearsal)
        rehearsal.run("sudo sh scripts/deploy.sh")
        assert "info" in rehearsal.run("ejabberdctl get_loglevel")
        assert len(list(sandbox.inside("/etc/ejabberd").glob("ejabberd.yml.bak-*"))) >= 2
        rehearsal.run("sudo sh scripts/backup.sh")
        assert list(sandbox.inside("/var/backups/ejabberd").glob("ejabberd-*.tar.gz"))


UBERSPACE_DOMAIN = "isabell.example"


def no_firewall_to_open(code: int, output: str) -> None:
    """The sandbox runs no firewall (tests/test_rehearsal_firewall.py has the ones that do): the step says so."""
    assert code == 0 and "no active firewall here" in output and "UDP 443, 3478, 49152-65535" in output, output


def answer_the_ports(rehearsal: Rehearsal) -> Callable[[int, str], None]:
    def person(code: int, output: str) -> None:
        """open-ports.sh says which numbers Uberspace chose: they go into wizard.yml, then generate, then again."""
        if code == 0:
            assert "ports of this deployment are open" in output
            return
        assert code == 3, f"open-ports.sh exited {code}"
        chosen = re.findall(r"^  (\w+): (\d+)$", output, re.M)
        assert chosen, "open-ports.sh named no port"
        answers = rehearsal.sandbox.inside(f"{rehearsal.directory}/wizard.yml")
        text = answers.read_text()
        for field, port in chosen:
            # A one-port TURN relay is written as text ('43479'): a person replaces the number inside.
            text, replaced = re.subn(rf"^(  {field}:) '?\d+'?$", rf"\g<1> {port}", text, count=1, flags=re.M)
            assert replaced, f"wizard.yml has no ports.{field}"
        answers.write_text(text)
        rehearsal.run("ejabberd-wizard generate --out . --yes")
        rehearsal.run("sh scripts/open-ports.sh")
    return person


def prebuilt_ejabberd(rehearsal: Rehearsal, host: UberspaceHost) -> Callable[[Step], None]:
    def blocked(step: Step) -> None:
        """`sh scripts/install.sh` builds from GitHub's tarball with hex.pm's dependencies, which the
        sandbox cannot reach: the release Debian built is put where the build installs it instead."""
        home, login = host.home, host.login
        host.root(f"install -d -o {login} -g {login} {home}/sbin {home}/etc/ejabberd && "
                  f"sed 's/^INSTALLUSER=.*/INSTALLUSER={login}/' /usr/sbin/ejabberdctl > {home}/sbin/ejabberdctl && "
                  f"chmod 755 {home}/sbin/ejabberdctl && cp /etc/ejabberd/inetrc {home}/etc/ejabberd/ && "
                  f"chown -R {login}: {home}/sbin {home}/etc")
    return blocked


@pytest.fixture
def uberspace_sandbox() -> Iterator[Sandbox]:
    with Sandbox("uberspace", addresses=[IPV4, IPV6]) as sandbox:
        yield sandbox


def test_the_uberspace_readme_followed_exactly_ends_with_a_server_clients_use(uberspace_sandbox: Sandbox) -> None:
    sandbox = uberspace_sandbox
    host = UberspaceHost(sandbox).boot()
    provider = Provider(sandbox, UBERSPACE_DOMAIN, f"{host.home}/ejabberd-deploy")
    sandbox.inside(f"{host.home}/answers.yml").write_text(answers_for("uberspace", UBERSPACE_DOMAIN))
    rehearsal = Rehearsal(
        sandbox, host.home, user=host.login,
        answers=[Typed(f"Password for admin@{UBERSPACE_DOMAIN}:", ADMIN_PASSWORD)],
    )
    rehearsal.judges = {"ejabberd-wizard check": judge_check, "ejabberd-wizard verify": judge_verify,
                        "sh scripts/open-ports.sh": answer_the_ports(rehearsal)}
    rehearsal.elsewhere = {"Build and install ejabberd": prebuilt_ejabberd(rehearsal, host),
                           "Add the DNS records": provider.publish,
                           "Reach the web admin through an SSH tunnel": tunnel_target(sandbox)}
    with rehearsal.reported():
        rehearsal.run(f"ejabberd-wizard generate --answers answers.yml --out {host.home}/ejabberd-deploy --yes")
        rehearsal.directory = f"{host.home}/ejabberd-deploy"
        readme = sandbox.inside(f"{rehearsal.directory}/README.md").read_text()
        steps = rehearsal.follow(readme)
        assert [step.title for step in steps] == [step.title for step in readme_steps(readme)]
        host_meta_allows_other_origins(rehearsal, UBERSPACE_DOMAIN)
        # Uberspace renews the certificates itself; the job setup-platform.sh put in the crontab makes
        # ejabberd read them again.
        direct_tls = re.search(r"^  c2s_tls: (\d+)$", sandbox.inside(f"{rehearsal.directory}/wizard.yml").read_text(),
                               re.M)
        assert direct_tls
        before = served_certificate(sandbox, int(direct_tls.group(1)), UBERSPACE_DOMAIN)
        host.renew_certificate(UBERSPACE_DOMAIN)
        certificate = f"{host.home}/etc/certificates/{UBERSPACE_DOMAIN}.crt"
        renewed = rehearsal.run(f"openssl x509 -noout -fingerprint -sha256 -in {certificate}")
        assert renewed.strip() != before
        host.run_cron_job("# ejabberd-wizard: renewed certificates")
        assert served_certificate(sandbox, int(direct_tls.group(1)), UBERSPACE_DOMAIN) == renewed.strip()

        # Change an answer the way the README says (edit wizard.yml, generate), deploy again.
        answer_loglevel_info(rehearsal)
        rehearsal.run("sh scripts/deploy.sh")
        ctl = f"{host.home}/sbin/ejabberdctl --config-dir {host.home}/etc/ejabberd --spool {host.home}/var/lib/ejabberd"
        assert "info" in rehearsal.run(f"{ctl} --logs {host.home}/var/log/ejabberd get_loglevel")
        assert list(sandbox.inside(f"{host.home}/etc/ejabberd").glob("ejabberd.yml.bak-*"))

        (archive,) = sandbox.inside(f"{host.home}/backups").glob("**/ejabberd-*.tar.gz")
        listing = rehearsal.run(f"tar -tzf {shlex.quote('/' + str(archive.relative_to(sandbox.path)))}")
        assert "ejabberd/uploads/" in listing, "the uploaded files are not in the backup"
