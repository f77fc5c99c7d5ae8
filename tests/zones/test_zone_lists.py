"""The people of a zone as a list (walker: "the 157 people sealed in"): a dashboard's zone
figures open the resident list filtered to that zone — people, or households with
?by=household — as long as the figure; the resident and vulnerable lists filter by zone
(封控区/管控区/防范区/none); the roster export has a 区域 column and still imports back."""

import io
import re
from html import unescape

import openpyxl
import pytest

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import ImportJob
from tests.registry.test_import import do_import
from tests.zones.test_rules import designate

KEYS = ("sealed_households", "sealed_people", "controlled_households", "controlled_people")


@pytest.fixture
def zoned(world, presets):
    """1单元 sealed (101: 苏霞 于海涛; 102: 夏明; 103: only a moved-out person, counted by
    nobody), the rest of 1号楼 controlled (201: 王新勇)."""
    hh103 = reg.create_household(Actor.system(), world.unit1, "103")
    reg.create_resident(Actor.system(), hh103, {"name": "钱多", "presence": "moved_out"})
    designate(world, world.unit1, "sealed")
    designate(world, world.unit2, "controlled", number="第19号")
    return world


def names(page: str) -> set[str]:
    return set(re.findall(r"<strong>([^<]+)</strong>", page))


def count(page: str) -> int:
    return int(re.search(r"data-count>(\d+)<", page).group(1))


def test_each_zone_figure_opens_a_list_as_long_as_itself(zoned, client):
    w = zoned
    client.force_login(w.users.staff)
    page = unescape(client.get(f"/reports/places/{w.community.id}/").content.decode())
    seen = {}
    for key in KEYS:
        m = re.search(rf'<a href="([^"]+)" data-figure="{key}"><strong>(\d+)</strong>', page)
        assert m, key
        url, figure = m.groups()
        assert url.startswith(f"/places/{w.community.id}/residents/?zone="), url
        listed = client.get(url).content.decode()
        assert count(listed) == int(figure), (key, url)
        seen[key] = (int(figure), listed)
    assert [seen[k][0] for k in KEYS] == [2, 3, 1, 1]
    assert {"苏霞", "于海涛", "夏明"} <= names(seen["sealed_people"][1])
    assert "王新勇" not in names(seen["sealed_people"][1]) and "钱多" not in names(seen["sealed_people"][1])
    households = seen["sealed_households"][1]
    assert households.count("data-household=") == 2 and "101" in households and "103" not in households


def test_resident_and_vulnerable_lists_filter_by_zone(zoned, client):
    w = zoned
    client.force_login(w.users.staff)
    base = f"/places/{w.community.id}/residents/"
    assert names(client.get(f"{base}?zone=sealed").content.decode()) >= {"苏霞", "于海涛", "夏明"}
    page = client.get(f"{base}?zone=controlled").content.decode()
    assert count(page) == 1 and "王新勇" in page
    page = client.get(f"{base}?zone=none").content.decode()
    assert count(page) == 0  # everyone of 光明社区 is in a zone
    assert count(client.get(f"{base}?zone=bogus").content.decode()) == 4  # no filter
    page = client.get(f"{base}?zone=sealed&tag=bedridden").content.decode()
    assert count(page) == 1 and "夏明" in page
    vul = f"/places/{w.community.id}/vulnerable/"
    page = client.get(f"{vul}?zone=sealed").content.decode()
    assert count(page) == 2 and "苏霞" in page and "夏明" in page
    assert count(client.get(f"{vul}?zone=controlled").content.decode()) == 0
    assert 'zone=sealed">' in client.get(vul).content.decode()  # the zone chips


def sheet(data: bytes):
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    header = [c.value for c in ws[2]]
    return header, [dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=3, values_only=True)]


def test_export_has_a_zone_column_and_imports_back(zoned, client):
    w = zoned
    client.force_login(w.users.staff)
    r = client.get(f"/places/{w.community.id}/export.xlsx?zone=sealed")
    assert r.status_code == 200
    header, rows = sheet(r.content)
    assert "区域" in header
    assert {x["姓名"]: x["区域"] for x in rows} == {"苏霞": "封控区", "于海涛": "封控区", "夏明": "封控区"}
    header, rows = sheet(client.get(f"/places/{w.community.id}/export.xlsx?vulnerable=1&zone=sealed").content)
    assert {x["姓名"] for x in rows} == {"苏霞", "夏明"} and "区域" in header
    full = client.get(f"/places/{w.community.id}/export.xlsx").content
    assert {x["姓名"]: x["区域"] for x in sheet(full)[1]}["王新勇"] == "管控区"
    job = do_import(w.users.staff, w.community, full, "export.xlsx")  # the round trip
    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 4)


def test_a_past_days_report_has_no_links_to_todays_zone_lists(zoned, client):
    """Review (finding 7): a past day's nightly report takes the zone figures from the roll
    at its cut-off, but their links opened today's list ("封控区人数 85" opening 120)."""
    import datetime

    from django.utils import timezone

    w = zoned
    client.force_login(w.users.staff)
    today = timezone.localdate()
    page = client.get(f"/reports/places/{w.community.id}/days/{today}/").content.decode()
    assert re.search(r'<a href="[^"]+" data-figure="sealed_people"', page)  # today's: the list
    past = client.get(f"/reports/places/{w.community.id}/days/{today - datetime.timedelta(days=1)}/")
    html = past.content.decode()
    assert past.status_code == 200 and 'data-figure="sealed_people"' in html
    for key in (*KEYS, "residents", "households"):
        assert not re.search(rf'<a href="[^"]+" data-figure="{key}"', html), key


def test_the_days_cases_figure_opens_no_round_list(zoned, client):
    """Review (finding 7): `cases` counts the cases reported by hand too, but linked to one
    round's re-test follow-ups ("阳性病例 1" opening a list without the hand-reported case)."""
    from fangkong.reports import figures
    from fangkong.zones.actions import escalate
    from tests.conftest import actor_for

    w = zoned
    assert figures.by_key()["cases"].link is None
    escalate.record_case(actor_for(w.users.staff), w.wang, source="区疾控通报")
    client.force_login(w.users.staff)
    page = client.get(f"/reports/places/{w.community.id}/").content.decode()
    assert re.search(r'data-figure="cases"><strong>1</strong>', page)
    assert not re.search(r'<a href="[^"]+" data-figure="cases"', page)
