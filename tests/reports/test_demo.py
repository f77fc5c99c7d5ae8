"""The demo has yesterday's nightly reports (on time, late, approved, missing), the
streets' roll-ups, and today's drafts; a reset removes them with the places."""

import datetime

from django.utils import timezone

from fangkong.demo import driver as demo
from fangkong.registry.models import Place
from fangkong.reports import figures, queries
from fangkong.reports.models import CutoffRoll, DailyReport


def test_demo_reports(db):
    demo.build()
    day = timezone.localdate() - datetime.timedelta(days=1)
    states = {}
    for street in Place.objects.filter(kind="street"):
        states.update({r["place"].name: r["state"] for r in queries.completeness(street, day)})
        roll = queries.report_for(street, day)
        counted = [c["figures"] for c in roll.children if c["included"]]
        assert roll.status == "submitted" and roll.figures == figures.total(counted)
    assert sorted(states.values()) == ["late", "missing", "on_time", "on_time"]
    assert DailyReport.objects.filter(status="approved").count() == 1
    assert DailyReport.objects.filter(day=timezone.localdate(), status="draft").count() == 4
    # submitted by the community's staff account, approved by its street's command, through
    # the actions as they would: the pages had said "– 于 12-06 21:30 上报" (walked 2026-12-07)
    sent = DailyReport.objects.filter(day=day, level="community").select_related("place", "submitted_by")
    staff = {"光明社区": "staff_guangming", "双塔社区": "staff_shuangta", "惠泽苑社区": "staff_huize",
             "青年路社区": "staff_qingnian"}
    assert len(sent) == 3 and all(r.submitted_by.username == staff[r.place.name] for r in sent), \
        [(r.place.name, r.submitted_by) for r in sent]
    approved = DailyReport.objects.select_related("place", "decided_by").get(status="approved")
    assert approved.decided_by.username == "command_qiaodong" and approved.place.street.name == "桥东街道"
    qiaodong = DailyReport.objects.select_related("submitted_by").get(day=day, place__name="桥东街道")
    assert qiaodong.submitted_by.username == "command_qiaodong"  # 迎泽街道 has no account: the system
    # every community's roll was taken at yesterday's cut-off, the missing one's too (the
    # scheduled job's `roll.take_due`): its report shows the cut-off's roll, never "read late"
    communities = Place.objects.filter(kind="community")
    rolls = {r.place_id: r for r in CutoffRoll.objects.filter(day=day)}
    assert set(rolls) == set(communities.values_list("id", flat=True))
    for c in communities:
        now = figures.roll([c], timezone.now())[c.id]  # nobody moved since; zones did (sealed today)
        assert rolls[c.id].values["residents"] == now["residents"] > 0
        assert rolls[c.id].values["households"] == now["households"] > 0
        assert rolls[c.id].taken_at - rolls[c.id].cutoff_at < datetime.timedelta(minutes=5)
    demo.flush()
    assert not DailyReport.objects.exists()
