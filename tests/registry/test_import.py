"""Roster import: the happy paths (see test_import_broken.py for files that are refused)."""

import csv
import io
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.tasks.signals import task_enqueued

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.core import pii
from fangkong.core.errors import Forbidden, Invalid, NotFound
from fangkong.registry import actions as reg
from fangkong.registry import importer
from fangkong.registry.importer import parse_roster, run_import, start_import
from fangkong.registry.models import Household, ImportJob, Kind, Place, Resident
from tests.conftest import IDS, actor_for, make_user

SAMPLE = Path("/work/shared/data/roster-sample.xlsx")
if not SAMPLE.exists():  # a checkout elsewhere: the copy kept next to the data docs
    SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "roster-sample.xlsx"
HEADER = ["序号", "姓名", "性别", "身份证号", "联系电话", "小区", "楼栋", "单元", "门牌号",
          "与户主关系", "人员状态", "重点人群", "备注"]
DONE, REJECTED = ImportJob.Status.DONE, ImportJob.Status.REJECTED


# --- building files ------------------------------------------------------------

def xlsx_bytes(rows, header=HEADER, title="光明社区居民花名册", *, before=(), after=(),
               extra_sheets=(), first_sheets=(), text_ids=True) -> bytes:
    """A roster like the ones communities keep: merged title row, header, rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    for name, content in first_sheets:
        s = wb.create_sheet(name, 0)
        for line in content:
            s.append(line)
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    for line in before:
        ws.append(line)
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    for line in after:
        ws.append(line)
    if text_ids and "身份证号" in header:
        col = header.index("身份证号") + 1
        for r in ws.iter_rows(min_col=col, max_col=col):
            r[0].number_format = "@"
    for name, content in extra_sheets:
        s = wb.create_sheet(name)
        for line in content:
            s.append(line)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows, header=HEADER, encoding="utf-8", delimiter=",") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(header)
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode(encoding)


def sample_rows() -> list[list]:
    wb = openpyxl.load_workbook(SAMPLE, read_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(min_row=3, values_only=True)]
    wb.close()
    return rows


def person(seq, name, idn, door="101", *, building="1号楼", unit="1单元", compound="光明小区",
           phone="", relation="", presence="在家", tags="", notes="", sex=None):
    if sex is None:
        clean = pii.normalize_id_number(idn)
        sex = ("男" if int(clean[16]) % 2 else "女") if len(clean) == 18 else ""
    return [seq, name, sex, idn, phone, compound, building, unit, door, relation, presence,
            tags, notes]


def new_id(seq, year=1960) -> str:
    import datetime

    return pii.make_id_number("140106", datetime.date(year, 1 + seq % 12, 1 + seq % 28), seq)


def do_import(user_or_actor, place, content, filename="roster.xlsx") -> ImportJob:
    """Upload, and confirm what the check shows (an import writes only once confirmed):
    the job as done, or as refused at upload (rejected, with `file_problem` when it is)."""
    actor = user_or_actor if hasattr(user_or_actor, "scope") else actor_for(user_or_actor)
    job = start_import(actor, place, filename, content)
    if job.status == ImportJob.Status.CHECKED:
        return importer.confirm_import(actor, job, job.summary["digest"])
    return job


def counts():
    return (Place.objects.count(), Household.objects.count(), Resident.objects.count(),
            ImportJob.objects.exclude(status=ImportJob.Status.REJECTED).count())


# --- a community of our own, for the sample file ---------------------------------

@pytest.fixture
def fresh(db, system):
    """A community with nobody registered yet, and its staff."""
    f = SimpleNamespace()
    f.district = reg.create_place(system, None, Kind.DISTRICT, "迎泽区")
    f.street = reg.create_place(system, f.district, Kind.STREET, "桥东街道")
    f.community = reg.create_place(system, f.street, Kind.COMMUNITY, "光明社区")
    f.staff = make_user(system, "staff_fresh", Role.STAFF, f.community)
    return f


def test_sample_file_imports_into_an_empty_community(fresh):
    job = do_import(fresh.staff, fresh.community, SAMPLE.read_bytes(), "roster-sample.xlsx")
    assert job.status == DONE, job.errors[:3]
    assert (job.total_rows, job.created_count, job.updated_count, job.unchanged_count) == (120, 120, 0, 0)
    assert job.households_created == 54
    assert job.places_created == 1 + 3 + 5  # 光明小区, 3 buildings, 5 units
    assert job.error_count == 0 and job.errors == []
    assert job.finished_at is not None and job.percent == 100
    people = Resident.objects.filter(community_id=fresh.community.id)
    assert people.count() == 120
    compound = Place.objects.get(kind=Kind.COMPOUND)
    assert compound.name == "光明小区" and compound.parent_id == fresh.community.id
    assert compound.compound_id == compound.id and compound.community_id == fresh.community.id
    assert sorted(Place.objects.filter(kind=Kind.BUILDING).values_list("name", flat=True)) == [
        "1号楼", "2号楼", "3号楼"]
    unit = Place.objects.get(kind=Kind.UNIT, name="2单元", parent__name="1号楼")
    assert unit.unit_id == unit.id and unit.building_id == unit.parent_id
    assert unit.depth == 5 and unit.sort_key == "00000002单元"

    su = Resident.objects.get(name="苏霞")
    assert su.id_hash == pii.lookup_hash(IDS["su_xia"])
    assert pii.decrypt(su.id_enc) == IDS["su_xia"]
    assert (su.id_head, su.id_tail, su.phone, su.phone_tail) == ("1401", "786X", "17446416120", "6120")
    assert su.sex == "F" and su.birth_date.isoformat() == "1948-09-04"
    assert su.relation == "head" and su.presence == "home"
    assert (su.pinyin, su.initials) == ("suxia", "sx")
    assert su.household.door == "101" and su.household.place.name == "1单元"
    assert su.unit_id == su.household.place_id and su.community_id == fresh.community.id
    assert su.district_id == fresh.district.id and su.street_id == fresh.street.id
    assert su.token and len({r.token for r in people}) == 120
    li = Resident.objects.get(name="李鹏")
    assert li.tag_list == ["elderly_alone", "limited_mobility"]
    assert people.filter(presence="quarantine").count() == 9
    assert people.filter(presence="hospital").count() == 7
    assert people.exclude(tags="").count() == 23
    hh = Household.objects.get(place=unit, door="102")
    assert hh.sort_key and hh.community_id == fresh.community.id and hh.unit_id == unit.id

    event = AuditEvent.objects.get(action="registry.import")
    assert event.actor == fresh.staff and event.target_id == fresh.community.id
    assert event.changes["created"] == 120 and event.changes["households_created"] == 54
    assert event.community_id == fresh.community.id
    assert not AuditEvent.objects.filter(action="resident.update").exists()


def test_importing_the_same_file_twice_changes_nothing(fresh):
    content = SAMPLE.read_bytes()
    do_import(fresh.staff, fresh.community, content)
    before = list(Resident.objects.order_by("id").values())
    job = do_import(fresh.staff, fresh.community, content)
    assert job.status == DONE
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 120)
    assert (job.households_created, job.places_created) == (0, 0)
    assert list(Resident.objects.order_by("id").values()) == before
    assert Place.objects.count() == 3 + 9 and Household.objects.count() == 54
    assert not AuditEvent.objects.filter(action="resident.update").exists()
    assert AuditEvent.objects.filter(action="registry.import").count() == 2


def test_a_changed_row_updates_the_person_with_an_audit_trail(fresh):
    rows = sample_rows()
    do_import(fresh.staff, fresh.community, xlsx_bytes(rows))
    rows[0][4] = "138 0000 1111"  # 苏霞's phone
    rows[0][11] = "独居老人、行动不便"
    rows[5][10] = "集中隔离"  # 薛兰
    job = do_import(fresh.staff, fresh.community, xlsx_bytes(rows))
    assert job.status == DONE
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 2, 118)
    su = Resident.objects.get(name="苏霞")
    assert su.phone == "13800001111" and su.phone_tail == "1111"
    assert su.tag_list == ["elderly_alone", "limited_mobility"]
    events = {e.target_label: e for e in AuditEvent.objects.filter(action="resident.update")}
    assert set(events) == {"苏霞", "薛兰"}
    assert events["苏霞"].changes["phone"] == ["174****6120", "138****1111"]
    assert events["苏霞"].changes["tags"] == [[], ["elderly_alone", "limited_mobility"]]
    assert events["薛兰"].changes == {"presence": ["home", "quarantine"]}
    assert events["苏霞"].actor == fresh.staff and events["苏霞"].unit_id == su.unit_id


def test_import_into_a_populated_community_updates_and_moves(world):
    """The sample shares four people with the `world` fixture; 王新勇 lives elsewhere there."""
    rows = [r for r in sample_rows() if r[3] != IDS["b_person"]]  # not the other community's
    job = do_import(world.users.staff, world.community, xlsx_bytes(rows))
    assert job.status == DONE, job.errors[:3]
    assert job.created_count == len(rows) - 4 and job.updated_count + job.unchanged_count == 4
    wang = Resident.objects.get(pk=world.wang.pk)
    assert wang.household.door == "102" and wang.unit_id == world.unit1.id
    move = AuditEvent.objects.get(action="resident.update", target_id=wang.pk)
    assert move.changes["household"] == ["2单元 201", "1单元 102"]
    su = Resident.objects.get(pk=world.su.pk)
    assert su.tag_list == []  # the roster says no tags: the roster wins
    # The existing compound (under the grid 第一网格) is found, not created again.
    assert Place.objects.filter(kind=Kind.COMPOUND, name="光明小区").count() == 1
    assert not Place.objects.filter(kind=Kind.UNIT, name="1单元", parent=world.building).count() > 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_in_the_encodings_excel_writes(fresh, encoding):
    content = csv_bytes(sample_rows(), encoding=encoding)
    job = do_import(fresh.staff, fresh.community, content, "roster.csv")
    assert job.status == DONE, job.errors[:3]
    assert job.created_count == 120
    assert Resident.objects.get(name="苏霞").phone == "17446416120"


def test_tab_separated_unicode_text(fresh):
    """Excel's "Unicode text" export: UTF-16 with a byte-order mark, tab-separated."""
    content = csv_bytes(sample_rows()[:10], encoding="utf-16", delimiter="\t")
    job = do_import(fresh.staff, fresh.community, content, "roster.txt")
    assert job.status == DONE and job.created_count == 10


