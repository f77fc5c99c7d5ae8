"""A lab's results file is checked whole, and every error of every row comes back in one
answer — a malformed value, an unknown tube, a tube twice, a tube of another lab's area,
an empty tube — in the user's language, and nothing is written. The page and the API
(JSON rows or the same .xlsx/.csv file) answer alike."""

import datetime
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.core.actor import Actor
from fangkong.screening.actions import planning, station
from fangkong.screening.models import LabResult, Tube
from tests.conftest import log_in, make_user

from .conftest import cid, to_lab

HEADER = ["管号", "结果", "ORF1ab", "N", "检测时间"]


def world_with_tubes(world, system, boxed=True):
    """Community A's round with tube T0001 (苏霞; `boxed`: received at the lab in a box), empty
    tube T0002; community B's round (another lab's area) with tube B0001."""
    staff = Actor.system(world.users.staff)
    now = timezone.now()
    times = {"starts_at": now - datetime.timedelta(hours=1), "ends_at": now + datetime.timedelta(hours=6)}
    rnd = planning.plan_round(staff, world.community, {"name": "第3轮", "pool_size": 3, **times})
    station.open_tube(staff, rnd, "T0001")
    station.scan(staff, rnd, client_id=cid(), barcode="T0001", person=world.su.token)
    station.seal_tube(staff, Tube.objects.get(round=rnd, barcode="T0001"))
    station.open_tube(staff, rnd, "T0002")
    other = planning.plan_round(system, world.other, {"name": "惠泽苑第1轮", "pool_size": 3, **times})
    station.open_tube(system, other, "B0001")
    station.scan(system, other, client_id=cid(), barcode="B0001", person=world.other_person.token)
    station.seal_tube(system, Tube.objects.get(round=other, barcode="B0001"))
    # a lab for community A only (the world's lab covers the whole district)
    lab = make_user(system, "lab_a", Role.LAB, world.community)
    if boxed:
        to_lab(world, rnd, "T0001", lab=lab)
    return rnd, lab


def rows():
    """The file's rows, made after the tubes were sealed: a time of test before its tube was
    sealed is refused (found walking the lab's night: 2026-12-06 for a tube sealed on the 7th
    was taken)."""
    return [
    ["T0001", "阴性", "", "", f"{timezone.localtime():%Y-%m-%d %H:%M}"],
    ["T0001", "阳性", "", "", ""],  # the same tube twice
    ["T9999", "阴性", "", "", ""],  # unknown
    ["B0001", "阴性", "", "", ""],  # another lab's area
    ["T0002", "也许", "abc", "", "昨天"],  # empty tube; bad result, Ct and time
    ["T 3", "阴性", "", "", ""],  # not a barcode
]
EXPECTED = [(3, "barcode"), (4, "barcode"), (5, "barcode"), (6, "barcode"), (6, "result"),
            (6, "ct_orf"), (6, "tested_at"), (7, "barcode")]  # file rows (header is row 1)


def xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(HEADER)
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_lab_page_lists_every_error_of_the_file_at_once_in_chinese(world, system, client):
    rnd, lab = world_with_tubes(world, system, boxed=False)
    client.force_login(lab)
    f = SimpleUploadedFile("结果.xlsx", xlsx(rows()))
    html = client.post("/screening/lab/", {"file": f}).content.decode()
    assert "结果有误：全部未保存。" in html
    for row, _col in EXPECTED:
        assert f"第 {row} 行" in html
    assert "同一试管出现两次" in html and "T9999" in html and "B0001" in html
    assert "试管 T0002 中没有样本" in html and "不在本实验室负责区域" in html
    assert "管号" in html and "检测时间" in html
    assert "barcode" not in html.split("<main", 1)[-1].lower().replace('name="file"', "")
    assert LabResult.objects.count() == 0 and not Tube.objects.exclude(result="").exists()
    # the same file, corrected: T0001 came to the lab in no box — its row is refused, said
    # why (every pooled tube travels in a box both hand-overs signed for)
    good = SimpleUploadedFile("结果.xlsx", xlsx([rows()[0]]))
    html = client.post("/screening/lab/", {"file": good}).content.decode()
    assert LabResult.objects.count() == 0
    assert "试管 T0001 未装箱送到实验室" in html and "此行未保存" in html
    # packed, taken by the courier and signed for by the lab: the same file goes in
    to_lab(world, rnd, "T0001", lab=lab)
    good = SimpleUploadedFile("结果.xlsx", xlsx([rows()[0]]))
    html = client.post("/screening/lab/", {"file": good}).content.decode()
    assert LabResult.objects.count() == 1 and "签收记录" not in html
    # the page's own list, drawn after the upload: nothing left waiting for a result
    assert "管已到实验室、尚无结果" not in html


