"""The lockdown day's evening and the next morning, where today's capabilities meet the
rest, through the public surfaces only (the pages and /api/v1/; the test sets up the tree
and the accounts and moves the clock): a pooled positive is re-tested at the door; the health
authority's notice names one of the five first (staff find her by name on the case page),
then her re-test comes back positive and a second notice names her again over the API, and
someone never tested is reported too — that evening's nightly report counts each case
once, and so does the street's roll-up. The next morning residents are added by the real
import (upload → preview → confirm): yesterday's report, corrected, keeps the roll of its
cut-off, beside today's draft counting the new people. The morning's round then has its
missing list, whose page, API and .xlsx mark the same people as held by a positive test."""

import datetime
import io
import json
import re

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from .scene import Clock, build_town, roster_bytes

pytestmark = pytest.mark.django_db


def post_json(client, path, data):
    return client.post("/api/v1" + path, data=json.dumps(data), content_type="application/json")


def get_json(client, path):
    r = client.get("/api/v1" + path)
    assert r.status_code == 200, (path, r.status_code, r.content[:400])
    return r.json()


def upload(name, content):
    f = io.BytesIO(content)
    f.name = name
    return f


def as_user(user, lang="en"):
    c = Client()
    c.force_login(user)
    c.cookies["django_language"] = lang
    return c


def child(client, parent, name):
    return next(p for p in get_json(client, f"/places?parent={parent}") if p["name"] == name)


def people_of(client, place):
    """[(resident id, name, door)] of the households under `place`, in the list's order."""
    out = []
    for hh in get_json(client, f"/households?place={place}&page_size=500")["results"]:
        out += [(m["id"], m["name"], hh["door"]) for m in get_json(client, f"/households/{hh['id']}")["residents"]]
    return out


def shown_figures(html) -> dict:
    """A report page's figures as it prints them (data-figure="key" … <strong>value</strong>)."""
    return dict(re.findall(r'data-figure="(\w+)"[^>]*>\s*<strong>([^<]*)</strong>', html))


def start_round(staff, community, name, now):
    r = post_json(staff, "/screening/rounds", {
        "place": community, "name": name, "kind": "pcr", "pool_size": 5,
        "starts_at": (now - datetime.timedelta(minutes=30)).isoformat(),
        "ends_at": (now + datetime.timedelta(hours=7)).isoformat()})
    assert r.status_code == 201, r.content
    rnd = r.json()["id"]
    staff.post(f"/screening/rounds/{rnd}/status/", {"status": "running"}, follow=True)
    assert get_json(staff, f"/screening/rounds/{rnd}")["status"] == "running"
    return rnd


