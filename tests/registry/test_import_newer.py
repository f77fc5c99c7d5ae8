"""An old export imported again must not quietly undo what was done since: the export at
09:27, 梁来福's phone corrected at 11:00, 魏引弟 back home — the old file put both back with
a preview saying only "信息变更 2 人: 手机号; 人员状态". Now the preview shows each change as
old → new and names the rows whose record changed after the file was made (the time its
title row says) as rows to check. And a 独居老人 tag that does not fit the person (under
60, or living with others) is a row to check: that list is who gets the daily visit."""

import datetime
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fangkong.registry import actions as reg
from fangkong.registry.models import ImportJob, Resident
from tests.conftest import actor_for, seal_now

CHECKED = ImportJob.Status.CHECKED


def _export(c, world) -> openpyxl.Workbook:
    r = c.get(f"/places/{world.community.id}/export.xlsx")
    assert r.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(r.content))


def _made_earlier(wb, hours=2):
    """The file as exported `hours` ago: its title row names that time, as the export wrote it."""
    ws = wb.worksheets[0]
    title = ws.cell(row=1, column=1).value
    now = timezone.localtime()
    earlier = now - datetime.timedelta(hours=hours)
    stamp = f"{now:%Y-%m-%d %H:%M}"
    assert stamp in title or f"{now - datetime.timedelta(minutes=1):%Y-%m-%d %H:%M}" in title, title
    for at in (now, now - datetime.timedelta(minutes=1)):
        title = title.replace(f"{at:%Y-%m-%d %H:%M}", f"{earlier:%Y-%m-%d %H:%M}")
    ws.cell(row=1, column=1).value = title
    return wb


def _bytes(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _column(ws, heading) -> int:
    return [c.value for c in ws[2]].index(heading) + 1


def _row_of(ws, name) -> int:
    return next(r for r in range(3, ws.max_row + 1) if ws.cell(row=r, column=2).value == name)


def _upload(c, world, data) -> ImportJob:
    r = c.post(f"/places/{world.community.id}/import/",
               {"file": SimpleUploadedFile("roster.xlsx", data)})
    assert r.status_code == 302, r.content.decode()[:2000]
    job = ImportJob.objects.latest("id")
    assert job.status == CHECKED, job.errors[:3]
    return job


def test_an_old_export_keeps_the_records_changed_since_and_says_what_it_left_out(world, login):
    Resident.objects.update(updated_at=timezone.now() - datetime.timedelta(hours=3))  # registered before
    c = login(world.users.staff)
    wb = _made_earlier(_export(c, world))
    ws = wb.worksheets[0]
    ws.cell(row=_row_of(ws, "王新勇"), column=_column(ws, "联系电话")).value = "13911114444"
    # after the export: 于海涛's phone is corrected by hand
    reg.update_resident(actor_for(world.users.staff), world.yu, {"phone": "13911112222"})
    job = _upload(c, world, _bytes(wb))
    counts = job.summary["counts"]
    assert (counts["updated"], counts["kept"]) == (1, 1)  # 王新勇's change; 于海涛's row left out
    page = c.get(f"/imports/{job.id}/").content.decode()
    assert "于海涛" in page and "晚于此文件生成的时间" in page and "此行不导入" in page
    assert "1行不导入：文件生成后信息已修改" in page
    kept = page.index('id="import-kept"')
    assert "手机号：139****2222 → 176****6286" in page[kept:]
    assert kept < page.index('id="import-confirm"')  # read before the button
    body = c.get(f"/api/v1/imports/{job.id}", headers={"Accept-Language": "en"}).json()
    summary = body["summary"]
    assert [w["row"] for w in summary["rows_to_check"]] == [summary["kept"][0]["row"]]
    assert "after this file was made" in summary["rows_to_check"][0]["message"]
    assert summary["kept"][0]["shown"] == ["phone: 139****2222 → 176****6286"]
    assert [x["name"] for x in summary["changes"]] == ["王新勇"]
    # confirmed: the newer record stands, the rest of the file is written
    r = c.post(f"/imports/{job.id}/confirm/", {"digest": job.summary["digest"]})
    assert r.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.errors
    assert Resident.objects.get(pk=world.yu.pk).phone == "13911112222"
    assert Resident.objects.get(pk=world.wang.pk).phone == "13911114444"
    done = c.get(f"/imports/{job.id}/").content.decode()
    assert "1行不导入" in done and "1行需核对（见下表及其住户）" in done
    assert "独居老人" not in done.split("需核对")[0][-200:]  # not the elderly-alone reason


def test_a_file_cannot_set_someone_in_a_sealed_building_away(world, login):
    seal_now(world)
    c = login(world.users.staff)
    wb = _export(c, world)
    ws = wb.worksheets[0]
    ws.cell(row=_row_of(ws, "夏明"), column=_column(ws, "人员状态")).value = "外出"
    r = c.post(f"/places/{world.community.id}/import/", {"file": SimpleUploadedFile("roster.xlsx", _bytes(wb))})
    job = ImportJob.objects.latest("id")
    assert job.status != CHECKED and r.status_code in (302, 422)
    assert any("封控" in e["message"] and "夏明" in e["message"] for e in job.errors), job.errors
    assert Resident.objects.get(pk=world.xia.pk).presence == "home"


def test_a_fresh_export_changed_and_imported_has_no_row_to_check(world, login):
    c = login(world.users.staff)
    wb = _export(c, world)
    ws = wb.worksheets[0]
    ws.cell(row=_row_of(ws, "于海涛"), column=_column(ws, "联系电话")).value = "13911113333"
    job = _upload(c, world, _bytes(wb))
    assert job.summary["counts"]["updated"] == 1 and job.summary["warnings"] == 0
    page = c.get(f"/imports/{job.id}/").content.decode()
    assert "手机号：176****6286 → 139****3333" in page


def test_a_file_without_a_time_in_its_title_is_not_called_old(world, login):
    c = login(world.users.staff)
    wb = _export(c, world)
    wb.worksheets[0].cell(row=1, column=1).value = "光明社区居民花名册"
    reg.update_resident(actor_for(world.users.staff), world.yu, {"phone": "13911112222"})
    job = _upload(c, world, _bytes(wb))
    assert job.summary["counts"]["updated"] == 1 and job.summary["warnings"] == 0


def test_an_elderly_alone_tag_that_does_not_fit_is_a_row_to_check(world, login):
    c = login(world.users.staff)
    wb = _export(c, world)
    ws = wb.worksheets[0]
    tags = _column(ws, "重点人群")
    ws.cell(row=_row_of(ws, "于海涛"), column=tags).value = "独居老人"  # lives with 苏霞
    ws.cell(row=_row_of(ws, "王新勇"), column=tags).value = "独居老人"  # alone, but young?
    job = _upload(c, world, _bytes(wb))
    rows = {w["row"]: w["message"] for w in job.summary["rows_to_check"]}
    page = c.get(f"/imports/{job.id}/").content.decode()
    yu, wang = Resident.objects.get(name="于海涛"), Resident.objects.get(name="王新勇")
    assert rows[_row_of(ws, "于海涛")].startswith("于海涛标记为独居老人，但这户住着2人"), rows
    if wang.age is not None and wang.age < 60:
        assert f"{wang.age}岁" in rows[_row_of(ws, "王新勇")]
    else:
        assert _row_of(ws, "王新勇") not in rows
    assert "需核对" in page and yu.age is not None
