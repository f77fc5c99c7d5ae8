"""The round proposed for a sealed building and a controlled area on the same day ("安排这轮核酸")
pre-filled 1 person per tube — the strictest zone's — so the controlled area's people would
all have been sampled singly (walked 2026-12-07). Its pool size now comes from the zones'
rules: the loosest of them, since each person's tube is held to their own zone's rule at the
scan (`zones.queries.pool_limit`); the form says why it is that number."""

import re
from urllib.parse import parse_qs, urlsplit

from fangkong.screening.models import Round
from fangkong.zones.queries import pool_size_for
from tests.zones.test_plan_from_cadence import plan_links
from tests.zones.test_rules import designate


def test_a_combined_round_pools_each_zone_as_its_rule_says(world, presets, client):
    w = world
    designate(w, w.unit1, "sealed")  # 101, 102: single tubes
    designate(w, w.unit2, "controlled", number="第19号")  # 201: 10 to a tube
    client.force_login(w.users.staff)
    q = parse_qs(urlsplit(plan_links(client, w.compound)[0]).query)  # today: both zones' PCR day
    assert "封控区" in q["name"][0] and "管控区" in q["name"][0]
    assert q["pool_size"] == ["10"], q
    form = client.get(plan_links(client, w.compound)[0]).content.decode()
    assert 'name="pool_size" type="number" min="1" max="50" value="10"' in form
    why = re.search(r'<p class="hint" id="pool-why">(.*?)</p>', form).group(1)
    assert why.startswith("每管 10 人，取各区域规则中最宽的一项（封控区单管（1人1管）、管控区10合1）"), why
    assert "扫码时按每人所在区域的规则限制每管人数" in why
    # planned as proposed: the sealed building's people still go one to a tube at the scan
    r = client.post("/screening/plan/", {k: v[0] for k, v in q.items() if k != "plan"})
    assert r.status_code == 302
    rnd = Round.objects.get()
    assert rnd.pool_size == 10
    assert pool_size_for(w.hh101.id, default=rnd.pool_size) == 1
    assert pool_size_for(w.hh201.id, default=rnd.pool_size) == 10


def test_one_zone_says_its_own_rule(world, presets, client):
    designate(world, world.unit1, "sealed")
    client.force_login(world.users.staff)
    link = plan_links(client, world.compound)[0]
    assert parse_qs(urlsplit(link).query)["pool_size"] == ["1"]
    form = client.get(link).content.decode()
    assert re.search(r'<p class="hint" id="pool-why">每管 1 人：按区域规则（封控区单管（1人1管））。</p>', form)
    # the form without the zones' proposal says nothing of zones
    assert 'id="pool-why"' not in client.get("/screening/?plan=1&pool_size=10").content.decode()