def test_messy_values_are_normalised_not_refused(fresh):
    idn = new_id(1, 1950)  # make one that ends in X
    seq = 1
    while not idn.endswith("X"):
        seq += 1
        idn = new_id(seq, 1950)
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in new_id(200))
    rows = [
        person(1, " 张 三 ", f" {idn[:6]} {idn[6:14]} {idn[14:].lower()} ", "101室",
               phone="138 1234 5678", building="1", unit="1"),
        person(2, "李四", full_width, "１０２", phone="+86 139-1234-5678", tags="独居老人，卧床"),
        person(3, "王五", "", 103.0, phone=13912345679.0, tags="", relation="", presence=""),
    ]
    rows[1][2] = ""  # sex from the ID number
    job = do_import(fresh.staff, fresh.community, xlsx_bytes(rows))
    assert job.status == DONE, job.errors
    zhang = Resident.objects.get(name="张 三")
    assert pii.decrypt(zhang.id_enc) == idn and zhang.phone == "13812345678"
    assert zhang.household.door == "101" and zhang.household.place.name == "1单元"
    assert zhang.household.place.parent.name == "1号楼"
    li = Resident.objects.get(name="李四")
    assert pii.decrypt(li.id_enc) == new_id(200) and li.household.door == "102"
    assert li.phone == "13912345678" and li.tag_list == ["elderly_alone", "bedridden"]
    assert li.sex in ("M", "F")
    wang = Resident.objects.get(name="王五")
    assert wang.id_hash is None and wang.household.door == "103" and wang.phone == "13912345679"
    assert wang.relation == "other" and wang.presence == "home"


