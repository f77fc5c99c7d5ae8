"""Moving a person to another household from the pages (the same action as the API)."""

import pytest
from django.urls import reverse

from fangkong.audit.models import AuditEvent
from fangkong.registry.models import Resident

pytestmark = pytest.mark.django_db


def test_staff_find_the_new_household_by_address_and_move(world, login):
    client = login(world.users.staff)
    url = reverse("resident_move", args=[world.yu.pk])
    html = client.get(url, {"q": "1-2-201"}).content.decode()
    assert "<html" in html and f'name="household" value="{world.hh201.pk}"' in html
    resp = client.get(url, {"q": "1-2-201"}, headers={"HX-Request": "true"})
    frag = resp.content.decode()
    assert f'name="household" value="{world.hh201.pk}"' in frag and "<html" not in frag
    # by a member's name, and the door alone
    assert f'name="household" value="{world.hh102.pk}"' in client.get(url, {"q": "夏明"}).content.decode()
    assert f'name="household" value="{world.hh102.pk}"' in client.get(url, {"q": "102"}).content.decode()
    # the current household is not offered
    assert f'name="household" value="{world.hh101.pk}"' not in client.get(url, {"q": "101"}).content.decode()

    resp = client.post(url, {"household": world.hh201.pk})
    assert resp.status_code == 302 and resp["Location"] == reverse("household", args=[world.hh201.pk])
    yu = Resident.objects.get(pk=world.yu.pk)
    assert yu.household_id == world.hh201.pk and yu.unit_id == world.unit2.pk
    assert AuditEvent.objects.filter(action="resident.move", target_id=yu.pk).exists()


def test_move_refuses_other_communities_and_wrong_roles(world, login):
    client = login(world.users.staff)
    url = reverse("resident_move", args=[world.yu.pk])
    assert f'value="{world.other_hh.pk}"' not in client.get(url, {"q": "5-1-301"}).content.decode()
    resp = client.post(url, {"household": world.other_hh.pk})
    assert resp.status_code == 400
    assert Resident.objects.get(pk=world.yu.pk).household_id == world.hh101.pk
    assert client.post(url, {"household": "x"}).status_code == 400
    # another community's person: 404, the same as a missing one
    assert client.get(reverse("resident_move", args=[world.other_person.pk])).status_code == 404
    assert client.get(reverse("resident_move", args=[999999])).status_code == 404
    for user in (world.users.leader,):
        assert login(user).get(url).status_code == 403
    for user in (world.users.volunteer, world.users.lab, world.users.other_staff, world.users.nobody):
        assert login(user).get(url).status_code == 404
        assert login(user).post(url, {"household": world.hh201.pk}).status_code == 404
    assert Resident.objects.get(pk=world.yu.pk).household_id == world.hh101.pk
