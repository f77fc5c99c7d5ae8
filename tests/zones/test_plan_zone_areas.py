"""The zones page's "plan this round" for a sealed area plans over that area, not over the
whole place the page is on (walked 2026-12-06: "12/7 封控区核酸" planned 应采 500, the
whole community, not the sealed building's 38): the link carries the zone's areas, the
planning form shows and keeps them ("范围：1单元"), the page plans over them through the
same action as the API, and the round page says which areas it covers."""

import html
import re
from urllib.parse import parse_qs, urlsplit

from fangkong.screening import figures
from fangkong.screening.models import Round, RoundArea
from tests.zones.test_plan_from_cadence import plan_links
from tests.zones.test_rules import designate


def test_a_sealed_units_round_covers_that_unit_only(world, presets, client):
    w = world
    designate(w, w.unit1, "sealed")  # 苏霞, 于海涛, 夏明; 王新勇 in 2单元 is not sealed
    client.force_login(w.users.staff)
    link = plan_links(client, w.community)[0]
    q = parse_qs(urlsplit(link).query)
    assert q["place"] == [str(w.community.id)] and q["areas"] == [str(w.unit1.id)]
    form = client.get(link).content.decode()
    assert re.search(r"范围：\s*<strong>1单元</strong>", form)
    assert f'name="areas" value="{w.unit1.id}"' in form
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    data = {k: v[0] for k, v in q.items() if k != "plan"}
    data["client_id"] = html.unescape(fields["client_id"])
    r = client.post("/screening/plan/", data)
    assert r.status_code == 302
    rnd = Round.objects.get()
    assert list(RoundArea.objects.filter(round=rnd).values_list("place_id", flat=True)) == [w.unit1.id]
    assert figures.coverage(rnd, w.community)["to_sample"] == 3  # not the community's 4
    page = client.get(f"/screening/rounds/{rnd.id}/").content.decode()
    assert re.search(r"范围：\s*1单元", page)


def test_a_refused_plan_keeps_its_areas(world, presets, client):
    w = world
    designate(w, w.unit1, "sealed")
    client.force_login(w.users.staff)
    q = parse_qs(urlsplit(plan_links(client, w.community)[0]).query)
    data = {k: v[0] for k, v in q.items() if k != "plan"}
    data["name"] = ""
    page = client.post("/screening/plan/", data).content.decode()
    assert f'name="areas" value="{w.unit1.id}"' in page and not Round.objects.exists()
    # an area the user may not plan on is not found, as a place would be
    data = {k: v[0] for k, v in q.items() if k != "plan"}
    data["areas"] = str(w.other_building.id)
    assert client.post("/screening/plan/", data).status_code == 404 and not Round.objects.exists()


def test_a_zone_over_the_whole_place_plans_over_the_place(world, presets, client):
    w = world
    designate(w, w.community, "sealed")
    client.force_login(w.users.staff)
    q = parse_qs(urlsplit(plan_links(client, w.community)[0]).query)
    assert "areas" not in q
