"""Walk of 2026-12 (grid worker, items 1 and 2). After phoning someone on the missing list the
worker marks them away ("不在本地…": their presence, the registry's one home for someone
away, by the same action as `PATCH /api/v1/residents/{id}`) or exempts them ("免检…": the
reason chosen in a confirm step, the same action as the API's exemptions), from the row,
without a script, and comes back to the same place in the list with its figures recounted
(page, .xlsx and API alike). An exemption "away" is refused (page and API) pointing to the
presence. The follow-up list links each name to its household page where the user may open it."""

import io
import re

import openpyxl
import pytest
from django.urls import reverse

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.core.errors import Invalid
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind, Presence
from fangkong.screening import figures
from fangkong.screening.actions import home_assign, planning
from fangkong.screening.models import Exemption, HomeVisit

from .conftest import api
from .test_alert import positive_pool


def _row(page, r):
    m = re.search(rf'<li class="row" id="m-{r.id}">.*?</li>', page, re.S)
    return m.group(0) if m else ""


def _missing(client, rnd, place):
    return client.get(f"/screening/rounds/{rnd.id}/missing/?place={place.id}").content.decode()


def test_each_row_offers_away_and_exempt_after_the_call(world, rnd, client):
    client.force_login(world.users.grid)
    page = _missing(client, rnd, world.grid)
    row = _row(page, world.xia)  # 1单元 102, followed by 王新勇 (2单元 201)
    action = f'action="/screening/rounds/{rnd.id}/missing/{world.xia.id}/"'
    assert row.count(action) == 3
    assert 'name="do" value="away"' in row and "不在本地…" in row
    assert 'name="do" value="hospital"' in row and "住院…" in row
    assert 'name="do" value="exempt"' in row and "免检…" in row
    assert f'name="place" value="{world.grid.id}"' in row and f'name="at" value="{world.wang.id}"' in row
    # the last row comes back to the one above it
    assert f'name="at" value="{world.xia.id}"' in _row(page, world.wang)
    # a leader may not act: no buttons
    client.force_login(world.users.leader)
    page = _missing(client, rnd, world.building)
    assert f"missing/{world.xia.id}/" not in page and 'value="away"' not in page
    assert 'value="hospital"' not in page


def _figures_everywhere(client, rnd, place):
    """The missing count on the page, the .xlsx's rows and title, the API's missing and coverage."""
    page = _missing(client, rnd, place)
    on_page = int(re.search(r'<small class="kind">.*? · (\d+)</small>', page, re.S).group(1))
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/screening/rounds/{rnd.id}/missing.xlsx?place={place.id}").content)).active
    rows = [r for r in sheet.iter_rows(values_only=True)]
    title = rows[0][0]
    people = [r for r in rows[2:] if r and r[0]]
    cov = api(client, "get", f"/rounds/{rnd.id}/coverage?place={place.id}").json()
    listed = api(client, "get", f"/rounds/{rnd.id}/missing?place={place.id}").json()["count"]
    return on_page, len(people), title, cov, listed


def test_away_from_the_row_asks_then_sets_the_presence_and_comes_back(world, rnd, client):
    client.force_login(world.users.grid)
    url = f"/screening/rounds/{rnd.id}/missing/{world.xia.id}/"
    form = {"do": "away", "place": world.grid.id, "at": world.wang.id}
    asked = client.post(url, form)
    text = asked.content.decode()
    assert asked.status_code == 200 and 'name="confirm" value="1"' in text
    assert "确认夏明不在本地？" in text and "光明小区 1号楼 1单元 102" in text and "外出" in text
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.HOME
    done = client.post(url, {**form, "confirm": "1"})
    assert done.status_code == 302
    assert done["Location"] == f"/screening/rounds/{rnd.id}/missing/?place={world.grid.id}#said"
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.AWAY  # the registry's fact, as the residents API sets it
    ev = AuditEvent.objects.filter(action="resident.update").latest("id")
    assert ev.changes["presence"] == ["home", "away"]
    page = client.get(done["Location"]).content.decode()
    assert "夏明不在本地，已不计入未检。" in page and f'id="m-{world.xia.id}"' not in page
    # the figures: the same on the page, the export and the API, and as the figures count
    on_page, rows, title, cov, listed = _figures_everywhere(client, rnd, world.grid)
    assert {k: cov[k] for k in ("expected", "sampled", "exempt", "missing")} == {
        k: figures.coverage(rnd, world.grid)[k] for k in ("expected", "sampled", "exempt", "missing")}
    assert on_page == rows == listed == cov["missing"] == 3 and cov["exempt"] == 1
    assert "未采 3 · 免检 1" in title


