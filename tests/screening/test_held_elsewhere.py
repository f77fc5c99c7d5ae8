"""The rule for someone held by a positive test, a case or a close contact
(`access.HELD_OUTCOMES`) asked where the missing list's row is not: the registry's own presence
edit (the resident's edit page, `PATCH /api/v1/residents/{id}`: settings.FANGKONG_PRESENCE_RULE,
the registry importing no screening) never sets them away, said at the field or 409
`held_outcome`; and the generated home-sampling lists ("从台账添加…", a PCR round planned over
a sealed area) leave a confirmed case out as `followup.add_home_visit` does, saying how many
and why."""

import datetime
import json
import re

from django.urls import reverse
from django.utils import timezone

from fangkong.registry.models import Presence
from fangkong.screening.actions import antigen as antigen_actions
from fangkong.screening.models import HomeVisit, Round
from fangkong.zones.actions.escalate import record_case
from tests.conftest import actor_for
from tests.zones.conftest import presets  # noqa: F401 - the zone types
from tests.zones.test_rules import designate

from .photos import png
from .test_antigen import running_antigen_round


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _case(w, who):
    record_case(actor_for(w.users.staff), who, source_ref=f"卫健委-{who.id}")


def _patch(client, r, body):
    return client.patch(f"/api/v1/residents/{r.id}", json.dumps(body), content_type="application/json")


# --- 1. the registry's presence edit --------------------------------------------------------

def test_the_api_never_sets_someone_held_away(world, system, login):
    running = running_antigen_round(world, system)
    antigen_actions.record_result(actor_for(world.users.resident), running, world.su, "positive", photo=png())
    _case(world, world.xia)
    client = login(world.users.staff)
    for who, presence in ((world.su, "away"), (world.su, "moved_out"), (world.xia, "away"),
                          (world.xia, "moved_out")):
        r = _patch(client, who, {"presence": presence})
        assert r.status_code == 409, (who.name, presence, r.content)
        err = r.json()["error"]
        assert err["code"] == "held_outcome", err
        assert err["held"] == ("held_antigen" if who == world.su else "case")
        assert err["fields"]["presence"] and err["message"] == err["fields"]["presence"][0]
        who.refresh_from_db()
        assert who.presence == Presence.HOME
    assert "不要登记为外出或免检" in _patch(client, world.su, {"presence": "away"}).json()["error"]["message"]
    # what the rule allows is saved: a case transferred to hospital, and someone held taken
    # there by 120 (review finding 4: was 409, the registry kept them at home); anyone else as before
    assert _patch(client, world.xia, {"presence": "hospital"}).status_code == 200
    assert _patch(client, world.su, {"presence": "hospital"}).status_code == 200
    world.su.refresh_from_db()
    assert world.su.presence == Presence.HOSPITAL
    assert _patch(client, world.wang, {"presence": "away"}).status_code == 200
    world.xia.refresh_from_db()
    world.wang.refresh_from_db()
    assert world.xia.presence == Presence.HOSPITAL and world.wang.presence == Presence.AWAY
    # another field of someone held: not a presence change, not asked
    assert _patch(client, world.su, {"notes": "每日电话", "presence": "home"}).status_code == 200


def test_the_edit_page_says_the_rule_at_the_presence_field(world, system, login):
    _case(world, world.yu)  # 苏霞 lives with him: a close contact
    client = login(world.users.staff)
    url = reverse("resident_edit", args=[world.su.id])
    form = {"name": world.su.name, "phone": world.su.phone, "relation": world.su.relation,
            "presence": "away", "notes": "出差"}
    page = client.post(url, form)
    assert page.status_code == 200  # the form again, not saved
    html = page.content.decode()
    field = re.search(r'<select id="f-pres".*?</div>', html, re.S).group(0)
    assert "苏霞 与确诊病例同户" in _text(field) and "不要登记为外出" in _text(field)
    world.su.refresh_from_db()
    assert world.su.presence == Presence.HOME and world.su.notes != "出差"
    # in English for an English reader
    world.users.staff.language = "en"
    world.users.staff.save(update_fields=["language"])
    html = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "lives with a confirmed case" in html


