"""The household can say a request was not resolved (found on a phone: after the volunteer
marked it done the only button was "确认已解决"): "没解决" with a few words opens it again with
whoever had it, due again, they and the household's grid workers and staff told, audited;
the API's `reopen` step is the same action."""

import uuid

from django.test import Client

from fangkong.audit.models import AuditEvent
from fangkong.notify.models import Notification
from fangkong.services.actions import requests
from fangkong.services.models import Category, Request
from tests.conftest import PASSWORD, actor_for


def done_request(w, svc):
    resident = actor_for(w.users.resident)
    r = requests.raise_request(resident, w.hh101, Category.objects.get(code="medicine"), "降压药吃完了",
                               client_id=uuid.uuid4())
    requests.assign(actor_for(w.users.staff), r, team=svc.team)
    vol = actor_for(svc.vol_user)
    requests.take(vol, Request.objects.get(pk=r.pk))
    return requests.done(vol, Request.objects.get(pk=r.pk), "已买到并送到门口")


def test_the_household_says_not_resolved_and_it_goes_back_to_whoever_had_it(world, svc):
    w = world
    r = done_request(w, svc)
    c = Client()
    assert c.login(username=w.users.resident.username, password=PASSWORD)
    page = c.get(f"/services/requests/{r.id}/").content.decode()
    assert "确认已解决" in page and "没解决" in page and 'value="reopen"' in page
    old_due = r.due_at
    resp = c.post(f"/services/requests/{r.id}/", {"step": "reopen", "reason": "买成了别的药"}, follow=True)
    assert "已退回" in resp.content.decode()
    r.refresh_from_db()
    assert (r.state, r.assignee_id, r.reopen_reason) == ("taken", svc.vol_user.id, "买成了别的药")
    assert r.due_at > old_due and r.done_at is None and r.result == "已买到并送到门口"
    told = set(Notification.objects.filter(url=f"/services/requests/{r.id}/", title__contains="没解决")
               .values_list("user_id", flat=True))
    assert {svc.vol_user.id, w.users.staff.id, w.users.grid.id} <= told and w.users.resident.id not in told
    event = AuditEvent.objects.get(action="services.request.reopen")
    assert (event.actor_id, event.changes["reason"]) == (w.users.resident.id, "买成了别的药")
    page = c.get(f"/services/requests/{r.id}/").content.decode()
    assert "住户说没解决" in page and "买成了别的药" in page
    # a second tap (or another of the family): the same, nobody told twice
    requests.reopen(actor_for(w.users.resident), Request.objects.get(pk=r.pk), "买成了别的药")
    assert AuditEvent.objects.filter(action="services.request.reopen").count() == 1


def test_the_api_reopen_step_is_the_same_action_and_asks_for_the_reason(world, svc):
    w = world
    r = done_request(w, svc)
    c = Client()
    assert c.login(username=w.users.resident.username, password=PASSWORD)
    url = f"/api/v1/services/requests/{r.id}/reopen"
    bad = c.post(url, {"reason": " "}, content_type="application/json")
    assert bad.status_code == 400 and "reason" in bad.json()["error"]["fields"]
    ok = c.post(url, {"reason": "门锁还是坏的"}, content_type="application/json").json()
    assert (ok["state"], ok["reopen_reason"]) == ("taken", "门锁还是坏的") and ok["reopened_at"]
    leader = Client()
    leader.force_login(w.users.leader)  # sees the building's requests, may not speak for the family
    assert leader.post(url, {"reason": "x"}, content_type="application/json").status_code == 403
