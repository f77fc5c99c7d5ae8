"""The lockdown day in a sealed building and at the end of its volunteers' shift, through the
public surfaces only (the pages and /api/v1/; the test sets up the tree and the accounts,
moves the clock and runs the worker's pass as `db_worker` does): 1号楼 is sealed by a
published notice; staff set its routine disinfection while it is sealed, and the worker
makes each next day's rows; the seal is lifted by a published notice, and the routine stops.
Two volunteers serve a morning call — one checks out by the call's QR, the other forgets and
staff confirm and correct her hours —; each one's statement of hours (the PDF, read back)
says what the staff verified, and the two add up to the volunteers' hours on the dashboard."""

import datetime
import io
import re

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from fangkong.core import pii

from .scene import Clock, build_town, morning, pdf_text, svg_qr, text, texted_code
from .test_day_evening import as_user, child, get_json, post_json, upload

pytestmark = pytest.mark.django_db


def worker_pass():
    """What `manage.py db_worker` runs every few minutes (`ops.recovery.recover`)."""
    from fangkong.ops import recovery

    return recovery.recover()


def town_with_roster(system):
    from .scene import roster_bytes

    town = build_town(system)
    staff = as_user(town.staff)
    r = staff.post("/api/v1/imports", {"place": town.community.id, "file": upload("花名册.xlsx", roster_bytes())})
    job = r.json()
    r = staff.post(job["confirm"], {"digest": job["summary"]["digest"]})
    assert r.status_code == 200 and r.json()["status"] == "done", r.content[:400]
    return town


def publish(staff, community, place, op, title, zone_type=None, command=None):
    """A notice filed and its adjustment published, as the zones' pages and API do it; a lift
    of the seal submitted by the staff and approved by the street's `command` first."""
    r = post_json(staff, "/zones/notices", {"place": community, "number": f"迎泽防控〔2022〕{title}",
                                            "issued_by": "桥东街道", "title": title,
                                            "effective_at": timezone.now().isoformat()})
    assert r.status_code == 201, r.content
    item = {"op": op, "place": place, **({"zone_type": zone_type} if zone_type else {})}
    r = post_json(staff, "/zones/adjustments", {"place": community, "title": title, "notice": r.json()["id"],
                                                "items": [item]})
    assert r.status_code == 201, r.content
    adj = r.json()["id"]
    if command is not None:  # lifting a 封控区 needs the street's approval
        assert post_json(staff, f"/zones/adjustments/{adj}/submit", {}).json()["state"] == "awaiting"
        assert post_json(command, f"/zones/adjustments/{adj}/approve", {}).json()["state"] == "draft"
    r = post_json(staff, f"/zones/adjustments/{adj}/publish", {"confirm": True})  # a lift against the rule: asked
    assert r.status_code == 200, r.content
    return r.json()


