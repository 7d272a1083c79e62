"""The review's layout (issue 15): one region scrolls, nothing scrolls inside something else that
scrolls, and that region is scrolled with the keys once it has the focus, and with the wheel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widget import Widget
from textual.widgets import Button, ListView, Static

from screens.app import WizardApp
from screens.review import ANSWERS, ReviewScreen, ShownEntry
from tests.answers_helpers import ACCOUNT, defaults
from tests.support.waiting import screen_text, until
from wizard.answers.given import Given
from wizard.machine import Machine

MACHINE = Machine(login=ACCOUNT["user"], home_dir=ACCOUNT["home"])
SIZES = [(80, 24), (200, 50)]


async def review_of(pilot: Any, app: WizardApp, *, proposed: bool = True) -> ReviewScreen:
    await until(pilot, lambda: app.screen.name == "install", "the first step")
    app.go_to("review")
    return await until(pilot, lambda: app.screen if isinstance(app.screen, ReviewScreen)
                       and (app.screen.proposal is not None or not proposed)
                       and app.screen.query(ListView).first().children else None, "the review's list")


def can_scroll(widget: Widget) -> bool:
    """Whether the widget scrolls what it holds when that is larger than it is."""
    return "auto" in (widget.styles.overflow_x, widget.styles.overflow_y) or "scroll" in (
        widget.styles.overflow_x, widget.styles.overflow_y)


def scrolls(widget: Widget) -> bool:
    """Whether the widget scrolls what it holds now: its content is larger than it is, on some axis."""
    return can_scroll(widget) and (widget.max_scroll_y > 0 or widget.max_scroll_x > 0)


def ancestors(widget: Widget, screen: ReviewScreen) -> list[Widget]:
    found, node = [], widget.parent
    while isinstance(node, Widget) and node is not screen:
        found.append(node)
        node = node.parent
    return found


async def show(pilot: Any, review: ReviewScreen, entry: str) -> None:
    files = review.query_one("#files", ListView)
    files.index = [item.name for item in files.children].index(entry)
    await until(pilot, lambda: review.entry == entry, f"{entry} shown")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_review_scrolls_in_one_region_that_the_keys_and_the_wheel_scroll(tmp_path: Path,
                                                                                  size: tuple[int, int]) -> None:
    app = WizardApp(tmp_path / "out", "arch", Given(defaults("arch")), MACHINE, checks=False)
    async with app.run_test(size=size) as pilot:
        review = await review_of(pilot, app)
        await show(pilot, review, "config/ejabberd.yml")  # longer than any terminal
        region = review.query_one(ShownEntry)
        await until(pilot, lambda: region.max_scroll_y > 0, "the diff taller than its region")
        # Nothing that scrolls is inside another that scrolls, and the page itself does not scroll.
        for widget in review.query(Widget):
            if can_scroll(widget):
                assert not [outer for outer in ancestors(widget, review) if can_scroll(outer)], widget
        assert not scrolls(review) and not scrolls(review.query_one("#content"))
        assert [widget for widget in review.query(Widget) if scrolls(widget)
                and widget.id not in ("files", "diff-scroll")] == []
        # The status, the list and Write stay in sight while the diff scrolls.
        steady = [review.query_one("#status"), review.query_one("#files"), review.query_one("#write", Button)]
        where = [widget.region for widget in steady]
        assert all(review.region.contains_region(place) and place.height for place in where)

        # The list has the focus; Tab gives it to the region, whose title says which keys scroll it.
        assert review.focused is review.query_one("#files")
        assert "Tab" in str(region.border_title)
        await pilot.press("tab")
        await until(pilot, lambda: region.has_focus and "PgDn" in str(region.border_title), "the region focused")
        await pilot.press("pagedown")
        await until(pilot, lambda: region.scroll_y >= region.size.height - 2, "PgDn: a page further")
        await pilot.press("pageup")
        await until(pilot, lambda: region.scroll_y == 0, "PgUp: back at the top")
        await pilot.press("down", "down")
        await until(pilot, lambda: region.scroll_y == 2, "two lines down with the arrow")
        await pilot.press("end")
        await until(pilot, lambda: region.scroll_y == region.max_scroll_y, "End: the end of the diff")
        await pilot.press("home")
        await until(pilot, lambda: region.scroll_y == 0, "Home: its top")

        # The wheel over it scrolls it, wherever the focus is.
        review.query_one("#files", ListView).focus()
        for _ in range(3):
            await pilot._post_mouse_events([events.MouseScrollDown], widget=region)
        await until(pilot, lambda: region.scroll_y > 0, "the wheel scrolling the diff")
        assert [widget.region for widget in steady] == where

        # The answers are an entry of the list, shown in the same region from its top.
        await show(pilot, review, ANSWERS)
        assert region.scroll_y == 0 and "Your answers" in str(region.border_title)
        assert "Installation method: package" in screen_text(app)


async def test_the_review_that_cannot_write_yet_links_to_the_field_at_fault_at_80x24(tmp_path: Path) -> None:
    given = Given(defaults("arch", ports={"c2s": 5269}))
    app = WizardApp(tmp_path / "out", "arch", given, MACHINE, checks=False)
    async with app.run_test(size=(80, 24)) as pilot:
        review = await review_of(pilot, app, proposed=False)
        fix = await until(pilot, lambda: review.query_one("#fix", Button) if review.query_one("#fix").display
                          else None, "the link to the answer at fault")
        assert review.region.contains_region(fix.region) and fix.region.height
        assert "Cannot write yet" in str(review.query_one("#status", Static).render())
        # Nothing to show of files that cannot be worked out: the answers are, to see what to change.
        await until(pilot, lambda: review.entry == ANSWERS and "Your answers" in str(review.query_one(ShownEntry)
                                                                                  .border_title), "the answers shown")
        await pilot.click("#fix")
        await until(pilot, lambda: app.screen.name == "ports" and app.screen.focused is not None
                    and app.screen.focused.parent is not None
                    and app.screen.focused.parent.parent is not None
                    and app.screen.focused.parent.parent.id in ("q-ports-c2s", "q-ports-s2s"),
                    "the field at fault focused")
