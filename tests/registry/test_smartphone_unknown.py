"""A roster imported without a 智能手机 column does not say who has a smartphone: the
importer leaves it unknown (it stored "has one" for everyone, so the default card set
"without a smartphone or vulnerable" missed them and the export said "智能手机 有" for a
95-year-old); the export says "未知", re-imports as unknown, and the card set includes them."""

import io

import openpyxl

from fangkong.registry import cards
from fangkong.registry.exporter import residents_xlsx
from fangkong.registry.importer import COLUMN
from fangkong.registry.models import Resident
from tests.conftest import actor_for
from tests.registry.test_import import DONE, do_import, fresh, new_id, person, xlsx_bytes  # noqa: F401


def test_roster_without_the_smartphone_column_leaves_it_unknown(fresh):  # noqa: F811
    rows = [person(1, "李秀英", new_id(1, 1931)), person(2, "李强", new_id(2, 1960), relation="子")]
    job = do_import(fresh.staff, fresh.community, xlsx_bytes(rows))
    assert job.status == DONE, job.errors[:3]
    people = list(Resident.objects.filter(community=fresh.community))
    assert len(people) == 2 and all(r.has_smartphone is None for r in people)
    staff = actor_for(fresh.staff)
    # the default card set: nobody is known to have a smartphone, so both get a card
    _pdf, _name, n = cards.print_cards(staff, place=fresh.community)
    assert n == 2
    data = residents_xlsx(staff, Resident.objects.filter(community=fresh.community), title="光明社区 居民")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    col = [c.value for c in ws[2]].index(COLUMN["has_smartphone"].header)
    assert {row[col] for row in ws.iter_rows(min_row=3, values_only=True)} == {"未知"}
    # the export goes back in unchanged: "未知" is read as not known
    again = do_import(fresh.staff, fresh.community, data, "export.xlsx")
    assert again.status == DONE, again.errors[:3]
    assert again.unchanged_count == 2
    assert all(r.has_smartphone is None for r in Resident.objects.filter(community=fresh.community))
