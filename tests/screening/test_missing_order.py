"""The round's lists in address order after an import added buildings (walk "antigen", defect
2): the missing list, its .xlsx and the API, the antigen units and the door page's picker
sorted buildings by database id, so 铁路宿舍 11–22号楼 (imported later) came after 邮电宿舍 1号楼
and a 10号楼 typed in after 2号楼 landed at the end. Now compound → building → unit in natural
order (`Place.sort_key`: 2 before 10), the same on the page, the .xlsx and the API, in the same
number of statements."""

import io

import pytest
from openpyxl import load_workbook

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening import antigen, figures, queries

from .conftest import api
from .test_antigen import running_antigen_round

# community A's places in address order (光明小区's 1号楼 1单元 and 2单元 are the world's)
ORDER = ["光明小区 1号楼 1单元", "光明小区 1号楼 2单元", "光明小区 1号楼 10单元", "光明小区 2号楼",
         "邮电宿舍 1号楼", "邮电宿舍 11号楼",
         "铁路宿舍 1号楼", "铁路宿舍 2号楼", "铁路宿舍 10号楼", "铁路宿舍 11号楼"]


@pytest.fixture
def grown(world, system):
    """Compounds and buildings added after the world's, some by a later import (their ids
    come after the ones they sort before), each with one household and one person."""
    w = world
    tielu = reg.create_place(system, w.grid, Kind.COMPOUND, "铁路宿舍")
    youdian = reg.create_place(system, w.grid, Kind.COMPOUND, "邮电宿舍")
    n = 0

    def building(compound, name):
        nonlocal n
        b = reg.create_place(system, compound, Kind.BUILDING, name)
        n += 1
        reg.create_resident(system, reg.create_household(system, b, "101"), {"name": f"住户{n}"})
        return b

    building(tielu, "1号楼")
    building(tielu, "2号楼")
    building(youdian, "1号楼")
    # the second import
    building(tielu, "11号楼")
    building(tielu, "10号楼")
    building(youdian, "11号楼")
    building(w.compound, "2号楼")
    unit10 = reg.create_place(system, w.building, Kind.UNIT, "10单元")  # after 2单元
    reg.create_resident(system, reg.create_household(system, unit10, "1001"), {"name": "住户十"})
    return w


def _labels(rows):
    return list(dict.fromkeys(rows))


def test_the_missing_list_xlsx_and_api_run_compound_building_unit(grown, rnd, client, django_assert_num_queries):
    w = grown
    scope = Actor.system(w.users.staff).scope
    with django_assert_num_queries(1):  # still one statement, whatever the order joins
        people = list(figures.missing_people(scope, rnd, w.community))
    assert len(people) == 4 + 8
    groups, _cut = figures.missing(scope, rnd, w.community)
    assert [label for label, _rows in groups] == ORDER
    client.force_login(w.users.staff)
    page = client.get(f"/screening/rounds/{rnd.id}/missing/").content.decode()
    at = [page.find(f"{label}<") if f"{label}<" in page else page.find(label) for label in ORDER]
    assert -1 not in at and at == sorted(at), list(zip(ORDER, at, strict=True))
    r = client.get(f"/screening/rounds/{rnd.id}/missing.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(r.streaming_content) if r.streaming else r.content)).active
    head = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    col = head.index("地址")
    assert _labels(row[col] for row in sheet.iter_rows(min_row=3, values_only=True) if row[col]) == ORDER
    out = api(client, "get", f"/rounds/{rnd.id}/missing?page_size=100").json()["results"]
    assert _labels(p["address"] for p in out) == ORDER


def test_the_antigen_units_and_the_door_picker_run_in_the_same_order(grown, system, client):
    w = grown
    ag = running_antigen_round(w, system)
    assert [u["label"] for u in antigen.by_unit(ag, w.community)] == ORDER
    client.force_login(w.users.staff)
    units = client.get(f"/api/v1/screening/rounds/{ag.id}/antigen-coverage").json()["units"]
    assert [u["label"] for u in units] == ORDER
    page = client.get(f"/screening/rounds/{ag.id}/antigen/").content.decode()
    at = [page.find(f">{label}</a>") for label in ORDER]
    assert -1 not in at and at == sorted(at)
    # the door page's picker: a building, then its units, in natural order
    picked = [p.label for p in queries.round_units(ag)]
    assert picked == ["光明小区 1号楼", *ORDER[:3], "光明小区 2号楼", "邮电宿舍 1号楼", "邮电宿舍 11号楼",
                      "铁路宿舍 1号楼", "铁路宿舍 2号楼", "铁路宿舍 10号楼", "铁路宿舍 11号楼"]
    # a building's sheet: its units in natural order, then the doors
    _unit, sheet = antigen.unit_sheet(ag, w.building.id)
    assert [h.door for h in sheet] == ["101", "102", "201", "1001"]
