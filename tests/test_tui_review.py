"""The review screen on a deployment edited by hand: each edited file kept or taken, one by one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.syntax import Syntax
from textual.widgets import Button, ListView, Static

from screens.app import WizardApp
from screens.review import KEEP_LABEL, TAKE_LABEL, ReviewScreen
from screens.work import FilesWritten, ProposalReady
from tests.answers_helpers import ACCOUNT, defaults, write_answers
from tests.support.waiting import Posted, until
from wizard.answers.given import Given
from wizard.cli import main
from wizard.deployment.plan import Status
from wizard.machine import Machine

MACHINE = Machine(login=ACCOUNT["user"], home_dir=ACCOUNT["home"])
MY_STEP = "echo my own step\n"


def edited_deployment(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A deployment whose two scripts the admin has added a line to."""
    out = tmp_path / "d"
    assert main(["generate", "--out", str(out), "--answers", str(write_answers(tmp_path / "a.yml", defaults("arch"))),
                 "--yes"]) == 0
    mine = {}
    for script in ("scripts/backup.sh", "scripts/deploy.sh"):
        path = out / script
        path.write_text(path.read_text() + MY_STEP)
        mine[script] = path.read_text()
    return out, mine


async def open_review(app: WizardApp, pilot: Any, posted: Posted) -> ReviewScreen:
    """The review screen once its proposal is shown."""
    app.go_to("review")
    ready = await posted.next(pilot, ProposalReady)
    review = app.screen
    assert isinstance(review, ReviewScreen) and review.proposal is not None
    assert {change.path for change in review.proposal.changes} == {change.path for change in ready.proposal.changes}
    return review


def label(button: Button) -> str:
    return str(button.label)


def diff_shown(review: ReviewScreen) -> str:
    diff = review.query_one("#diff", Static).content
    assert isinstance(diff, Syntax)
    return diff.code


async def test_each_hand_edited_file_is_kept_unless_taken_and_only_the_taken_one_is_replaced(tmp_path: Path) -> None:
    out, mine = edited_deployment(tmp_path)
    # The answers change what both scripts hold.
    changed = Given(defaults("arch", service={"backup_dir": "/srv/backups"}, install={"config_dir": "/srv/etc"}))
    app, posted = WizardApp(out, "arch", changed, MACHINE, checks=False), Posted()
    async with app.run_test(size=(120, 40), message_hook=posted) as pilot:
        review = await open_review(app, pilot, posted)
        assert review.proposal is not None
        statuses = {change.path: change.status for change in review.proposal.changes}
        assert statuses["scripts/backup.sh"] is statuses["scripts/deploy.sh"] is Status.LOCAL_EDIT
        assert review.check_action("take", ()) is True

        files = review.query_one("#files", ListView)
        take = review.query_one("#take", Button)
        names = [item.name for item in files.children]
        # The key, pressed while another file is shown, shows the first hand-edited one.
        assert review.shown is not None and not review.shown.edited_by_hand
        await pilot.press("ctrl+t")
        await until(pilot, lambda: review.shown is not None and review.shown.path == "scripts/deploy.sh"
                    and files.has_focus, "ctrl+t to show the first hand-edited file")
        assert {change.path for change in review.proposal.changes if change.status is Status.OVERWRITE} == set()
        assert take.display and str(take.label) == TAKE_LABEL
        assert ("kept as it is; to replace it with the version below: the button “Take the wizard's version”"
                in diff_shown(review))
        write_label = str(review.query_one("#write", Button).label)

        take.scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click("#take")
        await until(pilot, lambda: label(take) == KEEP_LABEL, "the button to take the wizard's version")
        assert review.proposal is not None
        deploy = next(change for change in review.proposal.changes if change.path == "scripts/deploy.sh")
        assert deploy.status is Status.OVERWRITE and review.shown == deploy
        assert files.index == names.index("scripts/deploy.sh")
        assert "replaced by the version below" in diff_shown(review)
        assert str(review.query_one("#write", Button).label) != write_label  # one file more to write

        # Back and forth with the key, then taken again: the choice is the user's to the end.
        await pilot.press("ctrl+t")
        await until(pilot, lambda: label(take) == TAKE_LABEL, "ctrl+t to keep the user's version")
        assert str(review.query_one("#write", Button).label) == write_label
        await pilot.press("ctrl+t")
        await until(pilot, lambda: label(take) == KEEP_LABEL, "ctrl+t to take the wizard's version again")

        # A file not edited by hand offers no choice.
        files.index = names.index("README.md")
        await until(pilot, lambda: review.shown is not None and review.shown.path == "README.md", "the README's diff")
        assert not review.query_one("#take", Button).display

        await pilot.press("ctrl+w")
        await posted.next(pilot, FilesWritten)
    assert (out / "scripts/backup.sh").read_text() == mine["scripts/backup.sh"]
    deploy_now = (out / "scripts/deploy.sh").read_text()
    assert MY_STEP not in deploy_now and "config_dir=/srv/etc" in deploy_now
    assert [path.read_text() for path in (out / ".backup").glob("*/scripts/deploy.sh")] == [mine["scripts/deploy.sh"]]


async def test_a_deployment_without_hand_edits_offers_no_choice(tmp_path: Path) -> None:
    out = tmp_path / "d"
    app, posted = WizardApp(out, "arch", Given(defaults("arch")), MACHINE, checks=False), Posted()
    async with app.run_test(size=(120, 40), message_hook=posted) as pilot:
        review = await open_review(app, pilot, posted)
        assert review.check_action("take", ()) is False
        assert not review.query_one("#take", Button).display
