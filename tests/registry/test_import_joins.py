"""An import says who joined households that already had residents, and warns (without
refusing) when someone tagged 独居老人 ends up living with others: 120 people imported into
mostly occupied flats had said only "新增居民 120 人", and 1号楼1单元401 held two people
both tagged elderly living alone (闫桂兰, 史芳)."""

from fangkong.registry import actions as reg
from fangkong.registry.models import ImportJob, Resident
from tests.conftest import actor_for
from tests.registry.test_import import csv_bytes, do_import, new_id, person

DONE = ImportJob.Status.DONE


def _roster(w):
    staff = actor_for(w.users.staff)
    hh401 = reg.create_household(staff, w.unit1, "401")
    reg.create_resident(staff, hh401, {"name": "闫桂兰", "tags": ["elderly_alone"]})
    hh402 = reg.create_household(staff, w.unit1, "402")
    reg.create_resident(staff, hh402, {"name": "赵大爷", "tags": ["elderly_alone"]})
    rows = [
        person(1, "史芳", new_id(1, 1950), door="401", tags="独居老人"),  # alone? joins 闫桂兰
        person(2, "周强", new_id(2, 1990), door="402"),  # joins 赵大爷, who is tagged alone
        person(3, "夏小明", new_id(3, 2000), door="102"),  # joins 102: no one tagged alone
        person(4, "钱新", new_id(4, 1980), door="901"),  # a new household: joins nobody
    ]
    return hh401, hh402, rows


def test_the_report_says_who_joined_occupied_households_and_warns_per_row(world, login):
    w = world
    hh401, hh402, rows = _roster(w)
    job = do_import(w.users.staff, w.community, csv_bytes(rows), "roster.csv")
    assert job.status == DONE, job.errors[:3]  # warnings do not stop the import
    assert Resident.objects.filter(household=hh401).count() == 2
    assert job.joined_count == 3
    assert [(x["row"], x["household"], x["address"]) for x in job.warnings] == [
        (2, hh401.id, "1号楼1单元401"), (3, hh402.id, "1号楼1单元402")]
    assert "闫桂兰" in job.warnings[0]["message"] and "赵大爷" in job.warnings[1]["message"]
    c = login(w.users.staff)
    page = c.get(f"/imports/{job.id}/").content.decode()
    assert "3 人加入已有居民的住户" in page
    assert "1号楼1单元401" in page and "1号楼1单元402" in page and "1号楼1单元102" in page
    assert "2行需核对" in page
    assert f'href="/households/{hh401.id}/"' in page and f'href="/households/{hh402.id}/"' in page
    assert "史芳标记为独居老人，但加入的住户中已有其他人（闫桂兰）" in page
    assert "周强加入的住户中，赵大爷标记为独居老人" in page
    # the API says the same, in the reader's language
    body = c.get(f"/api/v1/imports/{job.id}", headers={"Accept-Language": "en"}).json()
    assert body["counts"]["joined"] == 3
    assert [(x["row"], x["household"]) for x in body["warnings"]] == [(2, hh401.id), (3, hh402.id)]
    assert "tagged elderly living alone" in body["warnings"][0]["message"]
    assert "3 people joined households that already had residents" in body["message"]


def test_an_import_into_empty_or_new_households_says_no_joins(world):
    w = world
    rows = [person(1, "钱新", new_id(1, 1980), door="901"),
            person(2, "钱老", new_id(2, 1940), door="902", tags="独居老人")]
    job = do_import(w.users.staff, w.community, csv_bytes(rows), "roster.csv")
    assert job.status == DONE and job.joined_count == 0 and job.warnings == []
    assert "joined" not in " ".join(p.get("code", "") for p in job.said)


def test_an_import_into_a_unit_names_the_building_of_the_households_joined(world):
    w = world
    hh401, _hh402, rows = _roster(w)
    row = person(1, "史芳", new_id(1, 1950), door="401", tags="独居老人")
    row[5] = row[6] = ""  # the unit's own roster: no compound or building cells
    job = do_import(w.users.staff, w.unit1, csv_bytes([row]), "roster.csv")
    assert job.status == DONE, job.errors[:3]
    assert [(x["household"], x["address"]) for x in job.warnings] == [(hh401.id, "1号楼1单元401")]
    assert "1号楼1单元401" in job.message
