"""The end of the day (found walking a night call to the hours export): the no-show read
"已完成，时长待核定" on her own page while staff saw 未到岗, the person who never checked
out stayed at 0 h — "0 h" in the hours export as if he never came — and nothing was ever
settled. Now staff have a "to settle" list (待核定: nobody checked in, never checked out,
longer than the shift), each settled with a time or marked as not come, the no-show's
page says 未到岗, and both exports carry a status column."""

import datetime
import json
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.audit.models import AuditEvent
from fangkong.volunteers.actions import answers, attendance
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment
from tests.conftest import actor_for


def at(monkeypatch, when):
    monkeypatch.setattr(timezone, "now", lambda: when)


def local(day, h, m=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(h, m)))


def _read(r):
    assert r.status_code == 200, r.status_code
    return [[c.value for c in row] for row in load_workbook(BytesIO(r.content)).active.iter_rows()]


@pytest.fixture
def evening(world, make_volunteer, monkeypatch):
    """入户上门跑腿 06:00–12:00: 贾晓燕 never came, 刘宏军 checked in at 06:08 and never
    out, 朱萍 in at 06:00 and out (her own scan) at 13:00 — 7 h for a 6 h shift, 王爱华 in
    at 06:00 and out at 11:00. It is 18:00."""
    staff = actor_for(world.users.staff)
    d = timezone.localdate() + datetime.timedelta(days=2)
    people = {n: make_volunteer(i, name=n) for i, n in enumerate(("贾晓燕", "刘宏军", "朱萍", "王爱华"), start=1)}
    at(monkeypatch, local(d, 0))
    call = vol_calls.create_call(staff, world.community, {
        "task": "delivery", "place": world.building.id, "title": "入户上门跑腿", "slots": 6,
        "starts_at": local(d, 6).isoformat(), "ends_at": local(d, 12).isoformat()})
    places = {n: answers.sign_up(actor_for(v.user), call) for n, v in people.items()}
    at(monkeypatch, local(d, 6))
    for n in ("朱萍", "王爱华"):
        attendance.check_in(actor_for(people[n].user), call.token)
    at(monkeypatch, local(d, 6, 8))
    attendance.check_in(actor_for(people["刘宏军"].user), call.token)
    at(monkeypatch, local(d, 11))
    attendance.check_out(actor_for(people["王爱华"].user), call.token)
    at(monkeypatch, local(d, 13))
    attendance.check_out(actor_for(people["朱萍"].user), call.token, confirm=True)
    at(monkeypatch, local(d, 18))
    return dict(d=d, call=call, people=people, places=places)


def _list(client, world):
    return client.get(reverse("volunteers_unsettled", args=[world.community.id])).content.decode()


def test_the_list_names_the_no_show_the_open_check_in_and_the_long_credit(evening, world, login):
    page = _list(login(world.users.staff), world)
    for name, why in (("贾晓燕", "无人签到"), ("刘宏军", "未签退"), ("朱萍", "超过班次时长")):
        row = page.split(f"<strong>{name}</strong>")[1].split("</li>")[0]
        assert why in row, (name, row)
    assert "王爱华" not in page
    assert f'href="tel:{evening["people"]["刘宏军"].phone}"' in page  # to ask when he left
    # the community's page leads there
    assert reverse("volunteers_unsettled", args=[world.community.id]) in login(world.users.staff).get(
        reverse("volunteers_community", args=[world.community.id])).content.decode()


def test_each_is_settled_with_a_time_or_as_not_come_then_the_list_is_empty(evening, world, login):
    client = login(world.users.staff)
    liu = evening["places"]["刘宏军"]
    url = reverse("volunteers_settle", args=[liu.id])
    asked = client.post(url, {"check_out_at": "12:00"}).content.decode()
    assert "核定 刘宏军 的时长？" in asked and "签到 06:08，签退 12:00：将记 5.9 小时" in asked
    assert Assignment.objects.get(pk=liu.id).check_out_at is None
    client.post(url, {"check_out_at": "12:00", "confirm": "1"})
    a = Assignment.objects.get(pk=liu.id)
    assert a.check_out_at == local(evening["d"], 12) and a.minutes == 352 and a.settled_at is not None
    # the no-show: marked as not come, asked first
    jia = evening["places"]["贾晓燕"]
    url = reverse("volunteers_settle", args=[jia.id])
    assert "把 贾晓燕 记为“入户上门跑腿”未到岗？" in client.post(url, {"op": "absent"}).content.decode()
    client.post(url, {"op": "absent", "confirm": "1"})
    assert Assignment.objects.get(pk=jia.id).settled_at is not None
    # the long one: her check-out replaced by the time she left, said before
    zhu = evening["places"]["朱萍"]
    url = reverse("volunteers_settle", args=[zhu.id])
    asked = client.post(url, {"check_out_at": "12:00"}).content.decode()
    assert "原签退记录（13:00，7.0 小时）将被替换" in asked and "将记 6.0 小时" in asked
    client.post(url, {"check_out_at": "12:00", "confirm": "1"})
    a = Assignment.objects.get(pk=zhu.id)
    assert a.check_out_at == local(evening["d"], 12) and a.minutes == 360
    assert a.volunteer.minutes == 360
    assert "没有待核定的记录" in _list(client, world)
    ev = AuditEvent.objects.filter(action="call.settle", target_id=zhu.id).latest("id")
    assert ev.changes["minutes"] == [420, 360]