def test_routine_disinfection_follows_the_seal_through_the_worker(system, monkeypatch):
    from fangkong.zones.actions.policy import install_presets

    day = timezone.localdate()
    clock = Clock(monkeypatch, day, 7)
    install_presets()  # the district's policy (its zone types), before the day
    town = town_with_roster(system)
    staff = as_user(town.staff)
    c_id = town.community.id
    building = child(staff, child(staff, c_id, "光明小区")["id"], "1号楼")

    # 08:00: 1号楼 sealed by a published notice
    clock.at(day, 8)
    publish(staff, c_id, building["id"], "create", "封控通告", "sealed")
    # 09:00: staff set its routine disinfection, twice a day while it is sealed (the page)
    clock.at(day, 9)
    page = f"/services/p/{c_id}/disinfection/routines/"
    r = staff.post(page, {"do": "create", "place": building["id"], "times": "8:00，16:00", "while_sealed": "1"},
                   follow=True)
    assert r.status_code == 200
    routines = get_json(staff, f"/services/disinfection-routines?place={building['id']}")
    assert [(x["times"], x["while_sealed"], x["state"]) for x in routines] == [(["08:00", "16:00"], True, "active")]

    def due(place=building["id"]):
        rows = get_json(staff, f"/services/disinfections?place={place}")
        return sorted(timezone.localtime(datetime.datetime.fromisoformat(d["due_at"])).strftime("%m-%d %H:%M")
                      for d in rows if d["kind"] == "routine")

    d0, d1, d2, d3 = (day + datetime.timedelta(days=n) for n in range(4))

    def slot(d, h):
        return f"{d:%m-%d} {h:02d}:00"

    assert due() == [slot(d0, 16), slot(d1, 8), slot(d1, 16)]  # today's still to come, and tomorrow's

    # the next morning the worker makes the day after's rows, once however often it passes
    clock.at(d1, 6)
    staff = as_user(town.staff)
    worker_pass()
    worker_pass()
    assert due() == [slot(d0, 16), slot(d1, 8), slot(d1, 16), slot(d2, 8), slot(d2, 16)]
    # the team signs off the morning's round (the API)
    rows = get_json(staff, f"/services/disinfections?place={building['id']}")
    first = next(d for d in rows if d["kind"] == "routine" and d["done_at"] is None)
    # 10:00: the seal is lifted by a published notice; the routine stops at the worker's next pass
    clock.at(d1, 10)
    publish(staff, c_id, building["id"], "lift", "解封通告", command=as_user(town.command))
    assert get_json(staff, f"/zones/designations?place={building['id']}") == []
    clock.at(d1, 10, 5)
    worker_pass()
    routines = get_json(staff, f"/services/disinfection-routines?place={building['id']}")
    assert [(x["state"], x["ended_why"]) for x in routines] == [("ended", "lifted")], routines
    assert due() == [slot(d0, 16), slot(d1, 8)]  # what was due before stays; nothing to come
    clock.at(d2, 6)
    staff = as_user(town.staff)
    worker_pass()
    clock.at(d3, 6)
    staff = as_user(town.staff)
    worker_pass()
    assert due() == [slot(d0, 16), slot(d1, 8)]
    assert first["id"] in {d["id"] for d in get_json(staff, f"/services/disinfections?place={building['id']}")}


