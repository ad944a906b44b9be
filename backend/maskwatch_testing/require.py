"""Services the tests start themselves: a missing one skips its tests, unless the test command
requires it (set by `make test`), which makes it an error so CI cannot pass on skips."""

import os

import pytest


def missing_service(message: str, require_variable: str) -> None:
    if os.environ.get(require_variable) == "1":
        pytest.fail(message)
    pytest.skip(message)
