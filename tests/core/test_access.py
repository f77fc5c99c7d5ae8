"""The one permission check (core.access): allowed, forbidden (seen but not allowed), and
missing (not seen) — and the export rule."""

import pytest

from fangkong.accounts.roles import Perm
from fangkong.core import access
from fangkong.core.errors import Forbidden, NotFound
from fangkong.registry.models import Resident
from tests.conftest import actor_for


@pytest.mark.django_db
def test_allowed_forbidden_and_missing(world):
    w = world
    staff, leader, other = (actor_for(u) for u in (w.users.staff, w.users.leader, w.users.other_staff))
    access.require(staff, Perm.EDIT_REGISTRY, w.su)  # allowed: no error
    access.require(staff.scope, Perm.EDIT_REGISTRY, w.su)  # a scope works as well as an actor
    with pytest.raises(Forbidden):  # the leader sees the person, may not edit
        access.require(leader, Perm.EDIT_REGISTRY, w.su, seen=Perm.VIEW_REGISTRY)
    with pytest.raises(NotFound):  # without `seen`, not allowed is missing
        access.require(leader, Perm.EDIT_REGISTRY, w.su)
    with pytest.raises(NotFound):  # another community's staff: it does not exist for them
        access.require(other, Perm.EDIT_REGISTRY, w.su, seen=(Perm.SCREENING_VIEW, Perm.VIEW_REGISTRY))


@pytest.mark.django_db
def test_a_widened_rule(world):
    w = world
    leader = actor_for(w.users.leader)
    calls = []

    def allows(scope, perm, obj):
        calls.append(perm)
        return perm == Perm.SCREENING_VIEW

    with pytest.raises(Forbidden):
        access.require(leader, Perm.SCREENING_RUN, w.community, seen=Perm.SCREENING_VIEW, allows=allows)
    assert calls == [Perm.SCREENING_RUN, Perm.SCREENING_VIEW]
    access.require(leader, Perm.SCREENING_VIEW, w.community, allows=allows)


@pytest.mark.django_db
def test_export_refused_is_missing_even_where_the_user_sees(world):
    w = world
    access.require_export(actor_for(w.users.grid), Perm.EXPORT, w.building)
    with pytest.raises(NotFound):  # the leader sees the building's people, may not export
        access.require_export(actor_for(w.users.leader), Perm.EXPORT, w.building)
    with pytest.raises(NotFound):
        access.require_export(actor_for(w.users.other_staff), Perm.EXPORT, w.building)


@pytest.mark.django_db
def test_one(world):
    w = world
    qs = Resident.objects.filter(community_id=w.community.id)
    assert access.one(qs, str(w.su.id)) == w.su
    for bad in (w.other_person.id, "abc", None, 10**30):
        with pytest.raises(NotFound):
            access.one(qs, bad)
