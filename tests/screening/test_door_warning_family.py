"""Staff were told a child or elder "cannot report on their own: send someone with a kit"
from the person's own phone alone, though the household had a family login that reports
for every member on /screening/antigen/mine/ (walk "family", 2026-12-07: 李朵朵, 7, no
phone, in a household with a family login and members with smartphones). The household
panel's door warning now stands only where nobody in the household can report — no family
login and no member at home with a smartphone — or for an elderly person living alone."""

import pytest
from django.urls import reverse

from fangkong.accounts.roles import Role
from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Presence, Resident
from tests.conftest import make_user

from .test_antigen import running_antigen_round

pytestmark = pytest.mark.django_db
WARN = "无法自行上报"


def _line(html, person):
    part = html[html.index(f'id="st{person.id}"'):]
    return part[:part.index("</li>")]


def _panel(login, w, household):
    return login(w.users.staff).get(reverse("household", args=[household.id])).content.decode()


def test_a_family_login_reports_for_a_child_without_a_phone(world, login, system):
    w = world
    rnd = running_antigen_round(w, system)
    door = f"/screening/rounds/{rnd.id}/antigen/door/?household={w.hh101.id}"
    # a child with no phone of her own, in 101: the household has a family login (resident_a)
    child = reg.create_resident(system, w.hh101, {"name": "李朵朵", "relation": "孙女", "has_smartphone": False})
    html = _panel(login, w, w.hh101)
    assert WARN not in _line(html, child) and door not in _line(html, child)
    # an elderly person living alone (苏霞's tag) still gets the door: nobody is with her
    Resident.objects.filter(pk=w.su.pk).update(has_smartphone=False)
    assert WARN in _line(_panel(login, w, w.hh101), w.su)


def test_a_member_with_a_smartphone_reports_for_the_household(world, login, system):
    w = world
    running_antigen_round(w, system)
    Resident.objects.filter(pk=w.wang.pk).update(has_smartphone=False)
    # 201: 王新勇 has no smartphone and nobody else can report: the door
    assert WARN in _line(_panel(login, w, w.hh201), w.wang)
    # his daughter at home has one: she reports for him
    daughter = reg.create_resident(system, w.hh201, {"name": "王小丽", "relation": "女儿"})
    assert WARN not in _line(_panel(login, w, w.hh201), w.wang)
    # away from home, she cannot: the door again
    Resident.objects.filter(pk=daughter.pk).update(presence=Presence.AWAY)
    assert WARN in _line(_panel(login, w, w.hh201), w.wang)


def test_a_household_given_a_family_login_no_longer_needs_the_door(world, login, system):
    w = world
    running_antigen_round(w, system)
    Resident.objects.filter(pk=w.xia.pk).update(has_smartphone=False)
    assert WARN in _line(_panel(login, w, w.hh102), w.xia)  # 夏明 alone, no phone, no login
    make_user(Actor.system(), "family_102", Role.RESIDENT, household=w.hh102)
    assert WARN not in _line(_panel(login, w, w.hh102), w.xia)
