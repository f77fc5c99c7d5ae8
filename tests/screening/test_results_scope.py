"""A round's results by tube are read as far as the reader sees the round's figures (walk
"lab", defect 9, 2026-12): a building leader (楼栋长, a grant on 1号楼) read every tube of the
community round — 5号楼's positive pool and its single re-test positive included — while his
round page counted his building only. Now the tubes listed (page and API) are those holding a
swab of someone under the reader's part of the round, as the figures count them (one person's
single re-test is that person's result); the community's staff, the lab and the grid worker
over both buildings read them all."""

import re

import pytest

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.actions import station
from fangkong.screening.actions.followup import record_retest
from fangkong.screening.models import FollowUp, Tube

from .conftest import api, cid, to_lab

pytestmark = pytest.mark.django_db


@pytest.fixture
def five(world, system):
    """5号楼 of the same compound, with 石卫东 at 2单元 401."""
    b5 = reg.create_place(system, world.compound, Kind.BUILDING, "5号楼")
    unit = reg.create_place(system, b5, Kind.UNIT, "2单元")
    hh = reg.create_household(system, unit, "401")
    return reg.create_resident(system, hh, {"name": "石卫东", "id_number": "140106198001010018",
                                            "phone": "15700007140"})


def _pool(world, rnd, barcode, *people):
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, barcode)
    for p in people:
        station.scan(staff, rnd, client_id=cid(), barcode=barcode, person=p.token)
    station.seal_tube(staff, Tube.objects.get(round=rnd, barcode=barcode))


def _codes(html):
    return re.findall(r'<li class="row[^"]*"><span class="grow">(?:<span class="tag urgent">[^<]*</span> )?<strong>([^<]+)</strong>', html)


@pytest.fixture
def tubes(world, rnd, five):
    _pool(world, rnd, "GM00016", world.su, world.yu)  # 1号楼
    _pool(world, rnd, "GM00017", five)  # 5号楼
    to_lab(world, rnd, "GM00016", "GM00017")
    lab = Actor.system(world.users.lab)
    lab_actions.record_results(lab, [{"barcode": "GM00016", "result": "negative"},
                                     {"barcode": "GM00017", "result": "positive"}], source="api")
    fu = FollowUp.objects.get(round=rnd, resident=five)
    record_retest(Actor.system(world.users.staff), fu, "RT0010")
    lab_actions.record_results(lab, [{"barcode": "RT0010", "result": "positive"}], source="api")


def test_a_building_leader_reads_the_tubes_of_his_building_only(world, rnd, tubes, client):
    client.force_login(world.users.leader)  # 1号楼
    html = client.get(f"/screening/rounds/{rnd.id}/results/").content.decode()
    assert _codes(html) == ["GM00016"] and "GM00017" not in html and "RT0010" not in html
    assert "1号楼" in html  # says whose tubes these are
    out = api(client, "get", f"/rounds/{rnd.id}/results").json()
    assert [t["barcode"] for t in out["results"]] == ["GM00016"]
    assert api(client, "get", f"/rounds/{rnd.id}/results?result=positive").json()["results"] == []
    assert api(client, "get", f"/rounds/{rnd.id}/results?result=retest").json()["results"] == []


def test_who_sees_the_whole_round_reads_every_tube(world, rnd, tubes, client):
    for user in (world.users.staff, world.users.grid, world.users.lab, world.users.street):
        client.force_login(user)
        html = client.get(f"/screening/rounds/{rnd.id}/results/").content.decode()
        assert _codes(html) == ["RT0010", "GM00016", "GM00017"], user
        out = api(client, "get", f"/rounds/{rnd.id}/results").json()
        assert [t["barcode"] for t in out["results"]] == ["RT0010", "GM00016", "GM00017"], user


def test_wrong_role_and_community_get_404(world, rnd, tubes, client):
    for user in (world.users.other_staff, world.users.resident, world.users.volunteer, world.users.supplier):
        client.force_login(user)
        assert client.get(f"/screening/rounds/{rnd.id}/results/").status_code == 404, user
        assert api(client, "get", f"/rounds/{rnd.id}/results").status_code == 404, user
