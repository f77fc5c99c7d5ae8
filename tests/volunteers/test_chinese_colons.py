"""Chinese takes the full-width colon (found walking the demo: "指定队伍: 封控五组",
"组长: 田晓燕 · 负责区域: 1号楼"): on the pages, and in every Chinese string of the
volunteers catalogue (a time like 08:00 keeps its colon)."""

import datetime
import re
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from fangkong.volunteers.actions import attendance, calls, teams
from tests.conftest import actor_for

PO = Path(__file__).resolve().parents[2] / "locale/zh_Hans/LC_MESSAGES/volunteers.po"


def test_no_half_width_colon_in_the_volunteers_chinese():
    text = PO.read_text(encoding="utf-8")
    bad = []
    for m in re.finditer(r'^msgstr(?:\[\d+\])? "(.*)"$', text, re.M):
        s = re.sub(r"%\(\w+\)[sd]|%\(\w+\)\.\d+f", "", m[1])
        s = re.sub(r"\d:\d", "", s)  # times: 08:00
        if ":" in s:
            bad.append(m[1])
    assert not bad, bad


def test_the_team_and_call_pages_say_colons_the_chinese_way(world, make_volunteer, login):
    staff = actor_for(world.users.staff)
    leader = make_volunteer(1, name="田晓燕")
    team = teams.create_team(staff, world.community, "封控五组", area=world.building, leader=leader)
    start = timezone.now() - datetime.timedelta(minutes=30)
    call = calls.create_call(staff, world.community, {
        "task": "disinfection", "place": world.building.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=2)).isoformat(), "slots": 2,
        "audience": "team", "team": team.id})
    a = calls.assign(staff, call, leader)
    attendance.confirm_attendance(staff, a, None, None)
    attendance.confirm_attendance(staff, a, None, timezone.now(), confirm=True)
    attendance.correct_minutes(staff, a, 30, "提前离开")
    client = login(world.users.staff)
    team_page = client.get(reverse("volunteers_team", args=[team.id])).content.decode()
    assert "组长：田晓燕" in team_page and "负责区域：1号楼" in team_page
    teams_page = client.get(reverse("volunteers_teams", args=[world.community.id])).content.decode()
    assert "组长：田晓燕" in teams_page
    call_page = client.get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert "指定队伍：封控五组" in call_page and "已更正：提前离开" in call_page
    for page in (team_page, teams_page, call_page):
        assert not re.search(r"(组长|负责区域|指定队伍|已更正): ", page)
