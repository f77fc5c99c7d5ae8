"""Hours checked per call and per day (walk "vol", item 6: the export had only lifetime
totals per person): one call's attendance, and a community's day's — person, call, check-in,
check-out, hours, who confirmed — with the figures of the call's page."""

import datetime
from io import BytesIO

from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.audit.models import AuditEvent
from fangkong.volunteers.actions import answers, attendance
from fangkong.volunteers.models import Assignment
from tests.conftest import actor_for
from tests.volunteers.test_leader_attendance import at, call_at


def _read(r):
    assert r.status_code == 200, r.status_code
    ws = load_workbook(BytesIO(r.content)).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_a_calls_and_a_days_attendance_read_back_as_the_call_page(world, make_volunteer, login, monkeypatch):
    staff = actor_for(world.users.staff)
    t = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    liu, zhao = make_volunteer(1, name="刘静"), make_volunteer(2, name="赵佳")
    at(monkeypatch, t - datetime.timedelta(hours=1))
    call = call_at(world, t, t + datetime.timedelta(hours=4), title="1号点 采样辅助")
    other_day = call_at(world, t + datetime.timedelta(days=1), t + datetime.timedelta(days=1, hours=2),
                        title="次日召集")
    a = answers.sign_up(actor_for(liu.user), call)
    b = answers.sign_up(actor_for(zhao.user), call)
    answers.sign_up(actor_for(zhao.user), other_day)
    at(monkeypatch, t + datetime.timedelta(hours=4, minutes=10))
    attendance.confirm_attendance(staff, a, "06:05", "09:59")
    attendance.confirm_attendance(staff, b, "06:20", "09:40")
    attendance.correct_minutes(staff, Assignment.objects.get(pk=b.pk), 200, "漏签退", confirm=True)
    monkeypatch.undo()
    a, b = Assignment.objects.get(pk=a.pk), Assignment.objects.get(pk=b.pk)

    client = login(world.users.staff)
    page = client.get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert reverse("volunteers_call_attendance", args=[call.id]) in page
    rows = _read(client.get(reverse("volunteers_call_attendance", args=[call.id])))
    assert "1号点 采样辅助" in rows[0][0]
    header = rows[1]
    assert header[:6] == ["姓名", "召集令", "召集时间", "签到", "签退", "时长（小时）"]
    by_name = {r[0]: r for r in rows[2:]}
    assert set(by_name) == {"刘静", "赵佳"}
    for who, asg in (("刘静", a), ("赵佳", b)):
        assert by_name[who][5] == asg.hours and f"{asg.hours} h" in page  # the page's figure
    assert by_name["刘静"][3] == f"{t:%Y-%m-%d} 06:05" and by_name["刘静"][4] == f"{t:%Y-%m-%d} 09:59"
    assert by_name["刘静"][6] == "已签退" and by_name["赵佳"][6] == "已更正"  # the status column
    assert by_name["刘静"][7] == by_name["刘静"][8] == world.users.staff.display_name
    assert by_name["赵佳"][5] == 3.3 and by_name["赵佳"][9] == "漏签退"

    day = client.get(reverse("volunteers_day_attendance", args=[world.community.id]), {"day": f"{t:%Y-%m-%d}"})
    day_rows = _read(day)
    assert {r[0] for r in day_rows[2:]} == {"刘静", "赵佳"} and {r[1] for r in day_rows[2:]} == {"1号点 采样辅助"}
    assert [r[5] for r in day_rows[2:]] == [r[5] for r in rows[2:]]
    assert AuditEvent.objects.filter(action="volunteers.export_hours", changes__by="day").count() == 1
    assert AuditEvent.objects.filter(action="volunteers.export_hours", changes__by="call").count() == 1

    # refused like every export: 404, for the other community's staff and for a volunteer
    for user in (world.users.other_staff, liu.user):
        c = login(user)
        assert c.get(reverse("volunteers_call_attendance", args=[call.id])).status_code == 404
        assert c.get(reverse("volunteers_day_attendance", args=[world.community.id])).status_code == 404
