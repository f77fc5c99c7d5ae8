"""The lab's results template (found walking a lab operator's night: the upload page told
the columns in prose only, and at 2 a.m. the file was built from the prose). The template
is downloaded from the lab page (or the API), lists the tubes the lab has received and not
yet reported, is filled in with results and uploaded back the way the operator uploads, and
the results are saved."""

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.actions import station
from fangkong.screening.models import Box, LabResult, Tube

from .conftest import cid

ZH_HEADER = ["管号", "结果", "ORF1ab 基因 Ct 值", "N 基因 Ct 值", "检测时间", "轮次", "箱号"]


def _scene(world, rnd):
    """T0001 (苏霞) and T0002 (于海涛) in box B0001, received at the lab; T0003 (夏) in box
    B0002, still with the courier; T0009 (王) received and already reported."""
    staff, lab = Actor.system(world.users.staff), Actor.system(world.users.lab)
    for code, person in (("T0001", world.su), ("T0002", world.yu), ("T0003", world.xia),
                         ("T0009", world.wang)):
        station.open_tube(staff, rnd, code)
        station.scan(staff, rnd, client_id=cid(), barcode=code, person=person.token)
        station.seal_tube(staff, Tube.objects.get(round=rnd, barcode=code))
    for code, tubes, received in (("B0001", ["T0001", "T0002"], True), ("B0002", ["T0003"], False),
                                  ("B0009", ["T0009"], True)):
        box = lab_actions.create_box(staff, rnd, code)
        lab_actions.pack_tubes(staff, box, tubes)
        lab_actions.hand_over(staff, box, "pickup", "张三", "快递李四")
        if received:
            lab_actions.hand_over(lab, Box.objects.get(pk=box.pk), "lab", "快递李四", "检测员王五")
    lab_actions.record_results(lab, [{"barcode": "T0009", "result": "negative"}])


def _fill(data: bytes, results: dict) -> bytes:
    """The operator's part: a result (and Ct values) on each row they have one for, the
    rows without one deleted, the file saved."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    for row in range(ws.max_row, 1, -1):
        code = ws.cell(row=row, column=1).value
        if code in results:
            for col, value in enumerate(results[code], 2):
                ws.cell(row=row, column=col, value=value)
        elif code:
            ws.delete_rows(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rows(data: bytes):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return wb, [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def test_the_lab_downloads_the_template_fills_it_in_and_uploads_it_back(world, rnd, client):
    _scene(world, rnd)
    client.force_login(world.users.lab)
    page = client.get("/screening/lab/").content.decode()
    assert 'href="/screening/lab/template.xlsx"' in page and "下载结果模板" in page
    r = client.get("/screening/lab/template.xlsx")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment;")
    wb, rows = _rows(r.content)
    assert rows[0] == ZH_HEADER  # the user's language, as the lab page names the columns
    # the tubes received and not reported: not the one with the courier, not the one reported
    assert [(x[0], x[1], x[5], x[6]) for x in rows[1:] if x[0]] == [
        ("T0001", None, "第3轮核酸", "B0001"), ("T0002", None, "第3轮核酸", "B0001")]
    help_rows = [list(x) for x in wb.worksheets[1].iter_rows(values_only=True)]
    said = "\n".join(" ".join(str(c) for c in x if c) for x in help_rows)
    assert wb.sheetnames[1] == "填写说明" and "阴性 / 阳性 / 无效" in said and "未检出" in said

    filled = _fill(r.content, {"T0001": ["阳性", 28.5, 30.1, f"{timezone.localtime():%Y-%m-%d %H:%M}"],
                               "T0002": ["阴性", "/", "/"]})
    r = client.post("/screening/lab/", {"file": SimpleUploadedFile("模板.xlsx", filled)})
    assert "已保存 2 条结果" in r.content.decode(), r.content.decode()
    saved = dict(Tube.objects.filter(round=rnd).values_list("barcode", "result"))
    assert saved == {"T0001": "positive", "T0002": "negative", "T0003": "", "T0009": "negative"}
    kept = LabResult.objects.get(tube__round=rnd, tube__barcode="T0001")
    assert (float(kept.ct_orf), float(kept.ct_n)) == (28.5, 30.1)
    # nothing left to report: the next template has no tube in it, its header still there
    _wb, rows = _rows(client.get("/screening/lab/template.xlsx").content)
    assert rows[0] == ZH_HEADER and not [x for x in rows[1:] if x[0]]


def test_the_api_template_in_english_goes_back_through_the_api(world, rnd, client):
    _scene(world, rnd)
    client.force_login(world.users.lab)
    client.cookies["django_language"] = "en"
    r = client.get("/api/v1/screening/results/template")
    assert r.status_code == 200
    wb, rows = _rows(r.content)
    assert rows[0] == ["Tube barcode", "Result", "ORF1ab Ct value", "N Ct value", "Time of test", "Round", "Box"]
    said = " ".join(str(c) for x in wb.worksheets[1].iter_rows(values_only=True) for c in x if c)
    assert "negative / positive / invalid" in said
    filled = _fill(r.content, {"T0002": ["invalid"], "T0001": ["negative", ">40", "ND"]})
    r = client.post("/api/v1/screening/results/file", {"file": SimpleUploadedFile("template.xlsx", filled)})
    assert r.status_code == 200, r.content
    assert r.json()["saved"] == 2
    saved = dict(Tube.objects.filter(round=rnd, barcode__in=["T0001", "T0002"]).values_list("barcode", "result"))
    assert saved == {"T0001": "negative", "T0002": "invalid"}


def test_a_lab_of_another_area_gets_none_of_these_tubes(world, rnd, client, system):
    from fangkong.accounts.roles import Role
    from tests.conftest import make_user

    _scene(world, rnd)
    other_lab = make_user(system, "lab_b", Role.LAB, world.other)
    client.force_login(other_lab)
    _wb, rows = _rows(client.get("/screening/lab/template.xlsx").content)
    assert rows[0] == ZH_HEADER and not [x for x in rows[1:] if x[0]]

