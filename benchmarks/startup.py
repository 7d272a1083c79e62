"""Cold start to the first painted screen: the wizard against a one-screen Textual app.

Each sample is a fresh interpreter (imports included) that starts the app
headless and exits right after its first refresh. The goal is a ratio of at most
1.2: a step imports what it needs when it is shown, not at start.

The first refresh is counted from the app's ``on_mount``. The wizard pushes its
first screen there, so the moment measured follows that screen's first layout
and the callbacks it queued for after it, the footer's keys included; a first
screen returned by ``get_default_screen`` would be measured before its footer is
filled in, which is why the wizard does not use it to look faster here.

A third app shows the widgets of the wizard's first screen (two lines of text, the
list of presets, the footer) without the wizard, to tell what the wizard adds from
what those widgets cost in any Textual app.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAINTED = """
import time

def painted(app):
    print(time.time(), flush=True)
    app.exit()
"""

MINIMAL = PAINTED + """
from textual.app import App
from textual.widgets import Static

class Minimal(App):
    def compose(self):
        yield Static("one static screen")
    def on_mount(self):
        self.call_after_refresh(painted, self)

Minimal().run(headless=True)
"""

# For comparison only (the goal is against MINIMAL): the widgets of the wizard's first
# screen, without the wizard. The difference to it is what the wizard itself costs.
SAME_WIDGETS = PAINTED + """
from textual.app import App
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static

class FirstScreen(Screen):
    def compose(self):
        with Horizontal():
            with Vertical():
                yield Static("Where will ejabberd run?")
                yield Static("The preset fills in every answer for that kind of host.")
                yield OptionList("arch\\n  one line", "uberspace\\n  one line")
        yield Footer()

class SameWidgets(App):
    BINDINGS = [("ctrl+q", "quit", "Quit")]
    def on_mount(self):
        self.push_screen(FirstScreen())
        self.call_after_refresh(painted, self)

SameWidgets().run(headless=True)
"""

WIZARD = PAINTED + """
import sys
from pathlib import Path
from screens.app import WizardApp

class FirstPaint(WizardApp):
    # Textual calls on_mount of every class in the hierarchy: no super() call here.
    def on_mount(self):
        self.call_after_refresh(painted, self)

FirstPaint(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None).run(headless=True)
"""


def _sample(program: Path, *args: str) -> float:
    started = time.time()
    result = subprocess.run([sys.executable, str(program), *args], check=True, timeout=60, capture_output=True,
                            text=True)
    return float(result.stdout.split()[0]) - started


def run(samples: int = 9) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        # Files, not `python -c`: Textual finds an app's CSS next to the file of its class.
        minimal_app, wizard_app, out = (Path(scratch, "minimal_app.py"), Path(scratch, "first_paint.py"),
                                        str(Path(scratch, "out")))
        same_app = Path(scratch, "same_widgets.py")
        minimal_app.write_text(MINIMAL)
        same_app.write_text(SAME_WIDGETS)
        wizard_app.write_text(WIZARD)
        # Warm the caches.
        _sample(minimal_app), _sample(same_app), _sample(wizard_app, out), _sample(wizard_app, out, "arch")
        minimal, same, wizard, first_step = [], [], [], []
        for _ in range(samples):  # interleaved, so machine noise hits all alike
            minimal.append(_sample(minimal_app))
            same.append(_sample(same_app))
            wizard.append(_sample(wizard_app, out))
            first_step.append(_sample(wizard_app, out, "arch"))
    minimal_s, same_s, wizard_s, step_s = (statistics.median(times) for times in (minimal, same, wizard, first_step))
    return {
        "minimal Textual app (s)": round(minimal_s, 3),
        "wizard, preset screen (s)": round(wizard_s, 3),
        "ratio (goal <= 1.2)": round(wizard_s / minimal_s, 2),
        "same widgets, no wizard (s)": round(same_s, 3),
        "ratio, same widgets / minimal": round(same_s / minimal_s, 2),
        "wizard --preset, first step (s)": round(step_s, 3),
        "ratio, first step": round(step_s / minimal_s, 2),
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:<28} {value}")
