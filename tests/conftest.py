from collections.abc import Generator

import pytest

from tests.answers_helpers import required_ejabberd_release
from tests.support import slow

pytest_plugins = ["tests.support.fixtures"]


@pytest.fixture(scope="session")
def ejabberd_release() -> str:
    """The release of the ejabberd installed here: what generated configs target to be started by it."""
    return required_ejabberd_release()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    # What a server or terminal that starts belongs to: see tests.support.slow.
    slow.running(item)
    try:
        return (yield)
    finally:
        slow.running(None)
