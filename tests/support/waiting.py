"""Waiting for a condition with a deadline, never for a guessed time.

A Textual app under Pilot is waited on for what the test needs: a message its workers
posted (``Posted``, given to ``run_test(message_hook=...)``), or a state of its widgets
(``until``). A deadline that passes fails with what was awaited and what the screen
showed. The deadlines are generous on purpose: on a loaded two-core machine a step that
takes 0.5 s alone can take ten times that, and a deadline only bounds a broken run.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from rich.console import Console
from textual.app import App
from textual.css.query import NoMatches
from textual.message import Message
from textual.pilot import Pilot
from textual.widget import Widget

DEADLINE = 60.0

T = TypeVar("T")
M = TypeVar("M", bound=Message)


def screen_text(app: App[Any]) -> str:
    """What the app's screen shows, as plain text (the lines of the terminal)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None,
                      legacy_windows=False, safe_box=False)
    # As App.export_screenshot does, but as text: the compositor's full update is the screen.
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


async def until(pilot: Pilot[Any], condition: Callable[[], T | None | Literal[False]], awaiting: str, *,
                timeout: float = DEADLINE) -> T:
    """The first true value of ``condition()``, checked each time the app has handled what was
    pending; ``AssertionError`` naming ``awaiting`` and showing the screen after ``timeout`` s.

    A widget the condition looks for that is not there yet (the screen is being switched)
    counts as not yet.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except NoMatches:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {awaiting}; the screen shows:\n{screen_text(pilot.app)}")
        await pilot.pause()


async def focus(pilot: Pilot[Any], widget: Widget) -> None:
    """Give ``widget`` the focus, and return once it has handled its Focus event.

    An Input selects its text as it handles the event: keys pressed before that
    would be typed into the text that is then selected, and replaced by the next key.
    """
    widget.focus()
    await until(pilot, lambda: widget.has_focus, f"the focus on {widget!r}")
    # The Focus event was posted to the widget when it got the focus; this handles it.
    await pilot.pause()


class Posted:
    """Every message the app handles, to wait for those its workers post.

    Pass it as ``run_test(message_hook=posted)``. ``next(kind)`` returns each message
    once, in the order they were handled, so a test that waits for a second proposal
    does not get the first again.
    """

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._seen: set[int] = set()
        self._returned: set[int] = set()

    def __call__(self, message: Message) -> None:
        # A message that bubbles is dispatched once at each widget it passes: it is
        # recorded the first time. The messages the workers post go to the screen that
        # handles them, so for those the first time is the handling.
        if id(message) not in self._seen:
            self._seen.add(id(message))
            self.messages.append(message)

    def of(self, kind: type[M]) -> list[M]:
        return [message for message in self.messages if isinstance(message, kind)]

    async def next(self, pilot: Pilot[Any], kind: type[M], where: Callable[[M], bool] = lambda _: True, *,
                   timeout: float = DEADLINE) -> M:
        """The next message of ``kind`` (for which ``where`` is true) not returned before, once the
        app has handled it."""

        def arrived() -> M | None:
            return next((message for message in self.of(kind) if id(message) not in self._returned
                         and where(message)), None)

        message = await until(pilot, arrived, f"a {kind.__name__} message", timeout=timeout)
        self._returned.add(id(message))
        # The hook runs as the message is dispatched, before its handler: let the handler finish.
        await pilot.pause()
        return message

    def skip(self, kind: type[Message]) -> None:
        """Pass over the messages of ``kind`` handled so far: ``next`` waits for a new one."""
        self._returned.update(id(message) for message in self.of(kind))
