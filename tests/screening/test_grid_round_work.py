"""A grid worker's night in a community round: they exempt people and list home visits for
their own grid (not another grid's people: those look missing), the round page and the
missing list show those buttons exactly when the action is allowed, the API's coverage is
of the part the user sees (as the page), the exemption screen names whom it exempts (full
address, a reason chosen, a note, a confirm step), and the missing list gives a number to
call for everyone who has one to reach (or says to go to the door)."""

import io

import openpyxl
import pytest

from fangkong.accounts.roles import Role
from fangkong.core.errors import NotFound
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening.actions import followup, planning
from fangkong.screening.models import Exemption, HomeVisit
from tests.conftest import actor_for, make_user

from .conftest import api


@pytest.fixture
def grid2(world, system):
    """A second grid of community A (in the round's area), with a bedridden person."""
    g = reg.create_place(system, world.community, Kind.GRID, "第二网格")
    compound = reg.create_place(system, g, Kind.COMPOUND, "东风小区")
    building = reg.create_place(system, compound, Kind.BUILDING, "7号楼")
    unit = reg.create_place(system, building, Kind.UNIT, "1单元")
    hh = reg.create_household(system, unit, "101")
    g.person = reg.create_resident(system, hh, {"name": "王秀英", "phone": "13912345678", "tags": "卧床"})
    return g


def test_grid_worker_exempts_someone_in_their_grid_from_the_page(world, rnd, client):
    client.force_login(world.users.grid)
    url = f"/screening/rounds/{rnd.id}/exemptions/"
    r = client.post(url, {"resident": world.wang.id, "reason": "other", "note": "在外地", "confirm": "1"})
    assert r.status_code == 302
    ex = Exemption.objects.get(round=rnd, resident=world.wang)
    assert (ex.reason, ex.note) == ("other", "在外地")


def test_grid_worker_cannot_exempt_or_list_someone_of_another_grid(world, rnd, grid2, system):
    grid = actor_for(world.users.grid)
    with pytest.raises(NotFound):
        planning.add_exemption(grid, rnd, grid2.person, "other", "出差")
    with pytest.raises(NotFound):
        followup.add_home_visit(grid, rnd, grid2.person)
    assert not Exemption.objects.filter(resident=grid2.person).exists()
    # their own grid's person: allowed
    assert planning.add_exemption(grid, rnd, world.wang, "other", "出差").resident_id == world.wang.id


def test_grid_worker_adds_home_sampling_and_generates_their_grids_list(world, rnd, grid2, client):
    client.force_login(world.users.grid)
    r = client.post(f"/screening/rounds/{rnd.id}/home/{world.wang.id}/")
    assert r.status_code == 302
    assert HomeVisit.objects.filter(round=rnd, resident=world.wang, status="open").exists()
    # another grid's person: as a missing one
    assert client.post(f"/screening/rounds/{rnd.id}/home/{grid2.person.id}/").status_code == 404
    r = client.post(f"/screening/rounds/{rnd.id}/home/", {"generate": "1"})
    assert r.status_code == 302
    listed = set(HomeVisit.objects.filter(round=rnd, source="tags").values_list("resident_id", flat=True))
    assert listed == {world.su.id, world.xia.id}  # their grid's bedridden and limited mobility
    assert grid2.person.id not in listed
    hv = HomeVisit.objects.get(round=rnd, resident=world.wang)
    r = client.post(f"/screening/rounds/{rnd.id}/home/", {"visit": hv.id, "status": "cancelled", "confirm": "1"})
    assert r.status_code == 302
    hv.refresh_from_db()
    assert hv.status == "cancelled"


def test_buttons_show_exactly_when_the_action_is_allowed(world, rnd, client):
    home = f"/screening/rounds/{rnd.id}/home/"
    exempt = f"/screening/rounds/{rnd.id}/exemptions/"
    add = f"/screening/rounds/{rnd.id}/home/{world.wang.id}/"
    for user, allowed in ((world.users.grid, True), (world.users.staff, True), (world.users.leader, False)):
        client.force_login(user)
        page = client.get(f"/screening/rounds/{rnd.id}/").content.decode()
        assert (f'href="{home}"' in page) is allowed, user
        assert (f'href="{exempt}"' in page) is allowed, user
        assert (f'href="{exempt}?place=' in page) is allowed, user  # the 免检 figure's link
        missing = client.get(f"/screening/rounds/{rnd.id}/missing/").content.decode()
        assert (f'hx-post="{home}' in missing) is allowed, user  # "Sample at home" buttons
        assert (client.post(add).status_code == 302) is allowed, user
    client.force_login(world.users.grid)
    missing = client.get(f"/screening/rounds/{rnd.id}/missing/").content.decode()
    assert f'hx-post="{add}"' not in missing and "已列入上门" in missing  # listed above


