"""The roster export in the reader's language (found by an English-UI walker: the English
export had only Chinese headings): headings "Name (姓名)" in English, the template's in
Chinese; the values stay the template's words (男, 户主, 在家) in both. Either file is read
back by the importer, whatever the language of the one importing: no data lost."""

import io

import openpyxl
import pytest
from django.utils import translation

from fangkong.registry.exporter import residents_xlsx
from fangkong.registry.importer import COLUMN, TEMPLATE_KEYS
from fangkong.registry.importer.columns import ALIASES, EN_HEADERS, export_header, norm_header
from fangkong.registry.models import ImportJob, Presence, Resident
from tests.conftest import actor_for
from tests.registry.test_export import community_residents
from tests.registry.test_import import do_import


def _export(world, lang):
    staff = actor_for(world.users.staff)
    with translation.override(lang):
        return residents_xlsx(staff, community_residents(world, world.users.staff),
                              title="光明社区", reveal_ids=True, extra=[("Zone", ["", "", "", ""])])


def test_every_english_heading_is_one_the_importer_reads():
    for key in EN_HEADERS:
        assert ALIASES[norm_header(export_header(key, True))] == key
        assert ALIASES[norm_header(export_header(key, False))] == key


@pytest.mark.parametrize("export_lang,import_lang", [("en", "en"), ("en", "zh-hans"),
                                                     ("zh-hans", "en"), ("zh-hans", "zh-hans")])
def test_the_export_reads_back_unchanged_in_either_language(world, export_lang, import_lang):
    data = _export(world, export_lang)
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    header = [c.value for c in ws[2]]
    if export_lang == "en":
        assert header[:3] == ["No. (序号)", "Name (姓名)", "Sex (性别)"]
        assert "ID number (身份证号)" in header and "Presence (人员状态)" in header
        assert "values as the import reads them" in ws["A1"].value
    else:
        assert header[:len(TEMPLATE_KEYS)] == [COLUMN[k].header for k in TEMPLATE_KEYS]
    values = {row[1]: dict(zip(header, row, strict=False))
              for row in ws.iter_rows(min_row=3, values_only=True)}
    su = values["苏霞"]
    sex, relation = header[2], header[TEMPLATE_KEYS.index("relation")]
    assert (su[sex], su[relation]) == ("女", "户主")  # the template's words in both languages
    before = list(Resident.objects.order_by("id").values())
    with translation.override(import_lang):
        job = do_import(world.users.staff, world.community, data, "export.xlsx")
    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 4)
    assert list(Resident.objects.order_by("id").values()) == before


def test_a_change_in_the_english_file_is_imported(world):
    data = _export(world, "en")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[2]]
    col = header.index("Presence (人员状态)") + 1
    for row in range(3, ws.max_row + 1):
        if ws.cell(row, 2).value == "夏明":
            ws.cell(row, col).value = "住院"
    out = io.BytesIO()
    wb.save(out)
    with translation.override("en"):
        job = do_import(world.users.staff, world.community, out.getvalue(), "export.xlsx")
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.updated_count == 1
    assert Resident.objects.get(pk=world.xia.pk).presence == Presence.HOSPITAL
