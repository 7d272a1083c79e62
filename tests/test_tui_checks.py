"""The checks panel of a step: it describes the values now in the fields (issue 15, bug 5), and
every finding can be reached by scrolling, at the smallest usual terminal too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from screens.app import WizardApp
from screens.fields import QuestionField
from screens.work import ChecksFinished
from tests.answers_helpers import ACCOUNT
from tests.support.waiting import Posted, focus, screen_text, until
from wizard.answers.given import Given
from wizard.checks import Finding, Severity
from wizard.machine import Machine

MACHINE = Machine(login=ACCOUNT["user"], home_dir=ACCOUNT["home"])
HOST = "example.test"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))


def checking_app(tmp_path: Path) -> WizardApp:
    # DNS goes where nothing answers: every query times out, and the fixes name the records to add.
    return WizardApp(tmp_path / "out", "arch", Given({"domains": {"hosts": [HOST]}}), MACHINE,
                     nameserver="127.0.0.1:9")


def findings_text(app: WizardApp) -> str:
    return str(app.screen.query_one("#findings-text", Static).render())


def panel(app: WizardApp) -> VerticalScroll:
    return app.screen.query_one("#findings", VerticalScroll)


async def type_over(pilot: Any, app: WizardApp, path: str, text: str) -> Input:
    selector = f"#q-{path.replace('.', '-')}"
    await until(pilot, lambda: app.screen.is_current and app.screen.query(selector), f"the field of {path}")
    editor = app.screen.query_one(selector, QuestionField).editor
    assert isinstance(editor, Input)
    await focus(pilot, editor)
    await pilot.press("end", "ctrl+u", *text)
    await until(pilot, lambda: editor.value == text, f"{path} to show {text!r}")
    return editor


async def test_checks_describe_the_value_in_the_field_never_a_half_typed_or_older_one(tmp_path: Path) -> None:
    app, posted = checking_app(tmp_path), Posted()
    async with app.run_test(size=(100, 30), message_hook=posted) as pilot:
        app.go_to("domains")
        await type_over(pilot, app, "domains.ipv6", "2001:db8::1")
        await until(pilot, lambda: "AAAA 2001:db8::1" in findings_text(app), "the checks of 2001:db8::1")

        # Half typed: the model keeps 2001:db8::1, and the checks say they wait for the field.
        await pilot.press(*"zz")
        label = app.screen.query_one("#q-domains-ipv6", QuestionField).question.label
        await until(pilot, lambda: f"once these hold a valid value: {label}" in findings_text(app),
                    "the checks waiting for the field")
        assert "2001:db8::1" not in findings_text(app)
        assert not panel(app).loading

        # Between an edit and the new findings, the old ones are marked as being recomputed.
        await type_over(pilot, app, "domains.ipv6", "2001:db8::2")
        assert "being recomputed" in str(panel(app).border_title)
        await until(pilot, lambda: "AAAA 2001:db8::2" in findings_text(app), "the checks of 2001:db8::2")
        assert "2001:db8::1" not in findings_text(app)
        assert "being recomputed" not in str(panel(app).border_title)

        # Findings computed from answers changed since (a thread finishing late) are not shown.
        assert app.session is not None
        old = (app.session.draft.revision[0] - 1, app.session.draft.revision[1])
        stale = Finding("dns.test", "dns", "domains", Severity.ERROR, HOST, "computed from an older answer")
        app.screen.post_message(ChecksFinished("domains", [stale], old))
        await pilot.pause()
        await pilot.pause()
        assert "older answer" not in findings_text(app)


async def test_every_finding_of_the_ports_step_can_be_scrolled_to_at_80x24(tmp_path: Path) -> None:
    app, posted = checking_app(tmp_path), Posted()
    async with app.run_test(size=(80, 24), message_hook=posted) as pilot:
        app.go_to("ports")
        finished = await posted.next(pilot, ChecksFinished, lambda message: message.step == "ports")
        assert finished.findings is not None and len(finished.findings) >= 12
        shown = findings_text(app)
        assert all(finding.subject in shown for finding in finished.findings)
        scroll = panel(app)
        await until(pilot, lambda: scroll.max_scroll_y > 0, "the findings to overflow their panel")
        assert f"{len(finished.findings)} findings" in str(scroll.border_title)
        last = sorted(finished.findings, key=lambda f: -f.severity.rank)[-1]
        assert last.subject not in screen_text(app)
        scroll.scroll_end(animate=False)
        await until(pilot, lambda: last.subject in screen_text(app), "the last finding, scrolled to")


@pytest.mark.parametrize("preset", ["arch", "uberspace", "debian"])
def test_the_steps_together_show_every_finding_that_check_lists(tmp_path: Path, preset: str) -> None:
    """`check` listed 12 findings where the TUI's steps showed 4 (5280 held by an ejabberd was never
    shown): each finding of `check` is on the step it names, none is lost between the steps."""
    from collections import Counter

    from tests.answers_helpers import defaults
    from wizard.answers.build import build_from
    from wizard.checks import run_checks
    from wizard.steps import STEPS

    answers = build_from(None, Given(defaults(preset)), MACHINE)
    out = tmp_path / "out"

    def keyed(findings: list[Finding]) -> Counter[tuple[str, str, str]]:
        return Counter((finding.check, finding.step, finding.subject) for finding in findings)

    listed = keyed(run_checks(answers, nameserver="127.0.0.1:9", out=out))
    on_steps: Counter[tuple[str, str, str]] = Counter()
    for step, _ in STEPS:
        on_steps += keyed(run_checks(answers, steps={step}, nameserver="127.0.0.1:9", out=out))
    assert listed and on_steps == listed
