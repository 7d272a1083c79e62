"""The Textual wizard: preset, one screen per step of questions, review and write.

The app only routes between screens; the state lives in ``wizard.session.Session``.
It imports what a step needs when the step is first shown: the answers model,
renderers and diff are not needed to paint the first screen.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.timer import Timer

from screens.preset import PresetScreen
from screens.sidebar import StepList
from wizard.steps import NAMESERVER_ENV, STEPS, StepState

if TYPE_CHECKING:
    from wizard.answers.given import Given
    from wizard.deployment.plan import Change
    from wizard.ejabberd_yml.read import Imported
    from wizard.machine import Machine
    from wizard.session import Session

ALL_STEPS: list[tuple[str, str]] = [("preset", "Preset"), *STEPS, ("review", "Review")]

# The draft of the answers is saved once typing pauses this long (s).
DRAFT_DELAY = 0.5

# Moving between steps: nothing to move to before a preset is chosen.
NAVIGATION = frozenset({"next", "back", "jump", "review"})


class WizardApp(App[int]):
    # Absolute, so that subclasses defined elsewhere (tests, benchmarks) find it too.
    CSS_PATH = Path(__file__).with_name("wizard.tcss")
    TITLE = "ejabberd-wizard"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next"),
        Binding("ctrl+b,escape", "back", "Back"),
        Binding("f2", "jump", "Steps"),
        Binding("ctrl+r", "review", "Review"),
        Binding("ctrl+q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, out: Path, preset_name: str | None = None, saved: Given | None = None,
                 machine: Machine | None = None, *, checks: bool = True, nameserver: str | None = None,
                 imported: Imported | None = None, offer_draft: bool = True) -> None:
        super().__init__()
        # The answers of an earlier session that quit before writing (wizard.deployment.draft_file), offered first.
        self.offer_draft = offer_draft
        self._draft_timer: Timer | None = None
        self.out = out
        # The local-state checks of each step (wizard.checks); off for repeatable screenshots.
        self.checks_enabled = checks
        self.nameserver = nameserver
        self.imported = imported
        self.saved = saved
        self.machine = machine  # None: the account running the wizard, once a draft starts
        self.preset_name = preset_name or (saved.get("preset") if saved else None)
        self.session: Session | None = None
        self.written_files = 0
        self.current = "preset"
        self.focus_request: str | None = None  # the question a step shown next gives the focus to
        self._gc_paused = False

    def on_load(self) -> None:
        # Starting creates tens of thousands of objects that live as long as the app
        # (modules, widgets, styles) and next to no garbage: a full collection in the
        # middle of it only delays the first screen. As Textual does while scrolling,
        # the collector waits, here until the first screen is painted.
        if gc.isenabled():
            gc.disable()
            self._gc_paused = True

    def on_mount(self) -> None:
        from wizard.deployment.draft_file import found

        kept = found(self.out) if self.offer_draft else None
        if kept is None:
            self._start()
            return
        from screens.dialogs import RESUME, resume_draft

        def chosen(choice: str | None) -> None:
            if choice == RESUME:
                self.saved, self.preset_name = kept.given, kept.preset or self.preset_name
            self._start()

        self.push_screen(resume_draft(str(kept.path), kept.saved_at, str(self.out)), chosen)

    def _start(self) -> None:
        if self.preset_name:
            self.choose_preset(self.preset_name, first=True)
        else:
            self.push_screen(PresetScreen(name="preset"))
        self.call_after_refresh(self._resume_gc)
        for change in self.saved.migrated if self.saved else ():
            # An older wizard.yml: what reading it changed, until the next write saves it anew.
            self.notify(change, title="Answers file of an older version", timeout=15, markup=False)

    def on_unmount(self) -> None:
        self._resume_gc()  # in case the app ends before its first paint

    def _resume_gc(self) -> None:
        if self._gc_paused:
            self._gc_paused = False
            gc.enable()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Hidden, not refused: the footer of the first screen shows only what works there.
        return self.session is not None or action not in NAVIGATION

    # -- steps ----------------------------------------------------------------

    def step_titles(self) -> list[tuple[str, str]]:
        return ALL_STEPS

    def step_states(self) -> dict[str, StepState]:
        if self.session is None:
            return {}
        states = {step: self.session.state(step) for step, _ in STEPS}
        states["preset"] = StepState.VALID
        states["review"] = StepState.VALID if "review" in self.session.visited else StepState.NOT_VISITED
        return states

    def choose_preset(self, name: str, first: bool = False) -> None:
        import presets
        from wizard.answers.draft import Draft
        from wizard.session import Session

        preset = presets.load(name)
        if self.session is None:
            self.session = Session(Draft.start(preset, self.saved, self.machine), self.out, imported=self.imported)
        else:
            self.session.draft.preset = preset
        self.preset_name = name
        self.session.mark_visited(["preset"])
        target = STEPS[0][0]
        if first:
            self.current = target
            self.push_screen(self._screen(target))
        else:
            self.go_to(target)

    def go_to(self, step: str) -> None:
        if self.session is None and step != "preset":
            self.notify("Choose a preset first.", severity="warning")
            return
        if step == self.current:
            return
        self.current = step
        self.switch_screen(self._screen(step))

    def go_to_question(self, path: str) -> None:
        """The step of the question at ``path`` (an answers path), with the focus on its field."""
        from wizard.answers.catalogue import question_path, step_of

        step = step_of(path)
        if step is None:
            return
        self.focus_request = question_path(path)
        if step == self.current:
            self.screen.post_message(events.ScreenResume())
        self.go_to(step)

    def _screen(self, step: str) -> str:
        """The installed screen of a step: created once, so what was typed stays."""
        if not self.is_screen_installed(step):
            if step == "preset":
                self.install_screen(PresetScreen(name="preset"), step)
            else:
                assert self.session is not None, "go_to() shows the steps only once a preset is chosen"
                if step == "review":
                    from screens.review import ReviewScreen

                    self.install_screen(ReviewScreen(self.session), step)
                else:
                    from screens.step import StepScreen

                    self.install_screen(StepScreen(step, dict(STEPS)[step], self.session), step)
        if self.session is not None:
            self.session.mark_visited([step])
        return step

    def _offset(self, delta: int) -> None:
        names = [name for name, _ in ALL_STEPS]
        index = max(0, min(len(names) - 1, names.index(self.current) + delta))
        self.go_to(names[index])

    def action_next(self) -> None:
        self._offset(+1)

    async def action_back(self) -> None:  # async, as the App's own action_back it replaces
        self._offset(-1)

    def action_review(self) -> None:
        self.go_to("review")

    def action_jump(self) -> None:
        self.screen.query_one(StepList).focus()

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """Ctrl+P → Screenshot: into ~/Downloads as Textual does, or, on a machine without one (a
        server, an Uberspace account), beside the deployment directory rather than failing."""
        return super().deliver_screenshot(filename, path or screenshot_directory(self.out), time_format)

    # -- the end --------------------------------------------------------------

    def answers_edited(self) -> None:
        """An answer changed: the draft beside the deployment is saved once typing pauses."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DELAY, self._save_draft)

    def _save_draft(self) -> None:
        from wizard.deployment.draft_file import save

        self._draft_timer = None
        if self.session is not None and self.session.unsaved:
            try:
                save(self.session.draft, self.out)
            except OSError as error:  # the directory beside is not writable: the session goes on
                self.notify(f"The draft of the answers could not be kept: {error}", severity="warning",
                            markup=False)

    def written(self, changes: list[Change]) -> None:
        from screens.done import DoneScreen
        from wizard.deployment.draft_file import discard

        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        discard(self.out)  # the deployment's wizard.yml holds the answers now
        self.written_files = len(changes)
        self.push_screen(DoneScreen(self.out, len(changes)))

    async def action_quit(self) -> None:
        if self.session is None or not self.session.unsaved or isinstance(self.screen, ModalScreen):
            self.exit(0)
            return
        from screens.dialogs import QUIT, QUIT_DISCARD, quit_unsaved
        from wizard.deployment.draft_file import discard, draft_path

        def chosen(choice: str | None) -> None:
            if choice == QUIT:
                self._save_draft()
                self.exit(0)
            elif choice == QUIT_DISCARD:
                discard(self.out)
                self.exit(0)

        self.push_screen(quit_unsaved(str(draft_path(self.out)), str(self.out)), chosen)


