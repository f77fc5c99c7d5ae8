"""A volunteer living in a 管控区 (人不出区) or 封控区 is not lent (借调) to another community,
nor called or assigned there if her home is zoned after the loan began (found on the
re-walk: 田晓燕, 光明小区 1号楼 管控区, was lent to 双塔社区 without a question, and its call
said "将立即发给 1 名志愿者" — her — and offered her under 指派)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.core.errors import Invalid
from fangkong.volunteers import access
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.actions import registration
from fangkong.volunteers.models import Loan
from fangkong.zones.actions import publish as pub
from fangkong.zones.actions.policy import install_presets
from tests.conftest import actor_for
from tests.volunteers.test_lent_seen import other_call
from tests.zones.test_publish import adjust, types


def _zone(world, place, code):
    staff = actor_for(world.users.staff)
    pub.publish(staff, adjust(staff, world, [(pub.Op.CREATE, place, types()[code])]))


@pytest.mark.parametrize("code", ["controlled", "sealed"])
def test_a_volunteer_in_a_controlled_or_sealed_area_is_not_lent(world, make_volunteer, login, code):
    install_presets()
    v = make_volunteer(1, name="田晓燕")  # lives in 光明小区
    _zone(world, world.compound if code == "controlled" else world.building, code)
    with pytest.raises(Invalid) as e:
        registration.lend(actor_for(world.users.staff), v, world.other, timezone.now() + datetime.timedelta(days=1))
    assert e.value.code == "kept_in_area"
    r = login(world.users.staff).post(reverse("volunteers_lend", args=[v.id]), {
        "to_community": world.other.id, "until": "2099-01-01 00:00"}, follow=True)
    assert "管控区" in r.content.decode() or "封控区" in r.content.decode()
    assert not Loan.objects.filter(volunteer=v).exists()


def test_a_lent_volunteer_whose_home_is_then_controlled_is_not_called_there(world, make_volunteer, login):
    install_presets()
    v = make_volunteer(1, name="田晓燕")
    registration.lend(actor_for(world.users.staff), v, world.other, timezone.now() + datetime.timedelta(days=1))
    call = other_call(world)
    assert list(access.audience(call).values_list("id", flat=True)) == [v.id]
    _zone(world, world.compound, "controlled")  # 人不出区, called out at home still
    assert not access.audience(call).exists()
    assert "管控区" in access.why_not_called(call, v)
    page = login(world.users.other_staff).get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert f'<option value="{v.id}">' not in page
    with pytest.raises(Invalid) as e:
        vol_calls.assign(actor_for(world.users.other_staff), call, v)
    assert e.value.code == "kept_in_area"
