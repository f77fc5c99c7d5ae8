"""Walk "lab" (2026-12-07), a testing round's night at the lab, defects 1, 4, 6 and 7.

1. A positive pooled result whose tube reached the lab outside a box was refused and lost: the
   refusal never said positive, nobody was told, the lab was told to pack a box (it cannot),
   the page said "任一行有误则全部不保存" of a half-saved file and the API answered 200 with
   saved 0. Now the chain of custody is per row, and a refused positive reaches the community at
   once (its people held, 来源待核实, staff told to back-fill the box); the lab reads that it was
   positive and what it can do; a file with nothing saved answers 422.
4. The results template left out the single re-test tubes carried from the door.
6. Tubes at the lab without a result vanished from the community's views, and the lab's receipt
   could not say a tube was missing or damaged.
7. 检测时间 as labs write it (2026/12/7 22:40, 2026年12月7日 22:40, Excel cells and serials) was
   refused, a time before the tube was sealed taken, and the template's example was of 2022.
Each through the page and the API, with files built as labs build them (openpyxl, GB18030 csv).
"""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.screening.actions import followup, lab, station
from fangkong.screening.models import Box, FollowUp, LabResult, Sample, Tube, VoidSample

from .conftest import api, cid, to_lab

pytestmark = pytest.mark.django_db


def _sealed(world, rnd, barcode, *people):
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, barcode)
    for p in people:
        station.scan(staff, rnd, client_id=cid(), barcode=barcode, person=p.token)
    station.seal_tube(staff, Tube.objects.get(round=rnd, barcode=barcode))


def _xlsx(header, rows) -> SimpleUploadedFile:
    wb = openpyxl.Workbook()
    wb.active.append(header)
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("检测结果.xlsx", buf.getvalue())


def _csv(text) -> SimpleUploadedFile:
    return SimpleUploadedFile("LIS导出.csv", text.encode("gb18030"))


def _now_text() -> str:
    return f"{timezone.localtime():%Y-%m-%d %H:%M}"


# --- 1. a refused positive reaches the community -------------------------------------------

def test_a_positive_refused_for_coming_in_no_box_still_holds_its_people_and_tells_the_community(
        world, rnd, client):
    w = world
    _sealed(w, rnd, "GM00032", w.su, w.yu, w.xia)  # sealed at table 1, never boxed
    _sealed(w, rnd, "GM00016", w.wang)
    to_lab(w, rnd, "GM00016")
    told = Notification.objects.count()
    client.force_login(w.users.lab)
    r = client.post("/screening/lab/", {"file": _xlsx(["管号", "结果", "ORF1ab", "N"], [
        ["GM00032", "阳性", 27, 28], ["GM00016", "阴性", "", ""]])})
    page = r.content.decode()
    assert r.status_code == 200  # the rest of the file was saved
    assert Tube.objects.get(barcode="GM00016").result == "negative"
    # the row says it was positive, why it was refused and what the lab itself can do
    assert "【阳性】试管 GM00032 未装箱送到实验室" in page and "此行未保存" in page
    assert "请联系采样点，由社区补录装箱和交接（双签收），再重新上传此行" in page
    assert "已立即通知社区：该管 3 人已管控，待单采复核，结果标为“来源待核实”。" in page
    assert "请在本轮“转运箱”页装箱" not in page  # a lab has no box form
    assert 'id="reported-positive"' in page and "被拒收的行中有 1 行为阳性" in page
    # the page's words are what happens: the chain of custody is per row
    assert "任一行有误则全部不保存" not in page
    assert "只拒收该行" in page and "被拒收的阳性立即报告社区" in page
    # nothing recorded as the tube's result, but its people are held at once, 来源待核实
    tube = Tube.objects.get(barcode="GM00032")
    assert tube.result == "" and tube.source_unverified and tube.unverified_positive_by == w.users.lab
    assert not LabResult.objects.filter(tube=tube).exists()
    held = FollowUp.objects.filter(tube=tube)
    assert {f.resident_id for f in held} == {w.su.id, w.yu.id, w.xia.id}
    assert {f.status for f in held} == {FollowUp.Status.AWAITING}
    # staff and the grid worker are told at once, and what to back-fill
    notes = Notification.objects.filter(kind="screening.positive_unverified")
    assert {n.user_id for n in notes} == {w.users.staff.id, w.users.grid.id}
    note = notes.get(user=w.users.staff)
    assert note.title == "阳性（来源待核实）：试管 GM00032，3 人需立即管控并单采复核"
    assert "该管未装入转运箱即送到实验室" in note.body and "补录该管的装箱和双方交接（双签收）" in note.body
    assert Notification.objects.count() > told + 2  # and the households (families.held)
    # the station refuses them, as anyone held by a positive pool
    staff = Actor.system(w.users.staff)
    station.open_tube(staff, rnd, "GM00040")
    with pytest.raises(Exception) as e:
        station.scan(staff, rnd, client_id=cid(), barcode="GM00040", person=w.su.token)
    assert getattr(e.value, "code", "") == "held"
    # the staff see it: the round page, the follow-up page and its API
    client.force_login(w.users.staff)
    rp = client.get(f"/screening/rounds/{rnd.id}/?place={w.community.id}").content.decode()
    assert "阳性，来源待核实" in rp and "来源待核实的阳性 1 管" in rp
    fp = client.get(f"/screening/rounds/{rnd.id}/followups/").content.decode()
    assert fp.count("来源待核实：实验室报告该管阳性，但缺少装箱或交接记录") == 3
    rows = api(client, "get", f"/rounds/{rnd.id}/followups").json()["results"]
    assert {x["tube"]: x["source_unverified"] for x in rows} == {"GM00032": True}
    # the staff back-fill the box and both hand-overs; the lab uploads again: recorded, verified
    to_lab(w, rnd, "GM00032")
    client.force_login(w.users.lab)
    out = api(client, "post", "/results", {"results": [{"barcode": "GM00032", "result": "positive"}]}).json()
    assert (out["saved"], out["positive_pools"], out["followups"], out["refused"]) == (1, 1, 0, [])
    assert not Tube.objects.get(barcode="GM00032").source_unverified
    assert FollowUp.objects.filter(tube=tube).count() == 3


