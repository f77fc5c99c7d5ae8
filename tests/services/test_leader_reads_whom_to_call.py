"""A building's leader sees his building's morning calls and requests but may not record a
call or take a request (accounts/roles.py: a leader holds SERVICES_VIEW and ORDER, not RUN):
found walking the demo, his page listed "待联系" rows with phones and open requests, no
button and no name. They read as what they are — "尚未问询", read only — with whom to call:
the grid worker who makes the calls and answers the requests there."""

import uuid

from django.test import Client

from fangkong.accounts.models import User
from fangkong.services.actions import care, requests
from fangkong.services.models import Category
from tests.conftest import actor_for


def test_the_leader_reads_the_calls_and_requests_with_whom_to_call_and_no_buttons(world, svc):
    w = world
    User.objects.filter(pk=w.users.grid.pk).update(display_name="郭晓东", phone="13703510007")
    care.check_ins_today()
    requests.raise_request(actor_for(w.users.staff), w.hh102, Category.objects.get(code="repair"), "门锁坏了",
                           client_id=uuid.uuid4())
    c = Client()
    c.force_login(w.users.leader)
    page = c.get(f"/services/p/{w.building.id}/").content.decode()
    calls = page.split('id="check-ins-open"')[1].split("</ul>")[0]
    assert "苏霞" in calls and "尚未问询" in calls and 'name="result"' not in calls and "待联系" not in calls
    who = page.split('id="who-answers"')[1].split("</p>")[0]
    assert "郭晓东" in who and 'href="tel:13703510007"' in who
    assert page.count('id="who-answers"') == 1 and 'href="#who-answers"' in page  # once, pointed to
    # staff (and the grid worker) keep their buttons and are not told whom to call
    s = Client()
    s.force_login(w.users.grid)
    page = s.get(f"/services/p/{w.building.id}/").content.decode()
    assert 'name="result"' in page and 'id="who-answers"' not in page
