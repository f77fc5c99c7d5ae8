"""Antigen rounds: kits at the door, results (door and self-report with a photo), a positive
to an urgent PCR re-test with notifications, missing results, and every refusal."""

import datetime
import uuid

import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.core.errors import Forbidden, Invalid, NotFound
from fangkong.notify.models import Notification
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening import antigen, figures
from fangkong.screening.actions import antigen as antigen_actions
from fangkong.screening.actions import followup, planning
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.models import AntigenResult, FollowUp, HomeVisit, KitIssue, Sample

from .photos import png


@pytest.fixture
def ag(world, system):
    """A running antigen round over community A, with a depot point for volunteers."""
    return running_antigen_round(world, system)


def running_antigen_round(world, system):
    staff = Actor.system(world.users.staff)
    depot = reg.create_place(system, world.community, Kind.SAMPLING_POINT, "社区发放点")
    now = timezone.now()
    r = planning.plan_round(staff, world.community, {
        "name": "抗原第1轮", "kind": "antigen", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=10), "pool_size": 1}, points=[(depot, 1)])
    planning.set_status(staff, r, "running")
    world.depot = r.points.get()
    return r


def staff(w):
    return Actor.system(w.users.staff, via="web")


def test_the_whole_antigen_story(world, ag, client, system):
    w = world
    # a volunteer assigned to the round hands out kits and enters results at the door
    planning.assign_sampler(staff(w), ag, w.depot, w.users.volunteer)
    vol = Actor.system(w.users.volunteer)
    cid = uuid.uuid4()
    k = antigen_actions.issue_kits(vol, ag, w.hh101, 2, client_id=cid)
    assert antigen_actions.issue_kits(vol, ag, w.hh101, 2, client_id=cid).id == k.id  # a retry: once
    antigen_actions.issue_kits(vol, ag, w.hh102, "1")
    cov = figures.coverage(ag, w.community)
    assert (cov["kits"], cov["households_with_kits"], cov["expected"], cov["reported"]) == (3, 2, 4, 0)

    antigen_actions.record_result(vol, ag, w.yu, "阴性")
    # the resident reports 苏霞's result through the household login, with a photo
    res = Actor.system(w.users.resident)
    a, changed = antigen_actions.record_result(res, ag, w.su, "positive", photo=png())
    assert changed and a.source == "self" and a.photo.name.endswith(".png")
    # a positive: held, urgent PCR re-test at home, staff and grid worker told at once
    fu = FollowUp.objects.get(round=ag, resident=w.su)
    assert fu.status == "awaiting" and fu.tube is None
    hv = HomeVisit.objects.get(round=ag, resident=w.su, source="retest")
    assert hv.status == "open" and hv.note  # listed for an urgent PCR re-test at the door
    told = set(Notification.objects.filter(kind="screening.antigen_positive").values_list("user_id", flat=True))
    assert told == {w.users.staff.id, w.users.grid.id}
    # whose door, in the message itself (walk_family: "抗原阳性：乔秀兰 需紧急核酸复核" had no address),
    # and its link opens at the person's row
    note = Notification.objects.filter(kind="screening.antigen_positive", user=w.users.grid).get()
    assert note.body.startswith("光明小区 1号楼 1单元 101。请该户居家不外出"), note.body
    assert note.url.endswith(f"#fu-r{w.su.id}")
    # the same submission again notifies nobody twice and writes nothing
    antigen_actions.record_result(res, ag, w.su, "positive", client_id=a.client_id, photo=png())
    assert AntigenResult.objects.filter(round=ag).count() == 2
    assert Notification.objects.filter(kind="screening.antigen_positive").count() == 2

    # coverage and the missing list: 夏明 and 王新勇 have not reported
    cov = figures.coverage(ag, w.community)
    assert (cov["reported"], cov["missing"], cov["positive"], cov["households_covered"]) == (2, 2, 1, 1)
    groups, _t = figures.missing(staff(w).scope, ag, w.community)
    assert [[r.name for r in people] for _l, people in groups] == [["夏明"], ["王新勇"]]
    units = {u["label"]: u for u in antigen.by_unit(ag, w.community)}
    assert units["光明小区 1号楼 1单元"]["missing"] == 1 and units["光明小区 1号楼 1单元"]["kits"] == 3
    client.force_login(w.users.staff)
    page = client.get(f"/screening/rounds/{ag.id}/missing/")
    assert page.status_code == 200 and "夏明" in page.content.decode() and "苏霞" not in page.content.decode()
    page = client.get(f"/screening/rounds/{ag.id}/antigen/")
    assert page.status_code == 200 and f"/screening/antigen/photos/{a.id}/" in page.content.decode()
    photo = client.get(f"/screening/antigen/photos/{a.id}/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    a.photo.storage.delete(a.photo.name)  # the file gone from storage: not found, never a 500
    assert client.get(f"/screening/antigen/photos/{a.id}/").status_code == 404
    a.photo.save("again.png", png(), save=True)

    # the follow-up page speaks of the antigen test, not of pooled tubes (found walking the demo)
    client.force_login(w.users.staff)
    page = client.get(f"/screening/rounds/{ag.id}/followups/").content.decode()
    assert "抗原阳性追踪" in page and "抗原阳性，待单管核酸复核" in page and "混管" not in page
    # and so do the home-sampling list and its API: a re-test after a positive antigen test
    page = client.get(f"/screening/rounds/{ag.id}/home/").content.decode()
    assert "抗原阳性后单管核酸复核" in page and "混管" not in page
    api = client.get(f"/api/v1/screening/rounds/{ag.id}/home-visits").json()["results"]
    assert [v["source_label"] for v in api if v["source"] == "retest"] == ["抗原阳性后单管核酸复核"]
    # a member who has not reported reads "未上报结果" on the household's page, not "未采样"
    row = client.get(f"/screening/households/{w.hh102.id}/").content.decode().split("夏明", 1)[1]
    assert "未上报结果" in row.split("</li>")[0] and "未采样" not in row.split("</li>")[0]
    # the system's note is kept as a fact and read in the reader's language
    client.cookies["django_language"] = "en"
    api = client.get(f"/api/v1/screening/rounds/{ag.id}/home-visits").json()["results"]
    assert [v["note"] for v in api if v["source"] == "retest"] == [
        "URGENT: antigen positive, PCR re-test at home"]
    assert "URGENT: antigen positive" in client.get(f"/screening/rounds/{ag.id}/home/").content.decode()
    client.cookies["django_language"] = "zh-hans"
    # the PCR re-test of the antigen positive runs through the follow-up page; negative releases
    tube = followup.record_retest(staff(w), fu, "AGR0001")
    lab = Actor.system(w.users.lab, via="api")
    lab_actions.record_results(lab, [{"barcode": "AGR0001", "result": "negative", "_row": 1}])
    fu.refresh_from_db()
    assert fu.status == "released" and tube.retest
    assert not Sample.objects.filter(round=ag, retest=False).exists()

    # the door's form keeps a positive, whoever enters it; staff correct it, with a reason
    for who in (vol, staff(w)):
        with pytest.raises(Invalid) as e:
            antigen_actions.record_result(who, ag, w.su, "negative")
        assert e.value.code == "positive_kept"
    from fangkong.screening.actions import antigen_correct

    row = AntigenResult.objects.get(round=ag, resident=w.su)
    antigen_correct.correct_positive(staff(w), ag, row, "negative", "录错了人", confirm=True)
    assert AntigenResult.objects.get(round=ag, resident=w.su).result == "negative"


def test_self_report_needs_a_photo_and_cannot_replace_a_door_entry(world, ag):
    res = Actor.system(world.users.resident)
    with pytest.raises(Invalid) as e:
        antigen_actions.record_result(res, ag, world.su, "negative")
    assert "photo" in e.value.fields
    antigen_actions.record_result(staff(world), ag, world.yu, "negative")
    with pytest.raises(Invalid) as e:
        antigen_actions.record_result(res, ag, world.yu, "positive", photo=png())
    assert e.value.code == "already_entered"
    # nor another household's member
    with pytest.raises(NotFound):
        antigen_actions.record_result(res, ag, world.xia, "negative", photo=png())
    assert AntigenResult.objects.count() == 1


@pytest.mark.parametrize("content,name", [
    (b"%PDF-1.4 not a photo", "x.jpg"), (b"GIF89a" + b"\0" * 40, "x.gif"), (b"", "x.png")])
def test_a_file_that_is_not_a_photo_is_refused(world, ag, content, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(Invalid) as e:
        antigen_actions.record_result(Actor.system(world.users.resident), ag, world.su, "negative",
                              photo=SimpleUploadedFile(name, content))
    assert "photo" in e.value.fields
    assert AntigenResult.objects.count() == 0


def test_a_photo_over_5_mb_is_refused(world, ag):
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff\xe0" + b"0" * (5 * 1024 * 1024))
    with pytest.raises(Invalid) as e:
        antigen_actions.record_result(staff(world), ag, world.su, "negative", photo=big)
    assert "5 MB" in str(e.value.fields["photo"][0])
    assert AntigenResult.objects.count() == 0


def test_kits_entered_offline_keep_the_time_they_were_entered(world, ag, client):
    """A phone in a stairwell without signal sends its kits later, with the time they were
    entered; a time in the future (a phone's clock ahead) becomes now."""
    client.force_login(world.users.staff)
    base = f"/api/v1/screening/rounds/{ag.id}"
    entered = (timezone.now() - datetime.timedelta(minutes=40)).replace(microsecond=0)
    r = client.post(f"{base}/kits", {"household": world.hh101.id, "count": 2,
                                     "client_id": str(uuid.uuid4()), "issued_at": entered.isoformat()},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    assert KitIssue.objects.get(household=world.hh101).issued_at == entered
    before = timezone.now()
    antigen_actions.issue_kits(staff(world), ag, world.hh102, 1,
                       issued_at=timezone.now() + datetime.timedelta(hours=3))
    k = KitIssue.objects.get(household=world.hh102)
    assert before <= k.issued_at <= timezone.now()


def test_wrong_roles_and_other_community_are_refused(world, ag, system):
    w = world
    for user, exc in [(w.users.volunteer, NotFound), (w.users.other_staff, NotFound),
                      (w.users.supplier, NotFound), (w.users.lab, NotFound),
                      (w.users.street, Forbidden), (w.users.leader, Forbidden)]:
        with pytest.raises(exc):
            antigen_actions.issue_kits(Actor.system(user), ag, w.hh101, 1)
        with pytest.raises(exc):
            antigen_actions.record_result(Actor.system(user), ag, w.su, "negative")
    # community B's household is not in the round, even for A's staff
    with pytest.raises(NotFound):
        antigen_actions.issue_kits(staff(w), ag, w.other_hh, 1)
    with pytest.raises(NotFound):
        antigen_actions.record_result(staff(w), ag, w.other_person, "negative")
    assert KitIssue.objects.count() == AntigenResult.objects.count() == 0


def test_malformed_input_is_refused_with_clear_messages(world, ag, client):
    client.force_login(world.users.staff)
    base = f"/api/v1/screening/rounds/{ag.id}"
    for body in ({"household": world.hh101.id, "count": 0}, {"household": world.hh101.id, "count": "两"},
                 {"household": world.hh101.id, "count": 21},
                 {"household": world.hh101.id, "count": 1, "client_id": "nope"},
                 {"household": world.hh101.id, "count": 1, "issued_at": "yesterday"}):
        r = client.post(f"{base}/kits", body, content_type="application/json")
        assert r.status_code == 400, (body, r.content)
        assert r.json()["error"]["fields"]
    r = client.post(f"{base}/kits", {"household": world.hh101.id, "count": 1, "extra": 1},
                    content_type="application/json")
    assert r.status_code == 422
    r = client.post(f"{base}/antigen-results", {"resident": world.su.id, "result": "maybe"})
    assert r.status_code == 400 and "result" in r.json()["error"]["fields"]
    r = client.post(f"{base}/antigen-results", {"resident": "x", "result": "negative"})
    assert r.status_code == 422
    r = client.post(f"{base}/antigen-results", {"resident": 99999999999999999999, "result": "negative"})
    assert r.status_code == 404
    assert KitIssue.objects.count() == AntigenResult.objects.count() == 0
    # a PCR round has no antigen endpoints
    pcr = planning.plan_round(staff(world), world.community, {
        "name": "核酸", "kind": "pcr", "starts_at": timezone.now(),
        "ends_at": timezone.now() + datetime.timedelta(hours=2), "pool_size": 10})
    r = client.post(f"/api/v1/screening/rounds/{pcr.id}/kits", {"household": world.hh101.id, "count": 1},
                    content_type="application/json")
    assert r.status_code == 404


def test_a_closed_round_takes_no_more_results(world, ag):
    planning.set_status(staff(world), ag, "closed")
    with pytest.raises(Invalid) as e:
        antigen_actions.record_result(staff(world), ag, world.su, "negative")
    assert e.value.code == "round_closed"


def test_door_page_and_self_report_page(world, ag, client):
    client.force_login(world.users.staff)
    r = client.get(f"/screening/rounds/{ag.id}/antigen/door/?unit={world.unit1.id}&door=101")
    assert r.status_code == 302
    page = client.get(r["Location"])
    assert page.status_code == 200 and "苏霞" in page.content.decode()
    r = client.post(r["Location"], {"action": "kits", "count": "2", "client_id": str(uuid.uuid4())})
    assert r.status_code == 302 and KitIssue.objects.get().count == 2
    r = client.post(f"/screening/rounds/{ag.id}/antigen/door/?household={world.hh101.id}",
                    {"resident": world.yu.id, "result": "negative", "photo": png()})
    assert r.status_code == 302 and AntigenResult.objects.get().photo
    # the resident's own page, and their photo; community B's staff see neither
    client.force_login(world.users.resident)
    page = client.get("/screening/antigen/mine/")
    assert page.status_code == 200 and "抗原第1轮" in page.content.decode()
    r = client.post("/screening/antigen/mine/", {"round": ag.id, "household": world.hh101.id,
                                                 "resident": world.su.id, "result": "negative",
                                                 "photo": png()})
    assert r.status_code == 302
    a = AntigenResult.objects.get(resident=world.su)
    assert a.source == "self"
    assert client.get(f"/screening/antigen/photos/{a.id}/").status_code == 200
    client.force_login(world.users.other_staff)
    assert client.get(f"/screening/antigen/photos/{a.id}/").status_code == 404
    assert client.get(f"/screening/rounds/{ag.id}/antigen/").status_code == 404
    assert client.get("/screening/antigen/mine/").status_code == 404
    client.force_login(world.users.street)
    assert client.get(f"/screening/rounds/{ag.id}/antigen/door/").status_code == 403
    assert client.get(f"/screening/rounds/{ag.id}/antigen/").status_code == 200


def test_unit_sheet_holds_the_whole_unit_for_the_door(world, ag, client, system, django_assert_max_num_queries):
    """With no door number the door page lists every household of the unit with its members
    and their results and kits (the page a volunteer takes into a stairwell with no network)."""
    handed = (timezone.now() - datetime.timedelta(minutes=30)).replace(microsecond=0)
    antigen_actions.issue_kits(staff(world), ag, world.hh101, 1, issued_at=handed - datetime.timedelta(minutes=5))
    antigen_actions.issue_kits(staff(world), ag, world.hh101, 1, issued_at=handed)
    antigen_actions.record_result(staff(world), ag, world.su, "positive")
    moved = reg.create_resident(system, world.hh102, {"name": "搬走者", "relation": "子女"})
    reg.update_resident(system, moved, {"presence": "moved_out"})
    unit, rows = antigen.unit_sheet(ag, world.unit1.id)
    assert unit == world.unit1 and [h.door for h in rows] == ["101", "102"]
    h101, h102 = rows
    assert (h101.kits, h101.reported, [p.name for p in h101.people]) == (2, 1, ["苏霞", "于海涛"])
    assert h101.kits_last == handed and h102.kits_last is None
    assert h101.people[0].antigen.result == "positive" and h101.people[1].antigen is None
    assert (h102.kits, h102.reported, [p.name for p in h102.people]) == (0, 0, ["夏明"])
    with django_assert_max_num_queries(5):
        antigen.unit_sheet(ag, world.unit1.id)
    assert [h.door for h in antigen.unit_sheet(ag, world.building.id)[1]] == ["101", "102", "201"]
    for place in (world.compound, world.other_unit):  # not a unit; not in the round's area
        with pytest.raises(NotFound):
            antigen.unit_sheet(ag, place.id)

    client.force_login(world.users.volunteer)
    planning.assign_sampler(staff(world), ag, world.depot, world.users.volunteer)
    page = client.get(f"/screening/rounds/{ag.id}/antigen/door/?unit={world.unit1.id}&door=")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="sheet"' in html
    assert "苏霞" in html and "夏明" in html and "王新勇" not in html and "搬走者" not in html
    assert f'id="hh-{world.hh101.id}"' in html and "1/2" in html
    assert "最近一次 " + timezone.localtime(handed).strftime("%H:%M") in html  # a second volunteer sees it
    api = client.get(f"/api/v1/screening/rounds/{ag.id}/antigen-households/{world.hh101.id}").json()
    assert api["kits"] == 2 and datetime.datetime.fromisoformat(api["kits_last"]) == handed
    # a unit of community B, or a place that is not a unit: said so, nobody listed
    for place in (world.other_unit, world.compound):
        page = client.get(f"/screening/rounds/{ag.id}/antigen/door/?unit={place.id}")
        html = page.content.decode()
        assert page.status_code == 200 and "该单元不在本轮范围内" in html and 'id="sheet"' not in html
        assert "袁桂英" not in html
    # the staff overview's units open their sheet; a street commander (no door work) gets no link
    client.force_login(world.users.staff)
    link = f"/screening/rounds/{ag.id}/antigen/door/?unit={world.unit1.id}"
    assert link in client.get(f"/screening/rounds/{ag.id}/antigen/").content.decode()
    client.force_login(world.users.street)
    assert link not in client.get(f"/screening/rounds/{ag.id}/antigen/").content.decode()
    # roles that may not work at the door
    for user in (world.users.other_staff, world.users.resident, world.users.supplier):
        client.force_login(user)
        r = client.get(f"/screening/rounds/{ag.id}/antigen/door/?unit={world.unit1.id}")
        assert r.status_code == 404 and "苏霞" not in r.content.decode()


def test_a_positive_self_report_says_the_one_community_number(world, ag, client):
    """walk_family: the positive page said "光明社区办公室 赵静 1370…" while the household page
    said the duty phone 0351…: two numbers for "the community". Where a duty phone is set,
    the positive page says it too; the staff's own phones only where none is."""
    antigen_actions.record_result(Actor.system(world.users.resident), ag, world.su, "positive", photo=png())
    client.force_login(world.users.resident)

    def block():
        page = client.get("/screening/antigen/mine/").content.decode()
        return page.split(f'id="positive-{world.su.id}"', 1)[1].split("</div>", 1)[0]

    before = block()
    assert 'id="positive-duty"' not in before and "tel:" in before  # the staff's phones, none set
    reg.set_duty_phone(Actor.system(world.users.staff), world.community, "03514120101")
    after = block()
    assert 'id="positive-duty"' in after and 'href="tel:03514120101"' in after
    assert after.count("tel:") == 1  # one number, the one the household page says