def test_the_no_shows_own_page_says_she_did_not_come(evening, login):
    page = login(evening["people"]["贾晓燕"].user).get(reverse("volunteers_me")).content.decode()
    row = page.split("入户上门跑腿")[1].split("</li>")[0]
    assert "未到岗" in row and "待核定" not in row and "已完成" not in row
    # and the one who never checked out is told so, not "done"
    page = login(evening["people"]["刘宏军"].user).get(reverse("volunteers_me")).content.decode()
    assert "未签退，时长待核定" in page.split("入户上门跑腿")[1].split("</li>")[0]


def test_the_exports_carry_a_status_column(evening, world, login):
    client = login(world.users.staff)
    rows = _read(client.get(reverse("volunteers_call_attendance", args=[evening["call"].id])))
    col = rows[1].index("状态")
    status = {r[0]: r[col] for r in rows[2:]}
    assert status == {"贾晓燕": "未到岗", "刘宏军": "未签退", "朱萍": "已签退", "王爱华": "已签退"}
    day = _read(client.get(reverse("volunteers_day_attendance", args=[world.community.id]),
                           {"day": evening["d"].isoformat()}))
    assert {r[0]: r[day[1].index("状态")] for r in day[2:]} == status
    rows = _read(client.get(reverse("volunteers_export", args=[world.community.id, "work_unit"])))
    col = rows[1].index("状态")
    status = {r[1]: r[col] for r in rows[2:]}
    assert status["贾晓燕"] == "未到岗 1" and status["刘宏军"] == "未签退 1" and status["王爱华"] == "已签退 1"
    attendance.correct_minutes(actor_for(world.users.staff), evening["places"]["刘宏军"], 300, "按签到表")
    rows = _read(client.get(reverse("volunteers_export", args=[world.community.id, "work_unit"])))
    assert {r[1]: r[col] for r in rows[2:]}["刘宏军"] == "已更正 1"


def test_the_api_lists_and_settles_alike(evening, world, login):
    client = login(world.users.staff)
    r = client.get(f"/api/v1/volunteers/communities/{world.community.id}/unsettled")
    assert r.status_code == 200
    assert {(p["volunteer_name"], p["why"]) for p in r.json()} == {
        ("贾晓燕", "absent"), ("刘宏军", "open"), ("朱萍", "long")}

    def settle(a, body, user=world.users.staff):
        return login(user).post(f"/api/v1/volunteers/assignments/{a.id}/settle", json.dumps(body),
                                content_type="application/json")

    zhu, jia = evening["places"]["朱萍"], evening["places"]["贾晓燕"]
    late = local(evening["d"], 12, 30).isoformat()
    r = settle(zhu, {"check_out_at": late})
    assert r.status_code == 409 and r.json()["error"]["code"] == "long_credit"
    assert settle(zhu, {"check_out_at": late, "confirm": True}).json()["minutes"] == 390
    # who may not: command sees it (403), another community's staff do not (404)
    assert settle(jia, {"absent": True}, world.users.street).status_code == 403
    assert settle(jia, {"absent": True}, world.users.other_staff).status_code == 404
    assert login(world.users.other_staff).get(
        f"/api/v1/volunteers/communities/{world.community.id}/unsettled").status_code == 404
    r = settle(jia, {"absent": True})
    assert r.status_code == 200 and r.json()["state"] == "absent" and r.json()["settled_at"]
    r = login(world.users.staff).get(f"/api/v1/volunteers/communities/{world.community.id}/unsettled")
    assert [p["volunteer_name"] for p in r.json()] == ["刘宏军"]


def test_nothing_is_settled_before_the_shift_ends_nor_a_no_show_who_came(evening, world, login, monkeypatch):
    at(monkeypatch, local(evening["d"], 11))
    r = login(world.users.staff).post(f"/api/v1/volunteers/assignments/{evening['places']['贾晓燕'].id}/settle",
                                      json.dumps({"absent": True}), content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_over"
    at(monkeypatch, local(evening["d"], 18))
    r = login(world.users.staff).post(f"/api/v1/volunteers/assignments/{evening['places']['刘宏军'].id}/settle",
                                      json.dumps({"absent": True}), content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "came"


def test_the_call_page_says_how_many_wait_to_be_settled(evening, world, login):
    page = login(world.users.staff).get(reverse("volunteers_call", args=[evening["call"].id])).content.decode()
    assert "待核定：3" in page
    assert f'{reverse("volunteers_unsettled", args=[world.community.id])}?call={evening["call"].id}' in page


def test_staff_confirming_a_long_credit_on_the_roster_settle_it(evening, world, login, monkeypatch):
    """Asked on the roster and answered yes by staff: it does not come back on the list."""
    client = login(world.users.staff)
    liu = evening["places"]["刘宏军"]
    url = reverse("volunteers_attend", args=[liu.id])
    text = client.post(url, {"out": "now", "check_out_at": "13:00"}).content.decode()
    assert "比整个班次" in text
    client.post(url, {"out": "now", "check_out_at": "13:00", "confirm": "1"})
    assert "刘宏军" not in _list(client, world)