def test_exempt_from_the_row_asks_the_reason_then_exempts_and_comes_back(world, rnd, client):
    client.force_login(world.users.grid)
    url = f"/screening/rounds/{rnd.id}/missing/{world.wang.id}/"
    form = {"do": "exempt", "place": world.grid.id, "at": world.xia.id}
    asked = client.post(url, form).content.decode()
    assert "确定本轮免检王新勇？" in asked
    assert "光明小区 1号楼 2单元 201" in asked
    reasons = re.findall(r'name="reason" value="(\w+)"', asked)
    assert "vaccinated" in reasons and "away" not in reasons  # someone away: their presence
    assert "hospital" not in reasons  # in hospital too
    assert "不在本地…" in asked and "住院…" in asked
    assert not Exemption.objects.exists()
    done = client.post(url, {**form, "reason": "vaccinated", "confirm": "1"})
    assert done["Location"].endswith("#said")
    ex = Exemption.objects.get()
    assert (ex.resident_id, ex.reason, ex.created_by_id) == (world.wang.id, "vaccinated", world.users.grid.id)
    on_page, rows, title, cov, listed = _figures_everywhere(client, rnd, world.grid)
    assert on_page == rows == listed == cov["missing"] == 3 and cov["exempt"] == 1
    assert "未采 3 · 免检 1" in title


def test_the_row_actions_are_the_actions_own_rules(world, rnd, client, system):
    g = reg.create_place(system, world.community, Kind.GRID, "第二网格")
    unit = reg.create_place(system, reg.create_place(system, reg.create_place(
        system, g, Kind.COMPOUND, "东风小区"), Kind.BUILDING, "7号楼"), Kind.UNIT, "1单元")
    other = reg.create_resident(system, reg.create_household(system, unit, "101"), {"name": "王秀英"})
    client.force_login(world.users.grid)
    for do in ("away", "hospital", "exempt"):
        r = client.post(f"/screening/rounds/{rnd.id}/missing/{other.id}/", {"do": do, "confirm": "1",
                                                                           "reason": "other"})
        assert r.status_code == 404  # another grid's person: as a missing one
    client.force_login(world.users.leader)
    r = client.post(f"/screening/rounds/{rnd.id}/missing/{world.wang.id}/", {"do": "away", "confirm": "1"})
    assert r.status_code == 404  # as for 上门采样 (the round is not theirs to run)
    client.force_login(world.users.street)
    for do in ("away", "hospital"):
        r = client.post(f"/screening/rounds/{rnd.id}/missing/{world.wang.id}/", {"do": do, "confirm": "1"})
        assert r.status_code == 403  # seen, not theirs to act on
    world.wang.refresh_from_db()
    assert world.wang.presence == Presence.HOME and not Exemption.objects.exists()