def test_people_without_id_numbers_are_matched_by_household_and_name(fresh):
    rows = [person(1, "赵六", "", "201"), person(2, "钱七", "", "201", relation="配偶")]
    do_import(fresh.staff, fresh.community, xlsx_bytes(rows))
    rows[1][10] = "住院"
    job = do_import(fresh.staff, fresh.community, xlsx_bytes(rows))
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 1)
    assert Resident.objects.get(name="钱七").presence == "hospital"
    # A later roster brings 赵六's ID number: the same person gets it.
    idn = new_id(7)
    rows[0][3] = idn
    rows[0][2] = ""
    job = do_import(fresh.staff, fresh.community, xlsx_bytes(rows))
    assert (job.created_count, job.updated_count) == (0, 1)
    assert Resident.objects.get(name="赵六").id_hash == pii.lookup_hash(idn)
    # An empty ID cell never erases a stored number.
    rows[0][3] = ""
    job = do_import(fresh.staff, fresh.community, xlsx_bytes(rows))
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 2)
    assert Resident.objects.get(name="赵六").id_hash == pii.lookup_hash(idn)


def test_bare_numbers_name_existing_buildings_and_units(world):
    rows = [person(1, "新人", new_id(3), "101", compound="光明小区", building="1", unit="2")]
    job = do_import(world.users.staff, world.community, xlsx_bytes(rows))
    assert job.status == DONE and job.places_created == 0 and job.households_created == 1
    r = Resident.objects.get(name="新人")
    assert r.unit_id == world.unit2.id and r.grid_id == world.grid.id


