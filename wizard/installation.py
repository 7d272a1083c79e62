"""Where the installed ejabberd is and which release it is, from its ``ejabberd.app`` file.

Asking a running node (ejabberdctl status) would need the server up; the application
file is there as soon as ejabberd is installed, from source or from a package.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from wizard.answers.model import Answers
from wizard.releases import Release

# Source installs: PREFIX/lib/ejabberd-VSN; Debian: /usr/lib/<triplet>/ejabberd-VSN; others: /usr/lib/ejabberd.
_APP_GLOBS = ("lib/ejabberd-*/ebin/ejabberd.app", "lib/*/ejabberd-*/ebin/ejabberd.app",
              "lib/ejabberd/ebin/ejabberd.app")
_VSN = re.compile(r'\{\s*vsn\s*,\s*"(\d+\.\d+)')
# Administration programs live in sbin, which a normal user's PATH may lack.
_SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")


@dataclass(frozen=True)
class Installation:
    version: str  # "23.01"
    ebin: Path  # the directory of ejabberd's compiled modules

    @property
    def release(self) -> Release:
        return Release.parse(self.version)


def find_program(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SBIN))


def find(answers: Answers) -> Installation | None:
    """The ejabberd these answers run: below the prefix of their ejabberdctl or install.prefix,
    else the one of the ejabberdctl on PATH, else the system's; the newest where there are several."""
    roots = [Path(answers.install.ejabberdctl).parent.parent, Path(answers.install.prefix)]
    program = find_program("ejabberdctl")
    if program:
        roots.append(Path(program).resolve().parent.parent)
    roots.append(Path("/usr"))
    for root in dict.fromkeys(roots):
        found = [i for pattern in _APP_GLOBS for app in root.glob(pattern) if (i := _read_app(app))]
        if found:
            return max(found, key=lambda installation: installation.release)
    return None


def _read_app(app: Path) -> Installation | None:
    try:
        match = _VSN.search(app.read_text(errors="replace"))
    except OSError:
        return None
    return Installation(match.group(1), app.parent) if match else None
