"""(reports) dashboards and the nightly report at city scale.

Figures (PostgreSQL by default; the city of `bench/run`, 1 M residents, ~500 communities):

- reports.snapshots.district: the scheduled job counting every community's live figures of
  the district (`actions.snapshots.refresh`, CHUNK communities at a time).
- reports.dashboard.community / .district: the dashboard's reads for a node, as the page
  makes them (`live.board`: a community counted live by every provider, a district summed
  from its communities' snapshots; children worst first; the charts' data), with the number
  of queries (bounded: none per child node). Targets: community < 100 ms, district < 300 ms.
  .district.exact: the same district counted in full (the API's figures as of a past time).
- reports.dashboard.city: the five districts' dashboards read one after another (every
  community of the city, ~500, summed from snapshots): a bound for the issue's district of
  ~500 communities (the city has five of ~100).
- reports.page.district: the whole dashboard page over HTTP (Django test client).
- reports.prepare.communities: the scheduled job preparing every community's draft of the
  district (figures counted CHUNK communities at a time).
- reports.rollup.district: every street's roll-up, the district's roll-up and its .xlsx
  (target < 5 s): sums of the children's stored reports, never a recount.
"""

import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from .common import bench_user
from .harness import figure, manage, timed


def _dashboard(ctx, node, exact=False):
    """What the dashboard page reads: `live.board` (a district: its communities' snapshots)
    and the charts' data; `exact`: a full recount as of now instead."""
    from fangkong.reports import charts, live, queries

    scope = ctx.staff_scope(node)
    scope.grants[0] = type(scope.grants[0])("command", node, None, scope.grants[0].perms | _view())

    def read():
        now = timezone.now()
        board = queries.dashboard(scope, node, now) if exact else live.board(scope, node)
        charts.charts_for(node, now, board["children"])
        return board
    return read


def _view():
    from fangkong.accounts.roles import ROLE_PERMS, Role

    return ROLE_PERMS[Role.COMMAND]


def run(ctx):
    from fangkong.core.actor import Actor
    from fangkong.registry.models import Kind, Place
    from fangkong.reports import actions, export_xlsx, queries
    from fangkong.reports.actions import schedule
    from fangkong.reports.models import DailyReport

    from .screening import ensure_rounds

    cfg, report, city = ctx.cfg, ctx.report, ctx.city
    from fangkong.screening.actions import planning
    from fangkong.screening.models import RoundStatus

    # one PCR round per district, ~90 % registered (cached), running: the dashboards and
    # reports count a round of the day only once it runs (a planned one is not counted)
    for rnd in ensure_rounds(ctx):
        if rnd.status == RoundStatus.PLANNED and rnd.district_id == city.district.id:
            planning.set_status(Actor.system(via="cli"), rnd, RoundStatus.RUNNING)
    communities = Place.objects.filter(kind=Kind.COMMUNITY, district_id=city.district.id).count()
    report.note(f"reports: {ctx.describe()}; {communities} communities in the district")
    from fangkong.reports.actions import snapshots

    comms = list(Place.objects.filter(kind=Kind.COMMUNITY, district_id=city.district.id).order_by("id"))
    report.add(figure("reports.snapshots.district", timed(lambda: snapshots.refresh(comms), 1, warmup=0),
                      "s", note=f"the job counting {len(comms)} communities' live figures"))
    exact = _dashboard(ctx, city.district, exact=True)
    report.add(figure("reports.dashboard.district.exact", timed(exact, 1, warmup=0), "ms", scale=1000,
                      note="the district counted in full as of now (what the API does for a past time)"))
    for name, node, target in (("community", city.community, 100), ("district", city.district, 300)):
        read = _dashboard(ctx, node)
        with CaptureQueriesContext(connection) as q:
            board = read()
        samples = timed(read, cfg.repeat)
        report.add(figure(f"reports.dashboard.{name}", samples, "ms", scale=1000,
                          note=f"{len(q)} queries, {len(board['children'])} children (target < {target} ms)",
                          extra={"queries": len(q), "children": len(board["children"])}))
    # The district has ~500 communities; the city's five districts have ~100 each.
    # Every community's snapshot counted, the five districts' boards read one after another
    # (502 communities' snapshots summed): an upper bound for one 500-community district.
    everywhere = list(Place.objects.filter(kind=Kind.COMMUNITY).order_by("id"))
    t = time.perf_counter()
    snapshots.refresh(everywhere)
    city_s = time.perf_counter() - t
    reads = [_dashboard(ctx, d) for d in Place.objects.filter(kind=Kind.DISTRICT).order_by("id")]
    report.add(figure("reports.dashboard.city", timed(lambda: [r() for r in reads], cfg.repeat), "ms",
                      scale=1000, note=f"the {len(reads)} districts' dashboards one after another, "
                                       f"{len(everywhere)} communities' snapshots (counted by the job in "
                                       f"{city_s:.1f} s): a bound for a 500-community district (target < 300 ms)"))
    manage("collectstatic", interactive=False, verbosity=0)  # the manifest the page's {% static %} needs
    user = bench_user("bench_reports_district", "command", city.district)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    url = f"/reports/places/{city.district.id}/"
    assert client.get(url).status_code == 200
    report.add(figure("reports.page.district", timed(lambda: client.get(url), cfg.repeat), "ms",
                      scale=1000, note="GET the district dashboard page"))

    system = Actor.system(via="cli")
    day = timezone.localdate()
    DailyReport.objects.filter(district_id=city.district.id, day=day).delete()
    kids = list(Place.objects.filter(kind=Kind.COMMUNITY, district_id=city.district.id).order_by("id"))
    t = time.perf_counter()
    schedule.prepare_level(system, kids, day, timezone.now())
    prepare_s = time.perf_counter() - t
    for r in DailyReport.objects.filter(level=Kind.COMMUNITY, district_id=city.district.id, day=day):
        r.status, r.submitted_at = DailyReport.Status.SUBMITTED, timezone.now()
        r.save(update_fields=["status", "submitted_at"])
    report.add(figure("reports.prepare.communities", [prepare_s], "s",
                      note=f"the job's drafts for {len(kids)} communities"))
    streets = list(Place.objects.filter(kind=Kind.STREET, district_id=city.district.id))

    def rollup():
        for s in streets:
            r = actions.prepare(system, s, day)
            if not r.locked:
                actions.submit(system, r)
        top = actions.prepare(system, city.district, day)
        below = queries.period_reports(city.district, day, day)
        return export_xlsx.report_book([top, *[x for x in below if x.place_id != top.place_id]])

    samples = []
    for _rep in range(cfg.repeat):
        DailyReport.objects.filter(level__in=[Kind.STREET, Kind.DISTRICT], district_id=city.district.id,
                                   day=day).delete()
        t = time.perf_counter()
        body = rollup()
        samples.append(time.perf_counter() - t)
    report.add(figure("reports.rollup.district", samples, "s",
                      note=f"{len(streets)} street roll-ups submitted, the district's, and the .xlsx "
                           f"({len(body) // 1024} KB) (target < 5 s)"))
    DailyReport.objects.filter(district_id=city.district.id, day=day).delete()