def test_grid_column_picks_or_creates_the_grid(world):
    header = HEADER + ["网格"]
    rows = [person(1, "甲", new_id(11), "101", compound="新华小区", building="8号楼", unit="")
            + ["第二网格"]]
    job = do_import(world.users.staff, world.community, xlsx_bytes(rows, header=header))
    assert job.status == DONE, job.errors
    assert job.places_created == 3  # grid, compound, building (no unit: household on the building)
    r = Resident.objects.get(name="甲")
    grid = Place.objects.get(kind=Kind.GRID, name="第二网格")
    assert r.grid_id == grid.id and r.unit_id is None
    assert r.household.place.kind == Kind.BUILDING and r.household.place.name == "8号楼"


@pytest.mark.parametrize("where", ["grid", "compound", "building", "unit"])
def test_import_below_the_community(world, where):
    place = getattr(world, {"unit": "unit1"}.get(where, where))
    rows = [person(1, "孙八", new_id(21), "301")]
    if where in ("building", "unit"):
        rows[0][5] = ""  # 小区 may be left empty below a compound
    job = do_import(world.users.staff, place, xlsx_bytes(rows))
    assert job.status == DONE, job.errors
    r = Resident.objects.get(name="孙八")
    assert r.unit_id == world.unit1.id and r.household.door == "301"
    assert job.places_created == 0


def test_import_into_a_unit_without_place_columns(world):
    header = ["姓名", "身份证号码", "手机号", "房号"]
    rows = [["周九", new_id(31), "13700000000", "401"]]
    job = do_import(world.users.staff, world.unit2, xlsx_bytes(rows, header=header, title=None))
    assert job.status == DONE, job.errors
    assert Resident.objects.get(name="周九").household.place_id == world.unit2.id


def test_aliases_totals_row_blank_rows_and_explanatory_sheets(fresh):
    header = ["编号", "姓名", "性别", "证件号码", "电话", "小区名称", "楼号", "单元号", "户号",
              "关系", "状态", "人员类别", "备注", "民族"]
    rows = [person(1, "吴一", new_id(41), "101") + ["汉"],
            [None] * 14,
            [2] + [None] * 13,  # numbered but empty
            person(3, "郑二", new_id(42), "102") + ["回"]]
    content = xlsx_bytes(
        rows, header=header,
        after=[[], ["合计", "2人"], [], ["制表人：张三", None, "2022-04-18"]],
        extra_sheets=[("说明", [["填表说明"], ["姓名必填"], ["序号", "姓名", "备注"]])],
        first_sheets=[("封面", [["光明社区"], ["2022年4月"]])])
    job = do_import(fresh.staff, fresh.community, content)
    assert job.status == DONE, job.errors
    assert job.total_rows == 2 and job.created_count == 2
    assert "民族" in job.message


