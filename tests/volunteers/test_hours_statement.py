"""A volunteer's proof of their verified hours (服务时长证明): a PDF from /volunteers/me/ and
from the home community's staff page of the person — name, community, each call with date,
check-in and check-out, hours, corrections marked, the total; a withdrawn volunteer still
reads their own past hours (found walking the demo: /volunteers/me/ was a 404 for them)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from fangkong.volunteers.actions import answers, attendance, registration
from fangkong.volunteers.actions import calls as vol_calls
from tests.conftest import actor_for
from tests.day.scene import pdf_text


def served_call(world, v, monkeypatch, title, hours, minutes=None, reason=""):
    staff = actor_for(world.users.staff)
    start = timezone.now() + datetime.timedelta(hours=hours)
    call = vol_calls.create_call(staff, world.community, {
        "task": "door_check", "title": title, "place": world.building.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=2)).isoformat(), "slots": 3})
    a = answers.sign_up(actor_for(v.user), call)
    real = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: call.ends_at)
    a = attendance.confirm_attendance(staff, a, call.starts_at.isoformat(), call.ends_at.isoformat())
    if minutes is not None:
        a = attendance.correct_minutes(staff, a, minutes, reason)
    monkeypatch.setattr(timezone, "now", real)
    return a


def test_the_statement_lists_each_call_and_the_total(world, make_volunteer, login, monkeypatch):
    v = make_volunteer(1, name="李秀英")
    served_call(world, v, monkeypatch, "核酸采样秩序维护", 3)
    served_call(world, v, monkeypatch, "物资分发", 8, minutes=90, reason="提前离开")
    client = login(v.user)
    page = client.get(reverse("volunteers_me")).content.decode()
    href = reverse("volunteers_me_statement")
    assert href in page
    r = client.get(href)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(r.content).split())
    for word in ("李秀英", world.community.name, "核酸采样秩序维护", "物资分发", "提前离开", "2.0", "1.5", "3.5"):
        assert word in text, word
    # the home community's staff print the same
    staff = login(world.users.staff)
    person = staff.get(reverse("volunteers_person", args=[v.id])).content.decode()
    href = reverse("volunteers_person_statement", args=[v.id])
    assert href in person
    assert "3.5" in " ".join(pdf_text(staff.get(href).content).split())
    # nobody else's
    assert login(world.users.other_staff).get(href).status_code == 404


def test_a_withdrawn_volunteer_still_reads_their_own_hours(world, make_volunteer, login, monkeypatch):
    v = make_volunteer(1, name="李秀英")
    served_call(world, v, monkeypatch, "核酸采样秩序维护", 3)
    registration.reject(actor_for(world.users.staff), v, "已返岗")
    client = login(v.user)
    r = client.get(reverse("volunteers_me"))
    assert r.status_code == 200
    assert "核酸采样秩序维护" in r.content.decode()
    pdf = client.get(reverse("volunteers_me_statement"))
    assert pdf.status_code == 200 and "2.0" in pdf_text(pdf.content)
