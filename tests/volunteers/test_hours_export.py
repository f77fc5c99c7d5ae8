"""The hours export read back (found walking the demo: its header said 名称 where a person's
name is meant, its sheet's name was cut off at 31 characters mid-date, and the sheet by work
unit had the 工作单位 column twice)."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fangkong.volunteers.actions import teams
from tests.conftest import actor_for


@pytest.fixture
def sheets(world, make_volunteer, login):
    staff = actor_for(world.users.staff)
    vols = [make_volunteer(n, party_member="1", party_branch="第一支部") for n in (1, 2)]
    team = teams.create_team(staff, world.community, "封控五组", leader=vols[0])
    teams.add_member(staff, team, vols[1])
    client = login(world.users.staff)

    def read(dimension):
        r = client.get(reverse("volunteers_export", args=[world.community.id, dimension]))
        assert r.status_code == 200
        wb = load_workbook(BytesIO(r.content))
        assert len(wb.sheetnames) == 1
        ws = wb.active
        rows = [[c.value for c in row] for row in ws.iter_rows()]
        return ws.title, rows

    return read


@pytest.mark.parametrize("dimension, group, sheet", [
    ("team", "队伍", "志愿服务时长（按队伍）"),
    ("work_unit", "工作单位", "志愿服务时长（按工作单位）"),
    ("party_branch", "所在党支部", "志愿服务时长（按所在党支部）"),
])
def test_the_hours_export_names_people_and_each_column_once(sheets, dimension, group, sheet):
    title, rows = sheets(dimension)
    assert title == sheet and len(title) <= 31
    header = rows[1]
    assert header[:2] == [group, "姓名"] and "名称" not in header
    assert len(header) == len(set(header)), header  # no column twice
    assert header[-3:] == ["服务次数", "时长（小时）", "状态"]
    assert {"工作单位", "所在党支部"} <= set(header)
    body = rows[2:]
    assert body and all(len(r) == len(header) for r in body)
    assert {r[1] for r in body} >= {"志愿者1", "志愿者2"}


def test_the_by_work_unit_sheet_lists_the_branch_beside_the_person(sheets):
    _title, rows = sheets("work_unit")
    header = rows[1]
    assert header == ["工作单位", "姓名", "所在党支部", "服务次数", "时长（小时）", "状态"]
    assert ["太原二电厂", "志愿者1", "第一支部", 0, 0] in [r[:5] for r in rows[2:]]



def test_the_hours_export_in_english_says_name_and_a_whole_sheet_name(world, make_volunteer, login):
    make_volunteer(1)
    client = login(world.users.staff)
    client.cookies["django_language"] = "en"
    for dimension, sheet in (("team", "Hours by team"), ("work_unit", "Hours by work unit"),
                             ("party_branch", "Hours by Party branch")):
        r = client.get(reverse("volunteers_export", args=[world.community.id, dimension]))
        ws = load_workbook(BytesIO(r.content)).active
        header = [c.value for c in next(ws.iter_rows(min_row=2, max_row=2))]
        assert ws.title == sheet and header[1] == "Name" and len(header) == len(set(header)), header
