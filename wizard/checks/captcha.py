"""CAPTCHA: the command ejabberd runs to draw a CAPTCHA draws one, here and now.

ejabberd runs ``captcha_cmd KEY`` and takes a PNG, JPEG or GIF of at most 64 KiB from its
output within 5 seconds, whatever its exit status; 26.07 refuses to start when it cannot
get one, and older releases serve a registration form with no image. So the check runs
the command once and judges its output as ejabberd does.
"""

from __future__ import annotations

import os
import subprocess

from wizard.checks.core import Checker, Context, Finding, Severity, finder
from wizard.installation import find_program

found = finder("env", "security")
# The first bytes of each image type ejabberd takes (see ejabberd_captcha:do_create_image).
IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"))
KEY = "318705"  # ejabberd's keys are digits
# ejabberd_captcha's CMD_TIMEOUT and MAX_FILE_SIZE.
TIMEOUT = 5.0
MAX_IMAGE = 64 * 1024


def check_captcha(ctx: Context) -> list[Finding]:
    security = ctx.answers.security
    if security.registration != "captcha" or security.captcha_cmd is None:
        return []
    command = security.captcha_cmd
    if not os.access(command, os.X_OK):
        why = "does not exist" if not os.path.exists(command) else "is not executable"
        return [found("env.captcha", Severity.ERROR, command, f"{why}; ejabberd draws its CAPTCHAs with it",
                      f"chmod +x {command}" if os.path.exists(command) else "security.captcha_cmd: the path of "
                      "ejabberd's captcha.sh (tools/captcha.sh in its source)")]
    try:
        result = subprocess.run([command, KEY], capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return [found("env.captcha", Severity.ERROR, command, f"drew no image within {TIMEOUT:.0f} s", _missing())]
    except OSError as error:
        return [found("env.captcha", Severity.ERROR, command, f"cannot be run: {error.strerror}", _missing())]
    kind = next((name for magic, name in IMAGE_TYPES if result.stdout.startswith(magic)), None)
    if kind and len(result.stdout) <= MAX_IMAGE:
        return [found("env.captcha", Severity.OK, command, f"draws a {kind} image ({len(result.stdout)} bytes)")]
    if kind:
        return [found("env.captcha", Severity.ERROR, command, f"draws a {kind} image of {len(result.stdout)} bytes; "
                      f"ejabberd takes at most {MAX_IMAGE}", "make the image smaller")]
    said = " ".join(result.stderr.decode(errors="replace").split())[:200]
    return [found("env.captcha", Severity.ERROR, command,
                  f"exited {result.returncode} without an image"
                  + (f": {said}" if said else "") + "; ejabberd 26.07 then refuses to start", _missing())]


def _missing() -> str:
    if find_program("convert") is None:
        return "install ImageMagick (Arch: pacman -S imagemagick; Debian: apt-get install imagemagick)"
    return "run the command by hand with a number as its argument and fix what it says"


CHECKERS = (Checker("env", frozenset({"security"}), check_captcha),)
