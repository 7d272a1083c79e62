import pytest

from tests.answers_helpers import required_ejabberd_release

pytest_plugins = ["tests.support.fixtures"]


@pytest.fixture(scope="session")
def ejabberd_release() -> str:
    """The release of the ejabberd installed here: what generated configs target to be started by it."""
    return required_ejabberd_release()