def test_the_api_answers_422_when_nothing_was_saved_and_still_reports_the_positive(world, rnd, client):
    w = world
    _sealed(w, rnd, "GM00032", w.su, w.yu)
    client.force_login(w.users.lab)
    csv = f"样本编号,检测结果,ORF1ab基因Ct值,N基因Ct值,报告时间\nGM00032,阳性,27,28,{_now_text()}\n"
    r = client.post("/api/v1/screening/results/file", {"file": _csv(csv)})
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert error["code"] == "rows_refused" and "未保存任何结果" in error["message"]
    assert "被拒收的行中有 1 行为阳性" in error["message"]
    assert (error["reported_positive"], error["held_unverified"]) == (1, 2)
    [row] = error["rows"]
    assert row["row"] == 2 and row["value"] == "GM00032" and row["positive"]
    assert row["message"].startswith("【阳性】试管 GM00032 未装箱送到实验室")
    assert FollowUp.objects.filter(tube__barcode="GM00032").count() == 2
    assert Notification.objects.filter(kind="screening.positive_unverified").count() == 2
    # sent again (a LIS retrying on the 422): still 422, nobody held or told twice
    again = client.post("/api/v1/screening/results/file", {"file": _csv(csv)})
    assert again.status_code == 422 and again.json()["error"]["held_unverified"] == 0
    assert Notification.objects.filter(kind="screening.positive_unverified").count() == 2
    # JSON rows alike; the page answers 422 too and says nothing was saved
    assert api(client, "post", "/results", {"results": [{"barcode": "GM00032", "result": "阳性"}]}).status_code == 422
    page = client.post("/screening/lab/", {"file": _csv("管号,结果\nGM00032,阳性\n")})
    assert page.status_code == 422
    assert "文件中的结果均未保存：所有行都被拒收" in page.content.decode()
    assert "已保存 0 条结果" not in page.content.decode()