# --- 2. the generated home-sampling lists --------------------------------------------------

def test_add_from_the_registry_leaves_a_case_out_and_says_so(world, system, rnd, login):
    _case(world, world.xia)  # 夏明: bedridden, and a confirmed case
    client = login(world.users.staff)
    done = client.post(reverse("screening_home_list", args=[rnd.id]), {"generate": "1"}, follow=True)
    listed = set(HomeVisit.objects.filter(round=rnd).values_list("resident_id", flat=True))
    assert listed == {world.su.id}  # 苏霞 (limited mobility) only
    said = _text(done.content.decode())
    assert "已添加 1 人到入户采样名单" in said
    assert "1 名确诊病例未列入" in said and "转运住院或隔离" in said
    # the API says it too
    r = client.post(f"/api/v1/screening/rounds/{rnd.id}/home-visits/generate", "{}",
                    content_type="application/json")
    assert r.json()["added"] == 0 and r.json()["left_out"] == 1 and "确诊病例" in r.json()["left_out_reason"]


def test_planning_over_a_sealed_area_leaves_a_case_out_and_says_so(world, presets, login):  # noqa: F811
    w = world
    designate(w, w.unit2, "sealed")  # 王新勇 lives in a sealed unit
    _case(w, w.wang)
    client = login(w.users.staff)
    now = timezone.now()
    body = {"place": w.community.id, "name": "核酸第9轮", "kind": "pcr", "pool_size": 10,
            "starts_at": (now + datetime.timedelta(days=3)).isoformat(),
            "ends_at": (now + datetime.timedelta(days=3, hours=6)).isoformat()}
    r = client.post("/api/v1/screening/rounds", json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["home_listed"] == 0 and r.json()["home_left_out"] == 1
    assert not HomeVisit.objects.filter(round=Round.objects.get(pk=r.json()["id"])).exists()
    fmt = "%Y-%m-%dT%H:%M"
    later = timezone.localtime(now + datetime.timedelta(days=5))
    page = client.post("/screening/plan/", {
        "place": w.community.id, "name": "核酸第10轮", "kind": "pcr", "pool_size": "10",
        "starts_at": later.strftime(fmt), "ends_at": (later + datetime.timedelta(hours=4)).strftime(fmt),
        "client_id": "6f0b4a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b"}, follow=True)
    assert "1 名确诊病例未列入" in _text(page.content.decode())


# --- 1b. the roster import (review finding 2) ------------------------------------------------

def test_a_roster_import_never_sets_someone_held_away(world, system, login):
    """A re-imported roster saying 外出 for a confirmed case, in a building not sealed, was
    written (the writer asked only the seal): they left the missing list and the home
    sampling list. The row is an error with the rule's words, said again in the reader's
    language, and nothing of the file is written."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fangkong.registry.models import ImportJob
    from fangkong.registry.models import Resident as R
    from tests.registry.test_import_newer import _bytes, _column, _export, _row_of

    _case(world, world.xia)
    c = login(world.users.staff)
    wb = _export(c, world)
    ws = wb.worksheets[0]
    ws.cell(row=_row_of(ws, "夏明"), column=_column(ws, "人员状态")).value = "外出"
    ws.cell(row=_row_of(ws, "王新勇"), column=_column(ws, "人员状态")).value = "外出"
    c.post(f"/places/{world.community.id}/import/", {"file": SimpleUploadedFile("roster.xlsx", _bytes(wb))})
    job = ImportJob.objects.latest("id")
    assert job.status != ImportJob.Status.CHECKED, job.summary
    said = [e["message"] for e in job.errors if "夏明" in e["message"]]
    assert said and "是确诊病例" in said[0], job.errors
    assert R.objects.get(pk=world.xia.pk).presence == Presence.HOME
    assert R.objects.get(pk=world.wang.pk).presence == Presence.HOME  # all or nothing
    world.users.staff.language = "en"
    world.users.staff.save(update_fields=["language"])
    page = c.get(f"/imports/{job.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "is a confirmed case" in _text(page)
