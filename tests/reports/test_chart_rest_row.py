"""The report PDF's coverage chart has the rows the dashboard shows: its grids and the
"未分网格" row (people in no grid), worst first then that row (was the grids only)."""

from django.utils import translation

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.reports import actions, charts


def test_report_coverage_chart_keeps_the_people_in_no_grid(day, system):
    w = day
    loose = reg.create_place(system, w.community, Kind.COMPOUND, "东湖苑")
    unit = reg.create_place(system, reg.create_place(system, loose, Kind.BUILDING, "1号楼"),
                            Kind.UNIT, "1单元")
    hh = reg.create_household(system, unit, "101")
    for name in ("郑一", "郑二"):
        reg.create_resident(system, hh, {"name": name, "relation": "其他"})
    staff = Actor.system(w.users.staff)
    r = actions.prepare(staff, w.community, w.day)
    with translation.override("zh-hans"):
        drawn = {c.key: c for c in charts.for_report(r)}
        rows = [label for label, _v, _s in drawn["coverage"].rows]
    assert rows[-1] == "未分网格" and w.grid.name in rows, rows
    assert drawn["coverage"].rows[-1][2].endswith("/2)")  # its 2 people to sample
