"""The bounded readers (core.uploads, core.xlsx): what they read is what openpyxl reads,
formulas stay text, each limit is a setting that refuses with the row and column, in the
user's language."""

import datetime
import io
import os
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from fangkong.core import xlsx as core_xlsx
from fangkong.core.errors import FileRefused
from fangkong.core.uploads import Limits, check_image, open_csv, read_upload, spreadsheet_kind
from fangkong.core.xlsx import open_xlsx
from fangkong.registry.models import Resident
from tests.registry.test_import import do_import, new_id, person, xlsx_bytes

from . import files


def rows_of(content, limits=None, merged=True):
    with open_xlsx(content, limits) as book:
        return [(n, v) for n, v in book.sheets[0].rows(merged=merged)]


def refused(call, *args, **kwargs) -> FileRefused:
    with translation.override("en"), pytest.raises(FileRefused) as e:
        call(*args, **kwargs)
    assert e.value.status == 422 and e.value.code == "invalid_file"
    return e.value


def test_a_workbook_reads_as_openpyxl_reads_it():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "出生日期", "人数", "比例", "在家", "时刻"])
    ws.append(["苏霞", datetime.datetime(1948, 9, 4), 3, 0.25, True, datetime.time(8, 30)])
    ws.append(["于海涛", datetime.date(1949, 2, 10), -7, 1e-9, False, None])
    ws.append([None, None, None, None, None, None])
    ws.append(["  空格  ", "1948-09-04", "0351", "=", "#N/A", ""])
    ws["B2"].number_format = "yyyy-mm-dd"
    ws.merge_cells("A6:A8")
    ws["A6"] = "合并"
    ws["B7"] = "second"
    buf = io.BytesIO()
    wb.save(buf)
    theirs = openpyxl.load_workbook(io.BytesIO(buf.getvalue()), read_only=True, data_only=True)
    sheet = theirs.worksheets[0]
    sheet.reset_dimensions()
    expected = {}
    for n, values in enumerate(sheet.iter_rows(values_only=True), 1):
        values = list(values)
        while values and values[-1] is None:
            values.pop()
        if values:
            expected[n] = values
    ours = {n: v for n, v in rows_of(buf.getvalue(), merged=False) if v}
    assert ours == expected and len(ours) == 6
    merged = dict(rows_of(buf.getvalue()))
    assert merged[7][0] == merged[8][0] == "合并"  # as the user sees it: filled down


def test_the_1904_date_system_is_followed():
    wb = openpyxl.Workbook()
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    wb.active.append(["生日", datetime.datetime(1960, 1, 2)])
    buf = io.BytesIO()
    wb.save(buf)
    assert rows_of(buf.getvalue())[0][1] == ["生日", datetime.datetime(1960, 1, 2)]


def test_formulas_are_text_never_evaluated():
    wb = openpyxl.Workbook()
    wb.active.append(["=1+1", '=HYPERLINK("http://example.com/?"&A1,"点我")', "=cmd|' /C calc'!A0"])
    buf = io.BytesIO()
    wb.save(buf)  # openpyxl stores formulas without a computed value
    assert rows_of(buf.getvalue())[0][1] == [
        "=1+1", '=HYPERLINK("http://example.com/?"&A1,"点我")', "=cmd|' /C calc'!A0"]
    # Excel saves the value it showed next to the formula: that value is read, as shown
    cached = files.xlsx(files.sheet(
        b'<row r="3"><c r="A3"><f>1+1</f><v>2</v></c><c r="B3" t="str"><f>A1&amp;"x"</f>'
        b"<v>T0001x</v></c></row>"))
    assert dict(rows_of(cached))[3] == [2, "T0001x"]


def test_a_roster_with_formulas_keeps_them_as_text_and_exports_no_formula(world):
    from fangkong.registry import queries
    from fangkong.registry.exporter import residents_xlsx

    from ..conftest import actor_for

    rows = [person(1, "甲", new_id(1), "101", notes='=HYPERLINK("http://evil.example/","点")'),
            person(2, "乙", new_id(2), "102", notes="=1+1"),
            person(3, "丙", new_id(3), "103", notes="+86 138")]
    job = do_import(world.users.staff, world.community, xlsx_bytes(rows))
    assert job.status == "done", job.errors
    notes = dict(Resident.objects.filter(name__in=["甲", "乙", "丙"]).values_list("name", "notes"))
    assert notes == {"甲": '=HYPERLINK("http://evil.example/","点")', "乙": "=1+1", "丙": "+86 138"}
    staff = actor_for(world.users.staff)
    data = residents_xlsx(staff, list(queries.resident_list(staff.scope, world.community)),
                          title="导出")
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula in what is handed out
    assert "=1+1" in sheet and "HYPERLINK" in sheet  # the text itself, as a string cell


