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
