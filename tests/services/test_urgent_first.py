"""Found on the lab walk: urgent insulin for an elderly woman living alone was 7th of 11 in
the queue, behind routine cold medicine; the queue weighed households by how many people
carry a tag, so one woman living alone ranked below two chronic patients; staff could not
mark a request urgent nor set its needed-by; the request page did not say 独居老人."""

import datetime
import uuid

from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.registry import actions as reg
from fangkong.services.actions import requests
from fangkong.services.models import Category, Request
from tests.conftest import actor_for
from tests.conftest import client_of as _client


def _two(w, system):
    """201: two chronic patients, routine cold medicine asked first; 101: 苏霞, elderly living
    alone (and limited mobility), insulin running out."""
    requests.install_categories()
    for n in (1, 2):
        reg.create_resident(system, w.hh201, {"name": f"慢病{n}", "tags": "慢病"})
    staff = actor_for(w.users.staff)
    med = Category.objects.get(code="medicine")
    cold = requests.raise_request(staff, w.hh201, med, "感冒药两盒", client_id=uuid.uuid4())
    insulin = requests.raise_request(staff, w.hh101, med, "急！胰岛素今晚用完", client_id=uuid.uuid4())
    return cold, insulin


def _order(client, w):
    got = client.get(f"/api/v1/services/requests?place={w.community.id}")
    assert got.status_code == 200, got.content
    return [r["id"] for r in got.json()]


def test_living_alone_weighs_more_than_two_chronic_and_the_tags_are_said(world, system):
    w = world
    cold, insulin = _two(w, system)
    staff = _client(w.users.staff)
    ids = _order(staff, w)
    assert ids.index(insulin.id) < ids.index(cold.id)
    row = staff.get(f"/api/v1/services/requests/{insulin.id}").json()
    assert "elderly_alone" in row["tags"]
    page = staff.get(f"/services/requests/{insulin.id}/").content.decode()
    assert 'id="tags"' in page and "独居老人" in page
    queue = staff.get(f"/services/p/{w.community.id}/requests/").content.decode()
    assert "独居老人" in queue
    assert queue.index("胰岛素") < queue.index("感冒药")


def test_staff_mark_a_request_urgent_and_set_its_needed_by(world, system):
    w = world
    cold, insulin = _two(w, system)
    Request.objects.filter(pk=insulin.pk).update(vulnerable=0)  # as raised before the weights
    staff = _client(w.users.staff)
    soon = (timezone.now() + datetime.timedelta(hours=3)).isoformat()
    r = staff.post(f"/api/v1/services/requests/{insulin.id}/triage", {"urgent": True, "due_at": soon},
                   content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["priority"] == 1
    ids = _order(staff, w)
    assert ids[0] == insulin.id
    insulin.refresh_from_db()
    assert insulin.vulnerable > 0 and abs((insulin.due_at - timezone.now()).total_seconds() - 3 * 3600) < 120
    assert AuditEvent.objects.filter(action="services.request.triage").count() == 1
    # the same again: nothing changes, nothing recorded twice
    staff.post(f"/api/v1/services/requests/{insulin.id}/triage", {"urgent": True, "due_at": soon},
               content_type="application/json")
    assert AuditEvent.objects.filter(action="services.request.triage").count() == 1
    # a needed-by already past is refused
    past = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    bad = staff.post(f"/api/v1/services/requests/{cold.id}/triage", {"urgent": False, "due_at": past},
                     content_type="application/json")
    assert bad.status_code in (400, 422), bad.content
    # a volunteer cannot triage
    from tests.services.conftest import volunteer

    v = volunteer(w, 3)
    assert _client(v.user).post(f"/api/v1/services/requests/{cold.id}/triage", {"urgent": True},
                                content_type="application/json").status_code in (403, 404)

    # the page asks first, then saves through the same action
    page = staff.get(f"/services/requests/{cold.id}/").content.decode()
    assert 'value="triage"' in page
    asked = staff.post(f"/services/requests/{cold.id}/", {"step": "triage", "urgent": "1"})
    assert asked.status_code == 200 and "确认更改" in asked.content.decode()
    cold.refresh_from_db()
    assert cold.priority == 2
    done = staff.post(f"/services/requests/{cold.id}/", {"step": "triage", "urgent": "1", "confirm": "1"})
    assert done.status_code == 302
    cold.refresh_from_db()
    assert cold.priority == 1
    assert AuditEvent.objects.filter(action="services.request.triage").count() == 2


def test_moving_only_the_needed_by_through_the_api_keeps_it_urgent(world, system):
    """An API client that sends only a new needed-by (no `urgent`) had put an urgent request
    back to its category's priority, telling nobody: leaving `urgent` out keeps it as it is."""
    w = world
    _cold, insulin = _two(w, system)
    staff = _client(w.users.staff)
    url = f"/api/v1/services/requests/{insulin.id}/triage"
    assert staff.post(url, {"urgent": True}, content_type="application/json").json()["priority"] == 1
    later = (timezone.now() + datetime.timedelta(hours=5)).isoformat()
    r = staff.post(url, {"due_at": later}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["priority"] == 1
    insulin.refresh_from_db()
    assert insulin.priority == 1 and abs((insulin.due_at - timezone.now()).total_seconds() - 5 * 3600) < 120
    # said outright, it goes back to its category's priority
    assert staff.post(url, {"urgent": False}, content_type="application/json").json()["priority"] != 1
