"""A publication of zones is told (found walking the demo: a seal reached no inbox — staff,
grid worker, building leader and families learnt nothing, and the family's home showed a
small "封控区" badge with no since-when and no notice). The families of the households whose
zone changed read where, from when, under which notice and what the zone asks of them, in
their own language; the community's staff, the grid worker and the building leader read
what changed in their area; once per publication, whoever retries and whenever the worker
runs. Messages go out as every other: queued by notify, sent by the worker."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.core.actor import Actor
from fangkong.notify.models import Delivery, Notification
from fangkong.registry import actions as reg
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Adjustment, ZoneType
from tests.conftest import actor_for, make_user
from tests.zones.conftest import approved


def _type(code):
    return ZoneType.objects.get(policy__is_active=True, code=code)


def seal(w, place, number="迎泽防控〔2022〕19号", at=None, code="sealed", op=pub.Op.CREATE):
    staff = actor_for(w.users.staff)
    n = pub.create_notice(staff, w.community, {"number": number, "issued_by": "桥东街道疫情防控指挥部",
                                               "title": "封控通告",
                                               "effective_at": (at or timezone.now()).isoformat()})
    adj = pub.draft(staff, w.community, "封控", notice=n)
    pub.add_item(staff, adj, op, place, _type(code) if op != pub.Op.LIFT else None)
    return adj


def told(user, kind="zones.published"):
    return list(Notification.objects.filter(user=user, kind=kind).order_by("id"))


def test_a_seal_tells_the_families_and_the_people_who_work_there_once(world, presets, client):
    w = world
    adj = seal(w, w.building)
    at = timezone.localtime(timezone.now())
    pub.publish(actor_for(w.users.staff), adj)
    family = told(w.users.resident)
    assert len(family) == 1, family
    when = f"{at.month}月{at.day}日 {at:%H:%M}"
    assert family[0].title == f"光明小区 1号楼自{when}起为封控区"
    assert family[0].body.startswith(f"您所在的光明小区 1号楼自{when}起为封控区（迎泽防控〔2022〕19号）：足不出户，服务上门")
    assert "检测：每日1次核酸" in family[0].body  # the zone type's own rules, as an administrator wrote them
    assert family[0].url == f"/zones/notices/{adj.notice_id}/"
    for user in (w.users.grid, w.users.leader):
        (m,) = told(user)
        assert m.title == "区域调整已发布：迎泽防控〔2022〕19号"
        assert "光明小区 1号楼为封控区（3 户）" in m.body, m.body
    assert told(w.users.staff) == []  # who published knows
    assert told(w.users.other_staff) == []
    # the street's command is told of every publication in its street, once, with who published it
    (m,) = told(w.users.street)
    assert m.title == "光明社区发布区域调整：迎泽防控〔2022〕19号", m.title
    assert "光明小区 1号楼为封控区（3 户）" in m.body and "由 staff_a 以迎泽防控〔2022〕19号（桥东街道疫情防控指挥部）发布" in m.body, m.body
    # on the family's phone too, and in its inbox through the API
    assert Delivery.objects.filter(kind="zones.published", user=w.users.resident).count() <= 1
    client.force_login(w.users.resident)
    inbox = client.get("/api/v1/me/notifications").json()["results"]
    assert [n["title"] for n in inbox if n["kind"] == "zones.published"] == [family[0].title]
    # a retry, a second tap, the API: nobody is told twice
    pub.publish(actor_for(w.users.staff), Adjustment.objects.get(pk=adj.pk))
    client.force_login(w.users.staff)
    client.post(f"/api/v1/zones/adjustments/{adj.id}/publish")
    assert len(told(w.users.resident)) == 1 and len(told(w.users.grid)) == 1


def test_another_community_s_staff_publishing_tells_the_community_staff(world, presets):
    """Published by the street's command: the community's staff are told too."""
    w = world
    street = actor_for(w.users.street)
    n = pub.create_notice(street, w.street, {"number": "第21号", "issued_by": "街道", "title": "防范区",
                                             "effective_at": timezone.now().isoformat()})
    adj = pub.draft(street, w.street, "防范区", notice=n)
    pub.add_item(street, adj, pub.Op.CREATE, w.street, _type("precaution"))
    pub.publish(street, adj)
    (m,) = told(w.users.staff)
    assert "桥东街道为防范区（3 户）" in m.body and "光明社区" in m.body, m.body
    (o,) = told(w.users.other_staff)
    assert "（1 户）" in o.body and "惠泽苑社区" in o.body
    assert told(w.users.street) == []
    (f,) = told(w.users.resident)
    assert f.body.startswith("您所在的桥东街道自") and "防范区（第21号）" in f.body


def test_each_family_reads_its_own_language(world, presets):
    w = world
    for user in (w.users.resident, w.users.grid):
        user.language = "en"
        user.save()
    at = timezone.localtime(timezone.now())
    pub.publish(actor_for(w.users.staff), seal(w, w.building, number="No. 19"))
    (m,) = told(w.users.resident)
    assert m.title == f"光明小区 1号楼 is a Sealed area from {at:%B} {at.day} {at:%H:%M}"
    assert "where you live, is a Sealed area" in m.body and "Nobody leaves home" in m.body
    assert "testing: PCR every day" in m.body
    (g,) = told(w.users.grid)  # the grid worker too, a household in the singular when one
    assert g.title == "Zones published: No. 19"
    assert "光明小区 1号楼: now a Sealed area (3 households)" in g.body, g.body
    (z,) = told(w.users.leader)  # the leader's stays in Chinese (theirs)
    assert "光明小区 1号楼为封控区（3 户）" in z.body


def test_a_scheduled_seal_is_told_once_by_the_worker(world, presets, monkeypatch):
    w = world
    five = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=5, minute=0, second=0, microsecond=0)
    adj = seal(w, w.building, at=five)
    pub.schedule(actor_for(w.users.staff), adj, five)
    assert told(w.users.resident) == []  # scheduled: nothing yet
    monkeypatch.setattr(timezone, "now", lambda: five + datetime.timedelta(minutes=1))
    assert pub.publish_due() == 1
    assert pub.publish_due() == 0  # the worker again (a retried task): nothing more
    from fangkong.zones.tasks import recover_publisher

    recover_publisher(type("Live", (), {"now": five + datetime.timedelta(minutes=2)})())
    (m,) = told(w.users.resident)
    assert "5:00" in m.title or "05:00" in m.title
    assert len(told(w.users.grid)) == 1 and len(told(w.users.staff)) == 1  # the worker published it


def test_lifting_tells_the_families_their_zone_is_gone(world, presets):
    w = world
    pub.publish(actor_for(w.users.staff), seal(w, w.building))
    pub.publish(actor_for(w.users.staff), approved(w, seal(w, w.building, number="第20号", op=pub.Op.LIFT)))
    last = told(w.users.resident)[-1]
    assert "解除封控区" in last.title and "（第20号）" in last.body


@pytest.mark.parametrize("n", [4])
def test_telling_many_households_costs_what_telling_few_costs(world, presets, n):
    """The families' messages are grouped by what they say: a building of 40 logins costs
    the statements one of 4 costs (bulk rows; the worker sends them)."""
    w = world
    system = Actor.system()
    compounds = []
    for size in (n, 10 * n):
        c = reg.create_place(system, w.grid, "compound", f"{size}户小区")
        b = reg.create_place(system, c, "building", "1号楼")
        for i in range(size):
            hh = reg.create_household(system, b, f"{100 + i}")
            reg.create_resident(system, hh, {"name": f"住户{size}{i}"})
            make_user(system, f"family_{size}_{i}", Role.RESIDENT, household=hh)
        compounds.append(c)
    counts = []
    for i, c in enumerate(compounds):
        adj = seal(w, c, number=f"第{30 + i}号")
        with CaptureQueriesContext(connection) as q:
            pub.publish(actor_for(w.users.staff), adj)
        counts.append(len(q.captured_queries))
        assert Notification.objects.filter(key__startswith=f"zones.published.{adj.id}.family").count() == \
            (n if i == 0 else 10 * n)
    assert counts[0] == counts[1], counts


def test_the_familys_home_says_the_zone_since_when_and_its_notice(world, presets, client):
    w = world
    adj = pub.publish(actor_for(w.users.staff), seal(w, w.building))
    client.force_login(w.users.resident)
    page = client.get(f"/households/{w.hh101.id}/").content.decode()
    since = timezone.localtime(adj.effective_at)
    assert 'class="zone zone-sealed">封控区</span>' in page
    assert f"自 {since:%Y-%m-%d %H:%M} 起" in page or f"{since:%H:%M}" in page
    assert f'<a href="/zones/notices/{adj.notice_id}/">迎泽防控〔2022〕19号</a>' in page
    assert "足不出户，服务上门" in page
    notice = client.get(f"/zones/notices/{adj.notice_id}/").content.decode()
    assert "光明小区 1号楼" in notice and "封控区" in notice
