"""A resident family's day (a tester at 390×844, household 3号楼 3单元 301): a bedridden man
still missing today's PCR swab while an antigen round runs too is named on the household
page for both rounds, the results page leads there, the headings carry the building, and a
family login opened by staff is named, not a masked phone."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening import status
from tests.conftest import make_user

from .test_antigen import running_antigen_round
from .test_household_news import panel_of

ADDRESS = "光明小区 3号楼 3单元 301"


@pytest.fixture
def family(world, system):
    """3号楼 3单元 301: 郑玉梅 and 杨振斌 (89, bedridden, 需上门采样), with its own login."""
    building = reg.create_place(system, world.compound, Kind.BUILDING, "3号楼")
    unit = reg.create_place(system, building, Kind.UNIT, "3单元")
    hh = reg.create_household(system, unit, "301")
    hh.zheng = reg.create_resident(system, hh, {"name": "郑玉梅", "phone": "18900005170", "relation": "户主"})
    hh.yang = reg.create_resident(system, hh, {"name": "杨振斌", "relation": "配偶", "tags": "卧床",
                                               "notes": "需上门采样"})
    hh.login = make_user(system, "family_301", Role.RESIDENT, household=hh)
    return hh


@pytest.fixture
def both(world, system, rnd):
    """The PCR round (第3轮核酸) running, and an antigen round begun after it."""
    return rnd, running_antigen_round(world, system)


def blocks(panel):
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", b))
            for b in re.findall(r'<li class="status[^"]*"[^>]*>(.*?)</li>', panel, re.S)]


def test_the_household_page_names_every_open_round_that_asks_something(family, both, login):
    """Before: only "郑玉梅、杨振斌 还没有上报抗原结果" — the PCR swab 杨振斌 still needs was
    not mentioned (the newest round won the tie at not sampled)."""
    pcr, ag = both
    html = login(family.login).get(reverse("household", args=[family.id])).content.decode()
    said = blocks(panel_of(html))
    antigen = [b for b in said if "还没有上报抗原结果" in b]
    assert len(antigen) == 1 and "郑玉梅、杨振斌" in antigen[0] and ag.name in antigen[0]
    swab = [b for b in said if pcr.name in b and "杨振斌" in b]
    assert len(swab) == 1, said
    # bedridden: the swab is taken at the door, nobody sends him to the sampling point
    assert "杨振斌" in swab[0] and "今天还没有采样" in swab[0] and "上门采样" in swab[0]
    assert "郑玉梅" not in swab[0] and "采样点" not in swab[0]
    # 郑玉梅 is asked for the PCR swab at the sampling point too
    zheng = [b for b in said if "郑玉梅" in b and "采样点" in b]
    assert len(zheng) == 1 and pcr.name in zheng[0]
    # ids stay unique on the page
    ids = re.findall(r'id="(st[^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_the_staff_household_page_lists_the_other_open_round(world, family, both, login):
    pcr, ag = both
    panel = panel_of(login(world.users.staff).get(reverse("household", args=[family.id])).content.decode())
    m = re.search(rf'<li class="status[^"]*" id="st{family.yang.id}">(.*?)</li>', panel, re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1)))
    assert pcr.name in text and ag.name in text


def test_the_results_page_leads_to_where_the_swab_is_mentioned(family, both, login):
    """Before: 我家的检测结果 said 第3轮核酸: 未采样, and its one link went back to a page that
    did not mention it (a loop); its heading said "1单元 101" without the building."""
    pcr, _ag = both
    client = login(family.login)
    page = client.get(reverse("screening_household", args=[family.id])).content.decode()
    h1 = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    assert ADDRESS in h1
    href = re.search(r'<a href="([^"]+)">现在该怎么做', page).group(1)
    path, _sep, anchor = href.partition("#")
    target = client.get(path).content.decode()
    assert anchor and f'id="{anchor}"' in target
    section = re.search(rf'<section[^>]*id="{anchor}".*?</section>', target, re.S).group(0)
    assert "杨振斌" in section and pcr.name in section and "上门采样" in section


def test_the_antigen_self_report_heading_has_the_building(family, both, login):
    html = login(family.login).get(reverse("screening_antigen_mine")).content.decode()
    h2 = re.findall(r"<h2>(.*?)</h2>", html, re.S)
    assert h2 and all(ADDRESS in h for h in h2), h2


def test_the_household_status_stays_bounded_whatever_the_household_size(family, both, system):
    def count():
        people = list(family.residents.all())
        with CaptureQueriesContext(connection) as q:
            now = status.household_now(family, people)
        return len(q), now

    small, now = count()
    assert small <= 14 and any(line["more"] for line in now["lines"])
    for i in range(10):
        reg.create_resident(system, family, {"name": f"住户{i}", "tags": "卧床" if i % 2 else ""})
    large, _now = count()
    assert large == small


def test_a_family_login_opened_by_staff_is_named(world, family, login):
    """Before: the menu said "189****5170"; now the member's name (the account is that
    person's phone), or the household's address when no member has the number."""
    staff = login(world.users.staff)
    staff.post(reverse("household_login", args=[family.id]), {"phone": "18900005170"})
    user = User.objects.get(phone="18900005170")
    assert user.display_name == "郑玉梅"
    family_phone = Client()
    family_phone.force_login(user)
    # its first login sets its own password (the one staff read out was one-time)
    family_phone.post(reverse("password_change"), {"new_password": "zheng-home-5170",
                                                   "new_password2": "zheng-home-5170"})
    menu = family_phone.get(reverse("household", args=[family.id])).content.decode()
    assert '<p class="who">郑玉梅</p>' in menu and "189****5170" not in menu
    staff.post(reverse("household_login", args=[family.id]), {"phone": "18900005171"})
    assert User.objects.get(phone="18900005171").display_name == ADDRESS
    # a name the staff type stays theirs
    staff.post(reverse("household_login", args=[family.id]), {"phone": "18900005172", "name": "杨家"})
    assert User.objects.get(phone="18900005172").display_name == "杨家"