def test_a_positive_in_a_box_not_signed_for_is_refused_on_its_row_and_reported(world, rnd, client):
    """Every chain-of-custody refusal is per row (it had been the whole file for a box still
    with the courier), and a positive among them is reported alike."""
    w = world
    _sealed(w, rnd, "GM00033", w.su)
    _sealed(w, rnd, "GM00016", w.wang)
    to_lab(w, rnd, "GM00016")
    staff = Actor.system(w.users.staff)
    box = lab.create_box(staff, rnd, "GMBOX-06")
    lab.pack_tubes(staff, box, ["GM00033"])
    lab.hand_over(staff, box, "pickup", "赵静", "快递员 陈刚")  # with the courier
    client.force_login(w.users.lab)
    out = api(client, "post", "/results", {"results": [{"barcode": "GM00033", "result": "positive"},
                                                        {"barcode": "GM00016", "result": "negative"}]})
    assert out.status_code == 200
    body = out.json()
    assert (body["saved"], body["reported_positive"], body["held_unverified"]) == (1, 1, 1)
    [row] = body["refused"]
    assert "GMBOX-06 尚未经实验室签收" in row["message"] and "如该箱已送到，请先签收" in row["message"]
    assert FollowUp.objects.get(tube__barcode="GM00033").resident_id == w.su.id
    note = Notification.objects.get(kind="screening.positive_unverified", user=w.users.staff)
    assert "其转运箱 GMBOX-06 未经实验室签收" in note.body


def test_a_negative_recorded_later_for_a_refused_positive_is_asked_first_then_lifts_the_hold(world, rnd, client):
    """The refused positive stands for the tube's result until one is recorded: once the box
    and hand-overs are back-filled, a negative is a change of that result — the lab sees it
    ("阳性，来源待核实 → 阴性") and confirms; then the hold is lifted and the staff told."""
    w = world
    _sealed(w, rnd, "GM00032", w.su, w.yu)
    client.force_login(w.users.lab)
    api(client, "post", "/results", {"results": [{"barcode": "GM00032", "result": "positive"}]})
    assert FollowUp.objects.filter(tube__barcode="GM00032", status="awaiting").count() == 2
    to_lab(w, rnd, "GM00032")
    page = client.post("/screening/lab/", {"file": _csv("管号,结果\nGM00032,阴性\n")}).content.decode()
    assert "阳性，来源待核实 → 阴性" in page and not LabResult.objects.exists()
    asked = api(client, "post", "/results", {"results": [{"barcode": "GM00032", "result": "negative"}]})
    assert asked.status_code == 409 and asked.json()["error"]["code"] == "confirm_changes"
    [change] = asked.json()["error"]["changes"]
    assert (change["old_label"], change["new_label"], change["held"]) == ("阳性，来源待核实", "阴性", 2)
    out = api(client, "post", "/results", {"results": [{"barcode": "GM00032", "result": "negative"}],
                                           "confirm_changes": True}).json()
    assert (out["saved"], out["corrected"], out["lifted"]) == (1, 0, 2)
    assert set(FollowUp.objects.filter(tube__barcode="GM00032").values_list("status", flat=True)) == {"released"}
    assert Notification.objects.filter(kind="screening.correction", user=w.users.staff).count() == 1
    assert not Tube.objects.get(barcode="GM00032").source_unverified


def test_another_labs_positive_for_a_tube_with_a_result_holds_nobody(world, rnd, system):
    from fangkong.accounts.roles import Role
    from tests.conftest import make_user

    w = world
    _sealed(w, rnd, "GM00016", w.wang)
    to_lab(w, rnd, "GM00016")
    lab.record_results(Actor.system(w.users.lab), [{"barcode": "GM00016", "result": "negative"}])
    two = make_user(system, "lab_two", Role.LAB, w.district)
    out = lab.record_results(Actor.system(two), [{"_row": 2, "barcode": "GM00016", "result": "positive"}])
    [row] = out["refused"]
    assert (out["reported_positive"], out["held_unverified"]) == (0, 0) and row["positive"]
    assert "该管已有检测结果（阴性）：未就此行通知社区" in row["message"]
    assert not FollowUp.objects.exists() and not Tube.objects.get(barcode="GM00016").unverified_positive_at


# --- 4. the template lists the single re-test tubes first ------------------------------------

