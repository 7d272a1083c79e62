"""`ejabberd-wizard verify` against generated deployments on real servers.

Each deployment is generated from answers and run on loopback: ejabberd 23.01
with the generated config, nsd with the generated DNS records and a web server
with the generated web/ files (see tests/support/verify_helpers.py). Only
listener addresses, ports and paths are rewritten, for the test only; verify
runs as a subprocess, as a user runs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.answers_helpers import defaults, write_secret
from tests.support.components import free_port
from tests.support.verify_helpers import (
    ADMIN_PASSWORD,
    PASSWORD,
    USER,
    Deployment,
    running_deployment,
)
from wizard.releases import Release
from wizard.verify.suites import CONVERSATIONS, ITEMS, SUITES

HOST = "example.test"

# What a single loopback host cannot show, whatever the config: never a pass.
NOT_TESTABLE_HERE = {"federation_out", "component"}
# What a user who is not an admin cannot test on a server with registration closed: it needs a
# throwaway account, which only the admin's add-user command can make there.
NEEDS_A_THROWAWAY = {"upload_transfer", "offline"}
# The presets' registration is closed: caas's informational xep0077 fails, so caas would not list
# the server (tests/test_verify_caas.py shows CAPTCHA registration passing it).
CLOSED_REGISTRATION = {"ibr"}


def release_failures(version: str) -> set[str]:
    """Tests the installed ejabberd fails with any config: XEP-0402 arrived in 23.10."""
    return {"bookmarks2"} if Release.parse(version) < Release(23, 10) else set()


def statuses(report: dict[str, Any], status: str) -> set[str]:
    return {test["id"] for test in report["tests"] if test["status"] == status}


def answers(preset: str, version: str, **overrides: Any) -> dict[str, Any]:
    # Compliance defaults on: the preset's answers, only the domain and release given.
    return defaults(preset, HOST, install={"version": version}, **overrides)


@pytest.fixture(scope="module")
def arch(tmp_path_factory: pytest.TempPathFactory, ejabberd_release: str) -> Iterator[Deployment]:
    """The arch preset's defaults, running, shared by the tests that only need some server."""
    with running_deployment(tmp_path_factory.mktemp("arch"), answers("arch", ejabberd_release)) as deployment:
        yield deployment


def assert_full_marks(code: int, report: dict[str, Any], version: str, *, as_admin: bool) -> None:
    """Everything that can run here passes; what cannot is said, with its reason."""
    expected_failures = release_failures(version) | CLOSED_REGISTRATION
    assert statuses(report, "fail") == expected_failures, [t for t in report["tests"] if t["status"] == "fail"]
    assert statuses(report, "not-tested") == NOT_TESTABLE_HERE | (set() if as_admin else NEEDS_A_THROWAWAY)
    assert all(t["detail"] for t in report["tests"] if t["status"] != "pass")
    assert code == 1
    for suite in report["suites"]:
        if suite["name"] == CONVERSATIONS:
            assert suite["listed"] is False and suite["counted"]["total"] == 21, suite
            assert suite["counted"]["passed"] == (21 if as_admin else 20)  # xep0160 needs a throwaway
            continue
        failing = expected_failures & {test for level in suite["levels"] for test in level["tests"]}
        assert (suite["percent"] == 100) == (not failing), suite
    for test in report["tests"]:
        if test["id"] in release_failures(version):
            assert test["fix"].startswith("install.version: 23.10")


def leftovers(deployment: Deployment) -> dict[str, Any]:
    """What verify could have left on the server: accounts, rooms, PEP nodes, uploaded files."""
    node = deployment.node
    upload = node.workdir / "upload"
    return {
        "users": sorted(node.ctl("registered_users", deployment.domain).stdout.split()),
        "rooms": node.ctl("muc_online_rooms", "global").stdout.split(),
        "files": sorted(str(p.relative_to(upload)) for p in upload.rglob("*") if p.is_file()),
        "pep nodes": deployment.pep_nodes(),
    }


NOTHING_LEFT = {"users": sorted([USER, "admin"]), "rooms": [], "files": [], "pep nodes": []}


@pytest.mark.slow
def test_defaults_pass_every_test_that_can_run_on_loopback_arch(tmp_path: Path, ejabberd_release: str) -> None:
    with running_deployment(tmp_path, answers("arch", ejabberd_release), admin=True) as arch:
        assert leftovers(arch) == NOTHING_LEFT

        # As the admin: the throwaway account comes from the admin's add-user command.
        text = arch.verify(jid=arch.admin_jid, password_file=write_secret(tmp_path / "admin-pw", ADMIN_PASSWORD))
        assert text.returncode == 1, text.stderr
        assert "PASS            XEP-0363           Upload: PUT and GET through the web server" in text.stdout
        # caas's score as caas counts it: registration closed keeps the server off its list.
        assert ("Conversations: 21/21 counted, informational 3/4: not listed as compliant (needs xep0077)"
                in text.stdout), text.stdout
        assert not any(line.startswith("Conversations:") and "%" in line for line in text.stdout.splitlines())
        assert "not tested here" in text.stdout and "needs a second XMPP domain" in text.stdout
        assert leftovers(arch) == NOTHING_LEFT

        # As a user: registration is closed, also from loopback, so the upload is not tested, and
        # the report says how to test it, rather than leaving a file behind.
        code, report = arch.report()
        assert_full_marks(code, report, ejabberd_release, as_admin=False)
        upload = next(t for t in report["tests"] if t["id"] == "upload_transfer")
        assert "the server offers no in-band registration" in upload["detail"]
        assert "run verify as an admin account" in upload["detail"]
        assert report["left_behind"] == []
        assert leftovers(arch) == NOTHING_LEFT