def test_the_api_lists_every_error_of_the_rows_at_once(world, system, client):
    _rnd, lab = world_with_tubes(world, system)
    client.force_login(lab)
    body = {"results": [dict(zip(["barcode", "result", "ct_orf", "ct_n", "tested_at"], r,
                                 strict=True)) for r in rows()]}
    r = client.post("/api/v1/screening/results", json.dumps(body), content_type="application/json")
    assert r.status_code == 400
    got = [(e["row"], e["column"]) for e in r.json()["error"]["rows"]]
    assert got == [(row - 1, col) for row, col in EXPECTED]  # JSON rows count from 1
    assert LabResult.objects.count() == 0


def test_the_api_takes_the_lab_file_itself(world, system, client):
    _rnd, lab = world_with_tubes(world, system)
    client.force_login(lab)
    bad = client.post("/api/v1/screening/results/file",
                      {"file": SimpleUploadedFile("r.xlsx", xlsx(rows()))})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "file_rejected"
    assert [(e["row"], e["column"]) for e in bad.json()["error"]["rows"]] == EXPECTED
    assert LabResult.objects.count() == 0
    csv = "管号,结果\nT0001,阴性\n".encode("gb18030")
    ok = client.post("/api/v1/screening/results/file", {"file": SimpleUploadedFile("r.csv", csv)})
    assert ok.status_code == 200, ok.content
    assert ok.json() == {"saved": 1, "corrected": 0, "unchanged": 0, "positive_pools": 0, "followups": 0,
                         "lifted": 0, "invalid_pools": 0, "resample": 0, "resample_left_out": 0,
                         "restored": 0, "retests": 0, "released": 0, "close_contacts": 0, "cases": 0,
                         "no_receipt": 0,  # T0001 came in a box the lab signed for
                         "refused": [],  # rows not sent to this lab: none
                         "reported_positive": 0, "held_unverified": 0}
    again = client.post("/api/v1/screening/results/file", {"file": SimpleUploadedFile("r.csv", csv)})
    assert again.json()["saved"] == 0 and LabResult.objects.count() == 1  # a resent file: nothing new
    assert again.json()["unchanged"] == 1
    wrong = client.post("/api/v1/screening/results/file",
                        {"file": SimpleUploadedFile("r.pdf", b"%PDF-1.4")})
    assert wrong.status_code == 422 and "xlsx" in wrong.json()["error"]["message"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_ct_columns_named_as_labs_name_them_an_open_tube_and_a_future_time(world, system, client):
    """Found walking the demo: "ORF1ab Ct值" / "N基因 Ct值" columns were dropped without a word
    (a positive saved with no Ct, -5 and "abc" not refused); a tube still open at its table
    and a time of test in 2099 were taken."""
    rnd, lab = world_with_tubes(world, system)
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, "T0003")
    station.scan(staff, rnd, client_id=cid(), barcode="T0003", person=world.yu.token)  # open
    client.force_login(lab)

    def upload(header, rows):
        wb = openpyxl.Workbook()
        wb.active.append(header)
        for r in rows:
            wb.active.append(r)
        buf = io.BytesIO()
        wb.save(buf)
        return client.post("/api/v1/screening/results/file",
                           {"file": SimpleUploadedFile("r.xlsx", buf.getvalue())})

    lab_names = ["管号", "结果", "ORF1ab Ct值", "N基因 Ct值", "检测时间"]
    bad = upload(lab_names, [["T0001", "阳性", "-5", "abc", ""],
                             ["T0003", "阴性", "", "", ""],
                             ["B0001", "阴性", "", "", "2099-01-01 10:00"]])
    assert bad.status_code == 422
    got = {(e["row"], e["column"]): e["message"] for e in bad.json()["error"]["rows"]}
    assert {(2, "ct_orf"), (2, "ct_n"), (3, "barcode"), (4, "tested_at")} <= set(got), got
    assert "还未封管" in got[(3, "barcode")] and "还没到" in got[(4, "tested_at")]
    assert LabResult.objects.count() == 0
    ok = upload(["管号", "结果", "ORF1ab 基因 Ct 值", "N 基因 Ct 值"], [["T0001", "阳性", "28.5", "30.1"]])
    assert ok.status_code == 200, ok.content
    kept = LabResult.objects.get()
    assert (float(kept.ct_orf), float(kept.ct_n)) == (28.5, 30.1)


