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


def approved(w, adj, by=None):
    """A lift of a sealed area (it needs the level above: `ZoneType.lift_approval`), submitted
    by the community's staff and approved by the street's command, ready to publish."""
    from fangkong.core.actor import Actor
    from fangkong.zones.actions import approval

    approval.submit(Actor.system(by or w.users.staff), adj)
    return approval.approve(Actor.system(w.users.street), adj)


def approve_if_needed(by, adj):
    """`adj` as a test publishes it: a lift of a sealed area by the community's staff (`by`)
    submitted and approved by its street's command first (`zones.approval`); else unchanged."""
    from fangkong.accounts.models import User
    from fangkong.core.actor import Actor
    from fangkong.zones import approval as rules
    from fangkong.zones.actions import approval

    if not rules.must_submit(by.scope, adj):
        return adj
    approval.submit(by, adj)
    command = User.objects.get(pk=min(rules.command_of(adj)))
    return approval.approve(Actor.system(command), adj)