def test_api_coverage_is_of_the_users_part_as_the_page(world, rnd, grid2, system):
    from django.test import Client

    leader2 = make_user(system, "leader_b7", Role.LEADER, grid2.person.household.place.parent)
    for user, node in ((world.users.leader, world.building), (world.users.grid, world.grid),
                       (leader2, grid2.person.household.place.parent), (world.users.staff, world.community)):
        c = Client()
        c.force_login(user)
        cov = api(c, "get", f"/rounds/{rnd.id}/coverage").json()
        missing = api(c, "get", f"/rounds/{rnd.id}/missing").json()
        assert cov["place"] == node.id == missing["place"], user
        assert cov["missing"] == missing["count"], user
    c = Client()
    c.force_login(world.users.leader)
    assert api(c, "get", f"/rounds/{rnd.id}/coverage").json()["expected"] == 4  # 1号楼's four people


def test_exemption_screen_names_whom_it_exempts_and_asks_first(world, rnd, client):
    client.force_login(world.users.staff)
    url = f"/screening/rounds/{rnd.id}/exemptions/"
    page = client.get(url, {"q": world.wang.name}).content.decode()
    assert "光明小区 1号楼 2单元 201" in page  # not just the door
    assert 'name="note"' in page
    assert '<option value="" selected disabled>' in page and 'name="reason" required' in page
    # no reason chosen: refused, nothing asked or written
    r = client.post(f"{url}?q={world.wang.name}", {"resident": world.wang.id, "reason": "", "note": ""})
    assert r.status_code == 302 and not Exemption.objects.exists()
    # asked first: whom, where, why
    r = client.post(f"{url}?q={world.wang.name}", {"resident": world.wang.id, "reason": "other", "note": "出差"})
    text = r.content.decode()
    assert r.status_code == 200 and 'name="confirm" value="1"' in text
    assert "王新勇" in text and "光明小区 1号楼 2单元 201" in text and "其他原因" in text and "出差" in text
    assert not Exemption.objects.exists()
    r = client.post(url, {"resident": world.wang.id, "reason": "other", "note": "出差", "confirm": "1"})
    assert r.status_code == 302 and Exemption.objects.filter(resident=world.wang, note="出差").exists()
    listed = client.get(url).content.decode().split('id="exempt-people"')[1]
    assert "光明小区 1号楼 2单元 201" in listed


def test_missing_list_gives_a_number_or_says_to_go_to_the_door(world, rnd, client, system):
    kid = reg.create_resident(system, world.hh101, {"name": "苏小宝", "relation": "子女"})  # household phone
    mate = reg.create_resident(system, world.hh201, {"name": "王小军", "relation": "子女"})  # 王新勇's
    hh = reg.create_household(system, world.unit2, "202")
    alone = reg.create_resident(system, hh, {"name": "李孤", "relation": "户主"})
    client.force_login(world.users.grid)
    page = client.get(f"/screening/rounds/{rnd.id}/missing/").content.decode()
    row = lambda name: page.split(name)[1].split("</li>")[0]  # noqa: E731
    assert "03514001234" in row(kid.name) and "住户电话" in row(kid.name)
    assert "15534248731" in row(mate.name) and "王新勇（同户）" in row(mate.name)
    assert "无电话，需上门" in row(alone.name)
    assert "无电话" not in row(world.wang.name)
    data = client.get(f"/screening/rounds/{rnd.id}/missing.xlsx").content
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    phone = {r[0]: r[3] for r in sheet.iter_rows(values_only=True)}
    assert phone[kid.name] == "03514001234 住户电话"
    assert phone[mate.name] == "15534248731 王新勇（同户）"
    assert phone[alone.name] == "无电话，需上门"
    out = {p["name"]: p for p in api(client, "get", f"/rounds/{rnd.id}/missing").json()["results"]}
    assert out[kid.name]["contact_phone"]["phone"] == "03514001234"
    assert out[mate.name]["contact_phone"]["name"] == "王新勇"
    assert out[alone.name]["contact_phone"] is None
    # a leader (phones masked): masked as the lists mask them
    client.force_login(world.users.leader)
    page = client.get(f"/screening/rounds/{rnd.id}/missing/").content.decode()
    assert "住户电话" in page
