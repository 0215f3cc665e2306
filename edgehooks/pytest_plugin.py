"""A pytest plugin (registered as the `pytest11` entry point `edgehooks`): the `edgehooks_run` fixture.

    def test_redirect(edgehooks_run):
        result = edgehooks_run("../hooks/redirects.py:handler", "viewer-request", uri="/old-about")
        assert result.response["status"] == "301"

It is `edgehooks.testing.run` with the handler's path taken relative to the test file's folder,
so a test finds its hooks whatever folder pytest was started from.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from . import testing


@pytest.fixture
def edgehooks_run(request: pytest.FixtureRequest) -> Callable[..., testing.Result]:
    folder = request.path.parent

    def run(handler: str, event_type: str = "viewer-request", **options) -> testing.Result:
        return testing.run(str(folder / handler), event_type, **options)

    return run
