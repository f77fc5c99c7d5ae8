"""The testing plan on the zones page ("未来7天各区域应做的检测") is counted from the day the
zone began, not from the day it is read: a calendar day keeps its kind of test whichever day
the page is opened, and following the plan day by day gives the zone type's week (Shanghai,
May 2022: controlled 3 PCR + 4 antigen, precaution 1 PCR + 6 antigen, sealed PCR daily).
A street officer read 12月7日 管控区 抗原 on Dec 6 and 12月7日 管控区 核酸 on Dec 7."""

import datetime

from django.utils import timezone

from fangkong.zones import cadence
from tests.zones.test_rules import designate


def _designate_other(w, code):
    """The other community's compound, by its own staff."""
    from fangkong.zones.actions import publish as pub
    from fangkong.zones.models import ZoneType
    from tests.conftest import actor_for

    staff = actor_for(w.users.other_staff)
    n = pub.create_notice(staff, w.other, {"number": "第19号", "issued_by": "指挥部", "title": "通告",
                                           "effective_at": timezone.now().isoformat()})
    adj = pub.draft(staff, w.other, "调整", notice=n)
    pub.add_item(staff, adj, pub.Op.CREATE, w.other_compound,
                 ZoneType.objects.get(policy__is_active=True, code=code))
    return pub.publish(staff, adj)


def _kinds(rows, code):
    """{day: "pcr" | "antigen"} for the zone type `code` in the plan's rows."""
    out = {}
    for r in rows:
        for kind in ("pcr", "antigen"):
            if any(t.code == code for t in r[kind]):
                out[r["day"]] = kind
    return out


def _read_on(monkeypatch, client, staff, place, day_offset, start):
    """The plan as the zones page shows it `day_offset` days after `start`, at 09:00."""
    when = start + datetime.timedelta(days=day_offset, hours=9)
    monkeypatch.setattr(timezone, "now", lambda: when)
    client.force_login(staff)  # a session of that day
    r = client.get(f"/zones/p/{place.id}/")
    assert r.status_code == 200
    return r.context["cadence"]


def test_a_day_keeps_its_kind_of_test_whichever_day_the_plan_is_read(world, presets, client, monkeypatch):
    w = world
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: midnight + datetime.timedelta(hours=8))
    designate(w, w.compound, "controlled")  # controlled from today 08:00
    seen = {}
    for offset in range(4):  # read on four days running (the officer's Dec 6 and Dec 7 …)
        for day, kind in _kinds(_read_on(monkeypatch, client, w.users.staff, w.compound, offset, midnight), "controlled").items():
            assert seen.setdefault(day, kind) == kind, f"{day}: {seen[day]} then {kind}"
    # the day the zone began is a PCR day, and the next day is not (not "today is PCR" every day)
    first = midnight.date()
    assert seen[first] == "pcr" and seen[first + datetime.timedelta(days=1)] == "antigen"


def test_following_the_plan_daily_gives_the_policys_week(world, presets, monkeypatch):
    """Read each morning and done as read (today's row), a week of a controlled area is 3 PCR
    and 4 antigen, a precaution area's 1 PCR and 6 antigen, a sealed one's 7 PCR."""
    w = world
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: midnight + datetime.timedelta(hours=8))
    designate(w, w.compound, "controlled", number="第17号")
    _designate_other(w, "precaution")
    designate(w, w.unit1, "sealed", number="第18号")
    done = {"controlled": [], "precaution": [], "sealed": []}
    for offset in range(7):
        when = midnight + datetime.timedelta(days=offset, hours=7)
        monkeypatch.setattr(timezone, "now", lambda when=when: when)
        for place in (w.compound, w.other_compound):
            today = cadence.cadence(place)[0]
            assert today["day"] == when.date()
            for code in done:
                kinds = _kinds([today], code)
                if kinds and (code, place) != ("sealed", w.other_compound):
                    done[code].append(kinds[when.date()])
    assert sorted(done["controlled"]) == ["antigen"] * 4 + ["pcr"] * 3
    assert sorted(done["precaution"]) == ["antigen"] * 6 + ["pcr"]
    assert done["sealed"] == ["pcr"] * 7


def test_the_week_counts_from_the_zones_start_not_from_today(world, presets, monkeypatch):
    """Controlled since three days ago (day 3 today): today's kind is day 3's of the zone's
    week, not day 0's."""
    w = world
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    began = midnight - datetime.timedelta(days=3) + datetime.timedelta(hours=5)
    monkeypatch.setattr(timezone, "now", lambda: began)
    designate(w, w.compound, "controlled")
    monkeypatch.setattr(timezone, "now", lambda: midnight + datetime.timedelta(hours=9))
    from fangkong.zones.models import ZoneType

    pcr_days, _antigen_days = cadence.week_plan(ZoneType.objects.get(policy__is_active=True, code="controlled"))
    plan = _kinds(cadence.cadence(w.compound), "controlled")
    for day, kind in plan.items():
        assert (kind == "pcr") == ((day - began.date()).days % 7 in pcr_days)
    assert plan[midnight.date()] == ("pcr" if 3 in pcr_days else "antigen")
