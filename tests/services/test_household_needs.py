"""Where staff look first (walked with 秦爱玲: 74, lives alone, no smartphone): her
household's page shows its open requests (state, who has it, a link) through the household
panels, not only under 订购物资与求助; the vulnerability list says 无智能手机 and how many
open requests each person's household has (one query, the .xlsx the same); and a person who
cannot report an antigen result on their own reads, on the staff's page, that someone goes
to the door, with the round's door page for the household."""

import io

import openpyxl
import pytest
from django.urls import reverse

from fangkong.core.actor import Actor
from fangkong.registry.models import Resident
from fangkong.services.actions import requests
from fangkong.services.models import Category

from ..screening.test_antigen import running_antigen_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def qin(world):
    """苏霞 (elderly, lives alone) has no smartphone; 101 asked for a visit and a repair."""
    requests.install_categories()
    Resident.objects.filter(pk=world.su.pk).update(has_smartphone=False)
    staff = Actor.system(world.users.staff)
    world.visit = requests.raise_request(staff, world.hh101, Category.objects.get(code="check_in"), "上门看看老人")
    world.repair = requests.raise_request(staff, world.hh101, Category.objects.get(code="repair"), "水管漏水",
                                          assignee=world.users.staff)
    return world


def test_staffs_household_page_shows_its_open_requests(qin, login):
    w = qin
    html = login(w.users.staff).get(reverse("household", args=[w.hh101.id])).content.decode()
    assert 'id="open-requests"' in html and "未办结的求助" in html
    assert "上门看看老人" in html and f'href="/services/requests/{w.visit.id}/"' in html
    visit = html[html.index(f'data-request="{w.visit.id}"'):]
    assert "新诉求" in visit.split("</li>")[0] and "尚无人接单" in visit.split("</li>")[0]  # state, who has it
    repair = html[html.index(f'data-request="{w.repair.id}"'):].split("</li>")[0]
    assert "水管漏水" in repair and "已交给" in repair
    # a household without open requests: no card
    other = login(w.users.staff).get(reverse("household", args=[w.hh102.id])).content.decode()
    assert 'id="open-requests"' not in other
    # the household's own login has its own page for them: not repeated here
    own = login(w.users.resident).get(reverse("household", args=[w.hh101.id]))
    assert 'id="open-requests"' not in own.content.decode()


def test_the_vulnerability_list_says_no_smartphone_and_open_requests(qin, login, django_assert_max_num_queries):
    w = qin
    c = login(w.users.staff)
    with django_assert_max_num_queries(13):  # one query more than the list alone, however many rows
        html = c.get(reverse("vulnerable", args=[w.community.id])).content.decode()
    su = html[html.index("苏霞"):html.index("夏明")] if html.index("苏霞") < html.index("夏明") \
        else html[html.index("苏霞"):]
    assert "无智能手机" in su and 'data-open-requests="2"' in su and "2 个未办结求助" in su
    xia = html[html.index("夏明"):]
    assert 'data-open-requests' not in xia.split("</li>")[0]
    # the export says the same: 无 in the smartphone column, the count in its own column
    resp = c.get(reverse("export_residents", args=[w.community.id]), {"vulnerable": "1"})
    rows = list(openpyxl.load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    head = list(rows[1])
    got = {r[head.index("姓名")]: (r[head.index("未办结求助")], r) for r in rows[2:]}
    assert got["苏霞"][0] == 2 and "无" in got["苏霞"][1] and got["夏明"][0] == 0


def test_someone_who_cannot_report_is_a_door_visit(qin, login, system):
    w = qin
    rnd = running_antigen_round(w, system)
    html = login(w.users.staff).get(reverse("household", args=[w.hh101.id])).content.decode()
    door = f'/screening/rounds/{rnd.id}/antigen/door/?household={w.hh101.id}'
    su = html[html.index(f'id="st{w.su.id}"'):]
    su = su[:su.index("</li>")]
    assert "无法自行上报" in su and door in su
    yu = html[html.index(f'id="st{w.yu.id}"'):]
    yu = yu[:yu.index("</li>")]
    assert "无法自行上报" not in yu and door not in yu  # he has a phone and does not live alone
