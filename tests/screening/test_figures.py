"""A round's figures are the same on every page that shows them, for the same node at the
same time: the live round page (its head line and the per-community list), the antigen
overview (head line and units), the place panel on a place's page, the missing list and its
.xlsx export, the coverage endpoints, the planning figures, a household's results, the
home-visit list and the registry's own counts. Each is parsed from what is rendered and
compared with figures counted by hand (`PCR`, `ANTIGEN`), for a PCR round and an antigen
round with moved-out people, exemptions, a self-reported antigen result, a registration
from a table that named no sampling point, and exempt people who were sampled anyway."""

import datetime
import io
import re
from types import SimpleNamespace

import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening import counters, figures
from fangkong.screening.actions import antigen as antigen_actions
from fangkong.screening.actions import followup, planning, station
from fangkong.screening.actions.sync import sync
from fangkong.screening.models import Round

from .conftest import cid
from .photos import png

# Community A (光明社区), hand-counted. Who counts: 苏霞, 于海涛 (hh101), 夏明 (hh102),
# 王新勇 (hh201, in hospital), 赵强, 赵小 (hh203). Not counted: 王小军 (hh201) and 李梅
# (hh202, its only member) moved out, 李梅 after being sampled in both rounds.
#
# PCR: 苏霞 sampled at the point; 于海涛 exempted ("other") and then sampled after all;
# 赵强 sampled at a table that named no point; 赵小 exempted; 夏明 (bedridden) missing.
# Households to test: hh101, hh102, hh203 (hh201's only member who counts, 王新勇, is in
# hospital: a household whose members are all exempt is neither to test nor covered).
PCR = {"community": dict(expected=6, done=3, exempt=2, missing=1, households=3, covered=2),
       # + 袁桂英 of community B, missing; her household is not covered
       "street": dict(expected=7, done=3, exempt=2, missing=2, households=4, covered=2)}
# Antigen: 苏霞 self-reported (negative, with a photo); 赵强 exempted, then a result at the
# door; 于海涛 and 夏明 missing; 王新勇 (hospital) and 赵小 (exemption) exempt.
# Covered: hh203 only (赵强 done, 赵小 exempt); hh201 all exempt, not to test.
ANTIGEN = {"community": dict(expected=6, done=2, exempt=2, missing=2, households=3, covered=1),
           "street": dict(expected=7, done=2, exempt=2, missing=3, households=4, covered=1),
           "units": {"光明小区 1号楼 1单元": dict(expected=3, done=1, exempt=0, missing=2),
                     "光明小区 1号楼 2单元": dict(expected=3, done=1, exempt=2, missing=0)}}


def _round(staff, street, name, kind, points=()):
    now = timezone.now()
    r = planning.plan_round(staff, street, {
        "name": name, "kind": kind, "starts_at": now - datetime.timedelta(hours=2),
        "ends_at": now + datetime.timedelta(hours=6), "pool_size": 1 if kind == "antigen" else 5},
        points=points)
    planning.set_status(staff, r, "running")
    return r


@pytest.fixture
def day(world, system):
    """The two rounds of a day over the street, in the state counted by hand above."""
    w = world
    staff = Actor.system(w.users.staff)
    w.wang_jr = reg.create_resident(system, w.hh201, {"name": "王小军"})
    w.hh202 = reg.create_household(system, w.unit2, "202")
    w.li = reg.create_resident(system, w.hh202, {"name": "李梅"})
    w.hh203 = reg.create_household(system, w.unit2, "203")
    w.zhao = reg.create_resident(system, w.hh203, {"name": "赵强"})
    w.zhao_jr = reg.create_resident(system, w.hh203, {"name": "赵小"})
    reg.update_resident(system, w.wang_jr, {"presence": "moved_out"})
    reg.update_resident(system, w.wang, {"presence": "hospital"})

    point_place = reg.create_place(system, w.community, Kind.SAMPLING_POINT, "光明广场采样点")
    pcr = _round(system, w.street, "第3轮核酸", "pcr", points=[(point_place, 2)])
    point = pcr.points.get()
    followup.generate_home_list(system, pcr)  # 苏霞 (limited mobility) and 夏明 (bedridden)
    followup.add_home_visit(system, pcr, w.wang)  # listed by hand, then in hospital: exempt
    planning.add_exemption(system, pcr, w.yu, "other", "出差")
    planning.add_exemption(system, pcr, w.zhao_jr, "vaccinated")
    station.open_tube(staff, pcr, "T0001", point=point.id, table=1)
    for person in (w.su, w.yu, w.li):
        out = station.scan(staff, pcr, client_id=cid(), barcode="T0001", person=person.token)
        assert out["status"] == "ok", out
    # an offline table that named no sampling point
    sent = sync(staff, pcr, [
        {"client_id": cid(), "type": "open", "barcode": "T0002"},
        {"client_id": cid(), "type": "scan", "barcode": "T0002", "person": w.zhao.token}])
    assert [o["status"] for o in sent] == ["ok", "ok"]

    ag = _round(system, w.street, "抗原自测", "antigen")
    resident = Actor.system(w.users.resident)
    antigen_actions.record_result(resident, ag, w.su, "negative", photo=png())
    planning.add_exemption(system, ag, w.zhao, "other", "出差")
    planning.add_exemption(system, ag, w.zhao_jr, "other", "出差")
    antigen_actions.issue_kits(staff, ag, w.hh203, 2)
    antigen_actions.record_result(staff, ag, w.zhao, "negative")
    antigen_actions.record_result(staff, ag, w.li, "negative")

    reg.update_resident(system, w.li, {"presence": "moved_out"})  # after both rounds
    return SimpleNamespace(pcr=pcr, ag=ag, w=w)


