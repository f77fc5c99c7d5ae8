"""A timed publication, before and at its minute (found walking the zones: a 05:00 seal
refused by the worker went back to draft in silence, naming no place and in the worker's
language, and the building was never sealed because the grid had meanwhile been given the
same zone by another notice; the families of a building to be sealed at 05:00 saw nothing
until 05:00).

- An item whose outcome another adjustment gave meanwhile (the grid already a 防范区) is left
  as it is; the rest publishes (the building is sealed at its minute).
- An item whose place another adjustment gave another zone refuses the whole: an alarm at
  once to its author and the community's and street's staff, naming the place and the other
  notice, in each reader's language; it stays at the top of the community's page until
  handled.
- Scheduling tells the families what will change and when; cancelling or taking it back
  tells them it will not; their household page shows the change to come."""

import datetime

from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Adjustment, Designation
from tests.conftest import actor_for
from tests.zones.test_publish import adjust, types, zone_now
from tests.zones.test_published_told import told


def _five():
    return (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=5, minute=0, second=0, microsecond=0)


def _scheduled(w, t, five):
    staff = actor_for(w.users.staff)
    adj = adjust(staff, w, [(pub.Op.CREATE, w.building, t["sealed"]), (pub.Op.CREATE, w.grid, t["precaution"])],
                 at=five)
    pub.schedule(staff, adj, five)
    return adj


def test_a_place_given_the_same_zone_meanwhile_does_not_sink_the_seal(world, presets):
    w, t, five = world, types(), _five()
    adj = _scheduled(w, t, five)
    other = adjust(actor_for(w.users.staff), w, [(pub.Op.CREATE, w.grid, t["precaution"])])
    pub.publish(actor_for(w.users.staff), other)
    assert pub.publish_due(five) == 1
    adj.refresh_from_db()
    assert adj.state == Adjustment.State.PUBLISHED and adj.failure == ""
    assert zone_now(w.hh101) == "sealed"  # the building is sealed at 05:00
    grid = Designation.objects.get(place=w.grid, ends_at=None)
    assert grid.adjustment_id == other.id  # the grid's 防范区 stays the one given first
    event = AuditEvent.objects.filter(action="zones.adjustment.publish", target_id=str(adj.id)).get()
    assert event.changes["already"] == [w.grid.id]
    assert told(w.users.staff, "zones.failed") == []


def test_a_refused_timed_publication_is_an_alarm_naming_the_place(world, presets, client):
    w, t, five = world, types(), _five()
    w.users.street.language = "en"
    w.users.street.save(update_fields=["language"])
    adj = _scheduled(w, t, five)
    other = adjust(actor_for(w.users.street), w,
                   [(pub.Op.CREATE, w.grid, t["controlled"])])
    pub.publish(actor_for(w.users.street), other)
    assert pub.publish_due(five) == 0
    adj.refresh_from_db()
    assert adj.state == Adjustment.State.DRAFT and zone_now(w.hh101) == "controlled"
    number = other.notice.number
    # its author (the community's staff) and the street's command, at once, in their language
    (m,) = told(w.users.staff, "zones.failed")
    assert m.title == f"紧急：未能按时发布：{adj.title}", m.title
    assert f"第一网格已被{number}划为管控区，本调整要将其划为防范区" in m.body, m.body
    assert m.url == f"/zones/adjustments/{adj.id}/"
    (e,) = told(w.users.street, "zones.failed")
    assert e.title.startswith("Urgent: not published at its time")
    assert "第一网格 was made a" in e.body and number in e.body, e.body
    # the families who were told it would come are told it did not
    assert any("取消" in n.title for n in told(w.users.resident, "zones.scheduled"))
    # on the community's home and the zones page until handled, in the reader's language
    client.force_login(w.users.staff)
    home = client.get(f"/places/{w.community.id}/").content.decode()
    assert 'id="failed-publications"' in home and "第一网格已被" in home, home
    client.force_login(w.users.street)
    client.cookies["django_language"] = "en"
    page = client.get(f"/zones/p/{w.community.id}/").content.decode()
    assert "第一网格 was made a" in page and "此调整中的某地点" not in page
    # handled (scheduled again, without the grid): gone from the home page
    pub.remove_item(actor_for(w.users.staff), adj, adj.items.get(place=w.grid).id)
    pub.schedule(actor_for(w.users.staff), adj, five + datetime.timedelta(days=1))
    client.force_login(w.users.staff)
    client.cookies["django_language"] = "zh-hans"
    assert "failed-publications" not in client.get(f"/places/{w.community.id}/").content.decode()
    assert pub.publish_due(five) == 0  # once: nobody is told twice
    assert len(told(w.users.staff, "zones.failed")) == 1


def test_families_are_told_of_a_scheduled_seal_before_it_happens(world, presets, client):
    w, t, five = world, types(), _five()
    adj = _scheduled(w, t, five)
    (m,) = told(w.users.resident, "zones.scheduled")
    when = f"{five.month}月{five.day}日 05:00"
    assert m.title == f"光明小区 1号楼将自{when}起为封控区", m.title
    assert "在此之前仍按现在的规定执行" in m.body and "足不出户" in m.body
    # the household page says what comes, and when
    client.force_login(w.users.resident)
    page = client.get(f"/households/{w.hh101.id}/").content.decode()
    assert 'id="zone-coming"' in page and "1号楼将自" in page and "起为封控区" in page, page
    # scheduled again (a retry): nobody told twice
    pub.schedule(actor_for(w.users.staff), adj, five)
    assert len(told(w.users.resident, "zones.scheduled")) == 1
    # taken back: told it will not happen; rescheduled: told the new minute
    pub.unschedule(actor_for(w.users.staff), adj)
    off = told(w.users.resident, "zones.scheduled")[-1]
    assert off.title == f"光明小区 1号楼原定{when}起的调整取消", off.title
    assert 'id="zone-coming"' not in client.get(f"/households/{w.hh101.id}/").content.decode()
    six = five + datetime.timedelta(hours=1)
    pub.schedule(actor_for(w.users.staff), Adjustment.objects.get(pk=adj.pk), six)
    assert told(w.users.resident, "zones.scheduled")[-1].title == f"光明小区 1号楼将自{six.month}月{six.day}日 06:00起为封控区"
    pub.cancel(actor_for(w.users.staff), Adjustment.objects.get(pk=adj.pk))
    assert "06:00起的调整取消" in told(w.users.resident, "zones.scheduled")[-1].title
    assert len(told(w.users.resident, "zones.scheduled")) == 4
