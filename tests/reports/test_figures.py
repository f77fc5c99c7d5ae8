"""Every figure of the nightly report against the hand count (conftest: what happened on D
and when), the cut-off respected, and a street's figures the sum of its communities'."""

import datetime

from fangkong.reports import figures
from tests.reports.conftest import A_AT_CUTOFF, B_AT_CUTOFF, at


def test_every_figure_registered_is_hand_counted():
    keys = {f.key for f in figures.definitions()}
    assert keys == set(A_AT_CUTOFF), "a new figure needs its hand count in tests/reports/conftest.py"


def test_community_figures_at_cutoff(day):
    w = day
    got = figures.of(w.community, w.cutoff)
    assert {k: got[k] for k in A_AT_CUTOFF} == A_AT_CUTOFF
    assert {k: figures.of(w.other, w.cutoff)[k] for k in B_AT_CUTOFF} == B_AT_CUTOFF


def test_a_scan_after_the_cutoff_counts_the_next_minute(day):
    w = day
    later = figures.of(w.community, at(w.day, 20, 1))
    assert later["sampled"] == 2 and later["missing"] == 1 and later["households_covered"] == 1
    before = figures.of(w.community, at(w.day, 9, 59))  # before 王新勇's exemption
    assert (before["sampled"], before["exempt"], before["missing"]) == (1, 0, 3)
    assert figures.of(w.community, at(w.day, 8, 59))["sampled"] == 0
    # the volunteer who left at 11:00 was on duty at 10:00 and credited nothing yet
    ten = figures.of(w.community, at(w.day, 10))
    assert (ten["on_duty"], ten["minutes_today"]) == (1, 0)
    # before the tube was sealed it was not on its way to the lab; before 15:00 nobody was held
    assert figures.of(w.community, at(w.day, 11, 59))["tubes_not_at_lab"] == 0
    assert figures.of(w.community, at(w.day, 14, 59))["awaiting_retest"] == 0


def test_the_next_day_starts_from_zero_hours(day):
    w = day
    nxt = figures.of(w.community, w.cutoff + datetime.timedelta(days=1))
    assert nxt["minutes_today"] == 0


def test_street_is_the_sum_of_its_communities(day):
    w = day
    street = figures.of(w.street, w.cutoff)
    summed = figures.total([figures.of(w.community, w.cutoff), figures.of(w.other, w.cutoff)])
    assert {k: street[k] for k in A_AT_CUTOFF} == {k: summed[k] for k in A_AT_CUTOFF}
    assert street["residents"] == 5 and street["coverage"] == 33


def test_many_nodes_at_once_in_bounded_queries(day):
    """No query per node: one node or two, the same queries (one per provider's figure
    group, one per round of the day)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = day
    with CaptureQueriesContext(connection) as one:
        figures.compute([w.community], w.cutoff)
    with CaptureQueriesContext(connection) as two:
        got = figures.compute([w.community, w.other], w.cutoff)
    assert len(one) == len(two) <= 17  # services: 3 grouped queries
    assert got[w.community.id]["sampled"] == 1 and got[w.other.id]["residents"] == 1


def test_street_dashboard_sums_its_communities_snapshots(day, settings):
    """Now, a street's figures are its communities' snapshots summed; the request never
    counts them: stale or missing ones are left to the task (queued once), and the page
    says how many are not counted yet."""
    from django_tasks_db.models import DBTaskResult

    from fangkong.core.actor import Actor
    from fangkong.reports import live
    from fangkong.reports.actions import snapshots
    from fangkong.reports.models import FigureSnapshot

    w = day
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    scope = Actor.system(w.users.street).scope
    first = live.board(scope, w.street)  # nothing counted yet: nothing counted here either
    assert first["waiting"] == 2 and FigureSnapshot.objects.count() == 0
    assert first["values"].get("residents", 0) == 0
    live.board(scope, w.street)
    assert DBTaskResult.objects.filter(status="READY").count() == 1  # queued once
    snapshots.refresh_stale()  # the worker
    board = live.board(scope, w.street)
    assert board["waiting"] == 0
    now = figures.total([figures.of(w.community, board["as_of"]), figures.of(w.other, board["as_of"])])
    assert {k: board["values"][k] for k in A_AT_CUTOFF} == {k: now[k] for k in A_AT_CUTOFF}
    assert [c.name for c, _v in board["children"]] == ["光明社区", "惠泽苑社区"]
    # stale: the old figures (and their time) are shown, never recounted in the request
    FigureSnapshot.objects.update(computed_at=board["as_of"] - datetime.timedelta(hours=1))
    again = live.board(scope, w.street)
    assert again["as_of"] == board["as_of"] - datetime.timedelta(hours=1)
    assert again["values"]["residents"] == 5


def test_a_node_and_its_children_in_one_pass_are_counted_alone(day):
    """`compute(children, at, parent=node)` (the dashboard's one pass) gives the node exactly
    its own figures (`of`) and each child its own, at every level, whether every child is
    listed or only some (the rows of a child not listed count in the node's only)."""
    from django.utils import timezone

    from fangkong.registry.models import Place

    w = day
    for when in (w.cutoff, at(w.day, 12), timezone.now()):
        for node in (w.street, w.community, w.grid, w.compound, w.building):
            kids = list(Place.objects.filter(parent=node, kind__in=["community", "grid", "compound",
                                                                     "building", "unit"]).order_by("id"))
            assert kids, node
            for listed in (kids, kids[:1]):
                got = figures.compute(listed, when, parent=node)
                alone = figures.of(node, when)
                assert got[node.id] == alone, (node.name, when)
                assert any(v for k, v in alone.items() if k in ("residents", "expected", "sampled", "on_duty"))
                for k in listed:
                    assert got[k.id] == figures.of(k, when), (k.name, when)


def test_the_dashboards_one_pass_costs_the_queries_of_one_node(day):
    """A community and its grids together: the queries of counting one node, not two."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = day
    with CaptureQueriesContext(connection) as alone:
        figures.of(w.community, w.cutoff)
    with CaptureQueriesContext(connection) as both:
        figures.compute([w.grid], w.cutoff, parent=w.community)
    assert len(both) == len(alone)