def test_the_evening_report_and_the_next_morning(system, monkeypatch):
    day = timezone.localdate()
    clock = Clock(monkeypatch, day, 7)
    at = clock.at

    town = build_town(system)
    staff, command, lab = as_user(town.staff), as_user(town.command), as_user(town.lab)
    c_id, s_id = town.community.id, town.street.id

    # --- the roster goes in; a round in the morning ---------------------------------------
    r = staff.post("/api/v1/imports", {"place": c_id, "file": upload("光明社区花名册.xlsx", roster_bytes())})
    assert r.status_code == 201, r.content[:500]
    job = r.json()
    r = staff.post(job["confirm"], {"digest": job["summary"]["digest"]})
    assert r.status_code == 200 and r.json()["counts"]["created"] == 120, r.content[:500]
    building = child(staff, child(staff, c_id, "光明小区")["id"], "1号楼")
    unit = child(staff, building["id"], "1单元")
    unit_people = people_of(staff, unit["id"])
    rnd = start_round(staff, c_id, "第3轮核酸", clock.now)
    api = f"/screening/rounds/{rnd}"
    assert post_json(staff, f"{api}/tubes", {"barcode": "T0001"}).status_code == 201
    pooled = unit_people[:5]  # the first doors of 1单元, into one tube of five
    for rid, _name, _door in pooled:
        r = post_json(staff, f"{api}/scan", {"client_id": cid(), "barcode": "T0001", "person": f"r:{rid}"})
        assert r.status_code == 200, r.content
    assert r.json()["tube"]["state"] == "sealed"
    # to the lab in a transport box, signed for by the courier and the lab (双签收)
    box = post_json(staff, f"{api}/boxes", {"code": "BOX-1"}).json()["id"]
    assert post_json(staff, f"{api}/boxes/{box}/tubes", {"barcodes": ["T0001"]}).status_code == 200
    for who, stage in ((staff, "pickup"), (lab, "lab")):
        r = post_json(who, f"{api}/boxes/{box}/handover", {"stage": stage, "given_by": "赵静", "received_by": "陈刚"})
        assert r.status_code == 200, r.content

    # --- the lab: the pool is positive; the five are re-tested at the door ----------------
    at(day, 10)
    r = post_json(lab, "/screening/results", {"results": [{"barcode": "T0001", "result": "positive"}]})
    assert r.status_code == 200 and r.json()["followups"] == 5, r.content
    fus = get_json(staff, f"{api}/followups")["results"]
    for i, f in enumerate(fus):
        r = post_json(staff, f"/screening/followups/{f['id']}/retest", {"barcode": f"S{i:04d}", "client_id": cid()})
        assert r.status_code == 200, r.content
    case = fus[0]["resident"]

    # --- 11:00: the health authority's notice names one of them; staff find her by name ----
    at(day, 11)
    page = f"/zones/p/{c_id}/cases/new/"
    form = {"person": case["name"], "source": "市卫健委通报", "confirmed_at": ""}
    ask = staff.post(page, form)
    assert ask.status_code == 200, ask.status_code
    html = ask.content.decode()
    picks = re.findall(r'name="pick" value="(\d+)"', html)
    if picks:  # a namesake: the list to choose from names the address; choose the one
        assert str(case["id"]) in picks, picks
        form["pick"] = str(case["id"])
        html = staff.post(page, form).content.decode()
    assert "Report a confirmed case?" in html and case["name"] in html
    client_id = re.search(r'name="client_id" value="([^"]+)"', html).group(1)
    r = staff.post(page, {**form, "client_id": client_id, "confirm": "1"}, follow=True)
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.content.decode()))
    assert f"Case recorded: {case['name']}" in said, said[:1500]

    # --- 12:00: her re-test comes back positive too (screening confirms the same person) ----
    at(day, 12)
    r = post_json(lab, "/screening/results", {"results": [
        {"barcode": f"S{i:04d}", "result": "positive" if i == 0 else "negative"} for i in range(len(fus))]})
    assert r.status_code == 200 and r.json()["saved"] == 5, r.content
    assert {f["resident"]["name"]: f["status"] for f in
            get_json(staff, f"{api}/followups")["results"]}[case["name"]] == "case"
    # 15:00: the district's CDC sends its own notice of her (over the API), and of someone
    # never tested, living across the landing
    at(day, 15)
    r = post_json(staff, "/zones/cases", {"resident": case["id"], "source": "区疾控通报", "client_id": cid()})
    assert r.status_code in (200, 201), r.content
    other = next(p for p in unit_people[5:] if p[2] not in {d for _i, _n, d in pooled})
    r = post_json(staff, "/zones/cases", {"resident": other[0], "source": "市卫健委通报", "client_id": cid()})
    assert r.status_code == 201 and not r.json()["already_reported"], r.content
    live = {f["key"]: f["value"] for f in get_json(staff, f"/reports/places/{c_id}/figures")["figures"]}
    assert live["cases"] == 2, live  # the re-test positive and the notice: one person, once

    # --- 20:30: the nightly report; the street's roll-up ---------------------------------
    at(day, 20, 30)
    staff, command = as_user(town.staff), as_user(town.command)
    draft = post_json(staff, f"/reports/places/{c_id}/reports/{day}", {})
    assert draft.status_code == 200, draft.content
    report = post_json(staff, f"/reports/{draft.json()['id']}/submit", {"remarks": ""})
    assert report.status_code == 200, report.content
    report = report.json()
    assert report["status"] != "draft" and report["figures"]["cases"] == 2, report["figures"]
    assert report["figures"]["residents"] == 120
    street = get_json(command, f"/reports/places/{s_id}/reports/{day}")
    assert street["figures"]["cases"] == 2, street["figures"]
    assert [c["figures"]["cases"] for c in street["children"] if c["place"] == c_id] == [2], street["children"]
    shown = shown_figures(staff.get(f"/reports/{report['id']}/").content.decode())
    assert shown.get("cases") == "2", shown
    assert shown_figures(command.get(f"/reports/places/{s_id}/days/{day}/").content.decode()).get("cases") == "2"

    # --- the next morning: three people added to the roster, by the import's page ---------
    nxt = day + datetime.timedelta(days=1)
    at(nxt, 8)
    staff, command = as_user(town.staff), as_user(town.command)
    book = openpyxl.load_workbook(io.BytesIO(roster_bytes()))
    ws = book.worksheets[0]
    for n, (name, sex) in enumerate([("晨新一", "男"), ("晨新二", "女"), ("晨新三", "男")]):
        ws.append([200 + n, name, sex, None, None, "光明小区", "1号楼", "1单元", "2901",
                   "户主" if n == 0 else "子女", "在家", None, None])
    out = io.BytesIO()
    book.save(out)
    r = staff.post(f"/places/{c_id}/import/", {"file": upload("补录.xlsx", out.getvalue())})
    assert r.status_code == 302, r.content.decode()[:800]
    preview = staff.get(r["Location"]).content.decode()
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', preview).group(1)
    r = staff.post(f"{r['Location']}confirm/", {"digest": digest}, follow=True)
    assert r.status_code == 200
    unit = child(staff, building["id"], "1单元")
    assert unit["resident_count"] == 27, unit  # written
    today = get_json(staff, f"/reports/places/{c_id}/reports/{nxt}")
    assert today["figures"]["residents"] == 123  # today's draft counts them

    # yesterday's report, its correction (a draft again), its page, its .xlsx, the street's
    past = get_json(staff, f"/reports/{report['id']}")
    assert past["figures"]["residents"] == 120 and past["figures"]["cases"] == 2
    r = post_json(staff, f"/reports/{report['id']}/correct", {"reason": "备注补充"})
    assert r.status_code == 201, r.content
    corrected = r.json()
    assert (corrected["figures"]["residents"], corrected["figures"]["cases"]) == (120, 2), corrected["figures"]
    shown = shown_figures(staff.get(f"/reports/{corrected['id']}/").content.decode())
    assert (shown.get("residents"), shown.get("cases")) == ("120", "2"), shown
    sheet = openpyxl.load_workbook(io.BytesIO(staff.get(f"/reports/{corrected['id']}/report.xlsx").content))
    head, *values = list(sheet.worksheets[0].iter_rows(values_only=True))
    filed = dict(zip(head, values[0], strict=False))
    assert (filed["Residents"], filed.get("Positive cases", filed.get("Cases"))) == (120, 2), filed
    # the corrected version submitted: the street's draft sums it, with the cut-off's roll
    r = post_json(staff, f"/reports/{corrected['id']}/submit", {"remarks": "备注补充"})
    assert r.status_code == 200 and r.json()["figures"]["residents"] == 120, r.content
    street = get_json(command, f"/reports/places/{s_id}/reports/{day}")
    assert (street["figures"].get("residents"), street["figures"].get("cases")) == (120, 2), street

    # --- the morning's round: the missing list's page, API and .xlsx mark the same people ---
    at(nxt, 9)
    rnd2 = start_round(staff, c_id, "第4轮核酸", clock.now)
    where = f"?place={unit['id']}"
    api_rows = get_json(staff, f"/screening/rounds/{rnd2}/missing{where}&page_size=500")["results"]
    on_api = {r["id"]: (r["name"], r["held_label"], r["held_step"], r["no_contact"]) for r in api_rows}
    html = staff.get(f"/screening/rounds/{rnd2}/missing/{where}").content.decode()
    on_page = {}
    for rid, row in re.findall(r'(?s)<li class="row" id="m-(\d+)">(.*?)</li>', html):
        said = [re.search(rf'class="{c}">([^<]*)<', row) for c in ("badge bad held-mark", "held-step", "no-contact")]
        on_page[int(rid)] = tuple(m.group(1).strip() if m else "" for m in said)
    rows = list(openpyxl.load_workbook(io.BytesIO(staff.get(
        f"/screening/rounds/{rnd2}/missing.xlsx{where}").content)).worksheets[0].iter_rows(values_only=True))
    head = list(rows[1])
    mark = head.index("Positive or held")
    on_xlsx = sorted((r[0], *(v or "" for v in r[mark:mark + 3])) for r in rows[2:] if r and r[0])
    assert set(on_page) == set(on_api), (set(on_api) - set(on_page), set(on_page) - set(on_api), [on_api.get(i) for i in set(on_api) ^ set(on_page)])
    assert {"晨新一", "晨新二", "晨新三"} <= {v[0] for v in on_api.values()}  # the morning's import too
    assert sorted(on_api.values()) == on_xlsx, (sorted(on_api.values()), on_xlsx)
    assert {i: v[1:] for i, v in on_api.items()} == on_page
    assert sorted(on_api.values()) == on_xlsx
    held = {on_api[i][0]: (r["held"]) for r in api_rows for i in [r["id"]] if r["held"]}
    assert held.get(case["name"]) == "case" and held.get(other[1]) == "case", held
    # the case's and the other's housemates are close contacts; nobody else is held
    doors = {case["door"] if "door" in case else next(d for i, _n, d in unit_people if i == case["id"]), other[2]}
    housemates = {n for i, n, d in unit_people if d in doors and i not in (case["id"], other[0])}
    assert {n for n, code in held.items() if code == "close_contact"} == housemates, held
    assert set(held) == housemates | {case["name"], other[1]}


def cid():
    import uuid

    return str(uuid.uuid4())
