"""Weak spots of the missing list's row actions (2026-12):
- 免检 for 其他原因 was accepted with nothing said: "other" needs a short note — the row's
  confirm step asks it (and asks again, the error above "yes", when it is left empty), the
  exemptions page and the API refuse it (400, code `note_required`), in the user's language.
- 不在本地 for someone whose building is sealed was accepted without a second question: a
  person sealed in cannot be away unless they left before the seal. The row asks ("该楼自…起
  封控：…是否在封控前已离开？") and the answer is recorded on the audit event
  (`left_before_seal`); the residents API needs the flag (409, code `building_sealed`)."""

import json

import pytest

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.core.errors import Invalid
from fangkong.registry.models import Presence
from fangkong.screening.actions import planning
from fangkong.screening.models import Exemption
from tests.conftest import seal_now

from .conftest import api


def _row_url(rnd, r):
    return f"/screening/rounds/{rnd.id}/missing/{r.id}/"


# --- 免检 · 其他原因 needs a note ----------------------------------------------------

def test_exempt_for_another_reason_from_the_row_asks_for_a_note(world, rnd, client):
    client.force_login(world.users.grid)
    form = {"do": "exempt", "place": world.grid.id, "at": world.xia.id}
    asked = client.post(_row_url(rnd, world.wang), form).content.decode()
    assert 'name="note"' in asked and "备注（选“其他原因”时必填）" in asked
    again = client.post(_row_url(rnd, world.wang), {**form, "reason": "other", "note": "  ", "confirm": "1"})
    text = again.content.decode()
    assert again.status_code == 200 and "其他原因：请简要填写说明。" in text  # asked again, not recorded
    assert 'name="confirm" value="1"' in text and not Exemption.objects.exists()
    # the choice is kept (walk "re", defect 10): 其他原因 stays chosen, only it
    assert 'name="reason" value="other" required checked' in text and text.count("required checked") == 1
    assert "required checked" not in asked  # the first time, none is chosen
    done = client.post(_row_url(rnd, world.wang), {**form, "reason": "other", "note": "在外地出差，电话确认",
                                                   "confirm": "1"})
    assert done.status_code == 302
    ex = Exemption.objects.get()
    assert (ex.reason, ex.note) == ("other", "在外地出差，电话确认")


def test_exempt_for_another_reason_without_a_note_is_refused_by_the_api_and_the_page(world, rnd, client):
    client.force_login(world.users.staff)
    r = api(client, "post", f"/rounds/{rnd.id}/exemptions", {"resident": world.wang.id, "reason": "other"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "note_required"
    assert r.json()["error"]["fields"]["note"] == ["其他原因：请简要填写说明。"]
    url = f"/screening/rounds/{rnd.id}/exemptions/"
    refused = client.post(url, {"resident": world.wang.id, "reason": "other", "note": ""})
    assert refused.status_code == 302  # refused before asking
    assert "其他原因：请简要填写说明。" in client.get(refused["Location"]).content.decode()
    assert not Exemption.objects.exists()
    with pytest.raises(Invalid):
        planning.add_exemption(Actor.system(world.users.staff), rnd, world.wang, "other", "")
    # a reason that speaks for itself needs none; "other" with its note is accepted
    assert api(client, "post", f"/rounds/{rnd.id}/exemptions",
               {"resident": world.xia.id, "reason": "vaccinated"}).status_code == 201
    assert api(client, "post", f"/rounds/{rnd.id}/exemptions",
               {"resident": world.wang.id, "reason": "other", "note": "卧床，已电话确认"}).status_code == 201


# --- 不在本地 in a sealed building --------------------------------------------------

@pytest.fixture
def sealed(world):
    """1号楼 sealed from now (the zones' own publication)."""
    return seal_now(world)


def test_away_in_a_sealed_building_asks_whether_they_left_before_and_records_it(world, rnd, client, sealed):
    client.force_login(world.users.grid)
    form = {"do": "away", "place": world.grid.id, "at": world.wang.id}
    asked = client.post(_row_url(rnd, world.xia), form).content.decode()
    assert "起封控：夏明是否在封控前已离开？" in asked and "是，封控前已离开" in asked
    assert asked.count('name="left_before_seal" value="1"') == 1  # only "yes" says it
    # "yes" without the answer (a form from before the seal): refused, said at the row
    done = client.post(_row_url(rnd, world.xia), {**form, "confirm": "1"})
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.HOME
    page = client.get(done["Location"]).content.decode()
    assert "所在楼栋自" in page and "起封控" in page
    done = client.post(_row_url(rnd, world.xia), {**form, "confirm": "1", "left_before_seal": "1"})
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.AWAY
    ev = AuditEvent.objects.filter(action="resident.update").latest("id")
    assert ev.changes["presence"] == ["home", "away"] and ev.changes["left_before_seal"]
    # in hospital needs no such question
    asked = client.post(_row_url(rnd, world.wang), {**form, "do": "hospital"}).content.decode()
    assert "封控前" not in asked and "left_before_seal" not in asked


def test_the_residents_api_needs_the_flag_for_away_in_a_sealed_building(world, client, sealed):
    client.force_login(world.users.staff)
    url = f"/api/v1/residents/{world.xia.id}"

    def patch(data):
        return client.patch(url, data=json.dumps(data), content_type="application/json")

    r = patch({"presence": "away"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "building_sealed"
    assert "起封控" in r.json()["error"]["fields"]["presence"][0] and r.json()["error"]["sealed_since"]
    assert patch({"presence": "away", "left_before_seal": False}).status_code == 409
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.HOME
    r = patch({"presence": "away", "left_before_seal": True})
    assert r.status_code == 200 and r.json()["presence"] == "away"
    ev = AuditEvent.objects.filter(action="resident.update").latest("id")
    assert ev.changes["left_before_seal"]
    assert patch({"presence": "home"}).status_code == 200  # back home: nothing to ask