def test_each_limit_is_a_setting_and_names_row_and_column(settings):
    settings.FANGKONG_UPLOAD_MAX_CELL_CHARS = 10
    settings.FANGKONG_UPLOAD_MAX_COLUMNS = 5
    settings.FANGKONG_UPLOAD_MAX_ROWS = 4
    content = files.xlsx(files.sheet(files.row(3, ["T", "阴性", "小区", "一二三四五六七八九十一"])))
    e = refused(rows_of, content, Limits.from_settings(max_columns=10))
    assert (e.row, e.column) == (3, "D")
    assert e.message.startswith("Row 3, column D: more than 10 characters")
    with translation.override("zh-hans"):
        with pytest.raises(FileRefused) as zh:
            rows_of(content, Limits.from_settings(max_columns=10))
    assert zh.value.message.startswith("第 3 行第 D 列超过 10 个字符")
    e = refused(rows_of, files.xlsx(files.sheet(files.row(3, ["a"] * 6), head=False)))
    assert (e.row, e.column) == (3, "F") and "column F" in e.message
    e = refused(rows_of, files.xlsx(files.sheet(*(files.row(n, ["x"]) for n in range(1, 6)),
                                                head=False)))
    assert "more than 4 rows" in e.message
    csv = "管号,结果\nT1,阴性\nT2,阴性,,,,,甲\n".encode()
    f = open_csv(csv, Limits.from_settings())
    e = refused(list, f.records(f.encodings[0]))
    assert (e.row, e.column) == (3, "G")


def test_a_workbook_too_big_unpacked_is_refused_before_it_is_read(settings):
    import random

    rnd = random.Random(5)
    body = [files.row(n, [rnd.randbytes(40).hex()]) for n in range(3, 30_000)]  # ~2.7 MB
    content = files.xlsx(files.sheet(*body))
    assert len(rows_of(content)) == 29_999
    settings.FANGKONG_UPLOAD_MAX_UNPACKED_BYTES = 1024 * 1024
    assert "zip bomb" in refused(open_xlsx, content).message


def test_parts_kept_in_memory_are_bounded(monkeypatch):
    sst = ("<sst>" + "".join(f"<si><t>{i}</t></si>" for i in range(12)) + "</sst>").encode()
    content = files.xlsx(files.sheet(), shared=sst)
    assert rows_of(content)
    monkeypatch.setattr(core_xlsx, "MAX_SHARED_STRINGS", 10)
    assert "more than 10 different texts" in refused(open_xlsx, content).message
    monkeypatch.setattr(core_xlsx, "MAX_SHARED_STRINGS", 1000)
    monkeypatch.setattr(core_xlsx, "MAX_KEPT_PART", 100)
    assert "zip bomb" in refused(open_xlsx, content).message


@pytest.mark.parametrize("text, encoding, delimiter", [
    ("姓名,门牌号\n苏霞,101\n", "gbk", ","),
    ("姓名,门牌号\n苏霞,101\n", "utf-8-sig", ","),
    ("姓名\t门牌号\n苏霞\t101\n", "utf-16", "\t"),  # Excel's "Unicode text"
])
def test_csv_in_the_encodings_excel_and_wps_write(text, encoding, delimiter):
    f = open_csv(text.encode(encoding))
    assert list(f.records(f.encodings[0], delimiter)) == [(1, ["姓名", "门牌号"]), (2, ["苏霞", "101"])]


def test_an_upload_over_the_limit_is_refused_without_being_read():
    class Huge:
        size, name = 3 * 1024 ** 3, "roster.xlsx"

        def read(self, n=-1):
            raise AssertionError("read")

    e = refused(read_upload, Huge(), 50 * 1024 * 1024)
    assert "3072 MB" in e.message and e.fields == {"file": [e.message]}
    assert refused(read_upload, SimpleUploadedFile("r.csv", b" \r\n"), 10).message == (
        "The file is empty.")


@pytest.mark.parametrize("content, name", [
    (b"%PDF-1.4\n...", "results.csv"), (files._png(4, 4), "roster.csv"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "roster.xls"), (b"PK\x03\x04", "r.xlsm")])
def test_what_is_not_a_spreadsheet_is_named(content, name):
    assert refused(spreadsheet_kind, name, content).message


def test_a_photo_is_checked_from_its_header(settings):
    settings.FANGKONG_UPLOAD_MAX_PIXELS = 600
    assert check_image(SimpleUploadedFile("c.png", files._png(20, 30))) == "png"
    e = refused(check_image, SimpleUploadedFile("c.png", files._png(30, 30)))
    assert e.message.startswith("The photo is 30 × 30 pixels") and e.fields.keys() == {"photo"}


def test_an_upload_past_every_limit_is_not_kept_whole_on_disk(world, client, settings):
    """Past FILE_UPLOAD_MAX_MEMORY_SIZE an upload goes to a temporary file that keeps one
    byte more than the largest limit; its size is the size sent, and that is what is refused."""
    from fangkong.core.uploads import BoundedUploadHandler

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.FANGKONG_IMPORT_MAX_BYTES = settings.FANGKONG_LAB_FILE_MAX_BYTES = 100_000
    settings.FANGKONG_PHOTO_MAX_BYTES = 50_000
    handler = BoundedUploadHandler()
    handler.new_file("file", "big.csv", "text/csv", 3_000_000)
    for start in range(0, 3_000_000, 65536):
        handler.receive_data_chunk(b"x" * min(65536, 3_000_000 - start), start)
    f = handler.file_complete(3_000_000)
    assert f.size == 3_000_000 and os.path.getsize(f.temporary_file_path()) == 100_001
    f.close()
    client.force_login(world.users.staff)
    big = io.BytesIO(b"a,b\n" * 750_000)
    big.name = "roster.csv"
    r = client.post(f"/places/{world.community.id}/import/", {"file": big},
                    HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422
    assert "The file is too large (2.9 MB); the limit is 0.1 MB." in r.content.decode()