def screenshot_directory(out: Path) -> str:
    """Where a screenshot is saved: the user's Downloads directory when there is one, else the
    directory the deployment directory is in (or the nearest one of its parents that exists)."""
    from platformdirs import user_downloads_path

    downloads = user_downloads_path()
    if downloads.is_dir():
        return str(downloads)
    return str(next(parent for parent in out.absolute().parents if parent.is_dir()))


def run_tui(out: Path, preset_name: str | None, answers_path: Path | None,
            import_from: Path | bool | None = None) -> int:
    from wizard.answers.given import saved_answers
    from wizard.deployment.plan import check_output_dir

    check_output_dir(out)
    if os.environ.get(NAMESERVER_ENV):
        from wizard.checks.core import Nameserver

        Nameserver.from_environment()  # a bad value is bad input, told before the screen opens
    if preset_name is not None:
        import presets

        presets.load(preset_name)  # an unknown preset is bad input, told before the screen opens
    saved, imported = saved_answers(out, answers_path), None
    if import_from is not None:
        from wizard.ejabberd_yml.read import read as read_import

        imported = read_import(import_from, preset_name, saved)
        saved = imported.under(saved)
    app = WizardApp(out, preset_name, saved, nameserver=os.environ.get(NAMESERVER_ENV), imported=imported)
    app.run()
    if app.written_files:
        print(f"Wrote {app.written_files} file(s) to {out}. Next steps: {out / 'README.md'}")
    else:
        print(f"Quit before writing: nothing was written to {out}.", file=sys.stderr)
    return app.return_code or 0
