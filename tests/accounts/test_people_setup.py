"""Setting up a new district's or street's accounts, from the top (found walking the demo:
the street's command had no 人员与角色 and got 404 on /people/, could not add a community,
and a superuser landed on "no place yet" with no way to give the first command role).

Who gives what is one rule (accounts.access.GIVES / ROLE_PLACES): command gives command (its
level and below), lab and the community roles below it; staff the community's roles; a
superuser any. Everything outside one's places is 404, as for a missing one."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind, Place
from tests.pages.test_menu import menu_links

pytestmark = pytest.mark.django_db


def shown_password(resp) -> tuple[str, str]:
    html = resp.content.decode()
    return (re.search(r'id="new-username">([^<]+)<', html).group(1),
            re.search(r'id="new-password">([^<]+)<', html).group(1))


def add(client, **fields):
    return client.post(reverse("people"), {"display_name": "刘丽萍", "phone": "", **fields})


@pytest.fixture
def far(world):
    """A second street of the district, with a community: the first street's command's
    neighbour, never theirs."""
    system = Actor.system()
    street = reg.create_place(system, world.district, Kind.STREET, "迎泽街道")
    community = reg.create_place(system, street, Kind.COMMUNITY, "青年路社区")
    return street, community


def test_the_streets_command_sets_up_a_community_of_its_street(world, login):
    client = login(world.users.street)
    assert reverse("people") in menu_links(client)
    page = client.get(reverse("people"))
    assert page.status_code == 200
    html = page.content.decode()
    # it sees the accounts of its communities, and gives command and lab roles too
    assert "staff_b" in html and "grid_a" in html
    roles = re.search(r'<select id="p-role".*?</select>', html, re.S).group(0)
    assert 'value="command"' in roles and 'value="lab"' in roles and 'value="staff"' in roles
    resp = add(client, role="staff", place=world.other.id)
    assert resp.status_code == 200, resp.content.decode()[:500]
    username, password = shown_password(resp)
    m = Membership.objects.get(user__username=username)
    assert (m.role, m.place_id, m.created_by_id) == (Role.STAFF, world.other.id, world.users.street.id)
    assert AuditEvent.objects.filter(action="membership.grant", actor=world.users.street,
                                     target_id=m.id).exists()
    assert Client().login(username=username, password=password)
    # a colleague at its own level, and a lab: yes
    assert add(client, role="command", place=world.street.id).status_code == 200
    assert add(client, role="lab", place=world.street.id).status_code == 200


def test_command_gives_nothing_above_or_beside_its_street(world, login, far):
    street, community = far
    client = login(world.users.street)
    html = client.get(reverse("people")).content.decode()
    assert f'value="{community.id}"' not in html and f'value="{world.district.id}"' not in html
    before = Membership.objects.count()
    for role, place in (("staff", community), ("command", world.district), ("lab", street)):
        resp = add(client, role=role, place=place.id)
        assert resp.status_code == 400 and "请选择所在范围" in resp.content.decode()
    # the API says 404, as for a place that does not exist
    for role, place in (("staff", community), ("command", world.district)):
        r = client.post("/api/v1/people", {"display_name": "x", "role": role, "place": place.id},
                        content_type="application/json")
        assert r.status_code == 404, r.content
    assert Membership.objects.count() == before


def test_community_staff_give_only_the_communitys_roles(world, login):
    client = login(world.users.staff)
    html = client.get(reverse("people")).content.decode()
    roles = re.search(r'<select id="p-role".*?</select>', html, re.S).group(0)
    assert 'value="command"' not in roles and 'value="lab"' not in roles
    assert 'value="grid"' in roles and 'value="staff"' in roles
    api = "/api/v1/people"
    r = client.post(api, {"display_name": "x", "role": "command", "place": world.community.id},
                    content_type="application/json")
    assert r.status_code == 400 and "place" in r.json()["error"]["fields"]
    r = client.post(api, {"display_name": "x", "role": "lab", "place": world.district.id},
                    content_type="application/json")
    assert r.status_code == 404
    r = client.post(api, {"display_name": "x", "role": "grid", "place": world.other.id},
                    content_type="application/json")
    assert r.status_code == 404  # community B: not theirs
    r = client.post(api, {"display_name": "郭晓东", "role": "grid", "place": world.grid.id},
                    content_type="application/json")
    assert r.status_code == 201 and len(r.json()["password"]) == 10


def test_the_street_page_adds_a_community_and_the_district_a_street(world, login, far):
    street, community = far
    client = login(world.users.street)
    html = client.get(reverse("place", args=[world.street.id])).content.decode()
    action = reverse("place_create", args=[world.street.id])
    form = re.search(rf'<form method="post" action="{action}".*?</form>', html, re.S)
    assert form and 'value="community"' in form.group(0)
    resp = client.post(reverse("place_create", args=[world.street.id]),
                       {"kind": "community", "name": "双塔社区"})
    assert resp.status_code == 302
    new = Place.objects.get(name="双塔社区")
    assert (new.parent_id, new.street_id, new.community_id) == (world.street.id, world.street.id, new.id)
    assert AuditEvent.objects.filter(action="place.create", actor=world.users.street,
                                     target_id=new.id).exists()
    # and a grid in it, then its staff from /people/
    client.post(reverse("place_create", args=[new.id]), {"kind": "grid", "name": "第一网格"})
    assert Place.objects.filter(parent=new, kind=Kind.GRID).exists()
    assert f'value="{new.id}"' in client.get(reverse("people")).content.decode()
    # the neighbouring street is not theirs: 404, nothing added
    assert client.post(reverse("place_create", args=[street.id]),
                       {"kind": "community", "name": "外街社区"}).status_code == 404
    assert client.post(reverse("place_create", args=[world.district.id]),
                       {"kind": "street", "name": "新街道"}).status_code == 404  # above it
    assert not Place.objects.filter(name__in=["外街社区", "新街道"]).exists()
    district = login(world.users.district)
    assert district.post(reverse("place_create", args=[world.district.id]),
                         {"kind": "street", "name": "新街道"}).status_code == 302
    # community staff still add nothing above their community
    staff = login(world.users.staff)
    assert staff.post(reverse("place_create", args=[world.street.id]),
                      {"kind": "community", "name": "又一社区"}).status_code == 404


def test_roles_sit_on_their_kind_of_place(world, login):
    client = login(world.users.street)
    for role, place, says in (("grid", world.community, "网格员只负责一个网格"),
                              ("leader", world.grid, "楼栋长只负责一栋楼"),
                              ("staff", world.grid, "社区工作人员负责整个社区"),
                              ("command", world.community, "区或街道")):
        resp = add(client, role=role, place=place.id)
        assert resp.status_code == 400 and says in resp.content.decode(), role


@pytest.fixture
def root(world):
    return User.objects.create_superuser("root_admin", password="admin-pass-1234")


def test_a_superuser_lands_on_the_installations_pages(world, login, root):
    client = login(root)
    html = client.get(reverse("home")).content.decode()
    assert "还没有分配辖区" not in html
    for url in (reverse("people"), reverse("ops_status"), reverse("admin:index")):
        assert f'href="{url}"' in html
    links = menu_links(client)
    for url in (reverse("people"), reverse("ops_status"), reverse("admin:index"),
                reverse("password_change")):
        assert url in links
        assert client.get(url).status_code == 200, url
    people = client.get(reverse("people")).content.decode()
    assert "command_district" in people and "staff_b" in people  # everyone
    resp = add(client, role="command", place=world.district.id)
    assert resp.status_code == 200
    username, _password = shown_password(resp)
    assert Membership.objects.get(user__username=username).role == Role.COMMAND
    resp = add(client, role="lab", place=world.district.id, display_name="韩磊")
    assert resp.status_code == 200
    # /admin/ lists the accounts, their roles and the places (to look up; changes on /people/)
    for url, says in (("/admin/accounts/user/", "staff_a"), ("/admin/accounts/membership/", "光明社区"),
                      ("/admin/registry/place/", "桥东街道")):
        r = client.get(url)
        assert r.status_code == 200 and says in r.content.decode(), url
    assert client.get("/admin/accounts/user/add/").status_code == 403


def test_grant_role_makes_the_very_first_command_account(world, settings):
    out = io.StringIO()
    call_command("grant_role", "command", "迎泽区", "--name", "王建华", "--phone", "13912345678",
                 stdout=out)
    text = out.getvalue()
    username = re.search(r"username: (\S+)", text).group(1)
    password = re.search(r"one-time password: (\S+)", text).group(1)
    user = User.objects.get(username=username)
    assert user.must_change_password and user.display_name == "王建华"
    m = Membership.objects.get(user=user)
    assert (m.role, m.place_id) == (Role.COMMAND, world.district.id)
    assert AuditEvent.objects.filter(action="membership.grant", target_id=m.id, via="cli").exists()
    # they log in with the phone and must choose their own password first
    client = Client()
    resp = client.post(reverse("login"), {"username": "13912345678", "password": password})
    assert resp.status_code == 302
    assert client.get(reverse("people")).url.startswith(reverse("password_change"))
    # an existing account, by path; a lab on a street
    call_command("grant_role", "command", "迎泽区/桥东街道", "--user", "staff_b", stdout=io.StringIO())
    assert Membership.objects.filter(user=world.users.other_staff, role=Role.COMMAND,
                                     place=world.street).exists()
    call_command("grant_role", "lab", str(world.street.id), "--name", "韩磊", stdout=io.StringIO())
    for args, says in ((("command", "迎泽区/桥东街道/光明社区", "--name", "x"), "district or a street"),
                       (("command", "迎泽区/没有这个街道", "--name", "x"), "no single place"),
                       (("command", "迎泽区", "--user", "nobody_here"), "no account")):
        with pytest.raises(CommandError, match=says):
            call_command("grant_role", *args, stdout=io.StringIO())
