"""A pooled tube the lab found invalid listed everyone in it to be swabbed again at the door —
also someone confirmed a case meanwhile (a single re-test positive or a case the health
authority reported, zones' `ZoneCase`) or in hospital: a sampler was sent to a case's door for
a swab, and the family was told a health worker comes. Now such people are left out of the
re-sample (`figures.not_resampled_q`: no visit, no "someone comes"), said apart and counted:
the lab's summary (page and API), the staff's message naming them, the round page; someone
confirmed a case after the re-sample was listed leaves the home-sampling list."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.registry.models import Presence, Resident
from fangkong.screening import figures
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.actions import station
from fangkong.screening.models import HomeVisit, Tube, VoidSample
from fangkong.zones.actions.escalate import record_case
from tests.conftest import actor_for

from .conftest import api, cid, to_lab


def _pool(world, rnd):
    """T0001 holds 苏霞, 于海涛 (101) and 夏明 (102), sealed and received at the lab."""
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, "T0001", point=world.point.id, table=1)
    for p in (world.su, world.yu, world.xia):
        assert station.scan(staff, rnd, client_id=cid(), barcode="T0001", person=p.token)["status"] == "ok"
    assert Tube.objects.get(round=rnd, barcode="T0001").state == "sealed"
    to_lab(world, rnd, "T0001")


def _visits(rnd):
    return set(HomeVisit.objects.filter(round=rnd, source="resample").values_list("resident__name", flat=True))


@pytest.mark.django_db
def test_a_case_and_someone_in_hospital_are_not_sent_a_sampler_but_said_apart(world, rnd, client):
    w = world
    _pool(w, rnd)
    # meanwhile: 苏霞 reported a case by the health authority, 夏明 taken to hospital
    record_case(actor_for(w.users.staff), w.su, source_ref="区疾控中心 2026-201")
    Resident.objects.filter(pk=w.xia.pk).update(presence=Presence.HOSPITAL)

    client.force_login(w.users.lab)
    page = client.post("/screening/lab/", {"file": SimpleUploadedFile(
        "结果.csv", "管号,结果\nT0001,无效\n".encode())}).content.decode()
    assert "无效：1 管。1 人需复采" in page
    assert "另有 2 人已确诊或已住院、隔离，不再上门复采。" in page
    # their swabs are void all the same (kept for the record): only 于海涛 is visited again
    assert VoidSample.objects.filter(round=rnd).count() == 3
    assert _visits(rnd) == {"于海涛"}
    staff = client.__class__()
    staff.force_login(w.users.staff)
    visits = api(staff, "get", f"/rounds/{rnd.id}/home-visits").json()["results"]
    assert [v["resident"]["name"] for v in visits] == ["于海涛"]
    # the staff's message names them apart; the family is told a swab comes only for 于海涛
    told = Notification.objects.get(kind="screening.invalid_pool", user=w.users.staff)
    assert "1 人需复采" in told.title and "不再复采：苏霞、夏明" in told.body, told.body
    family = Notification.objects.get(kind="screening.family_invalid", user=w.users.resident)
    assert "于海涛" in family.title and "苏霞" not in family.title + family.body
    # counted in the audit of the results
    ev = AuditEvent.objects.filter(action="screening.results").latest("id")
    assert (ev.changes["resample"], ev.changes["resample_left_out"]) == (1, 2)
    # the round page: one to sample again, two said apart; the list "to sample again" is 于海涛
    q = f"?place={w.community.id}"
    assert figures.after_lab(rnd, w.community)["to_resample"] == 1
    assert figures.after_lab(rnd, w.community)["resample_left_out"] == 2
    round_page = staff.get(f"/screening/rounds/{rnd.id}/{q}").content.decode()
    assert "样本无效：1 人需复采" in round_page and "样本无效：另有 2 人已确诊或已住院、隔离" in round_page
    again = api(staff, "get", f"/rounds/{rnd.id}/missing{q}&resample=true").json()["results"]
    assert [p["name"] for p in again] == ["于海涛"]


@pytest.mark.django_db
def test_the_api_counts_them_apart_and_the_english_page_says_it(world, rnd, client):
    w = world
    _pool(w, rnd)
    record_case(actor_for(w.users.staff), w.xia, source_ref="区疾控中心 2026-202")
    client.force_login(w.users.lab)
    out = api(client, "post", "/results", {"results": [{"barcode": "T0001", "result": "invalid"}]}).json()
    assert (out["invalid_pools"], out["resample"], out["resample_left_out"]) == (1, 2, 1)
    assert _visits(rnd) == {"苏霞", "于海涛"}
    staff = client.__class__()
    staff.force_login(w.users.staff)
    staff.cookies["django_language"] = "en"
    page = staff.get(f"/screening/rounds/{rnd.id}/?place={w.community.id}").content.decode()
    assert "Sample invalid: 1 more person confirmed as a case or in hospital or isolation, not sampled " \
           "again at the door" in page


@pytest.mark.django_db
def test_confirmed_a_case_after_the_resample_was_listed_leaves_the_door_list(world, rnd, client):
    w = world
    _pool(w, rnd)
    lab_actions.record_results(Actor.system(w.users.lab), [{"barcode": "T0001", "result": "invalid"}])
    assert _visits(rnd) == {"苏霞", "于海涛", "夏明"}
    assert figures.to_resample(rnd, w.community) == 3
    record_case(actor_for(w.users.staff), w.yu, source_ref="区疾控中心 2026-203")
    client.force_login(w.users.staff)
    visits = api(client, "get", f"/rounds/{rnd.id}/home-visits").json()["results"]
    assert sorted(v["resident"]["name"] for v in visits) == ["夏明", "苏霞"]
    home = client.get(f"/screening/rounds/{rnd.id}/home/").content.decode()
    assert "于海涛" not in home
    after = figures.after_lab(rnd, w.community)
    assert (after["to_resample"], after["resample_left_out"]) == (2, 1)
    # still on the missing list, marked a case (transfer or isolation), not "to sample again"
    missing = {p["name"]: p for p in api(client, "get", f"/rounds/{rnd.id}/missing").json()["results"]}
    assert missing["于海涛"]["held"] and not missing["于海涛"]["resample"]
    assert missing["苏霞"]["resample"]
