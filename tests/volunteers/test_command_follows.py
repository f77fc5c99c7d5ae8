"""Street and district command see a community's calls but do not run them (walk "vol",
item 10: assign and "change people needed" answered a bare 403). The call's page says who
runs it and offers them no control; a POST all the same (page or API) is refused with that
sentence."""

import datetime

from django.urls import reverse
from django.utils import timezone

from fangkong.volunteers.actions import calls
from tests.conftest import actor_for
from tests.volunteers.test_api import bearer, post


def _call(world):
    start = timezone.now() + datetime.timedelta(hours=2)
    return calls.create_call(actor_for(world.users.staff), world.community, {
        "task": "order", "place": world.building.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=3)).isoformat(), "slots": 1})


def test_command_follows_a_call_and_is_told_who_runs_it(world, make_volunteer, login):
    v = make_volunteer(1)
    call = _call(world)
    for user in (world.users.street, world.users.district):
        client = login(user)
        page = client.get(reverse("volunteers_call", args=[call.id])).content.decode()
        assert 'id="follows"' in page and "社区工作人员" in page
        for name in ("volunteers_call_assign", "volunteers_call_slots", "volunteers_call_close"):
            assert reverse(name, args=[call.id]) not in page
        r = client.post(reverse("volunteers_call_slots", args=[call.id]), {"slots": "3"})
        assert r.status_code == 403 and "只有社区工作人员" in r.content.decode()
        r = client.post(reverse("volunteers_call_assign", args=[call.id]), {"volunteer": v.id})
        assert r.status_code == 403 and "只有社区工作人员" in r.content.decode()
    staff_page = login(world.users.staff).get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert 'id="follows"' not in staff_page and reverse("volunteers_call_slots", args=[call.id]) in staff_page
    r = post(bearer(world.users.street), f"/api/v1/volunteers/calls/{call.id}/assign", {"volunteer": v.id})
    assert r.status_code == 403 and "只有社区工作人员" in r.json()["error"]["message"]
