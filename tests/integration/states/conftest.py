"""The lifecycle tests share ``life``; its asserts get pytest's detailed failure messages."""

import pytest

pytest.register_assert_rewrite("tests.integration.states.life")
