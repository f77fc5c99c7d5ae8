"""The neighbour who asked follows the request (found on a phone: 101 asked medicine for
夏明 at 102 — bedridden, in another household — and then could not see it anywhere: not on
101's page, not in their list, not in the API; did the medicine reach him?). The asker sees
its state, who has it, when it was done and what was done, on the page and through the API
alike, and nothing else of 102's: no phones, no names, no orders, no vulnerable people, not
102's words when it sent it back. 102 sees it as before; a third resident gets 404; staff
as before."""

import uuid

from django.test import Client

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.core.actor import Actor
from fangkong.services.actions import orders, requests
from fangkong.services.models import Request
from tests.conftest import PASSWORD, make_user


def _client(user):
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def _ask_for_102(w):
    c = _client(w.users.resident)
    c.post(f"/services/households/{w.hh101.id}/", {
        "do": "request", "category": "medicine", "text": "102的夏大爷降压药吃完了", "room": "102",
        "client_id": str(uuid.uuid4())})
    r = Request.objects.get()
    assert (r.household_id, r.asked_from_id) == (w.hh102.id, w.hh101.id)
    return c, r


def test_the_asker_follows_it_on_the_page_and_nothing_else_of_the_neighbour(world, svc):
    w = world
    staff = Actor.system(w.users.staff)
    orders.place_order(staff, w.hh102, svc.supplier, [(svc.pills.id, 1)], medicine="硝苯地平",
                       client_id=uuid.uuid4())  # 102's own medicine order: not the asker's to read
    c, r = _ask_for_102(w)
    home = c.get(f"/services/households/{w.hh101.id}/").content.decode()
    listed = home.split('id="for-neighbours"')[1].split("</ul>")[0]
    assert "为邻居提的诉求" in home and f"/services/requests/{r.id}/" in listed
    assert "为 光明小区 1号楼 1单元 102" in listed and "102的夏大爷降压药吃完了" in listed
    page = c.get(f"/services/requests/{r.id}/")
    text = page.content.decode()
    assert page.status_code == 200 and "这是您为邻居提交的求助" in text and "102的夏大爷降压药吃完了" in text
    assert "夏明" not in text and "15083776308" not in text and "6308" not in text  # no name, no phone
    assert 'id="orders-like"' not in text and "硝苯地平" not in text  # nor 102's orders
    assert 'id="contacts"' not in text and 'value="take"' not in text and 'value="confirm"' not in text

    requests.take(staff, r)
    requests.done(staff, Request.objects.get(pk=r.pk), "药已送到门口，见到本人")
    text = c.get(f"/services/requests/{r.id}/").content.decode()
    assert "药已送到门口，见到本人" in text and 'id="done-at"' in text and "staff_a" in text
    assert 'value="confirm"' not in text and 'id="reopen"' not in text  # 102 confirms, not the asker
    home = c.get(f"/services/households/{w.hh101.id}/").content.decode()
    assert "staff_a" in home.split('id="for-neighbours"')[1].split("</ul>")[0]
    # 102's own login reads it as before: its phones, its order, its buttons
    own = make_user(Actor.system(), "resident_102", Role.RESIDENT, household=w.hh102)
    text = _client(own).get(f"/services/requests/{r.id}/").content.decode()
    assert 'value="confirm"' in text and "硝苯地平" in text and "代为求助的邻居" in text
    assert "这是您为邻居提交的求助" not in text
    requests.reopen(Actor.system(own), Request.objects.get(pk=r.pk), "药不对，是另一种")
    text = c.get(f"/services/requests/{r.id}/").content.decode()
    assert 'id="reopened"' in text and "药不对" not in text  # sent back: 102's words stay 102's


def test_the_api_says_the_same_and_a_third_resident_gets_404(world, svc):
    w = world
    c, r = _ask_for_102(w)
    listed = c.get("/api/v1/services/requests").json()
    (mine,) = [x for x in listed if x["id"] == r.id]
    assert (mine["follower"], mine["vulnerable"], mine["asked_from"]) == (True, None, w.hh101.id)
    asked = c.get(f"/api/v1/services/requests?asked_from={w.hh101.id}").json()
    assert [x["id"] for x in asked] == [r.id]
    staff = Actor.system(w.users.staff)
    requests.done(staff, requests.take(staff, r), "见到本人，药已送到")
    got = c.get(f"/api/v1/services/requests/{r.id}")
    assert got.status_code == 200 and got.json()["state"] == "done" and got.json()["done_at"]
    assert got.json()["result"] == "见到本人，药已送到" and got.json()["assignee_name"] == "staff_a"
    closed = c.get("/api/v1/services/requests?open_only=false").json()
    assert r.id in [x["id"] for x in closed]
    # seen, not theirs to act on: 403, not 404
    assert c.post(f"/api/v1/services/requests/{r.id}/confirm", {}, content_type="application/json"
                  ).status_code == 403
    assert Request.objects.get(pk=r.pk).state == "done"
    # staff and 102's own login: as before (the household's vulnerable people, not a follower)
    s = Client()
    s.force_login(w.users.staff)
    assert s.get(f"/api/v1/services/requests/{r.id}").json()["vulnerable"] == 5  # 卧床 weighs 5
    assert s.get(f"/api/v1/services/requests/{r.id}").json()["follower"] is False
    # a third resident (201): missing, everywhere
    third = _client(make_user(Actor.system(), "resident_201", Role.RESIDENT, household=w.hh201))
    assert third.get(f"/services/requests/{r.id}/").status_code == 404
    assert third.get(f"/api/v1/services/requests/{r.id}").status_code == 404
    assert r.id not in [x["id"] for x in third.get("/api/v1/services/requests?open_only=false").json()]
    # another login of 101 did not ask it: 102's request is not theirs to read
    other = _client(make_user(Actor.system(), "resident_101b", Role.RESIDENT, household=w.hh101))
    assert other.get(f"/services/requests/{r.id}/").status_code == 404
    # the asker moved out of 101: it is no longer theirs to follow
    Membership.objects.filter(user=w.users.resident).update(is_active=False)
    assert c.get(f"/services/requests/{r.id}/").status_code == 404
    assert c.get(f"/api/v1/services/requests/{r.id}").status_code == 404
