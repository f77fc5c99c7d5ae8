"""The live dashboard's rows of grids count the tubes not yet at the lab that hold their
people (walked 2026-12-06: a tube at a station has no grid of its own, so all 9 late tubes
were under "未分网格" and 第一网格 showed 0 — a grid worker's own view never showed them).

A tube holding people of two grids is in both grids' rows and once in the community's
figure; the page says the rows may add up to more, and the API gives the same figures."""

import datetime
import re
import uuid

import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.reports import figures
from fangkong.screening.actions import planning, station
from fangkong.screening.models import Sample, Tube
from tests.conftest import client_of as _client

pytestmark = pytest.mark.django_db


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


@pytest.fixture
def late_tubes(world, system, monkeypatch):
    w = world
    today = timezone.localdate()
    w.grid2 = reg.create_place(system, w.community, Kind.GRID, "第二网格")
    compound = reg.create_place(system, w.grid2, Kind.COMPOUND, "东湖苑")
    unit = reg.create_place(system, reg.create_place(system, compound, Kind.BUILDING, "2号楼"), Kind.UNIT, "1单元")
    w.zheng = reg.create_resident(system, reg.create_household(system, unit, "101"),
                                  {"name": "郑一", "relation": "户主"})
    staff = Actor.system(w.users.staff)
    rnd = planning.plan_round(staff, w.community, {
        "name": "第6轮核酸", "kind": "pcr", "starts_at": at(today, 7), "ends_at": at(today, 14), "pool_size": 3})
    planning.set_status(staff, rnd, "running")
    tubes = {"T0201": [w.su, w.yu, w.zheng], "T0202": [w.xia], "T0203": [w.wang]}
    for code, people in tubes.items():
        station.open_tube(staff, rnd, code)
        for p in people:
            station.scan(staff, rnd, client_id=str(uuid.uuid4()), barcode=code, person=p.token)
        station.seal_tube(staff, Tube.objects.get(round=rnd, barcode=code))
    Sample.objects.filter(round=rnd).update(sampled_at=at(today, 9))
    Tube.objects.filter(round=rnd).update(opened_at=at(today, 9), sealed_at=at(today, 9, 30))
    Tube.objects.filter(round=rnd, barcode="T0203").update(at_lab_at=at(today, 10))  # at the lab
    monkeypatch.setattr(timezone, "now", lambda: at(today, 12))
    w.today = today
    return w



def _table(html: str) -> dict:
    """{row name: {column: cell}} of the dashboard's table of places below."""
    table = html.split('aria-labelledby="kids"')[1].split("</table>")[0]
    heads = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', table)
    out = {}
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table.split("<tbody>")[1]):
        name = re.sub(r"<[^>]+>", "", row.split("</th>")[0])
        out[name] = dict(zip(heads[1:], re.findall(r"<td>([^<]*)</td>", row), strict=True))
    return out


def test_each_grid_counts_the_late_tubes_holding_its_people(late_tubes):
    w = late_tubes
    values = figures.compute([w.grid, w.grid2], timezone.now(), parent=w.community)
    # T0201 (两个网格的人) and T0202 late; T0203 at the lab
    assert values[w.community.id]["tubes_not_at_lab"] == 2
    assert (values[w.grid.id]["tubes_not_at_lab"], values[w.grid2.id]["tubes_not_at_lab"]) == (2, 1)
    assert figures.of(w.grid, timezone.now())["tubes_not_at_lab"] == 2  # the grid's own view

    c = _client(w.users.staff)
    html = c.get(f"/reports/places/{w.community.id}/").content.decode()
    rows = _table(html)
    assert rows[w.grid.name]["未送检管"] == "2" and rows[w.grid2.name]["未送检管"] == "1", rows
    assert all(r.get("未送检管") in (None, "–", "0") for name, r in rows.items()
               if name not in (w.grid.name, w.grid2.name)), rows  # no tube in "未分网格"
    assert "data-shared-note" in html and "两行都计" in html

    got = c.get(f"/api/v1/reports/places/{w.community.id}/figures").json()
    kids = {k["name"]: k["figures"].get("tubes_not_at_lab") for k in got["children"]}
    assert kids[w.grid.name] == 2 and kids[w.grid2.name] == 1, kids
    assert {f["key"]: f["value"] for f in got["figures"]}["tubes_not_at_lab"] == 2
    assert all(v in (None, 0) for name, v in kids.items() if name not in (w.grid.name, w.grid2.name))
