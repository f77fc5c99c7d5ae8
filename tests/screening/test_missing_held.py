"""The missing list and someone held by a positive test, a case or a close contact
(`status.held_codes`): one mark (`status.missing_marks`) said alike by the page, its .xlsx and
its API; one rule (`access.HELD_OUTCOMES`) for what its row may record for them — the page
offers only those, with the rule's reason, and the actions refuse the others (page at the
row, API 409 `held_outcome`) in the user's language. A case: transferred to hospital or
isolated; someone held: the single re-test at the door; a close contact: the door swab or
isolation. Never "away", nor an exemption that takes them off the list otherwise."""

import io
import re

import openpyxl
import pytest

from fangkong.core.errors import Conflict
from fangkong.registry.models import Presence
from fangkong.screening import access
from fangkong.screening.actions import antigen as antigen_actions
from fangkong.screening.actions import followup, planning
from fangkong.screening.models import Exemption, HomeVisit
from fangkong.zones.actions.escalate import record_case
from tests.conftest import actor_for

from .conftest import api
from .photos import png
from .test_antigen import running_antigen_round


def _row(page, r):
    m = re.search(rf'<li class="row" id="m-{r.id}">.*?</li>', page, re.S)
    return m.group(0) if m else ""


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _antigen_positive(w, system, who):
    ag = running_antigen_round(w, system)
    antigen_actions.record_result(actor_for(w.users.resident), ag, who, "positive", photo=png())


def _case(w, who):
    record_case(actor_for(w.users.staff), who, source_ref=f"卫健委-{who.id}")


@pytest.fixture
def marked(world, system, rnd):
    """苏霞 held by a positive antigen test (于海涛, her housemate, not held: the household
    no-contact); 夏明 (102, alone) a confirmed case; 王新勇 nothing."""
    _antigen_positive(world, system, world.su)
    _case(world, world.xia)
    return rnd


def test_the_page_the_api_and_the_export_say_the_same_mark(world, marked, client):
    rnd = marked
    client.force_login(world.users.staff)
    page = client.get(f"/screening/rounds/{rnd.id}/missing/?place={world.community.id}").content.decode()
    people = api(client, "get", f"/rounds/{rnd.id}/missing?place={world.community.id}").json()["results"]
    api_by_id = {p["id"]: p for p in people}
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/screening/rounds/{rnd.id}/missing.xlsx?place={world.community.id}").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    head = list(rows[1])
    at = head.index("阳性/管控")
    assert head[at:at + 4] == ["阳性/管控", "下一步", "无接触", "备注"]  # the note stays last
    xlsx_by_name = {r[0]: r for r in rows[2:] if r and r[0]}
    seen = {}
    for r in (world.su, world.yu, world.xia, world.wang):
        row = _row(page, r)
        mark = re.search(r'class="badge bad held-mark">([^<]*)<', row)
        step = re.search(r'class="held-step">([^<]*)<', row)
        door = re.search(r'class="no-contact">([^<]*)<', row)
        on_page = (mark.group(1) if mark else "", step.group(1) if step else "", door.group(1) if door else "")
        a = api_by_id[r.id]
        on_api = (a["held_label"], a["held_step"], a["no_contact"])
        x = xlsx_by_name[r.name]
        on_xlsx = tuple(v or "" for v in x[at:at + 3])
        assert on_page == on_api == on_xlsx, (r.name, on_page, on_api, on_xlsx)
        seen[r.name] = (a["held"], on_page)
    assert seen["苏霞"][0] == "held_antigen" and seen["苏霞"][1][0] == "抗原阳性，等待核酸复核"
    assert "不要叫其到采样点" in seen["苏霞"][1][1] and "无接触" in seen["苏霞"][1][2]
    assert seen["于海涛"][0] is None and seen["于海涛"][1][:2] == ("", "") and "无接触" in seen["于海涛"][1][2]
    assert seen["夏明"][0] == "case" and seen["夏明"][1][0] == "确诊病例（卫健部门通报）"  # reported, no re-test
    assert seen["王新勇"] == (None, ("", "", ""))


