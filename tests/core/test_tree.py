"""The place-tree kernel (core.tree) against the registry's real tree."""

import pytest
from django.db.models import Q

from fangkong.core import tree
from fangkong.registry.models import LEVEL_FIELDS, LEVELS, Household, Kind, Place, Resident


def test_levels_are_the_registrys():
    assert list(tree.LEVELS) == [str(k) for k in LEVELS]
    assert list(tree.LEVEL_FIELDS) == LEVEL_FIELDS


def test_level_field_of_a_node_a_kind_and_a_non_level():
    assert tree.level_field("street") == "street_id"
    assert tree.level_field(Kind.UNIT, "resident__") == "resident__unit_id"
    assert tree.level_field(Place(kind=Kind.GRID)) == "grid_id"
    assert tree.level_field(Kind.SHOP) is None
    assert tree.is_level(Kind.BUILDING) and not tree.is_level(Kind.CHECKPOINT)


@pytest.mark.django_db
def test_under_selects_exactly_the_subtree(world):
    w = world
    people = set(Resident.objects.filter(tree.under(w.unit1)).values_list("name", flat=True))
    assert people == {"苏霞", "于海涛", "夏明"}
    assert set(Resident.objects.filter(tree.under(w.community)).values_list("id", flat=True)) == {
        w.su.id, w.yu.id, w.xia.id, w.wang.id}
    assert Resident.objects.filter(tree.under(w.street)).count() == 5
    # through a relation: households whose residents are under unit 2
    assert list(Household.objects.filter(tree.under(w.unit2, "residents__"))) == [w.hh201]
    # the node itself is under itself; its parent is not
    assert set(Place.objects.filter(tree.under(w.building)).values_list("id", flat=True)) == {
        w.building.id, w.unit1.id, w.unit2.id}


@pytest.mark.django_db
def test_a_non_level_node_has_nothing_under_it(world, system):
    from fangkong.registry import actions as reg

    shop = reg.create_place(system, w_parent := world.compound, Kind.SHOP, "便利店")
    assert w_parent.kind == Kind.COMPOUND
    assert not Resident.objects.filter(tree.under(shop)).exists()
    assert tree.is_under(shop, shop)
    assert not tree.is_under(world.su, shop)


@pytest.mark.django_db
def test_under_any_and_is_under(world):
    w = world
    q = tree.under_any([w.unit2, (Kind.COMPOUND, w.other_compound.id)])
    assert set(Resident.objects.filter(q).values_list("id", flat=True)) == {w.wang.id, w.other_person.id}
    assert Resident.objects.filter(tree.under_any([])).count() == 0
    assert tree.is_under(w.su, w.community) and tree.is_under(w.su, w.unit1)
    assert not tree.is_under(w.su, w.unit2) and not tree.is_under(w.other_person, w.community)
    assert tree.is_under(w.unit1, w.unit1) and not tree.is_under(w.building, w.unit1)


@pytest.mark.django_db
def test_ancestor_ids_and_levels_of(world):
    w = world
    assert tree.ancestor_ids(w.unit1) == [w.district.id, w.street.id, w.community.id, w.grid.id,
                                         w.compound.id, w.building.id, w.unit1.id]
    assert tree.ancestor_ids(w.other_person) == [w.district.id, w.street.id, w.other.id,
                                                w.other_compound.id, w.other_building.id,
                                                w.other_unit.id]
    assert tree.levels_of(w.su)["grid_id"] == w.grid.id
    assert tree.levels_of(w.other_person)["grid_id"] is None


def test_nothing_is_an_empty_filter():
    assert tree.under_key("shop", 1) == Q(pk__in=[])
