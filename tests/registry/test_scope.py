from fangkong.accounts.roles import Perm
from fangkong.accounts.scope import Scope
from fangkong.registry import queries


def names(qs):
    return sorted(r.name for r in qs)


def test_staff_sees_their_community_only(world):
    scope = Scope.for_user(world.users.staff)
    assert names(queries.residents(scope)) == ["于海涛", "夏明", "王新勇", "苏霞"]


def test_street_command_sees_both_communities(world):
    scope = Scope.for_user(world.users.street)
    assert len(queries.residents(scope)) == 5


def test_grid_worker_sees_their_grid(world):
    assert len(queries.residents(Scope.for_user(world.users.grid))) == 4


def test_leader_sees_their_building(world):
    scope = Scope.for_user(world.users.leader)
    assert len(queries.residents(scope)) == 4
    assert not scope.allows(Perm.EDIT_REGISTRY, world.su)


def test_resident_sees_own_household_only(world):
    scope = Scope.for_user(world.users.resident)
    assert names(queries.residents(scope)) == ["于海涛", "苏霞"]
    assert list(queries.places(scope)) == []


def test_volunteer_lab_supplier_see_no_personal_data(world):
    for user in (world.users.volunteer, world.users.lab, world.users.supplier, world.users.nobody):
        scope = Scope.for_user(user)
        assert queries.residents(scope).count() == 0, user
        assert queries.households(scope).count() == 0, user


def test_other_community_staff_sees_only_theirs(world):
    scope = Scope.for_user(world.users.other_staff)
    assert names(queries.residents(scope)) == ["袁桂英"]
    assert not scope.allows(Perm.VIEW_REGISTRY, world.su)