def test_the_template_lists_the_re_test_tubes_carried_from_the_door_first(world, rnd, client):
    w = world
    _sealed(w, rnd, "GM00017", w.su, w.yu)
    _sealed(w, rnd, "GM00018", w.xia)
    to_lab(w, rnd, "GM00017", "GM00018")
    lab.record_results(Actor.system(w.users.lab), [{"barcode": "GM00017", "result": "positive"}])
    for person, code in ((w.su, "RT0002"), (w.yu, "RT0001")):
        followup.record_retest(Actor.system(w.users.staff), FollowUp.objects.get(resident=person), code)
    assert Tube.objects.get(barcode="RT0001").at_lab_at is None  # carried, never signed for
    client.force_login(w.users.lab)
    for url in ("/screening/lab/template.xlsx", "/api/v1/screening/results/template"):
        wb = openpyxl.load_workbook(io.BytesIO(client.get(url).content))
        codes = [r[0] for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True) if r[0]]
        assert codes == ["RT0001", "RT0002", "GM00018"], (url, codes)
    # filled in and uploaded back: the re-tests decide
    out = api(client, "post", "/results", {"results": [{"barcode": "RT0001", "result": "negative"},
                                                        {"barcode": "RT0002", "result": "negative"}]}).json()
    assert (out["saved"], out["retests"], out["released"]) == (2, 2, 2)


# --- 6. tubes at the lab without a result; missing or damaged at the receipt ------------------

def test_tubes_at_the_lab_too_long_without_a_result_are_on_the_round_page_and_the_api(world, rnd, client, settings):
    w = world
    settings.FANGKONG_LAB_NO_RESULT_HOURS = 6
    _sealed(w, rnd, "GM00034", w.su, w.yu)
    _sealed(w, rnd, "GM00035", w.xia)
    to_lab(w, rnd, "GM00034", code="GMBOX-06")
    to_lab(w, rnd, "GM00035", code="GMBOX-07")
    Tube.objects.filter(barcode="GM00034").update(at_lab_at=timezone.now() - datetime.timedelta(hours=7))
    client.force_login(w.users.staff)
    page = client.get(f"/screening/rounds/{rnd.id}/?place={w.community.id}").content.decode()
    assert "送达实验室超过 6 小时仍无结果 <small>1</small>" in page
    listed = page.split('id="at-lab-no-result-list"', 1)[1].split("</ul>", 1)[0]
    assert "GM00034" in listed and "GMBOX-06" in listed and "GM00035" not in listed
    out = api(client, "get", f"/rounds/{rnd.id}/coverage").json()
    assert (out["at_lab_no_result"], out["lab_hours"]) == (1, 6)
    assert [(t["barcode"], t["count"], t["box"]) for t in out["at_lab_no_result_tubes"]] == [("GM00034", 2, "GMBOX-06")]
    # a result: off the list
    lab.record_results(Actor.system(w.users.lab), [{"barcode": "GM00034", "result": "negative"}])
    assert api(client, "get", f"/rounds/{rnd.id}/coverage").json()["at_lab_no_result"] == 0


def test_the_staff_home_counts_the_tubes_at_the_lab_too_long_without_a_result(world, rnd, client, settings):
    """The walk asked for the figure on the staff's home too, not only on the round page."""
    from django.urls import reverse

    from fangkong.screening import queries

    w = world
    settings.FANGKONG_LAB_NO_RESULT_HOURS = 6
    _sealed(w, rnd, "GM00034", w.su, w.yu)  # 1号楼 1单元
    _sealed(w, rnd, "GM00035", w.xia)
    to_lab(w, rnd, "GM00034", "GM00035", code="GMBOX-06")
    client.force_login(w.users.staff)
    assert "送达实验室超过" not in client.get(reverse("home"), follow=True).content.decode()  # not yet
    Tube.objects.filter(barcode="GM00034").update(at_lab_at=timezone.now() - datetime.timedelta(hours=7))
    home = client.get(reverse("home"), follow=True).content.decode()
    assert "送达实验室超过 6 小时仍无结果：1 管" in home
    assert f"/screening/rounds/{rnd.id}/?place={w.community.id}#at-lab-no-result" in home
    # counted under the place: the tube's people live in 1单元, nobody of 2单元 is in it
    assert queries.at_lab_no_result_count(rnd, w.unit1) == 1
    assert queries.at_lab_no_result_count(rnd, w.unit2) == 0
    lab.record_results(Actor.system(w.users.lab), [{"barcode": "GM00034", "result": "negative"}])
    assert "送达实验室超过" not in client.get(reverse("home"), follow=True).content.decode()


