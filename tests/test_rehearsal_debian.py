"""The Debian preset's README, followed exactly on a fresh Debian 12 server with the real apt.

Everything is Debian's own: apt and dpkg install the packages (fetched into apt's cache when the root
was built: the sandbox reaches no mirror), their maintainer scripts create the users and start the
services with the package's own units, through the stand-in of systemctl (no systemd runs in a
chroot); certbot is the stand-in (no ACME server can be reached). Once on Mnesia, once on MySQL with
Debian's MariaDB, run by its own unit. See tests/test_rehearsal.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support.outside import SERVER, Outside, probe
from tests.support.rehearsal import Rehearsal, Typed, readme_steps
from tests.support.sandbox import Sandbox
from tests.test_rehearsal import (
    ADMIN_PASSWORD,
    DEPLOYMENT,
    DOMAIN,
    IPV4,
    IPV6,
    Provider,
    answers_for,
    both_serve,
    force_renewal,
    host_meta_allows_other_origins,
    judge_check,
    judge_verify,
    no_firewall_to_open,
    tunnel_target,
)
from tests.test_rehearsal_firewall import nftables_dropping_by_default, nftables_opened

pytestmark = pytest.mark.slow

CONFIG = "/etc/ejabberd/ejabberd.yml"


@pytest.fixture
def debian_sandbox() -> Iterator[Sandbox]:
    with Sandbox("debian", addresses=[IPV4, IPV6]) as sandbox:
        yield sandbox


def person(sandbox: Sandbox) -> Rehearsal:
    """Who follows the README on the server, and does at the provider what the README says."""
    return Rehearsal(
        sandbox, "/root",
        answers=[Typed("Enter email address", f"admin@{DOMAIN}"), Typed("(Y)es/(N)o:", "Y"),
                 Typed(f"Password for admin@{DOMAIN}:", ADMIN_PASSWORD)],
        elsewhere={"Add the DNS records": Provider(sandbox).publish,
                   "Reach the web admin through an SSH tunnel": tunnel_target(sandbox)},
        judges={"ejabberd-wizard check": judge_check, "ejabberd-wizard verify": judge_verify,
                "sudo sh scripts/firewall.sh": no_firewall_to_open},
    )



def own_processes(sandbox: Sandbox) -> str:
    """The sandbox's processes (those of its network namespace) for ``ps -p``: the host runs other
    ejabberd and MariaDB servers meanwhile, for other tests, and ps inside the root lists them too."""
    return ",".join(map(str, sandbox.processes()))

def test_the_debian_readme_followed_exactly_ends_with_a_server_clients_use(debian_sandbox: Sandbox) -> None:
    """On a server whose firewall (nftables) drops what it does not let in: clients elsewhere reach it."""
    sandbox = debian_sandbox
    assert sandbox.run("dpkg-query -W ejabberd caddy").returncode != 0, "the server is not fresh"
    sandbox.inside("/root/answers.yml").write_text(answers_for("debian", DOMAIN))
    rehearsal = person(sandbox)
    rehearsal.judges = {**rehearsal.judges, "sudo sh scripts/firewall.sh": nftables_opened}
    with rehearsal.reported(), Outside(sandbox) as outside:
        nftables_dropping_by_default(rehearsal)
        rehearsal.run(f"ejabberd-wizard generate --answers answers.yml --out {DEPLOYMENT} --yes")
        rehearsal.directory = DEPLOYMENT
        readme = sandbox.inside(f"{DEPLOYMENT}/README.md").read_text()
        assert not sandbox.inside(f"{DEPLOYMENT}/service").exists(), "a unit where the package's would do"
        steps = rehearsal.follow(readme, until="Let the ports through the firewall")
        # ejabberd runs (apt started it, with the package's config), behind the firewall.
        assert probe(sandbox.name, "xmpp", SERVER, 5222) == "open"
        assert outside.probe("xmpp", 5222) == "dropped"
        steps += rehearsal.follow(readme, since="Let the ports through the firewall", until="Get the certificates")
        assert outside.probe("xmpp", 5222) == "open"
        # apt installed the packages, and their scripts started both services as on a Debian server.
        installed = rehearsal.run("dpkg-query -W -f '${Package} ${Status}\\n' ejabberd erlang-p1-mysql caddy acl")
        assert installed.count("install ok installed") == 4, installed
        assert rehearsal.run("systemctl is-active ejabberd caddy").split() == ["active", "active"]
        steps += rehearsal.follow(readme, since="Get the certificates")
        assert [step.title for step in steps] == [step.title for step in readme_steps(readme)]
        assert not any("cannot open" in entry or "No such file" in entry for entry in rehearsal.transcript)

        # The package's unit runs ejabberd as the package's user, with the deployment's config.
        assert not sandbox.inside("/etc/systemd/system/ejabberd.service").exists()
        beam = rehearsal.run(f"ps -o user=,comm= -p {own_processes(sandbox)} | grep -w '[b]eam.smp'")
        assert beam.split() == ["ejabberd", "beam.smp"], beam
        live = sandbox.inside(CONFIG).read_text()
        assert "ejabberd-wizard" in live and f'  - "{DOMAIN}"' in live and "localhost\"\n" not in live
        host_meta_allows_other_origins(rehearsal, DOMAIN)
        # From elsewhere: the clients' ports and Caddy's HTTPS; not another server that listens here.
        assert outside.probe("xmpp", 5222, name=DOMAIN) == "open"
        assert outside.probe("https", 443, name=f"file.{DOMAIN}") == "open"
        sandbox.spawn("python3 -m http.server --bind :: 8080", log=str(sandbox.base / "other.log"))
        sandbox.wait_until("python3 -c 'import socket; socket.create_connection((\"::1\", 8080), 1)'",
                           "another server on this machine", timeout=30)
        assert probe(sandbox.name, "http", SERVER, 8080) == "open" and outside.probe("http", 8080) == "dropped"
        # check reads the rules as nft does (the included file too): the relay's range is let in.
        checked = next(entry for entry in rehearsal.transcript if entry.startswith("$ ejabberd-wizard check"))
        assert "/etc/nftables.conf lets UDP in on the relay" in checked, checked

        # A renewal reaches ejabberd and Caddy (certbot's hooks, as on Arch).
        both_serve(sandbox, force_renewal(rehearsal, sandbox))

        # What an upgrade does to the config (README, "What `apt upgrade` asks"): the package's scripts
        # run again; a new version of the package's own config is left beside ours, ours stays.
        hashes = sandbox.inside("/var/lib/ucf/hashfile")
        hashes.write_text(re.sub(rf"^\S+(\s+{re.escape(CONFIG)})$", r"0" * 32 + r"\1", hashes.read_text(),
                                 flags=re.M))
        ours = sandbox.inside(CONFIG).read_text()
        rehearsal.run("DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall ejabberd")
        assert sandbox.inside(CONFIG).read_text() == ours
        assert "localhost" in sandbox.inside(f"{CONFIG}.ucf-dist").read_text()
        mode = rehearsal.run(f"stat -c '%U:%G %a' {CONFIG}").strip()
        assert mode == "root:ejabberd 640", f"the upgrade changed the config's owner or mode: {mode}"
        sandbox.wait_until("ejabberdctl status", "ejabberd after the upgrade", timeout=120)
        assert "admin" in rehearsal.run(f"ejabberdctl registered_users {DOMAIN}").split()


# A password with what SQL, YAML and the client's option files quote differently.
DB_PASSWORD = "it's a \\ \"db\" pass; word"


def test_the_debian_readme_on_mysql_ends_with_ejabberd_on_debians_mariadb(debian_sandbox: Sandbox) -> None:
    """database.backend: mysql: install.sh installs Debian's MariaDB, whose package starts it with its own
    unit; database.sh makes the database and user as root through the socket, and ejabberd runs on it."""
    sandbox = debian_sandbox
    assert sandbox.run("dpkg-query -W mariadb-server").returncode != 0, "the server is not fresh"
    sandbox.inside("/root/answers.yml").write_text(
        answers_for("debian", DOMAIN) + "database:\n  backend: mysql\n")
    # What generate asks for first: the database password, in a file only its owner reads.
    sandbox.inside(f"{DEPLOYMENT}/db-password").parent.mkdir(parents=True)
    sandbox.inside(f"{DEPLOYMENT}/db-password").write_text(DB_PASSWORD + "\n")
    sandbox.inside(f"{DEPLOYMENT}/db-password").chmod(0o600)
    rehearsal = person(sandbox)
    with rehearsal.reported():
        rehearsal.run(f"ejabberd-wizard generate --answers answers.yml --out {DEPLOYMENT} --yes")
        rehearsal.directory = DEPLOYMENT
        readme = sandbox.inside(f"{DEPLOYMENT}/README.md").read_text()
        assert "sudo sh scripts/database.sh" in readme, "MariaDB's administrator on Debian is root"
        steps = rehearsal.follow(readme, until="Create the database and import the schema")
        # The package's scripts started MariaDB with its own unit (through the stand-in of systemctl).
        installed = rehearsal.run("dpkg-query -W -f '${Package} ${Status}\\n' mariadb-server mariadb-client")
        assert installed.count("install ok installed") == 2, installed
        assert rehearsal.run("systemctl is-active mariadb ejabberd").split() == ["active", "active"]
        server = rehearsal.run(f"ps -o user=,args= -p {own_processes(sandbox)} | grep -w '[m]ariadbd'")
        assert server.split()[:2] == ["mysql", "/usr/sbin/mariadbd"], server
        steps += rehearsal.follow(readme, since="Create the database and import the schema")
        assert [step.title for step in steps] == [step.title for step in readme_steps(readme)]
        assert not any("cannot open" in entry or "No such file" in entry for entry in rehearsal.transcript)

        # The deploy step put the drop-in beside the package's unit, which stays the package's own:
        # ejabberd starts with MariaDB and after it (what the stand-in of systemctl reads, systemd-analyze
        # judges in tests/test_service_dropin.py).
        assert not sandbox.inside("/etc/systemd/system/ejabberd.service").exists()
        dropin = sandbox.inside("/etc/systemd/system/ejabberd.service.d/ejabberd-wizard.conf").read_text()
        assert "Wants=mariadb.service\nAfter=mariadb.service\n" in dropin, dropin
        loaded = sandbox.inside("/run/standin-systemd/units/ejabberd.service").read_text()  # unit and drop-ins
        assert loaded.startswith(sandbox.inside("/lib/systemd/system/ejabberd.service").read_text()), loaded
        assert "After=mariadb.service" in loaded, loaded

        # ejabberd keeps its accounts in MariaDB: the admin registered through it is a row there.
        live = sandbox.inside(CONFIG).read_text()
        assert "sql_type: mysql" in live and "auth_method: sql" in live
        rows = rehearsal.run("mysql -N -B -e 'SELECT username, server_host FROM ejabberd.users'")
        assert rows.split() == ["admin", DOMAIN], rows
        # ejabberd's user logs in with the password of the file, over TCP as ejabberd does.
        login = sandbox.run("mysql --protocol=TCP -h 127.0.0.1 -u ejabberd --password=\"$(cat db-password)\""
                            " -N -e 'SELECT COUNT(*) FROM ejabberd.users'", cwd=DEPLOYMENT)
        assert login.returncode == 0 and login.stdout.split() == ["1"], login

        # Running database.sh again changes nothing; the backup holds MySQL's dump.
        assert "already has ejabberd's tables" in rehearsal.run("sudo sh scripts/database.sh")
        (dump,) = sandbox.inside("/var/backups/ejabberd").glob("ejabberd-*.sql.xz")
        users = rehearsal.run(f"xz -dc /var/backups/ejabberd/{dump.name} | grep -a -A1 'INSERT INTO .users.'")
        assert "('admin'" in users, users
