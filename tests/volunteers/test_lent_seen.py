"""A volunteer lent (借调) to another community is seen there for the length of the loan
(found walking the demo: 双塔社区's staff found nobody in their people list, a 404 on her
page, no assign candidate and no phone on the roster): in the borrowing community's people
list (marked 借调自 …), her page, the assign list and the roster with her phone — and no
longer once the loan ends. Managing her stays with her home community."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.core.errors import NotFound
from fangkong.volunteers import queries as vq
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.actions import registration
from tests.conftest import actor_for


def other_call(world):
    start = timezone.now() + datetime.timedelta(hours=5)
    return vol_calls.create_call(actor_for(world.users.other_staff), world.other, {
        "task": "kits", "place": world.other_building.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=2)).isoformat(), "slots": 2})


def test_the_borrowing_community_sees_assigns_and_phones_a_lent_volunteer(world, make_volunteer, login):
    v = make_volunteer(1, name="李秀英")
    call = other_call(world)
    b = world.users.other_staff
    people = reverse("volunteers_people", args=[world.other.id]) + "?status=approved"
    person = reverse("volunteers_person", args=[v.id])
    assert v.phone not in login(b).get(people).content.decode()
    assert login(b).get(person).status_code == 404

    loan = registration.lend(actor_for(world.users.staff), v, world.other,
                             timezone.now() + datetime.timedelta(days=2))
    client = login(b)
    page = client.get(people).content.decode()
    assert "李秀英" in page and f'href="tel:{v.phone}"' in page
    assert "Lent from" in page or "借调自" in page
    assert world.community.name in page
    assert client.get(person).status_code == 200
    call_page = client.get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert f'<option value="{v.id}">' in call_page  # an assign candidate
    assert client.post(reverse("volunteers_call_assign", args=[call.id]), {"volunteer": v.id}).status_code == 302
    call_page = client.get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert f'href="tel:{v.phone}"' in call_page and person in call_page
    # seen, not managed: approving, withdrawing, lending stay at home
    assert client.post(reverse("volunteers_decide", args=[v.id]), {"decision": "reject"}).status_code == 404
    assert client.post(reverse("volunteers_lend", args=[v.id]),
                       {"to_community": world.community.id, "until": "2099-01-01 00:00"}).status_code == 404

    registration.end_loan(actor_for(world.users.staff), loan)
    client = login(b)
    assert "李秀英" not in client.get(people).content.decode()
    assert client.get(person).status_code == 404
    with pytest.raises(NotFound):
        vq.get_volunteer(actor_for(b).scope, v.id)
    # the roster still names her (she holds the place) but no longer phones or links her
    call_page = client.get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert "李秀英" in call_page and v.phone not in call_page


def test_a_loan_past_its_date_shows_her_no_more(world, make_volunteer, login, monkeypatch):
    v = make_volunteer(1, name="李秀英")
    registration.lend(actor_for(world.users.staff), v, world.other, timezone.now() + datetime.timedelta(hours=2))
    scope = actor_for(world.users.other_staff).scope
    assert [x.id for x in vq.volunteer_list(scope, world.other, status="approved")] == [v.id]
    later = timezone.now() + datetime.timedelta(hours=3)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert list(vq.volunteer_list(scope, world.other, status="approved")) == []
    # the home community sees her throughout, unmarked
    home = vq.volunteer_list(actor_for(world.users.staff).scope, world.community, status="approved")
    assert [(x.id, x.lent_until) for x in home] == [(v.id, None)]