@pytest.mark.slow
def test_defaults_pass_every_test_that_can_run_on_loopback_uberspace(
    tmp_path: Path, ejabberd_release: str, ejabberd_sql_db: dict[str, Any]
) -> None:
    sql = ejabberd_sql_db
    database = {"backend": "mysql", "server": sql["sql_server"], "port": sql["sql_port"], "name": sql["sql_database"],
                "user": sql["sql_username"], "password_source": "file", "password_file": "db-password"}
    with running_deployment(tmp_path, answers("uberspace", ejabberd_release, database=database), sql=sql,
                       admin=True) as deployment:
        code, report = deployment.report(jid=deployment.admin_jid,
                                         password_file=write_secret(tmp_path / "admin-pw", ADMIN_PASSWORD))
        assert_full_marks(code, report, ejabberd_release, as_admin=True)
        assert leftovers(deployment) == NOTHING_LEFT


# Each compliance switch turned off, and exactly the tests it must make fail. The
# last three share a node: together they must fail exactly their three tests.
SWITCHES: dict[str, tuple[dict[str, Any], set[str], str]] = {
    "contact addresses": ({"compliance": {"abuse_addresses": []}}, {"contact"}, "compliance.abuse_addresses"),
    "MAM": ({"compliance": {"mam": False}}, {"mam", "muc_mam"}, "compliance.mam: true"),
    "upload": ({"upload": {"enabled": False}}, {"upload", "upload_transfer", "upload_cors"}, "upload.enabled: true"),
    "CORS": ({"upload": {"cors_origin": None}}, {"upload_cors"}, "upload.cors_origin"),
    "STUN discovery": ({"compliance": {"stun": False, "turn": False}}, {"stun_disco", "stun", "stun_srv", "turn"},
                       "compliance."),
    "stream management": ({"compliance": {"stream_management": False}}, {"sm"}, "compliance.stream_management: true"),
    "push, carbons, CSI": (
        {"compliance": {"push": False, "carbons": False, "client_state_indication": False}},
        {"push", "carbons", "csi"},
        "compliance.",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("switch", SWITCHES)
def test_switching_an_option_off_fails_exactly_its_tests(switch: str, tmp_path: Path, ejabberd_release: str) -> None:
    overrides, expected, fix = SWITCHES[switch]
    with running_deployment(tmp_path, answers("arch", ejabberd_release, **overrides)) as deployment:
        assert deployment.node.error_lines() == [], deployment.node.log_tail()
        code, report = deployment.report()
        assert code == 1
        failing = {test["id"]: test for test in report["tests"] if test["status"] == "fail"}
        assert set(failing) == expected | release_failures(ejabberd_release) | CLOSED_REGISTRATION
        # Without the upload service, its transfer fails before it needs a throwaway account.
        assert statuses(report, "not-tested") == NOT_TESTABLE_HERE | (NEEDS_A_THROWAWAY - set(failing))
        assert all(fix in failing[test]["fix"] for test in expected), failing
        text = deployment.verify()
        assert text.returncode == 1
        assert all(f"fix: {fix_of(test)}" in text.stdout for test in expected), text.stdout


def fix_of(item_id: str) -> str:
    return next(item.fix for item in ITEMS if item.id == item_id)


# -- no session to test with: one line, exit 2 ---------------------------------------------


def assert_refused(result: Any, words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ejabberd-wizard: "), result.stderr
    assert words in lines[0], lines[0]


@pytest.mark.slow
def test_wrong_password_is_one_line_exit_2(arch: Deployment) -> None:
    wrong = write_secret(arch.out.parent / "wrong-pw", "not the password")
    assert_refused(arch.verify(password_file=wrong), "authentication as alice@example.test failed")


@pytest.mark.slow
def test_untrusted_certificate_is_one_line_exit_2(arch: Deployment) -> None:
    # The same server without --ca: its self-signed certificate chains to no known CA.
    assert_refused(arch.verify(trust=()), "certificate is not trusted")


@pytest.mark.slow
def test_server_down_is_one_line_exit_2(arch: Deployment) -> None:
    nobody = str(free_port())
    assert_refused(arch.verify("--server", "127.0.0.1", "--port", nobody), f"127.0.0.1:{nobody}: cannot connect")


@pytest.mark.parametrize(("content", "mode", "words"), [
    (None, 0o600, "no such file"),
    (PASSWORD, 0o644, "others may read it"),
    ("", 0o600, "empty"),
])
@pytest.mark.slow
def test_bad_password_file_is_one_line_exit_2(arch: Deployment, tmp_path: Path, content: str | None, mode: int,
                                              words: str) -> None:
    path = tmp_path / "password"
    if content is not None:
        path.write_text(content)
        path.chmod(mode)
    assert_refused(arch.verify(password_file=path), words)


@pytest.mark.slow
def test_insecure_skips_the_certificate_check_and_says_so(arch: Deployment, ejabberd_release: str) -> None:
    code, report = arch.report("--insecure", trust=())
    assert code == 1
    tls = next(t for t in report["tests"] if t["id"] == "tls")
    assert tls["status"] == "not-tested" and "--insecure" in tls["detail"]
    assert statuses(report, "fail") == release_failures(ejabberd_release) | CLOSED_REGISTRATION


# -- the declarations -------------------------------------------------------------------------


def test_every_item_is_declared_once_in_known_suites_and_levels() -> None:
    ids = [item.id for item in ITEMS]
    assert len(ids) == len(set(ids))
    known = {(suite.name, level) for suite in SUITES for level in suite.levels}
    for item in ITEMS:
        assert item.levels and set(item.levels) <= known, item.id
        assert item.fix and item.spec and item.title, item.id
    # Every level of every suite has tests.
    assert known == {level for item in ITEMS for level in item.levels}