def _client(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    html = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _num(pattern, text, n=1):
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in: {text}"
    return tuple(int(x) for x in m.groups()) if n > 1 else int(m.group(1))


def _head(text) -> dict:
    """The live head line of a round's page (PCR or antigen)."""
    done, to_sample = _num(r"\d+% (?:sampled|reported) (\d+) / (\d+)", text, 2)
    covered, households = _num(r"Households covered: (\d+) of (\d+)", text, 2)
    return dict(done=done, exempt=_num(r"(\d+) exempt", text), missing=_num(r"(\d+) missing", text),
                expected=to_sample + _num(r"(\d+) exempt", text), households=households,
                covered=covered)


def _people(fig):
    return {k: fig[k] for k in ("expected", "done", "exempt", "missing")}


def test_every_page_shows_the_same_figures_for_a_node(day, client):
    w = day.w
    for rnd, counted in ((day.pcr, PCR), (day.ag, ANTIGEN)):
        # the figures themselves
        for node, key in ((w.community, "community"), (w.street, "street")):
            c = figures.coverage(rnd, node)
            assert dict(expected=c["expected"], done=c["sampled"], exempt=c["exempt"],
                        missing=c["missing"], households=c["households"],
                        covered=c["households_covered"]) == counted[key], (rnd.kind, key)

        # the live round page, community and street, as community staff and as command
        staff = _client(client, w.users.staff)
        page = _text(staff.get(f"/screening/rounds/{rnd.id}/?place={w.community.id}"))
        assert _head(page) == counted["community"]
        assert f"{rnd.name} 桥东街道 ·" in page and "Figures for 光明社区" in page  # the round's own place
        street = _client(client.__class__(), w.users.street)
        page = _text(street.get(f"/screening/rounds/{rnd.id}/?place={w.street.id}"))
        assert _head(page) == counted["street"]
        # … its per-community list: community A's row is community A's figures
        row = re.search(r"光明社区 (?:sampled|reported) (\d+) / (\d+) · missing (\d+) · exempt (\d+)", page)
        assert row, page
        done, to_sample, missing, exempt = (int(x) for x in row.groups())
        assert dict(expected=to_sample + exempt, done=done, exempt=exempt, missing=missing) \
            == _people(counted["community"])

        # the place panels: the community page and the street page
        panel = _text(staff.get(f"/places/{w.community.id}/"))
        s, t, m = _num(rf"{rnd.name} 桥东街道 · [^0-9]+ (\d+) of (\d+) (?:sampled|reported) · (\d+) missing",
                       panel, 3)
        assert (s, t, m) == (counted["community"]["done"], counted["community"]["expected"]
                             - counted["community"]["exempt"], counted["community"]["missing"])
        panel = _text(street.get(f"/places/{w.street.id}/"))
        s, t, m = _num(rf"{rnd.name} 桥东街道 · [^0-9]+ (\d+) of (\d+) (?:sampled|reported) · (\d+) missing",
                       panel, 3)
        assert (s, t, m) == (counted["street"]["done"], counted["street"]["expected"]
                             - counted["street"]["exempt"], counted["street"]["missing"])

        # the missing list and its export: exactly the missing people
        page = _text(staff.get(f"/screening/rounds/{rnd.id}/missing/?place={w.community.id}"))
        assert _num(r"Missing list .*? · 光明社区 · (\d+)", page) == counted["community"]["missing"]
        xlsx = staff.get(f"/screening/rounds/{rnd.id}/missing.xlsx?place={w.community.id}")
        title, names = _export(xlsx)
        assert len(names) == counted["community"]["missing"]
        got = _num(r"(?:done|reported) (\d+) of (\d+) to (?:sample|test) · missing (\d+) · exempt (\d+) \(of (\d+) on the roll\) "
                   r"· households covered (\d+) of (\d+)", title, 7)
        c = counted["community"]  # "of N to sample" is the round page's own denominator
        assert got == (c["done"], c["expected"] - c["exempt"], c["missing"], c["exempt"], c["expected"],
                       c["covered"], c["households"])

        # the API
        api = staff.get(f"/api/v1/screening/rounds/{rnd.id}/coverage?place={w.community.id}").json()
        assert dict(expected=api["expected"], done=api["sampled"], exempt=api["exempt"],
                    missing=api["missing"], households=api["households"],
                    covered=api["households_covered"]) == counted["community"]
        api = street.get(f"/api/v1/screening/rounds/{rnd.id}/coverage").json()  # its own place
        assert (api["place"], api["expected"], api["sampled"], api["missing"]) == (
            w.street.id, counted["street"]["expected"], counted["street"]["done"], counted["street"]["missing"])

        # the planning figures plan for the people still to sample at the round's place
        page = _text(street.get(f"/screening/advisor/?round={rnd.id}"))
        assert _num(r"People to sample (\d+)", page) == counted["street"]["expected"] - counted["street"]["exempt"]

    # the antigen overview: head line and units add up to the community
    page = _text(staff.get(f"/screening/rounds/{day.ag.id}/antigen/?place={w.community.id}"))
    assert _head(page) == ANTIGEN["community"]
    for label, want in ANTIGEN["units"].items():
        done, to_sample, missing = _num(rf"{label} reported (\d+) / (\d+) · missing (\d+)", page, 3)
        exempt = _num(rf"{label} reported \d+ / \d+ · missing \d+ · exempt (\d+)", page) if want["exempt"] else 0
        assert dict(expected=to_sample + exempt, done=done, exempt=exempt, missing=missing) == want
    api = staff.get(f"/api/v1/screening/rounds/{day.ag.id}/antigen-coverage?place={w.community.id}").json()
    assert (api["expected"], api["reported"], api["exempt"], api["missing"]) == (6, 2, 2, 2)
    assert {u["label"]: dict(expected=u["expected"], done=u["reported"], exempt=u["exempt"],
                             missing=u["missing"]) for u in api["units"]} == ANTIGEN["units"]

    # the registry counts the same people as the rounds' expected, and every household where
    # someone who counts lives (hh201 too: the round leaves it out, all its members exempt)
    page = _text(staff.get(f"/places/{w.community.id}/"))
    assert _num(r"(\d+) households", page) == PCR["community"]["households"] + 1 == 4
    assert _num(r"(\d+) residents", page) == PCR["community"]["expected"]
    page = _text(staff.get(f"/places/{w.community.id}/residents/"))
    assert _num(r"Resident list 光明社区 · (\d+)", page) == PCR["community"]["expected"]
    moved = _text(staff.get(f"/places/{w.community.id}/residents/?presence=moved_out"))
    assert _num(r"Resident list 光明社区 · (\d+)", moved) == 2 and "李梅" in moved and "王小军" in moved


def _export(response):
    from openpyxl import load_workbook

    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    return str(rows[0][0]), [r[0] for r in rows[2:] if r and r[0]]


def test_a_resident_sees_each_members_status_by_the_same_definitions(day, client):
    w = day.w
    resident = _client(client, w.users.resident)
    page = _text(resident.get(f"/screening/households/{w.hh101.id}/"))
    antigen_part = page[page.index(day.ag.name):page.index(day.pcr.name)]  # newest round first
    pcr_part = page[page.index(day.pcr.name):]
    # 苏霞 reported herself: her result; 于海涛 has not reported (an antigen test is
    # reported, not sampled)
    assert re.search(r"苏霞 Negative", antigen_part) and re.search(r"于海涛 No result reported", antigen_part)
    # both registered in the PCR round (于海涛 despite his exemption), no result yet
    assert re.search(r"苏霞 Waiting for the lab", pcr_part) and re.search(r"于海涛 Waiting for the lab", pcr_part)
    staff = _client(client.__class__(), w.users.staff)
    page = _text(staff.get(f"/screening/households/{w.hh201.id}/"))
    assert "王新勇 Exempt" in page and "王小军" not in page  # in hospital; moved out: not listed


def test_the_home_visit_list_lists_only_who_still_needs_a_visit(day, client, system):
    w = day.w
    # listed: 苏霞 and 夏明 (tags) and 王新勇 (by hand); 苏霞 was sampled at the point and
    # 王新勇 is in hospital (exempt): only 夏明 still needs a visit
    staff = _client(client, w.users.staff)
    assert [h.resident.name for h in figures.home_visits(Actor.system().scope, day.pcr)] == ["夏明"]
    page = _text(staff.get(f"/screening/rounds/{day.pcr.id}/home/"))
    assert _num(r"Home sampling .*? · (\d+)", page) == 1 and "夏明" in page and "苏霞" not in page
    # an antigen round: a result in takes the person off the list
    followup.add_home_visit(system, day.ag, w.su)
    followup.add_home_visit(system, day.ag, w.yu)
    assert [h.resident.name for h in figures.home_visits(Actor.system().scope, day.ag)] == ["于海涛"]


def test_the_round_page_names_registrations_from_a_table_without_a_point(day, client):
    page = _text(_client(client, day.w.users.staff).get(
        f"/screening/rounds/{day.pcr.id}/?place={day.w.community.id}"))
    # 苏霞, 于海涛 and 李梅 (since moved out) at the point; 赵强 at a table that named none
    assert "By sampling point 光明广场采样点 2 tables 3 No sampling point recorded 1 " in page
    assert "— 0 tables" not in page


def _written_a_while_ago(rnd):
    from django.db.models import F

    from fangkong.audit.models import AuditEvent

    AuditEvent.objects.update(at=F("at") - datetime.timedelta(minutes=10))
    Round.objects.filter(pk=rnd.pk).update(counted_at=timezone.now() - datetime.timedelta(minutes=5))
    rnd.refresh_from_db()


def _rolled(rnd, node):
    return {r["name"]: (r["expected"], r["sampled"], r["exempt"], r["missing"]) for r in counters.rollup(rnd, node)
            if r["expected"]}


def _exact(rnd, *nodes):
    return {n.name: tuple(figures.coverage(rnd, n)[k] for k in ("expected", "sampled", "exempt", "missing"))
            for n in nodes}


@pytest.mark.parametrize("how", ["scan", "sync", "conflict", "antigen"])
def test_counters_follow_an_exempt_person_made_done_without_a_recount(day, system, how):
    """Registering someone exempt (or their first antigen result) moves them from exempt to
    done in the counters in the same transaction: the roll-up agrees with the exact figures
    with no recount (the refresh finds nothing to recount)."""
    w = day.w
    rnd = day.ag if how == "antigen" else day.pcr
    person = w.zhao_jr  # exempt in both rounds
    counters.refresh(rnd)
    _written_a_while_ago(rnd)
    before = _exact(rnd, w.community, w.other)
    if how == "scan":
        station.open_tube(system, rnd, "T0003")
        assert station.scan(system, rnd, client_id=cid(), barcode="T0003", person=person.token)["status"] == "ok"
    elif how == "sync":
        out = sync(system, rnd, [{"client_id": cid(), "type": "open", "barcode": "T0003"},
                                         {"client_id": cid(), "type": "scan", "barcode": "T0003",
                                          "person": person.token}])
        assert [o["status"] for o in out] == ["ok", "ok"]
    elif how == "conflict":
        station.open_tube(system, rnd, "T0003", capacity=1)
        sync(system, rnd, [{"client_id": cid(), "type": "scan", "barcode": "T0003",
                                    "person": w.xia.token},
                                   {"client_id": cid(), "type": "scan", "barcode": "T0003",
                                    "person": person.token}])
        from fangkong.screening.models import Conflict, Tube

        c = Conflict.objects.get(round=rnd, resident=person)
        Tube.objects.filter(round=rnd, barcode="T0003").update(capacity=2)  # the lab allows two
        c.tube.refresh_from_db()
        station.resolve_conflict(system, c, True)
    else:
        antigen_actions.record_result(system, rnd, person, "negative")
    after = _exact(rnd, w.community, w.other)
    assert after["光明社区"] != before["光明社区"]
    assert counters.refresh(rnd) == 0  # nothing for it to recount
    assert _rolled(rnd, w.street) == after


@pytest.mark.postgres
def test_counting_never_compares_every_person_with_every_registration(day):
    """With statistics taken before a round's first burst (they said "this round has one
    sample"), the count's LEFT JOIN became a nested loop comparing each of 200,000 people
    with each of 197,000 registrations, and a district's coverage ran past a minute
    (bench/run replay). The count looks each person up (EXISTS on the (round, resident)
    index, or one hash of the round's rows) whatever the statistics say: no plan of it
    joins the registrations by a filter."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cur:  # statistics from before: the rounds' rows unknown
        cur.execute("ANALYZE screening_sample; ANALYZE screening_exemption; ANALYZE registry_resident")
    with CaptureQueriesContext(connection) as q:
        assert figures.coverage(day.pcr, day.w.street)["sampled"] == PCR["street"]["done"]
    count = next(x["sql"] for x in q.captured_queries if "screening_exemption e" in x["sql"])
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_hashjoin = off")  # the planner left only loops to pick
        cur.execute("SET LOCAL enable_mergejoin = off")
        cur.execute("EXPLAIN " + count)
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "Join Filter" not in plan and "Nested Loop" not in plan, plan
    assert "SubPlan" in plan, plan  # the registrations and exemptions: looked up, or hashed once
