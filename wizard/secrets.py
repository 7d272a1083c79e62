"""Secrets live apart from the answers: read at generate time from where they are kept."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wizard.answers.model import Answers
from wizard.errors import FileError, InputError
from wizard.textfile import read_file

MASK = "********"


@dataclass(frozen=True)
class Secrets:
    database_password: str | None = None
    # A password typed into a front end, to be written (mode 0600) with the deployment
    # at this path relative to it; None when it was read from where it is kept.
    store_database_password_at: str | None = None

    def values(self) -> tuple[str, ...]:
        return tuple(value for value in (self.database_password,) if value)


@dataclass(frozen=True)
class SecretQuestion:
    """A question whose answer is a secret: asked by the front ends, never saved in the answers."""

    key: str
    step: str
    label: str
    help: str
    asked: Callable[[Answers, Path], bool]  # whether to ask it, given the answers and the deployment directory


def password_file_path(answers: Answers, out: Path) -> Path:
    path = Path(answers.database.password_file)
    return path if path.is_absolute() else out / path


def needs_typed_password(answers: Answers, out: Path) -> bool:
    """Whether the database password has to be typed: its file, inside the deployment, does not exist yet."""
    database = answers.database
    return (database.backend == "mysql" and database.password_source == "file"
            and not Path(database.password_file).is_absolute() and not password_file_path(answers, out).exists())


SECRET_QUESTIONS = (
    SecretQuestion(
        "database_password", "database", "Database password",
        "Written to the password file (mode 0600) with the deployment; never into wizard.yml.",
        needs_typed_password,
    ),
)


def resolve(answers: Answers, out: Path, typed: Mapping[str, str] | None = None) -> Secrets:
    """The secrets these answers need, or an ``InputError`` saying where they were looked for.

    ``typed`` holds the answers to ``SECRET_QUESTIONS`` a front end asked for, by key.
    """
    database = answers.database
    if database.backend != "mysql":
        return Secrets()
    if database.password_source == "my_print_defaults":
        with _about("database.password_source"):
            return Secrets(database_password=_from_my_print_defaults())
    _not_a_deployment_file(answers, out)
    password = (typed or {}).get("database_password")
    if password and needs_typed_password(answers, out):
        return Secrets(password, store_database_password_at=database.password_file)
    path = password_file_path(answers, out)
    with _about("database.password_file"):
        return Secrets(database_password=read_secret_file(path, f"database.password_file ({path})",
                                                          "the database password"))


# What the wizard writes into a deployment directory (its files and its bookkeeping): a password
# file there would be written over, or would overwrite the file (plain mode stores a typed one).
DEPLOYMENT_ENTRIES = ("wizard.yml", "README.md", "config", "dns", "service", "web", "scripts", ".wizard", ".backup")


def _not_a_deployment_file(answers: Answers, out: Path) -> None:
    path = password_file_path(answers, out)
    try:
        relative = Path(os.path.realpath(path)).relative_to(os.path.realpath(out))
    except ValueError:
        return  # outside the deployment directory
    first = relative.parts[0] if relative.parts else ""
    if not relative.parts or first in DEPLOYMENT_ENTRIES or first.startswith((".wizard", ".backup")):
        what = f"{relative}, a file of the deployment" if relative.parts else "the deployment directory"
        raise InputError(f"database.password_file: {answers.database.password_file!r} is {what}; "
                         "expected a file of its own, such as 'db-password'", field="database.password_file")


@contextmanager
def _about(field: str) -> Iterator[None]:
    """Errors raised inside are about the answer ``field``: a front end can go back to its question."""
    try:
        yield
    except InputError as error:
        if error.field is not None:
            raise
        raise InputError(str(error), field=field) from None


# A password is a line; a file of more is not a password file (and /dev/zero never ends).
SECRET_FILE_MAX = 64 * 1024


def read_secret_file(path: Path, where: str, what: str) -> str:
    """The first line of a file that only its owner may read; ``where`` names it in errors."""
    try:
        text, info = read_file(path, expected=f"a file holding {what}", limit=SECRET_FILE_MAX,
                               usual_size=f"expected {what} on its first line", where=where)
    except FileError as error:
        if error.problem.startswith("no such file"):
            raise InputError(f"{where}: no such file; write {what} into it and chmod 600 it") from None
        raise InputError(f"{where}: cannot read it: {error.problem}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(f"{where}: others may read it (mode {stat.S_IMODE(info.st_mode):04o}); run chmod 600 on it")
    # The first line as `head -n 1` sees it in the scripts, without a Windows line end.
    password = text.split("\n", 1)[0].removesuffix("\r")
    if not password:
        raise InputError(f"{where}: empty; expected the password on its first line")
    return password


def _from_my_print_defaults() -> str:
    tool = shutil.which("my_print_defaults")
    where = "database.password_source (my_print_defaults)"
    if tool is None:
        raise InputError(f"{where}: my_print_defaults is not installed; use password_source: file instead")
    try:
        result = subprocess.run([tool, "client"], capture_output=True, timeout=10, check=False)
        output = result.stdout.decode("utf-8")
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InputError(f"{where}: could not run it: {error}") from None
    except UnicodeDecodeError:
        raise InputError(f"{where}: `my_print_defaults client` printed text that is not UTF-8; "
                         "check ~/.my.cnf") from None
    for line in output.splitlines():
        if line.startswith("--password="):
            return line.removeprefix("--password=")
    raise InputError(f"{where}: `my_print_defaults client` printed no --password; "
                     "add password= to [client] in ~/.my.cnf")
