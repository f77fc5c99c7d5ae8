"""Spreadsheet export: the template's columns, masking by role, audit, and re-import."""

import datetime
import io

import openpyxl
import pytest

from fangkong.accounts.roles import Perm
from fangkong.accounts.scope import Grant, Scope
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.core.errors import NotFound
from fangkong.registry import queries
from fangkong.registry.exporter import residents_xlsx, rows_xlsx
from fangkong.registry.importer import COLUMN, TEMPLATE_KEYS
from fangkong.registry.models import ImportJob, Resident
from fangkong.registry.templates_xlsx import TEMPLATE_PATH, template_xlsx
from tests.conftest import IDS, actor_for
from tests.registry.test_import import do_import


def read(data: bytes):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return wb, wb.worksheets[0]


def community_residents(world, user):
    scope = Scope.for_user(user)
    return list(queries.resident_list(scope, world.community))


def by_name(ws) -> dict[str, dict]:
    header = [c.value for c in ws[2]]
    return {row[1]: dict(zip(header, row, strict=False))
            for row in ws.iter_rows(min_row=3, values_only=True)}


def test_staff_export_with_ids_in_clear(world):
    staff = actor_for(world.users.staff)
    data = residents_xlsx(staff, community_residents(world, world.users.staff),
                          title="光明社区 居民", reveal_ids=True)
    wb, ws = read(data)
    assert ws["A1"].value == "光明社区 居民 （列名与导入要求一致）"
    assert "A1:P1" in [str(r) for r in ws.merged_cells.ranges]
    assert [c.value for c in ws[2]] == [COLUMN[k].header for k in TEMPLATE_KEYS]
    rows = by_name(ws)
    assert set(rows) == {"苏霞", "于海涛", "夏明", "王新勇"}
    su = rows["苏霞"]
    assert su["身份证号"] == IDS["su_xia"] and su["联系电话"] == "17446416120"
    assert (su["小区"], su["楼栋"], su["单元"], su["门牌号"]) == ("光明小区", "1号楼", "1单元", "101")
    assert (su["性别"], su["与户主关系"], su["人员状态"]) == ("女", "户主", "在家")
    assert su["重点人群"] == "独居老人、行动不便" and su["出生日期"] == "1948-09-04"
    id_col = TEMPLATE_KEYS.index("id_number") + 1
    cell = ws.cell(row=3, column=id_col)
    assert cell.number_format == "@" and cell.data_type == "s"
    event = AuditEvent.objects.get(action="resident.export_ids")
    assert event.changes["count"] == 4 and event.actor == world.users.staff
    assert event.community_id == world.community.id
    phones = AuditEvent.objects.get(action="resident.view_phones")
    assert phones.changes["count"] == 4


def test_export_reimports_unchanged(world):
    staff = actor_for(world.users.staff)
    data = residents_xlsx(staff, community_residents(world, world.users.staff),
                          title="光明社区 居民", reveal_ids=True)
    before = list(Resident.objects.order_by("id").values())
    job = do_import(world.users.staff, world.community, data, "export.xlsx")
    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 4)
    assert list(Resident.objects.order_by("id").values()) == before


def test_masked_export_reimports_unchanged_too(world):
    """IDs masked (reveal not asked): the importer keeps the stored numbers."""
    staff = actor_for(world.users.staff)
    data = residents_xlsx(staff, community_residents(world, world.users.staff), title="t")
    assert by_name(read(data)[1])["苏霞"]["身份证号"] == "1401**********786X"
    job = do_import(world.users.staff, world.community, data, "export.xlsx")
    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 4)


def test_command_cannot_reveal_ids_but_sees_phones(world):
    command = actor_for(world.users.street)
    rows = list(queries.resident_list(Scope.for_user(world.users.street), world.street))
    ws = read(residents_xlsx(command, rows, title="t", reveal_ids=True))[1]
    data = by_name(ws)
    assert len(data) == 5
    assert data["苏霞"]["身份证号"] == "1401**********786X"
    assert data["苏霞"]["联系电话"] == "17446416120"
    assert not AuditEvent.objects.filter(action="resident.export_ids").exists()
    assert AuditEvent.objects.filter(action="resident.view_phones").count() == 1


