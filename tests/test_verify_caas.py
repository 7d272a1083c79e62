"""`verify` scores the Conversations compliance tester (caas) as caas does, on real ejabberd.

A generated everything-on deployment of each preset (MySQL, CAPTCHA registration,
the web front's headers, TURN) runs on loopback (tests/support/verify_helpers.py)
and must get caas's 21/21 counted, 4/4 informational and 'listed as compliant',
with a real TURN allocation. Then one piece at a time is taken away (TURN,
offline storage, host-meta's CORS header, MAM, in-band registration) and exactly
the caas tests resting on it must fail. The declarations are checked against
caas's own list of tests without a server.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.answers_helpers import defaults, everything_on, write_secret
from tests.support.ejabberd_node import DEFAULT_CAPTCHA_CMD
from tests.support.localize import config_yaml
from tests.support.releases import RELEASES, Judge
from tests.support.verify_helpers import (
    ADMIN_PASSWORD,
    Deployment,
    dump_config,
    running_deployment,
)
from tests.test_verify import HOST, NOT_TESTABLE_HERE, release_failures, statuses
from wizard.answers.build import merge
from wizard.verify.caas import CAAS_TESTS, score
from wizard.verify.outcome import ProbeStatus
from wizard.verify.suites import CONVERSATIONS, ITEMS, items_of

CAPTCHA = {"registration": "captcha", "captcha_cmd": DEFAULT_CAPTCHA_CMD}


def caas_of(report: dict[str, Any]) -> dict[str, Any]:
    return next(suite for suite in report["suites"] if suite["name"] == CONVERSATIONS)


def caas_failing(report: dict[str, Any]) -> set[str]:
    return {test["name"] for test in caas_of(report)["tests"] if test["status"] != "pass"}


def as_admin(deployment: Deployment, *args: str) -> tuple[int, dict[str, Any]]:
    secret = write_secret(deployment.out.parent / "admin-pw", ADMIN_PASSWORD)
    return deployment.report(*args, jid=deployment.admin_jid, password_file=secret)


# -- everything on: caas's full marks ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("ejabberd_judge", [release for release in RELEASES if release != "23.01"], indirect=True)
def test_every_newer_release_relays_and_gets_caas_full_marks(ejabberd_judge: Judge, tmp_path: Path) -> None:
    """The TURN the wizard writes relays on each release Debian packages, not only on the host's 23.01
    (the relay's client and peer checks changed in the STUN library since)."""
    answers = merge(everything_on("arch", HOST, install={"version": ejabberd_judge.release},
                                  security={"captcha_cmd": DEFAULT_CAPTCHA_CMD}),
                    {"database": {"backend": "mnesia"}})
    with running_deployment(tmp_path, answers, admin=True, root=ejabberd_judge.root) as deployment:
        code, report = as_admin(deployment)
    failing = [(t["id"], t["detail"]) for t in report["tests"] if t["status"] == "fail"]
    assert code == 0 and not failing, failing
    caas = caas_of(report)
    assert (caas["counted"]["passed"], caas["informational"]["passed"], caas["listed"]) == (21, 4, True), caas
    turn = next(t for t in report["tests"] if t["id"] == "turn")
    assert re.search(r"allocated relay 127\.0\.0\.1:\d+ \(released again\)", turn["detail"]), turn


@pytest.fixture(params=["arch", "uberspace"])
def everything(request: pytest.FixtureRequest, tmp_path: Path, ejabberd_release: str,
               ejabberd_sql_db: dict[str, Any]) -> Iterator[Deployment]:
    sql = ejabberd_sql_db
    database = {"backend": "mysql", "server": sql["sql_server"], "port": sql["sql_port"], "name": sql["sql_database"],
                "user": sql["sql_username"], "password_source": "file", "password_file": "db-password"}
    answers = everything_on(request.param, HOST, install={"version": ejabberd_release}, database=database,
                            security={"captcha_cmd": DEFAULT_CAPTCHA_CMD})
    with running_deployment(tmp_path, answers, sql=sql, admin=True) as deployment:
        yield deployment


@pytest.mark.slow
def test_everything_on_is_21_of_21_and_4_of_4_and_listed(everything: Deployment, ejabberd_release: str) -> None:
    code, report = as_admin(everything)
    expected = release_failures(ejabberd_release)
    assert statuses(report, "fail") == expected, [t for t in report["tests"] if t["status"] == "fail"]
    assert statuses(report, "not-tested") == NOT_TESTABLE_HERE
    assert code == (1 if expected else 0)

    caas = caas_of(report)
    assert caas["counted"] == {"passed": 21, "total": 21, "not_tested": 0}, caas
    assert caas["informational"] == {"passed": 4, "total": 4, "not_tested": 0}, caas
    assert caas["listed"] is True
    tests = {t["id"]: t for t in report["tests"]}
    # The TURN test did allocate a relay on the node's loopback relay range, with the announced credentials.
    assert re.search(r"allocated relay 127\.0\.0\.1:\d+ \(released again\)", tests["turn"]["detail"]), tests["turn"]
    assert "came at its next login" in tests["offline"]["detail"]
    # disco names each service once (its items of one address differ by node only).
    services = tests["disco"]["detail"].partition(": ")[2].split(", ")
    assert len(services) == len(set(services)) and f"conference.{HOST}" in services, tests["disco"]

    # XEP-0479: the release's missing XEP-0402 is named, with the release that has it.
    im = next(suite for suite in report["suites"] if suite["name"] == "IM")
    advanced = next(level for level in im["levels"] if level["name"] == "Advanced Server")
    assert "XEP-0402" in advanced["requires"] and "XEP-0163" not in advanced["requires"]
    assert advanced["missing"] == ({"XEP-0402": {"bookmarks2": "fail"}} if expected else {})
    if expected:
        assert tests["bookmarks2"]["fix"].startswith("install.version: 23.10")

    text = as_admin_text(everything)
    assert "Conversations: 21/21 counted, informational 4/4: listed as compliant" in text
    if expected:
        assert "missing: XEP-0402 (bookmarks2 failed)" in text


def as_admin_text(deployment: Deployment) -> str:
    secret = write_secret(deployment.out.parent / "admin-pw", ADMIN_PASSWORD)
    return deployment.verify(jid=deployment.admin_jid, password_file=secret).stdout


# -- one piece taken away: exactly its caas tests fail ------------------------------------------


def _drop_module(name: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        yaml = config_yaml()
        doc = yaml.load(text)
        del doc["modules"][name]
        return dump_config(yaml, doc)

    return edit


def _without_turn(text: str) -> str:
    # The generated TURN taken out again by hand: no relay, no turn services.
    yaml = config_yaml()
    doc = yaml.load(text)
    for listener in doc["listen"]:
        if listener.get("module") == "ejabberd_stun":
            listener["use_turn"] = False
    services = doc["modules"]["mod_stun_disco"]["services"]
    services[:] = [service for service in services if service["type"] not in ("turn", "turns")]
    return dump_config(yaml, doc)


def _no_host_meta_cors(headers: dict[str, dict[str, str]]) -> None:
    assert headers, "the generated web front sets no header at all"
    for added in headers.values():
        added.pop("Access-Control-Allow-Origin", None)


# piece: (answers overrides, config edit, web front edit, verify items that must fail, caas tests that must fail)
PIECES: dict[str, tuple[dict[str, Any], Callable[[str], str] | None, Any, set[str], set[str]]] = {
    "TURN": ({}, _without_turn, None, {"turn"}, {"turn"}),
    "offline storage": ({}, _drop_module("mod_offline"), None,
                        {"offline"}, {"xep0160"}),
    "CORS on host-meta": ({}, None, _no_host_meta_cors, {"host_meta", "host_meta_json"}, {"xep0156"}),
    "MAM": ({"compliance": {"mam": False}}, None, None, {"mam", "muc_mam"}, {"xep0313", "xep0313muc"}),
    "in-band registration": ({"security": {"registration": "closed", "captcha_cmd": None}}, None, None,
                             {"ibr"}, {"xep0077"}),
}


@pytest.mark.slow
@pytest.mark.parametrize("piece", PIECES)
def test_taking_one_piece_away_fails_exactly_its_caas_tests(piece: str, tmp_path: Path, ejabberd_release: str) -> None:
    overrides, edit_config, edit_front, items, caas_tests = PIECES[piece]
    answers = merge(defaults("arch", HOST, install={"version": ejabberd_release}, security=CAPTCHA), overrides)
    with running_deployment(tmp_path, answers, admin=True, edit_config=edit_config,
                            edit_front=edit_front) as deployment:
        code, report = as_admin(deployment)
    assert code == 1
    assert statuses(report, "fail") == items | release_failures(ejabberd_release), [
        (t["id"], t["detail"]) for t in report["tests"] if t["status"] == "fail"]
    assert statuses(report, "not-tested") == NOT_TESTABLE_HERE
    assert caas_failing(report) == caas_tests
    caas = caas_of(report)
    counted = {test.name for test in CAAS_TESTS if not test.informational}
    assert caas["counted"]["passed"] == 21 - len(caas_tests & counted)
    # caas lists a server only with every counted test and xep0077: other informational ones do not matter.
    keeping_off_the_list = sorted(caas_tests & (counted | {"xep0077"}), key=_caas_order)
    assert caas["listed"] is (not keeping_off_the_list)
    if keeping_off_the_list:
        assert f"not listed as compliant (needs {', '.join(keeping_off_the_list)})" in caas["summary"]
    else:
        assert caas["summary"].endswith(": listed as compliant")


def _caas_order(name: str) -> int:
    return [test.name for test in CAAS_TESTS].index(name)


# -- the declarations, without a server ------------------------------------------------------------

# caas's @ComplianceTest short names (iNPUTmice/caas, caas-app/.../xmpp/tests), by informational flag.
CAAS_COUNTED = {"xep0065", "xep0115", "xep0163", "xep0191", "xep0198", "xep0280", "xep0352", "xep0357", "xep0363",
                "xep0368", "xep0384", "xep0313", "xep0313muc", "xep0398", "xep0411", "xep0045", "xep0160",
                "roster_versioning", "stun", "turn", "vcard_muc"}
CAAS_INFORMATIONAL = {"abuse-contact", "xep0156", "xep0363_cors", "xep0077"}


def test_the_caas_table_is_caas_s_25_tests_on_declared_items() -> None:
    assert {t.name for t in CAAS_TESTS if not t.informational} == CAAS_COUNTED
    assert {t.name for t in CAAS_TESTS if t.informational} == CAAS_INFORMATIONAL
    ids = {item.id for item in ITEMS}
    used = {item for test in CAAS_TESTS for item in test.items}
    assert used <= ids
    # The Conversations suite holds exactly the items caas's tests rest on.
    assert {item.id for item in items_of(CONVERSATIONS)} == used


def test_caas_score_counts_only_passes_and_lists_only_with_xep0077() -> None:
    every = {item.id: ProbeStatus.PASS for item in ITEMS}
    full = score(every)
    assert (full.passed(), full.total(), full.passed(True), full.total(True), full.listed) == (21, 21, 4, 4, True)
    assert full.summary() == "21/21 counted, informational 4/4: listed as compliant"
    # An item that could not run is no pass: the caas test is not known, and the score says so.
    untested = score({**every, "offline": ProbeStatus.NOT_TESTED})
    assert untested.summary() == ("20/21 (1 not tested here) counted, informational 4/4: "
                                  "not listed as compliant (needs xep0160)")
    # Informational tests do not count, but xep0077 keeps a server off caas's list.
    assert score({**every, "ibr": ProbeStatus.FAIL}).summary() == (
        "21/21 counted, informational 3/4: not listed as compliant (needs xep0077)")
    assert score({**every, "upload_cors": ProbeStatus.FAIL}).listed is True
    # One of the items of a caas test failing fails it.
    bosh_failing = score({**every, "bosh": ProbeStatus.FAIL})
    assert {v.test.name for v in bosh_failing.verdicts if v.status is ProbeStatus.FAIL} == {"xep0156"}
    for summary in (full.summary(), untested.summary()):
        assert "%" not in summary


def test_verify_help_names_every_environment_variable_it_reads() -> None:
    wizard = Path(__file__).resolve().parents[1] / "wizard"
    sources = "\n".join(path.read_text() for path in (wizard / "verify").glob("*.py"))
    # Nameserver.from_environment, which verify uses, reads the variable steps.py names.
    sources += (wizard / "checks" / "core.py").read_text() + (wizard / "steps.py").read_text()
    names = set(re.findall(r"\"(EJABBERD_WIZARD_[A-Z_]+)\"", sources))
    assert {"EJABBERD_WIZARD_HTTP_BASE", "EJABBERD_WIZARD_NAMESERVER"} <= names
    assert not re.search(r"os\.environ(?:\.get)?\(\s*\"(?!EJABBERD_WIZARD_)", sources)
    shown = subprocess.run([sys.executable, "-m", "wizard", "verify", "--help"], capture_output=True, text=True,
                           check=True, timeout=60).stdout
    for name in names:
        assert f"  {name}=" in shown, name
    assert "n/21 counted" in shown