def test_a_volunteers_statement_agrees_with_the_staff_and_the_dashboard(system, monkeypatch):
    day = timezone.localdate()
    clock = Clock(monkeypatch, day, 5, 30)
    town = town_with_roster(system)
    staff = as_user(town.staff)
    c_id = town.community.id
    building = child(staff, child(staff, c_id, "光明小区")["id"], "1号楼")

    # early in the morning: two people register from the poster, are approved and called
    join = re.sub(r"^https?://[^/]+", "", svg_qr(staff.get(f"/volunteers/c/{c_id}/poster/").content.decode()))
    names = ["志愿者甲", "志愿者乙"]
    for n, (name, home) in enumerate(zip(names, ["1-1-301", "1-2-401"], strict=True)):
        phone, anon = f"1390000001{n}", Client()
        found = re.findall(r'name="household" value="(\d+)"', anon.get(join + "homes/", {"home_q": home}).content.decode())
        assert len(found) == 1, (home, found)
        anon.post(join + "code/", {"phone": phone})
        r = anon.post(join, {"name": name, "phone": phone, "code": texted_code(phone), "consent": "1",
                             "id_number": pii.make_id_number("140106", datetime.date(1980, 2, 1 + n), n),
                             "household": found[0]}, follow=True)
        assert name in text(r), text(r)[:600]
    pending = get_json(staff, f"/volunteers/people?community={c_id}&status=pending")["results"]
    ids = {v["name"]: v["id"] for v in pending}
    for name in names:
        assert post_json(staff, f"/volunteers/people/{ids[name]}/approve", {}).status_code == 200
    r = post_json(staff, "/volunteers/calls", {
        "community": c_id, "task": "sampling", "title": "明早7点 核酸采样", "place": building["id"],
        "starts_at": morning(day, 7).isoformat(), "ends_at": morning(day, 10).isoformat(), "slots": 2})
    assert r.status_code == 201, r.content
    call = r.json()["id"]

    def log_in(n):  # a volunteer's phone, by a texted code
        phone, v = f"1390000001{n}", Client()
        v.post("/volunteers/login/", {"phone": phone})
        r = v.post("/volunteers/login/", {"phone": phone, "code": texted_code(phone)}, follow=True)
        assert "_auth_user_id" in v.session, text(r)[:800]
        return v

    phones = [log_in(n) for n in range(len(names))]
    for v in phones:
        assert post_json(v, f"/volunteers/calls/{call}/signup", {}).json()["status"] == "confirmed"
    scan = re.sub(r"^https?://[^/]+", "", svg_qr(staff.get(f"/volunteers/calls/{call}/qr/").content.decode()))

    # 06:55 both check in by the call's QR; 08:40 甲 checks out by it, 乙 forgets
    clock.at(day, 6, 55)
    for v in phones:
        assert "06:55" in text(v.post(scan, {"op": "in"}, follow=True))
    clock.at(day, 8, 40)
    ask = phones[0].post(scan, {"op": "out"})
    assert ask.status_code == 200, (ask.status_code, ask.get("Location"))
    assert "1.8" in text(ask), text(ask)[:600]  # 06:55–08:40, 105 minutes: asked first
    phones[0].post(scan, {"op": "out", "confirm": "1"}, follow=True)
    # 11:00 staff confirm 乙's check-out at 08:40 (the API), then correct her hours: she left at 08:35
    clock.at(day, 11)
    staff = as_user(town.staff)
    people = {a["volunteer_name"]: a for a in get_json(staff, f"/volunteers/calls/{call}")["confirmed_people"]}
    r = post_json(staff, f"/volunteers/assignments/{people[names[1]]['id']}/attend",
                  {"check_out_at": morning(day, 8, 40).isoformat()})
    assert r.status_code == 200, r.content
    r = staff.post(f"/volunteers/assignments/{people[names[1]]['id']}/correct/",
                   {"minutes": "95", "reason": "提前离开"}, follow=True)
    assert r.status_code == 200
    minutes = {a["volunteer_name"]: a["minutes"] for a in get_json(staff, f"/volunteers/calls/{call}")["confirmed_people"]}
    assert minutes == {names[0]: 105, names[1]: 95}, minutes

    # each one's statement (the PDF), read back: the hours the staff verified
    totals = {}
    for n, v in enumerate(phones):
        r = v.get("/volunteers/me/hours.pdf")
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
        words = " ".join(pdf_text(r.content).split())
        assert names[n] in words and "明早7点 核酸采样" in words, words[:400]
        totals[names[n]] = float(re.findall(r"(\d+\.\d)", words)[-1])  # the total, last
    assert totals == {names[0]: 1.8, names[1]: 1.6}, totals  # 105 and 95 minutes, each to its tenth
    assert "提前离开" in " ".join(pdf_text(phones[1].get("/volunteers/me/hours.pdf").content).split())
    # the staff print the same from the person's page
    staff_pdf = " ".join(pdf_text(staff.get(f"/volunteers/people/{ids[names[1]]}/hours.pdf").content).split())
    assert re.findall(r"(\d+\.\d)", staff_pdf)[-1] == "1.6"

    # the dashboard's volunteers' hours today: the statements added up
    dash = staff.get(f"/reports/places/{c_id}/").content.decode()
    shown = dict(re.findall(r'data-figure="(\w+)"[^>]*>\s*<strong>([^<]*)</strong>', dash))
    assert shown["minutes_today"] == f"{sum(totals.values()):.1f} h", (shown["minutes_today"], totals)
    honour = text(staff.get(f"/volunteers/c/{c_id}/honour/"))
    for name, h in totals.items():
        assert re.search(rf"{name} 1 call {h} h", honour), honour[:1500]
    # and that evening's nightly report, its page and its .xlsx
    clock.at(day, 20, 30)
    staff = as_user(town.staff)
    r = post_json(staff, f"/reports/places/{c_id}/reports/{day}", {})
    assert r.status_code == 200, r.content
    page = staff.get(f"/reports/{r.json()['id']}/").content.decode()
    shown = dict(re.findall(r'data-figure="(\w+)"[^>]*>\s*<strong>([^<]*)</strong>', page))
    assert shown["minutes_today"] == "3.4 h", shown
    book = openpyxl.load_workbook(io.BytesIO(staff.get(f"/reports/{r.json()['id']}/report.xlsx").content))
    head, values = list(book.worksheets[0].iter_rows(values_only=True))[:2]
    filed = dict(zip(head, values, strict=False))
    assert [v for k, v in filed.items() if k and k.endswith("(h)")] == [3.4], filed
