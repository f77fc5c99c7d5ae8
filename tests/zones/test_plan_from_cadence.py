"""Rounds proposed from the zones' testing cadence: on the zones page each proposed day has
a "plan this round" button that opens screening's planning form prefilled for the zone's
place (kind, name, times, the strictest pool size); planning it is the usual action.
Users who may not plan rounds there get no button."""

import html
import re
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone

from tests.zones.test_rules import designate


def plan_links(client, place):
    page = client.get(f"/zones/p/{place.id}/").content.decode()
    return [html.unescape(u) for u in re.findall(r'href="(/screening/\?plan=1[^"]*)"', page)]


def test_plan_this_round_opens_the_form_prefilled(world, presets, client):
    w = world
    designate(w, w.unit1, "sealed")  # Shanghai 2022: PCR every day, single tubes
    client.force_login(w.users.staff)
    links = plan_links(client, w.compound)
    assert len(links) == 7  # a PCR round each of the coming 7 days
    q = parse_qs(urlsplit(links[0]).query)
    assert q["place"] == [str(w.compound.id)] and q["kind"] == ["pcr"] and q["pool_size"] == ["1"]
    assert "封控区" in q["name"][0]
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    assert q["starts_at"][0] > now and q["ends_at"][0] > q["starts_at"][0]  # never in the past
    form = client.get(links[0]).content.decode()
    assert 'id="plan" open' in form
    assert f'<option value="{w.compound.id}" selected>' in form  # the zone's place, though under the user's root
    assert f'value="{q["starts_at"][0]}"' in form and 'name="pool_size" type="number" min="1"' in form
    # one more tap plans it, through screening's own action
    r = client.post("/screening/plan/", {k: v[0] for k, v in q.items() if k != "plan"})
    assert r.status_code == 302
    from fangkong.screening.models import Round

    rnd = Round.objects.get()
    assert rnd.place_id == w.compound.id and rnd.pool_size == 1 and rnd.kind == "pcr"


def test_no_plan_button_for_those_who_may_not_plan(world, presets, client):
    designate(world, world.unit1, "sealed")
    client.force_login(world.users.leader)
    r = client.get(f"/zones/p/{world.building.id}/")
    assert r.status_code == 200 and "封控区" in r.content.decode()
    assert "/screening/?plan=1" not in r.content.decode()
    client.force_login(world.users.staff)
    assert client.get(f"/screening/?plan=1&place={world.other.id}&name=x").status_code == 200  # not theirs: not offered
    assert f'<option value="{world.other.id}"' not in client.get(
        f"/screening/?plan=1&place={world.other.id}").content.decode()
