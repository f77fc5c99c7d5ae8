import pytest

from fangkong.zones.actions.policy import install_presets
from fangkong.zones.models import Policy


@pytest.fixture
def presets(db):
    """The shipped policies (a flushed database lost the migration's rows)."""
    install_presets()
    return {p.code: p for p in Policy.objects.all()}


def use_policy(code):
    Policy.objects.update(is_active=False)
    Policy.objects.filter(code=code).update(is_active=True)
    return Policy.objects.get(code=code)