def test_an_exemption_away_is_refused_pointing_to_the_presence(world, rnd, client):
    client.force_login(world.users.staff)
    r = api(client, "post", f"/rounds/{rnd.id}/exemptions", {"resident": world.wang.id, "reason": "away"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "away_is_presence"
    assert "不在本地…" in r.json()["error"]["fields"]["reason"][0]
    page = client.get(f"/screening/rounds/{rnd.id}/exemptions/?q=王新勇").content.decode()
    assert '<option value="away">' not in page and '<option value="vaccinated">' in page
    assert "不在本地…" in page.split('id="away-note"')[1]
    assert not Exemption.objects.exists()
    with pytest.raises(Invalid):
        planning.add_exemption(Actor.system(world.users.staff), rnd, world.wang, "away")


def test_in_hospital_from_the_row_asks_then_sets_the_presence_and_comes_back(world, rnd, client):
    """住院 has one home, as 不在本地 does: the resident's presence, set from the row."""
    client.force_login(world.users.grid)
    url = f"/screening/rounds/{rnd.id}/missing/{world.xia.id}/"
    form = {"do": "hospital", "place": world.grid.id, "at": world.wang.id}
    asked = client.post(url, form)
    text = asked.content.decode()
    assert asked.status_code == 200 and 'name="confirm" value="1"' in text
    assert "确认夏明住院？" in text and "光明小区 1号楼 1单元 102" in text and "人员状态：住院" in text
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.HOME
    done = client.post(url, {**form, "confirm": "1"})
    assert done["Location"] == f"/screening/rounds/{rnd.id}/missing/?place={world.grid.id}#said"
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.HOSPITAL
    ev = AuditEvent.objects.filter(action="resident.update").latest("id")
    assert ev.changes["presence"] == ["home", "hospital"]
    page = client.get(done["Location"]).content.decode()
    assert "夏明住院，已不计入未检。" in page and f'id="m-{world.xia.id}"' not in page
    on_page, rows, title, cov, listed = _figures_everywhere(client, rnd, world.grid)
    assert on_page == rows == listed == cov["missing"] == 3 and cov["exempt"] == 1
    assert not Exemption.objects.exists()


def test_an_exemption_in_hospital_is_refused_pointing_to_the_presence(world, rnd, client, system):
    client.force_login(world.users.staff)
    r = api(client, "post", f"/rounds/{rnd.id}/exemptions", {"resident": world.wang.id, "reason": "hospital"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "hospital_is_presence"
    assert "住院…" in r.json()["error"]["fields"]["reason"][0]
    url = f"/screening/rounds/{rnd.id}/exemptions/"
    page = client.get(f"{url}?q=王新勇").content.decode()
    assert '<option value="hospital">' not in page and '<option value="isolation">' in page
    assert "住院…" in page.split('id="away-note"')[1]
    # the page's form refused too, before asking
    asked = client.post(f"{url}?q=王新勇", {"resident": world.wang.id, "reason": "hospital", "confirm": "1"})
    assert asked.status_code == 302
    assert "住院人员不按轮次免检" in client.get(asked["Location"]).content.decode()
    assert not Exemption.objects.exists()
    with pytest.raises(Invalid):
        planning.add_exemption(Actor.system(world.users.staff), rnd, world.wang, "hospital")
    # an old row (written before the rule) keeps its label, and may still be removed
    old = Exemption(round=rnd, resident=world.wang, household_id=world.wang.household_id, reason="hospital")
    old.copy_levels(world.wang)
    old.save()
    page = client.get(url).content.decode()
    listed = page.split('id="exempt-people"')[1]
    assert "王新勇" in listed and "· 住院" in listed and f'name="remove" value="{old.id}"' in listed


def test_follow_up_names_link_to_the_household_where_the_user_may_open_it(world, rnd, client, system):
    positive_pool(world, rnd)
    client.force_login(world.users.staff)
    html = client.get(reverse("screening_followups", args=[rnd.id])).content.decode()
    link = f'<a href="/households/{world.hh101.id}/"><strong>苏霞</strong></a>'
    assert link in html and f'<a href="/households/{world.hh101.id}/"><strong>于海涛</strong></a>' in html
    # a sampler of the round who may not read the registry, 苏霞's re-test given to her: the
    # name, no link
    sampler = planning.assign_sampler(system, rnd, world.point, world.users.volunteer, 1)
    visit = HomeVisit.objects.get(round=rnd, resident=world.su, source=HomeVisit.Source.RETEST)
    home_assign.assign_home_visits(Actor.system(world.users.staff), rnd, [visit.id], sampler)
    client.force_login(world.users.volunteer)
    resp = client.get(reverse("screening_followups", args=[rnd.id]))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "<strong>苏霞</strong>" in html and f"/households/{world.hh101.id}/" not in html
    assert client.get(f"/households/{world.hh101.id}/").status_code == 404