def test_the_lab_receipt_lists_the_tubes_and_a_damaged_one_is_sampled_again(world, rnd, client):
    w = world
    staff = Actor.system(w.users.staff)
    _sealed(w, rnd, "GM00031", w.su, w.yu)
    _sealed(w, rnd, "GM00032", w.xia)
    box = lab.create_box(staff, rnd, "GMBOX-02")
    lab.pack_tubes(staff, box, ["GM00031", "GM00032"])
    lab.hand_over(staff, box, "pickup", "赵静", "快递员 陈刚")
    client.force_login(w.users.lab)
    boxes = f"/screening/rounds/{rnd.id}/boxes/"
    form = {"do": "handover", "box": box.id, "stage": "lab", "given_by": "快递员 陈刚", "received_by": "韩磊"}
    asked = client.post(boxes, form).content.decode()
    assert "实验室接收 箱 GMBOX-02？" in asked and "箱内 2 管" in asked
    for code in ("GM00031", "GM00032"):  # each tube, to mark missing or damaged
        assert f'name="lost_{code}" value="damaged"' in asked and f'name="lost_{code}" value="missing"' in asked
    assert "请逐管核对清单" in asked and Box.objects.get(pk=box.pk).state == Box.State.IN_TRANSIT
    done = client.post(boxes, {**form, "confirm": "1", "lost_GM00031": "", "lost_GM00032": "damaged"},
                       follow=True).content.decode()
    assert "已接收 箱 GMBOX-02，2 管。" in done and "1 管标为缺失或破损（GM00032）" in done
    broken = Tube.objects.get(barcode="GM00032")
    assert (broken.result, broken.lost) == ("invalid", "damaged")
    assert LabResult.objects.get(tube=broken).source == "receipt"
    # its person is to be sampled again, as for any invalid pool; the staff told why
    assert not Sample.objects.filter(tube=broken).exists() and VoidSample.objects.filter(tube=broken).count() == 1
    note = Notification.objects.get(kind="screening.invalid_pool", user=w.users.staff)
    assert note.body.startswith("该管送到实验室时已破损（破裂或漏液）：已记为无效。")
    assert Tube.objects.get(barcode="GM00031").result == ""  # arrived: waits for its result


def test_the_api_receipt_marks_a_missing_tube(world, rnd, client):
    w = world
    staff = Actor.system(w.users.staff)
    _sealed(w, rnd, "GM00031", w.su)
    _sealed(w, rnd, "GM00032", w.xia)
    box = lab.create_box(staff, rnd, "GMBOX-03")
    lab.pack_tubes(staff, box, ["GM00031", "GM00032"])
    lab.hand_over(staff, box, "pickup", "赵静", "快递员 陈刚")
    client.force_login(w.users.lab)
    url = f"/rounds/{rnd.id}/boxes/{box.id}/handover"
    receipt = {"stage": "lab", "given_by": "快递员 陈刚", "received_by": "韩磊"}
    bad = api(client, "post", url, {**receipt, "missing": ["GM00099"]})
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["missing"] == ["试管 GM00099 不在箱 GMBOX-03 中。"]
    assert Box.objects.get(pk=box.pk).state == Box.State.IN_TRANSIT
    ok = api(client, "post", url, {**receipt, "missing": ["gm00031"]})
    assert ok.status_code == 200 and ok.json()["state"] == "at_lab"
    gone = Tube.objects.get(barcode="GM00031")
    assert (gone.result, gone.lost) == ("invalid", "missing")
    note = Notification.objects.get(kind="screening.invalid_pool", user=w.users.staff)
    assert note.body.startswith("实验室签收转运箱时该管缺失：已记为无效。")
    # the pickup cannot mark tubes
    other = lab.create_box(staff, rnd, "GMBOX-04")
    _sealed(w, rnd, "GM00033", w.yu)
    lab.pack_tubes(staff, other, ["GM00033"])
    client.force_login(w.users.staff)
    r = api(client, "post", f"/rounds/{rnd.id}/boxes/{other.id}/handover",
            {"stage": "pickup", "given_by": "赵静", "received_by": "快递员", "damaged": ["GM00033"]})
    assert r.status_code == 400 and "missing" in r.json()["error"]["fields"]


