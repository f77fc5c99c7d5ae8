"""A street's dashboard shows one value for one figure: today's bar of its charts over days
comes from the same snapshots as the tiles (found on the re-walk: "0 阳性病例, 数据截至 13:42"
above "每日阳性病例" counting the case reported at 13:44 live, "1")."""

from django.test import Client
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports.actions import snapshots
from fangkong.zones.actions import escalate


def _board(user, node):
    c = Client()
    c.force_login(user)
    r = c.get(f"/reports/places/{node.id}/")
    assert r.status_code == 200
    tile = next(row["value"] for s in r.context["sections"] for row in s["rows"] if row["key"] == "cases")
    chart = next(chart for chart, _svg, _note in r.context["charts"] if chart.key == "cases")
    return tile, chart.rows[-1][1], chart.table()[-1][1]


def test_todays_cases_bar_is_the_snapshots_figure_like_the_tile(world):
    w = world
    snapshots.refresh([w.community, w.other])
    escalate.record_case(Actor.system(w.users.staff), w.su, confirmed_at=timezone.now(), source="区疾控中心 2026-118")
    assert _board(w.users.street, w.street) == (0, 0, "0")  # both as of the snapshot
    snapshots.refresh([w.community, w.other])
    assert _board(w.users.street, w.street) == (1, 1, "1")
    tile, bar, _shown = _board(w.users.staff, w.community)  # a community: counted live, both
    assert (tile, bar) == (1, 1)
