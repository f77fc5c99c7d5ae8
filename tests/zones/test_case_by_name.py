"""The case page at 2 a.m.: the staff have a name, not an ID number or a card. The page finds
the person by name, pinyin or initials through the registry's own search
(`registry.queries.search_queryset`), among the people the user manages; a name that finds
several lists them to choose from; someone outside the user's place is "no person", alike."""

import re

from fangkong.registry import actions as reg
from fangkong.zones.models import ZoneCase
from tests.conftest import actor_for


def _url(w):
    return f"/zones/p/{w.community.id}/cases/new/"


def test_a_case_is_found_by_name_pinyin_or_initials(world, presets, client):
    w = world
    client.force_login(w.users.staff)
    for typed in ("夏明", "xiaming", "XM"):
        asked = client.post(_url(w), {"person": typed, "source": "区疾控中心", "confirmed_at": ""})
        page = asked.content.decode()
        assert asked.status_code == 200 and "上报这例确诊病例？" in page, (typed, page[-1500:])
        assert "夏明" in page and "1号楼" in page
    done = client.post(_url(w), {"person": "xm", "source": "区疾控中心", "confirmed_at": "", "confirm": "1"})
    assert done.status_code == 302
    assert ZoneCase.objects.get().resident_id == w.xia.id


def test_a_name_that_finds_several_lists_them_to_choose(world, presets, client):
    w = world
    min_ = reg.create_resident(actor_for(w.users.staff), w.hh201, {"name": "夏敏", "relation": "其他"})
    client.force_login(w.users.staff)
    form = {"person": "夏", "source": "", "confirmed_at": ""}
    listed = client.post(_url(w), form)
    page = listed.content.decode()
    assert listed.status_code == 400 and "有多人符合" in page and not ZoneCase.objects.exists()
    picks = {int(v) for v in re.findall(r'name="pick" value="(\d+)"', page)}
    assert picks == {w.xia.id, min_.id}
    asked = client.post(_url(w), {**form, "pick": min_.id})
    assert asked.status_code == 200 and "夏敏" in asked.content.decode()
    client.post(_url(w), {**form, "pick": min_.id, "confirm": "1"})
    assert ZoneCase.objects.get().resident_id == min_.id
    # a pick that the words do not find (another place's person, a stale choice): no person
    for pick in (w.other_person.id, w.wang.id):
        bad = client.post(_url(w), {**form, "pick": pick, "confirm": "1"})
        assert bad.status_code == 400 and "本辖区没有此姓名" in bad.content.decode()
    assert ZoneCase.objects.count() == 1


def test_a_name_outside_the_users_place_is_no_person(world, presets, client):
    w = world
    client.force_login(w.users.staff)
    for typed in ("袁桂英", "ygy"):
        bad = client.post(_url(w), {"person": typed, "source": "", "confirmed_at": "", "confirm": "1"})
        assert bad.status_code == 400 and "本辖区没有此姓名" in bad.content.decode()
        assert "袁桂英" not in bad.content.decode().replace(f'value="{typed}"', "")
    # the other community's staff find her, and nobody of this one
    client.force_login(w.users.other_staff)
    other = f"/zones/p/{w.other.id}/cases/new/"
    assert client.post(other, {"person": "袁桂英", "source": "", "confirmed_at": ""}).status_code == 200
    assert client.post(other, {"person": "夏明", "source": "", "confirmed_at": ""}).status_code == 400
    assert not ZoneCase.objects.exists()
