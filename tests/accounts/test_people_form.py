"""添加人员 on /people/, as the walker found it: the first password was typed blind and never
shown, nobody was asked to change it, usernames were invented by hand; the 所在范围 list
said "楼栋 · 1号楼" eleven times and defaulted to the whole community, so a grid worker
added without touching it got every household."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind

pytestmark = pytest.mark.django_db


def form_of(html) -> str:
    return re.search(r'<details class="card" id="add-person".*?</details>', html, re.S).group(0)


def place_select(html) -> str:
    return re.search(r'<select id="p-place".*?</select>', html, re.S).group(0)


def test_username_and_first_password_are_made_up_and_shown_once(world, login):
    client = login(world.users.staff)
    form = form_of(client.get(reverse("people")).content.decode())
    user_input = re.search(r'<input id="p-user"[^>]*>', form).group(0)
    pass_input = re.search(r'<input id="p-pass"[^>]*>', form).group(0)
    assert "required" not in user_input and "required" not in pass_input
    assert 'type="text"' in pass_input  # a typed one is seen as it is typed
    resp = client.post(reverse("people"), {"display_name": "郭晓东", "phone": "13912345678",
                                           "role": "grid", "place": world.grid.id})
    assert resp.status_code == 200 and "no-store" in resp["Cache-Control"]
    html = resp.content.decode()
    username = re.search(r'id="new-username">(grid-[a-z2-9]{8})<', html).group(1)
    password = re.search(r'id="new-password">([a-z2-9]{10})<', html).group(1)
    assert "13912345678" in html and "只显示这一次" in html
    user = User.objects.get(username=username)
    assert user.must_change_password and user.phone == "13912345678"
    # the page does not show it again
    assert password not in client.get(reverse("people")).content.decode()
    # the person logs in with the phone and is asked for their own password first
    person = Client()
    resp = person.post(reverse("login"), {"username": "13912345678", "password": password})
    assert resp.status_code == 302
    assert person.get(resp.url).url.startswith(reverse("password_change"))
    person.post(reverse("password_change"), {"new_password": "quiet-river-27",
                                             "new_password2": "quiet-river-27"})
    assert person.get(reverse("home")).url == reverse("place", args=[world.grid.id])


def test_a_typed_username_and_password_are_kept_and_shown(world, login):
    client = login(world.users.staff)
    resp = client.post(reverse("people"), {"display_name": "赵敏", "role": "leader",
                                           "place": world.building.id, "username": "zhaomin",
                                           "password": "spring-field-9"})
    html = resp.content.decode()
    assert 'id="new-username">zhaomin<' in html and 'id="new-password">spring-field-9<' in html
    user = User.objects.get(username="zhaomin")
    assert user.check_password("spring-field-9") and user.must_change_password
    # a phone as the username is still refused, the form kept
    resp = client.post(reverse("people"), {"display_name": "钱", "role": "leader",
                                           "place": world.building.id, "username": "13912345678"})
    assert resp.status_code == 400 and "用户名" in resp.content.decode()


def test_the_place_list_names_each_building_with_its_compound(world, login):
    system = Actor.system()
    sunny = reg.create_place(system, world.grid, Kind.COMPOUND, "阳光小区")
    reg.create_place(system, sunny, Kind.BUILDING, "1号楼")  # the same name as 光明小区's
    html = login(world.users.staff).get(reverse("people")).content.decode()
    select = place_select(html)
    options = re.findall(r'<option value="(\d*)"[^>]*>([^<]+)</option>', select)
    labels = [label for _v, label in options]
    assert "光明小区 1号楼" in labels and "阳光小区 1号楼" in labels
    assert len(labels) == len(set(labels))  # no two alike
    assert "楼栋 · 1号楼" not in select
    groups = re.findall(r'<optgroup label="([^"]+)"', select)
    assert groups[:1] == ["光明社区"] and "光明小区" in groups and "阳光小区" in groups
    # nothing chosen for them: the first option is the empty "choose" one, and it is required
    assert options[0][0] == "" and "selected" not in select and "required" in select
    # each option says which roles sit there (the page's script offers only those)
    grid = re.search(rf'<option value="{world.grid.id}" data-roles="([^"]*)"', select).group(1)
    assert grid.split() == ["grid"]
    community = re.search(rf'<option value="{world.community.id}" data-roles="([^"]*)"',
                          select).group(1)
    assert set(community.split()) == {"staff", "volunteer", "supplier"}


def test_the_street_sees_each_community_with_its_name_in_front(world, login):
    html = login(world.users.street).get(reverse("people")).content.decode()
    labels = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', place_select(html))
    assert "光明社区 光明小区 1号楼" in labels and "惠泽苑社区 惠泽苑小区 5号楼" in labels
    assert "光明社区 第一网格" in labels and "街道 · 桥东街道" in labels


def test_where_they_work_must_be_chosen_and_fit_the_role(world, login):
    client = login(world.users.staff)
    base = {"display_name": "郭晓东", "role": "grid"}
    resp = client.post(reverse("people"), base)
    assert resp.status_code == 400 and "请选择所在范围" in resp.content.decode()
    resp = client.post(reverse("people"), {**base, "place": world.community.id})
    assert resp.status_code == 400 and "网格员只负责一个网格：请选择这个网格。" in resp.content.decode()
    assert 'value="郭晓东"' in resp.content.decode()  # the form comes back as typed
    resp = client.post(reverse("people"), {**base, "role": "", "place": world.grid.id})
    assert resp.status_code == 400 and "请选择角色" in resp.content.decode()
    assert not Membership.objects.filter(user__display_name="郭晓东").exists()
    client.post(reverse("people"), {**base, "place": world.grid.id})
    m = Membership.objects.get(user__display_name="郭晓东")
    assert (m.role, m.place_id) == (Role.GRID, world.grid.id)