def test_example_row_of_the_template_is_skipped(fresh):
    from fangkong.registry.templates_xlsx import TEMPLATE_PATH

    wb = openpyxl.load_workbook(TEMPLATE_PATH)
    ws = wb.worksheets[0]
    ws.append([1, "冯三", "", new_id(51), "", "光明小区", "2号楼", "1单元", "101"])
    buf = io.BytesIO()
    wb.save(buf)
    job = do_import(fresh.staff, fresh.community, buf.getvalue())
    assert job.status == DONE, job.errors
    assert job.created_count == 1 and not Resident.objects.filter(name="张三").exists()


def test_vertically_merged_cells_apply_to_every_row(fresh):
    rows = [person(1, "陈一", new_id(61), "501"), person(2, "陈二", new_id(62), None),
            person(3, "陈三", new_id(63), None)]
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(rows)))
    ws = wb.active
    ws.merge_cells("I3:I5")  # 门牌号 written once for the household
    ws.merge_cells("F3:F5")
    buf = io.BytesIO()
    wb.save(buf)
    job = do_import(fresh.staff, fresh.community, buf.getvalue())
    assert job.status == DONE, job.errors
    assert job.households_created == 1
    assert set(Resident.objects.values_list("household__door", flat=True)) == {"501"}


def test_wrong_dimension_in_the_file_is_ignored(fresh):
    """Some programs write <dimension ref="A1"/> (or a huge one); read-only mode trusts it."""
    import zipfile

    rows = [person(i, f"人{i}", new_id(70 + i), str(100 + i)) for i in range(1, 6)]
    src = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                import re

                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', data)
            dst.writestr(info, data)
    job = do_import(fresh.staff, fresh.community, out.getvalue())
    assert job.status == DONE and job.created_count == 5


def test_parse_roster_needs_no_database():
    rows, errors = parse_roster("r.xlsx", xlsx_bytes([person(1, "林一", new_id(81), "101")]))
    assert errors == [] and len(rows) == 1
    r = rows[0]
    assert (r.row, r.name, r.door, r.compound, r.building, r.unit) == (3, "林一", "101", "光明小区",
                                                                       "1号楼", "1单元")
    assert r.clean["id_number"] == new_id(81) and r.id_hash


# --- permissions -----------------------------------------------------------------

@pytest.mark.parametrize("who, where, error", [
    ("volunteer", "community", NotFound),
    ("leader", "community", NotFound),
    ("leader", "building", Forbidden),
    ("grid", "grid", Forbidden),
    ("street", "community", Forbidden),
    ("other_staff", "community", NotFound),
    ("resident", "unit1", NotFound),
])
def test_who_may_not_import(world, who, where, error):
    before = counts()
    with pytest.raises(error):
        do_import(getattr(world.users, who), getattr(world, where),
                  xlsx_bytes([person(1, "不该有", new_id(91), "101")]))
    assert counts() == before
    assert not ImportJob.objects.exists()


def test_only_level_places_take_an_import(world, system):
    shop = reg.create_place(system, world.community, Kind.SHOP, "超市")
    with pytest.raises(Invalid):
        do_import(world.users.staff, shop, xlsx_bytes([person(1, "甲", new_id(1), "1")]))


def test_file_size_limit(world, settings):
    settings.FANGKONG_IMPORT_MAX_BYTES = 1000
    with pytest.raises(Invalid) as e:
        do_import(world.users.staff, world.community, b"x" * 1001, "big.csv")
    assert "file" in e.value.fields
    assert not ImportJob.objects.exists()


# --- background, progress, command line, atomicity ---------------------------------