def test_the_lab_page_in_a_phone_browser(phone_page, world, system, tmp_path):
    _rnd, lab = world_with_tubes(world, system)
    path = tmp_path / "检测结果.xlsx"
    path.write_bytes(xlsx(rows()))
    page = phone_page
    log_in(page, "lab_a")
    page.goto(f"{page.base}/screening/lab/")
    page.set_input_files("#f", str(path))
    page.click("button.primary")
    page.wait_for_selector("ul.file-errors li")
    assert page.locator("ul.file-errors li").count() == len(EXPECTED)
    text = page.locator("main").inner_text() if page.locator("main").count() else page.inner_text("body")
    assert "barcode" not in text.lower() and "第 3 行 · 管号" in text
    page.shot("screening-lab-upload-errors")
    assert LabResult.objects.count() == 0
    # the page answers 422 (the file was refused), which the browser notes in its console
    assert [p for p in page.problems if "status of 422" not in p] == [], page.problems


def _sealed_tubes(rnd, n, prefix, lab):
    """n tubes of one person each (苏霞's registration is in T0001 only: the others hold a
    count and no registration, as far as the results are concerned)."""
    from fangkong.core import bulk
    from fangkong.screening.models import Box

    box = Box.objects.create(round=rnd, code=f"{prefix}BOX", lab=lab, state=Box.State.AT_LAB)  # received
    make = bulk.prototype(Tube, round_id=rnd.id, barcode="", capacity=1, count=1, state="sealed",
                          community_id=rnd.community_id, district_id=rnd.district_id,
                          street_id=rnd.street_id, box_id=box.id, at_lab_at=timezone.now())
    tubes = []
    for k in range(n):
        t = make()
        t.barcode = f"{prefix}{k:04d}"
        tubes.append(t)
    bulk.insert(Tube, tubes)
    return [t.barcode for t in tubes]


@pytest.mark.parametrize("n", [3, 40])
def test_results_are_written_in_as_many_statements_for_3_tubes_as_for_40(world, system, n):
    """Set-based: the results of a file are read, inserted and the tubes updated in a fixed
    number of statements, whatever the number of tubes; sent again, nothing is written."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fangkong.screening.actions import lab as lab_actions

    rnd, lab = world_with_tubes(world, system)
    codes = _sealed_tubes(rnd, n, "S", lab)
    rows = [{"barcode": c, "result": "negative", "ct_orf": None, "ct_n": None, "_row": i}
            for i, c in enumerate(codes, 1)]
    actor = Actor.system(lab)
    with CaptureQueriesContext(connection) as ctx:
        assert lab_actions.record_results(actor, rows)["saved"] == n
    writes = [q["sql"] for q in ctx.captured_queries
              if q["sql"].startswith(("INSERT", "UPDATE", "COPY"))]
    # one insert of the results (COPY on PostgreSQL, not captured there), one update of
    # the tubes, one audit event
    assert len(writes) <= 3, writes
    assert len(ctx.captured_queries) <= 12, [q["sql"][:80] for q in ctx.captured_queries]
    assert LabResult.objects.filter(tube__barcode__in=codes).count() == n
    assert set(Tube.objects.filter(barcode__in=codes).values_list("result", flat=True)) == {"negative"}
    assert not Tube.objects.filter(barcode__in=codes, at_lab_at=None).exists()
    again = lab_actions.record_results(actor, rows)
    assert (again["saved"], again["unchanged"]) == (0, n)
    assert LabResult.objects.filter(tube__barcode__in=codes).count() == n
    # a correction of two: new rows replacing the old ones, the tubes follow (a change of a
    # recorded result is applied once the lab confirms it: tests/screening/test_lab_corrections.py)
    fixed = lab_actions.record_results(actor, [dict(rows[0], result="positive", ct_orf="30.1"),
                                               dict(rows[1], result="invalid")], confirm_changes=True)
    assert (fixed["corrected"], fixed["positive_pools"]) == (2, 1)
    latest = LabResult.objects.filter(tube__barcode=codes[0]).order_by("-created_at", "-id").first()
    assert latest.result == "positive" and latest.replaces is not None and str(latest.ct_orf) == "30.10"
    assert Tube.objects.get(round=rnd, barcode=codes[1]).result == "invalid"


def test_a_file_headed_with_the_lab_pages_own_column_names_is_read(world, system):
    """The lab page names the file's columns (in its errors); a lab that heads its file with
    those names, in either language, has every column read."""
    from django.utils import translation

    from fangkong.screening.labfile import column_labels, header_key

    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            labels = column_labels()
        assert {k: header_key(v) for k, v in labels.items()} == {k: k for k in labels}, lang
