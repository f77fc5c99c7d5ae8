"""A lab file that changes a result already recorded is not applied silently. Found walking
the demo: a CSV with GM00019,阴性 (a confirmed case's pool) and GM00023,阴性 (a fresh
positive pool) answered "已保存 0 条结果，更正 2 条" with no question; staff's pages still said
"混管 GM00023 阳性"; the earlier file flipped it back, silently; the API said
"followups": 10 though no follow-up was created. Now the page asks (each change: tube,
old → new, what it does), the API answers 409 `confirm_changes` unless confirmed; an applied
correction is audited, tells the community, releases the people a pool no longer holds (a
case stays a case) and the follow-up page says so; the counts are of what was done."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.screening.actions import followup, station
from fangkong.screening.models import FollowUp, HomeVisit, LabResult, Tube

from .conftest import api, cid, to_lab


def _pools(world, rnd):
    """P0001 (苏霞, 于海涛) and P0002 (夏明) sealed; both found positive by the lab."""
    staff = Actor.system(world.users.staff)
    for code, people in (("P0001", (world.su, world.yu)), ("P0002", (world.xia,))):
        station.open_tube(staff, rnd, code, point=world.point.id, table=1)
        for p in people:
            station.scan(staff, rnd, client_id=cid(), barcode=code, person=p.token)
        station.seal_tube(staff, Tube.objects.get(round=rnd, barcode=code))
    to_lab(world, rnd, "P0001", "P0002")


def _csv(rows) -> SimpleUploadedFile:
    return SimpleUploadedFile("结果.csv", ("管号,结果\n" + "".join(f"{b},{r}\n" for b, r in rows)).encode())


def test_a_file_reversing_positive_pools_asks_first_then_releases_and_says_so(world, rnd, system, client):
    w = world
    _pools(w, rnd)
    lab = client
    lab.force_login(w.users.lab)
    first = api(lab, "post", "/results", {"results": [{"barcode": "P0001", "result": "positive"},
                                                      {"barcode": "P0002", "result": "positive"}]}).json()
    assert (first["positive_pools"], first["followups"]) == (2, 3)
    # 夏明's single re-test is positive: a confirmed case (P0002 is "GM00019")
    staff = Actor.system(w.users.staff)
    followup.record_retest(staff, FollowUp.objects.get(resident=w.xia), "R0001")
    api(lab, "post", "/results", {"results": [{"barcode": "R0001", "result": "positive"}]})
    assert FollowUp.objects.get(resident=w.xia).status == "case"
    results = LabResult.objects.count()

    # the page: nothing saved, a confirm step listing each change
    page = lab.post("/screening/lab/", {"file": _csv([("P0002", "阴性"), ("P0001", "阴性")])})
    html = page.content.decode()
    assert page.status_code == 200 and "该文件会改动已记录的结果" in html
    assert "第 2 行 · 试管 P0002" in html and "第 3 行 · 试管 P0001" in html
    assert "阳性 → 阴性" in html
    assert "因混管阳性被管控的 2 人解除管控" in html  # P0001: 苏霞 and 于海涛
    assert "1 名确诊病例不变" in html  # P0002: 夏明 stays a case
    assert LabResult.objects.count() == results
    assert Tube.objects.get(round=rnd, barcode="P0001").result == "positive"
    # the API: 409 with the list, nothing saved
    asked = lab.post("/api/v1/screening/results/file", {"file": _csv([("P0001", "阴性")])})
    assert asked.status_code == 409
    err = asked.json()["error"]
    assert err["code"] == "confirm_changes" and err["confirm"]
    assert [(c["barcode"], c["old"], c["new"], c["held"]) for c in err["changes"]] == [
        ("P0001", "positive", "negative", 2)]
    assert LabResult.objects.count() == results

    # confirmed on the page (the file is held for it: the confirm step posts no file)
    fields = dict(re.findall(r'<input type="hidden" name="(upload|changes)" value="([^"]+)"', html))
    done = lab.post("/screening/lab/", {"confirm": "1", **fields})
    assert done.status_code == 200 and "已保存 0 条结果，更正 2 条" in done.content.decode()
    assert "实验室更正了混管阳性结果，2 人解除管控" in done.content.decode()
    assert Tube.objects.get(round=rnd, barcode="P0001").result == "negative"
    held = {f.resident_id: f for f in FollowUp.objects.filter(round=rnd)}
    assert held[w.su.id].status == held[w.yu.id].status == "released"
    assert held[w.su.id].corrected_at is not None
    assert held[w.xia.id].status == "case" and held[w.xia.id].corrected_at is not None
    assert not HomeVisit.objects.filter(round=rnd, source="retest", status="open").exists()
    # audited, and the community told of each change
    event = AuditEvent.objects.filter(action="screening.results").latest("id")
    assert {(c["tube"], c["from"], c["to"]) for c in event.changes["changes"]} == {
        ("P0001", "positive", "negative"), ("P0002", "positive", "negative")}
    told = Notification.objects.filter(kind="screening.correction", user=w.users.staff)
    assert sorted(n.title for n in told) == ["实验室更正：试管 P0001 现为「阴性」", "实验室更正：试管 P0002 现为「阴性」"]

    # staff's pages agree: the follow-up page says the lab corrected it, the home's alert is gone
    staff_client = client.__class__()
    staff_client.force_login(w.users.staff)
    fu_page = staff_client.get(f"/screening/rounds/{rnd.id}/followups/").content.decode()
    # the two released read the correction; the case reads that it stands (its own re-test)
    assert fu_page.count("结果已由实验室更正为阴性") == 2 and "已解除：实验室更正了混管结果" in fu_page
    assert "混管结果已更正为阴性；本人单采复核阳性，仍为病例" in fu_page
    alert = staff_client.get(f"/screening/alert/?place={w.community.id}").content.decode()
    assert "P0001" not in alert
    out = api(staff_client, "get", f"/rounds/{rnd.id}/followups").json()["results"]
    su = next(f for f in out if f["resident"]["name"] == "苏霞")
    assert su["status"] == "released" and su["corrected_at"] and su["status_label"] == "已解除：实验室更正了混管结果"

    # the earlier file again: a change too, asked again — never a silent flip back
    again = lab.post("/api/v1/screening/results/file", {"file": _csv([("P0001", "阳性")])})
    assert again.status_code == 409
    flipped = lab.post("/api/v1/screening/results/file",
                       {"file": _csv([("P0001", "阳性")]), "confirm_changes": "true"}).json()
    # the counts are of what was done: the two released are held again, nobody else
    assert (flipped["corrected"], flipped["positive_pools"], flipped["followups"]) == (1, 1, 2)
    assert FollowUp.objects.get(resident=w.su).status == "awaiting"
    assert HomeVisit.objects.filter(round=rnd, source="retest", status="open").count() == 2
    same = api(lab, "post", "/results", {"results": [{"barcode": "P0001", "result": "positive"}]}).json()
    assert (same["unchanged"], same["positive_pools"], same["followups"]) == (1, 0, 0)


def test_a_changed_ct_alone_is_saved_without_asking(world, rnd, system, client):
    _pools(world, rnd)
    client.force_login(world.users.lab)
    api(client, "post", "/results", {"results": [{"barcode": "P0001", "result": "positive", "ct_orf": "30"}]})
    r = api(client, "post", "/results", {"results": [{"barcode": "P0001", "result": "positive", "ct_orf": "31"}]})
    assert r.status_code == 200 and (r.json()["corrected"], r.json()["followups"]) == (1, 0)


def test_a_confirmation_is_for_the_changes_shown(world, rnd, system, client):
    """The 409's fingerprint confirms exactly those changes: recorded differently meanwhile,
    the lab is asked again."""
    _pools(world, rnd)
    client.force_login(world.users.lab)
    api(client, "post", "/results", {"results": [{"barcode": "P0001", "result": "positive"}]})
    body = {"results": [{"barcode": "P0001", "result": "negative"}]}
    fingerprint = api(client, "post", "/results", body).json()["error"]["confirm"]
    api(client, "post", "/results", {"results": [{"barcode": "P0001", "result": "invalid"}],
                                     "confirm_changes": True})
    stale = api(client, "post", "/results", {**body, "confirm_changes": fingerprint})
    assert stale.status_code == 409
    assert [(c["old"], c["new"]) for c in stale.json()["error"]["changes"]] == [("invalid", "negative")]
    fresh = api(client, "post", "/results", {**body, "confirm_changes": stale.json()["error"]["confirm"]})
    assert fresh.status_code == 200