def test_big_files_go_to_the_task_queue(world, settings):
    settings.FANGKONG_IMPORT_INLINE_ROWS = 3
    seen = []

    def on_enqueue(sender, task_result, **kwargs):
        seen.append((task_result.task.name, task_result.args))

    task_enqueued.connect(on_enqueue)
    try:
        rows = [person(i, f"队列{i}", new_id(100 + i), "601") for i in range(1, 6)]
        job = do_import(world.users.staff, world.community, xlsx_bytes(rows))
    finally:
        task_enqueued.disconnect(on_enqueue)
    assert seen and seen[0][0] == "run_import_task" and seen[0][1][0] == job.id
    assert job.status == DONE and job.created_count == 5  # ImmediateBackend ran it
    # The task ran as the job's user, via "import".
    assert AuditEvent.objects.get(action="registry.import").via == "import"


def test_small_files_run_in_the_request(world, settings):
    settings.FANGKONG_IMPORT_INLINE_ROWS = 5
    seen = []

    def on_enqueue(sender, task_result, **kwargs):
        seen.append(task_result)

    task_enqueued.connect(on_enqueue)
    try:
        rows = [person(i, f"请求{i}", new_id(110 + i), "602") for i in range(1, 6)]
        job = do_import(world.users.staff, world.community, xlsx_bytes(rows))
    finally:
        task_enqueued.disconnect(on_enqueue)
    assert job.status == DONE and not seen
    assert AuditEvent.objects.get(action="registry.import").via == "web"


def test_a_job_runs_once(world):
    job = do_import(world.users.staff, world.community,
                    xlsx_bytes([person(1, "一次", new_id(121), "603")]))
    assert job.status == DONE
    again = run_import(job.id)  # a task delivered twice
    assert again.status == DONE and Resident.objects.filter(name="一次").count() == 1


def test_progress_is_reported_while_checking(world, monkeypatch):
    monkeypatch.setattr(importer.rows, "PROGRESS_EVERY", 2)
    calls = []
    rows = [person(i, f"进度{i}", new_id(130 + i), "604") for i in range(1, 8)]
    job = importer.create_job(actor_for(world.users.staff), world.community, "p.xlsx",
                              xlsx_bytes(rows))
    job = run_import(job.id, progress=lambda done, total: calls.append((done, total)))
    assert job.status == ImportJob.Status.CHECKED  # checked, nothing written until confirmed
    assert calls[0][0] == 0 and calls[-1] == (7, 7)
    assert [d for d, _t in calls] == sorted(d for d, _t in calls) and len(calls) >= 4


def test_nothing_is_written_when_the_write_fails_midway(world, monkeypatch):
    before = counts()

    def boom(events):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer.writer, "record_many", boom)
    rows = [person(1, "半途", new_id(141), "101", compound="新小区", building="9号楼")]
    job = do_import(world.users.staff, world.community, xlsx_bytes(rows))
    assert job.status == ImportJob.Status.FAILED and job.message
    assert counts()[:3] == before[:3]
    assert not Place.objects.filter(name="新小区").exists()


def test_command_line_import(world, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes([person(1, "命令", new_id(151), "701")]))
    call_command("import_roster", str(path), "--place", str(world.community.id),
                 "--user", "staff_a")
    assert Resident.objects.filter(name="命令").exists()
    job = ImportJob.objects.get()
    assert job.status == DONE and job.user == world.users.staff
    assert AuditEvent.objects.get(action="registry.import").via == "cli"


def test_command_line_rejects_with_row_errors(world, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes([person(1, "错号", "140106195603120013", "701")]))
    with pytest.raises(CommandError) as e:
        call_command("import_roster", str(path), "--place", str(world.community.id),
                     "--user", "staff_a")
    assert e.value.returncode == 1
    err = capsys.readouterr().err
    assert "row 3 [身份证号]" in err
    assert not Resident.objects.filter(name="错号").exists()


def test_command_line_respects_the_users_scope(world, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes([person(1, "越权", new_id(161), "701")]))
    with pytest.raises(CommandError):
        call_command("import_roster", str(path), "--place", str(world.community.id),
                     "--user", "staff_b")
    assert not Resident.objects.filter(name="越权").exists()


def test_command_line_without_a_user_needs_a_superuser(world, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes([person(1, "无主", new_id(171), "701")]))
    with pytest.raises(CommandError, match="--user"):
        call_command("import_roster", str(path), "--place", str(world.community.id))
    assert not ImportJob.objects.exists()
