"""An antigen round and home sampling in a sealed building, walked 2026-12-06: a resident's
positive self-report is asked first (on the server, so without script too) and chosen from
radio buttons, not a dropdown; an antigen round has no tube station (its home list and
missing list lead to the door page); its pages and its missing-list export speak of
results reported, not swabs sampled, and show no boxes, conflicts or emergency team."""

import io
import re
import uuid

import pytest
from openpyxl import load_workbook

from fangkong.core.errors import NotFound
from fangkong.notify.models import Notification
from fangkong.screening.actions import followup
from fangkong.screening.actions import station as station_actions
from fangkong.screening.models import AntigenResult, FollowUp, HomeVisit, Tube

from .photos import png
from .test_antigen import running_antigen_round, staff


@pytest.fixture
def ag(world, system):
    return running_antigen_round(world, system)


def _hidden(page: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.split("confirm-yes")[1]))


def test_a_positive_self_report_is_asked_first_naming_the_person(world, ag, client):
    w = world
    client.force_login(w.users.resident)
    mine = client.get("/screening/antigen/mine/").content.decode()
    assert '<select name="result"' not in mine  # one slip in a dropdown picked 阳性
    assert mine.count('type="radio" name="result" value="positive"') == 2  # one per member
    r = client.post("/screening/antigen/mine/", {"round": ag.id, "household": w.hh101.id, "resident": w.su.id,
                                                 "result": "positive", "photo": png(),
                                                 "client_id": str(uuid.uuid4())})
    page = r.content.decode()
    # nothing recorded yet: the question, naming whom and what follows
    assert r.status_code == 200 and "确定上报 苏霞 为阳性？" in page
    assert "光明小区 1号楼 1单元 101" in page and "居家管控" in page and "无法撤回" in page
    assert not AntigenResult.objects.exists() and not FollowUp.objects.exists()
    assert not Notification.objects.filter(kind="screening.antigen_positive").exists()
    # "yes": recorded with the photo sent the first time
    fields = _hidden(page)
    assert fields["result"] == "positive" and fields["resident"] == str(w.su.id) and fields["held"]
    r = client.post("/screening/antigen/mine/", fields)
    assert r.status_code == 302
    a = AntigenResult.objects.get(resident=w.su)
    assert a.result == "positive" and a.source == "self" and a.photo
    assert FollowUp.objects.filter(resident=w.su).exists()
    assert Notification.objects.filter(kind="screening.antigen_positive").exists()
    # the held photo is not a key to another person's result, nor used twice
    fields2 = dict(fields, resident=str(w.yu.id), client_id=str(uuid.uuid4()))
    r = client.post("/screening/antigen/mine/", fields2)
    assert r.status_code == 422 and not AntigenResult.objects.filter(resident=w.yu).exists()


def test_a_negative_self_report_stays_one_tap(world, ag, client):
    client.force_login(world.users.resident)
    r = client.post("/screening/antigen/mine/", {"round": ag.id, "household": world.hh101.id,
                                                 "resident": world.yu.id, "result": "negative", "photo": png()})
    assert r.status_code == 302 and AntigenResult.objects.get().result == "negative"


def test_a_positive_without_a_photo_is_refused_not_asked(world, ag, client):
    client.force_login(world.users.resident)
    r = client.post("/screening/antigen/mine/", {"round": ag.id, "household": world.hh101.id,
                                                 "resident": world.su.id, "result": "positive"})
    assert r.status_code == 422 and not AntigenResult.objects.exists()


def test_an_antigen_round_has_no_tube_station(world, ag, client):
    w = world
    client.force_login(w.users.staff)
    r = client.get(f"/screening/rounds/{ag.id}/station/")
    assert r.status_code == 404 and "入户发放与录入" in r.content.decode()
    try:
        station_actions.open_tube(staff(w), ag, "AG0001")
        raise AssertionError("a tube opened in an antigen round")
    except NotFound:
        pass
    r = client.post(f"/api/v1/screening/rounds/{ag.id}/tubes", {"barcode": "AG0001"}, content_type="application/json")
    assert r.status_code == 404 and not Tube.objects.exists()


def test_antigen_home_and_missing_lists_lead_to_the_door_page(world, ag, client):
    w = world
    followup.add_home_visit(staff(w), ag, w.xia)
    assert HomeVisit.objects.filter(round=ag, resident=w.xia).exists()
    client.force_login(w.users.staff)
    home = client.get(f"/screening/rounds/{ag.id}/home/").content.decode()
    assert f"/screening/rounds/{ag.id}/station/" not in home
    assert f"/screening/rounds/{ag.id}/antigen/door/?household={w.hh102.id}" in home
    missing = client.get(f"/screening/rounds/{ag.id}/missing/").content.decode()
    assert "录入结果" in missing and f"/screening/rounds/{ag.id}/antigen/door/" in missing
    assert f"/screening/rounds/{ag.id}/home/{w.wang.id}/" not in missing  # no "上门采样" button


def test_antigen_screens_use_antigen_words(world, ag, client):
    client.force_login(world.users.staff)
    r = client.get(f"/screening/rounds/{ag.id}/missing.xlsx")
    assert r.status_code == 200
    head = load_workbook(io.BytesIO(b"".join(r.streaming_content) if r.streaming else r.content)).active["A1"].value
    assert "已上报 0 / 应检 4" in head and "未检 4" in head and "已采" not in head and "未采" not in head
    page = client.get(f"/screening/rounds/{ag.id}/").content.decode()
    assert "应急采样队" not in page and "混管阳性时" not in page
    assert f"/screening/rounds/{ag.id}/boxes/" not in page and f"/screening/rounds/{ag.id}/conflicts/" not in page
    assert re.search(r"范围：\s*光明社区", page)  # the areas it covers