# --- 7. times of test as labs write them -------------------------------------------------------

def test_times_of_test_as_labs_write_them_and_none_before_the_seal(world, rnd, client):
    w = world
    for code, person in (("GM00034", w.su), ("GM00035", w.yu), ("GM00036", w.xia), ("GM00037", w.wang)):
        _sealed(w, rnd, code, person)
    to_lab(w, rnd, "GM00034", "GM00035", "GM00036", "GM00037")
    now = timezone.localtime().replace(second=0, microsecond=0)
    slash = f"{now.year}/{now.month}/{now.day} {now:%H:%M}"
    client.force_login(w.users.lab)
    # a GB18030 CSV as a LIS exports it
    csv = f"样本编号,检测结果,ORF1ab基因Ct值,N基因Ct值,报告时间\nGM00034,阴性,未检出,未检出,{slash}\n"
    r = client.post("/api/v1/screening/results/file", {"file": _csv(csv)})
    assert r.status_code == 200, r.content
    assert Tube.objects.get(barcode="GM00034").result_at == now
    # an .xlsx: 年月日, a date cell, a number Excel shows as a date without its format
    serial = (now.replace(tzinfo=None) - datetime.datetime(1899, 12, 30)) / datetime.timedelta(days=1)
    f = _xlsx(["管号", "结果", "ORF1ab", "N", "检测时间"], [
        ["GM00035", "阴性", "", "", f"{now.year}年{now.month}月{now.day}日 {now:%H:%M}"],
        ["GM00036", "阴性", "", "", now.replace(tzinfo=None)],
        ["GM00037", "阴性", "", "", serial]])
    page = client.post("/screening/lab/", {"file": f}).content.decode()
    assert "已保存 3 条结果" in page, page
    for code in ("GM00035", "GM00036", "GM00037"):
        assert abs(Tube.objects.get(barcode=code).result_at - now) < datetime.timedelta(seconds=1), code


def test_a_time_of_test_before_the_seal_is_refused_and_the_examples_are_of_this_year(world, rnd, client):
    w = world
    _sealed(w, rnd, "GM00032", w.su)
    to_lab(w, rnd, "GM00032")
    sealed = Tube.objects.get(barcode="GM00032").sealed_at
    day_before = timezone.localtime(sealed - datetime.timedelta(days=1))
    client.force_login(w.users.lab)
    body = {"results": [{"barcode": "GM00032", "result": "negative", "tested_at": f"{day_before:%Y-%m-%d %H:%M}"}]}
    r = api(client, "post", "/results", body)
    assert r.status_code == 400
    [row] = r.json()["error"]["rows"]
    assert row["column"] == "tested_at" and row["message"].startswith("检测时间早于封管时间（")
    page = client.post("/screening/lab/", {"file": _xlsx(["管号", "结果", "检测时间"], [
        ["GM00032", "阴性", f"{day_before:%Y/%m/%d %H:%M}"]])})
    assert page.status_code == 422 and "检测时间早于封管时间" in page.content.decode()
    assert not LabResult.objects.exists()
    # the examples a lab reads are of this year, never 2022
    year = str(timezone.localdate().year)
    bad = api(client, "post", "/results", {"results": [{"barcode": "GM00032", "result": "negative",
                                                         "tested_at": "昨天晚上"}]})
    assert f"如 {year}-" in bad.json()["error"]["rows"][0]["message"]
    lab_page = client.get("/screening/lab/").content.decode()
    assert f"{year}年" in lab_page and "2022" not in lab_page
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/screening/lab/template.xlsx").content))
    said = " ".join(str(c) for row in wb.worksheets[1].iter_rows(values_only=True) for c in row if c)
    assert f"{year}/" in said and "2022" not in said and "不得早于封管时间" in said
