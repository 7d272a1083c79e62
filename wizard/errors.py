"""The one kind of error a user is meant to see: bad input, told in one line."""


class InputError(Exception):
    """Bad input or usage: the command line reports ``str(error)`` and exits 2.

    The message names where the problem is (a file, a field, a line) and what is
    expected instead, so it can be acted on without a traceback. ``field`` is the
    dotted answers path the message is about, when it is about one, so a front end
    can point at that field.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class FileError(InputError):
    """A file that cannot be read or used: ``where`` it is (the file, and the line when known) and the ``problem``."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where, self.problem = where, problem


def shown(value: object) -> str:
    """A value quoted for a message, cut short: an error line stays one readable line."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