def test_a_role_without_phone_permission_gets_masked_phones(world):
    grant = Grant("custom", world.community, None, frozenset({Perm.VIEW_REGISTRY, Perm.EXPORT}))
    actor = Actor(user=world.users.volunteer, scope=Scope(user=world.users.volunteer,
                                                          grants=[grant]))
    rows = list(queries.resident_list(actor.scope, world.community))
    data = by_name(read(residents_xlsx(actor, rows, title="t", reveal_ids=True))[1])
    assert data["苏霞"]["联系电话"] == "174****6120"
    assert data["苏霞"]["身份证号"] == "1401**********786X"
    assert not AuditEvent.objects.filter(action__in=["resident.view_phones",
                                                     "resident.export_ids"]).exists()


def test_reveal_needs_permission_on_every_row(world):
    """May reveal IDs in unit 1 only: a list reaching into unit 2 is masked throughout."""
    view = Grant("custom", world.community, None, frozenset({Perm.VIEW_REGISTRY}))
    reveal = Grant("custom", world.unit1, None, frozenset({Perm.REVEAL_ID}))
    user = world.users.volunteer
    actor = Actor(user=user, scope=Scope(user=user, grants=[view, reveal]))
    unit1 = list(Resident.objects.filter(unit_id=world.unit1.id))
    assert by_name(read(residents_xlsx(actor, unit1, title="t", reveal_ids=True))[1])[
        "夏明"]["身份证号"] == IDS["xia_ming"]
    everyone = list(Resident.objects.filter(community_id=world.community.id))
    data = by_name(read(residents_xlsx(actor, everyone, title="t", reveal_ids=True))[1])
    assert data["夏明"]["身份证号"] == "1401**********7890"
    assert AuditEvent.objects.filter(action="resident.export_ids").count() == 1


def test_rows_outside_the_scope_are_refused(world):
    grid = actor_for(world.users.grid)
    with pytest.raises(NotFound):
        residents_xlsx(grid, community_residents(world, world.users.grid) + [world.other_person],
                       title="t", reveal_ids=True)
    assert not AuditEvent.objects.filter(action__startswith="resident.").exclude(
        action__in=["resident.create"]).exists()


def test_residents_without_select_related(world):
    staff = actor_for(world.users.staff)
    rows = list(Resident.objects.filter(community_id=world.community.id))
    data = by_name(read(residents_xlsx(staff, rows, title="t"))[1])
    assert data["王新勇"]["门牌号"] == "201"


def test_rows_xlsx_keeps_text_as_text():
    data = rows_xlsx("清单", ["名称", "数量", "日期", "备注"], [
        ["=HYPERLINK(\"http://evil\")", 3, datetime.date(2022, 4, 18), None],
        ["正常", 2.5, datetime.datetime(2022, 4, 18, 7, 0, tzinfo=datetime.UTC), "a\x01b"],
    ])
    wb, ws = read(data)
    assert ws["A1"].value == "清单" and [c.value for c in ws[2]] == ["名称", "数量", "日期", "备注"]
    assert ws["A3"].data_type == "s" and ws["A3"].value.startswith("=HYPERLINK")
    assert ws["B3"].value == 3 and ws["C3"].value.date() == datetime.date(2022, 4, 18)
    assert ws["C4"].value == datetime.datetime(2022, 4, 18, 15, 0)  # Asia/Shanghai
    assert ws["D4"].value == "ab"


def test_the_shipped_template():
    wb = openpyxl.load_workbook(TEMPLATE_PATH)
    ws = wb.worksheets[0]
    assert [c.value for c in ws[2]] == [COLUMN[k].header for k in TEMPLATE_KEYS]
    assert ws.cell(row=3, column=1).value == "示例"
    id_col = TEMPLATE_KEYS.index("id_number") + 1
    assert ws.cell(row=3, column=id_col).number_format == "@"
    assert ws.cell(row=500, column=id_col).number_format == "@"
    assert wb.sheetnames == ["居民花名册", "说明"]
    help_rows = [r for r in wb["说明"].iter_rows(values_only=True)]
    assert any(r[0] == "身份证号" and "文本" in r[2] and "Text" in r[3] for r in help_rows)
    # The committed file is what the generator makes now.
    assert template_xlsx() == TEMPLATE_PATH.read_bytes(), "run manage.py roster_template"