def test_a_held_person_is_offered_the_door_swab_only_and_the_rest_is_refused(world, marked, client):
    rnd = marked
    client.force_login(world.users.grid)
    page = client.get(f"/screening/rounds/{rnd.id}/missing/?place={world.grid.id}").content.decode()
    row = _row(page, world.su)
    assert "Sample at home" in row or "上门采样" in row  # the door swab
    assert 'value="hospital"' in row  # taken to hospital by 120 (review finding 4)
    for do in ("away", "exempt"):
        assert f'value="{do}"' not in row
    assert "检测阳性，正等待复核" in _text(row)  # why: the rule's own sentence
    url = f"/screening/rounds/{rnd.id}/missing/{world.su.id}/"
    for do in ("away", "exempt"):
        done = client.post(url, {"do": do, "place": world.grid.id, "at": world.yu.id, "confirm": "1",
                                 "reason": "other", "note": "出差"})
        assert done.status_code == 302 and done["Location"].endswith("#said"), do
        said = client.get(done["Location"]).content.decode()
        assert "苏霞 检测阳性，正等待复核" in _text(said) and "不要登记为外出或免检" in _text(said), do
    world.su.refresh_from_db()
    assert world.su.presence == Presence.HOME and not Exemption.objects.exists()
    # the API's exemption: 409 with the code, in the user's language
    r = api(client, "post", f"/rounds/{rnd.id}/exemptions", {"resident": world.su.id, "reason": "other",
                                                                "note": "出差"})
    assert r.status_code == 409, r.content
    err = r.json()["error"]
    assert err["code"] == "held_outcome" and "不要叫其到采样点" in err["message"]
    assert err["held"] == "held_antigen" and err["allowed"] == ["home", "hospital"]
    assert not Exemption.objects.exists()
    # the door swab is allowed
    hv = followup.add_home_visit(actor_for(world.users.grid), rnd, world.su)
    assert hv.status == HomeVisit.Status.OPEN
    # and so is a transfer to hospital: recorded, never sent to the sampling point
    done = client.post(url, {"do": "hospital", "place": world.grid.id, "at": world.yu.id, "confirm": "1"})
    world.su.refresh_from_db()
    assert done.status_code == 302 and world.su.presence == Presence.HOSPITAL


def test_a_case_is_transferred_or_isolated_not_away_nor_swabbed_in_the_round(world, marked, client):
    rnd = marked
    client.force_login(world.users.grid)
    page = client.get(f"/screening/rounds/{rnd.id}/missing/?place={world.grid.id}").content.decode()
    row = _row(page, world.xia)
    assert 'value="hospital"' in row and 'value="exempt"' in row
    assert 'value="away"' not in row and "hx-post" not in row  # neither away nor 上门采样
    assert "是确诊病例：这里只能登记转运住院或隔离" in _text(row)
    url = f"/screening/rounds/{rnd.id}/missing/{world.xia.id}/"
    form = {"do": "exempt", "place": world.grid.id, "at": world.wang.id}
    asked = client.post(url, form).content.decode()
    assert re.findall(r'name="reason" value="(\w+)"', asked) == ["isolation"]  # 隔离 only
    # "away" refused (before asking); "other" refused even when posted
    for extra in ({"do": "away"}, {"reason": "other", "note": "出差", "confirm": "1"}):
        done = client.post(url, {**form, **extra, "confirm": "1"})
        assert done.status_code == 302
        assert "夏明 是确诊病例" in _text(client.get(done["Location"]).content.decode())
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.HOME and not Exemption.objects.exists()
    with pytest.raises(Conflict) as e:
        followup.add_home_visit(actor_for(world.users.grid), rnd, world.xia)
    assert e.value.code == "held_outcome" and e.value.status == 409
    assert not HomeVisit.objects.filter(resident=world.xia).exists()
    # the transfer to hospital and the isolation are recorded
    done = client.post(url, {**form, "do": "hospital", "confirm": "1"})
    world.xia.refresh_from_db()
    assert done.status_code == 302 and world.xia.presence == Presence.HOSPITAL
    world.xia.presence = Presence.HOME
    world.xia.save(update_fields=["presence"])
    r = api(client, "post", f"/rounds/{rnd.id}/exemptions", {"resident": world.xia.id, "reason": "isolation"})
    assert r.status_code == 201, r.content


def test_a_close_contact_is_swabbed_at_the_door_or_isolated(world, system, rnd, client):
    _case(world, world.yu)  # 苏霞, her housemate: a close contact
    client.force_login(world.users.grid)
    page = client.get(f"/screening/rounds/{rnd.id}/missing/?place={world.grid.id}").content.decode()
    row = _row(page, world.su)
    assert "与确诊病例同户：密切接触者" in row and 'value="exempt"' in row and "hx-post" in row
    assert 'value="away"' not in row and 'value="hospital"' in row  # taken to hospital: recorded
    with pytest.raises(Conflict):
        planning.add_exemption(actor_for(world.users.grid), rnd, world.su, "vaccinated")
    with pytest.raises(Conflict):
        planning.record_presence(actor_for(world.users.grid), rnd, world.su, Presence.AWAY)
    planning.add_exemption(actor_for(world.users.grid), rnd, world.su, "isolation")
    assert Exemption.objects.get().reason == "isolation"


def test_the_rule_is_one_table_in_english_too(world, marked, client):
    """The rule's words follow the reader's language; anyone not marked is offered everything."""
    world.users.grid.language = "en"
    world.users.grid.save(update_fields=["language"])
    assert access.outcome_allowed("", "away") and not access.outcome_allowed("held", "away")
    assert access.outcome_allowed("case", "exempt:isolation")
    assert not access.outcome_allowed("case", "exempt:other")
    client.force_login(world.users.grid)
    r = client.post(f"/api/v1/screening/rounds/{marked.id}/exemptions",
                    data={"resident": world.su.id, "reason": "vaccinated"},
                    content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 409
    assert "held by a positive test" in r.json()["error"]["message"]
    page = client.get(f"/screening/rounds/{marked.id}/missing/?place={world.grid.id}").content.decode()
    row = _row(page, world.wang)
    assert all(f'value="{do}"' in row for do in ("away", "hospital", "exempt"))
