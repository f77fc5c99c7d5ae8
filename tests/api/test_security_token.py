"""The security matrix of tests/api/test_security.py, the bearer-token way: every route ×
every kind of user, each sending its API token (the session way runs in test_security.py;
a module of its own so that the two halves run on different xdist workers)."""

import pytest

from tests.api.test_security import ROUTES, check_each_kind, scened, shared, world  # noqa: F401 - this module's own instances

MODES = ("token",)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("key", list(ROUTES), ids=lambda k: f"{k[0]} {k[1]}")
def test_each_kind_of_user_gets_the_right_status_and_refusals_write_nothing(world, key, mode):  # noqa: F811
    check_each_kind(world, key, mode)
