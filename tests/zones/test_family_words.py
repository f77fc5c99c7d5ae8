"""The family's page says in plain words what they may do and what comes next (walk "zone",
defect 6: a sealed family inside a controlled compound read "满足以下条件后即可解除：末轮核酸未应检尽检" —
jargon, and wrong: they stay a 管控区 with the compound; after the lift only the policy text;
and a yellow box about a one-minute gap between a notice's time and its publication)."""

import datetime

from django.utils import timezone, translation
from django.utils.formats import date_format

from fangkong.zones import lifting
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Designation, ZoneType
from tests.conftest import actor_for
from tests.zones.test_lift_home import _adjust


def _panel(client, user, hh):
    client.force_login(user)
    r = client.get(f"/households/{hh.id}/")
    assert r.status_code == 200
    page = r.content.decode()
    start = page.index('id="zone-now"')
    return page[start:page.index("</section>", start)]


def _part(panel, pid, end="</p>"):
    start = panel.index(f'id="{pid}"')
    return panel[start:panel.index(end, start)]


def _api(client, user, hh):
    client.force_login(user)
    r = client.get(f"/api/v1/zones/households/{hh.id}")
    assert r.status_code == 200, r.content
    return r.json()


def _sealed_in_controlled(w):
    street = actor_for(w.users.street)
    _adjust(street, w.street, w.compound, "controlled", "第17号", timezone.now() - datetime.timedelta(hours=2),
            from_notice=True)
    _adjust(street, w.street, w.building, "sealed", "第18号", timezone.now() - datetime.timedelta(hours=1),
            from_notice=True)
    return Designation.objects.get(place=w.building, ends_at=None)


def test_a_sealed_family_inside_a_controlled_compound_reads_stay_home_and_the_compounds_zone_next(
        world, presets, client):
    w = world
    d = _sealed_in_controlled(w)
    rec = lifting.recommendations([d])[0]
    day = date_format(rec.earliest, "MONTH_DAY_FORMAT")
    panel = _panel(client, w.users.resident, w.hh101)
    assert "足不出户：请不要出家门；物资会送上门、核酸上门采样。" in _part(panel, "zone-means"), panel
    nxt = _part(panel, "zone-lifting", "</div>")
    assert "接下来" in nxt
    assert f"最早 {day} 可能转为管控区（光明小区仍为管控区）。" in nxt, nxt
    assert "解除" not in nxt and "满足以下条件" not in nxt, nxt
    assert "全家每轮都按时做核酸" in nxt, nxt
    body = _api(client, w.users.resident, w.hh101)
    assert body["means"] == "足不出户：请不要出家门；物资会送上门、核酸上门采样。"
    assert f"最早 {day} 可能转为管控区（光明小区仍为管控区）。" in body["next_steps"], body["next_steps"]
    with translation.override("en"):
        client.cookies.load({"django_language": "en"})
        en = _api(client, w.users.resident, w.hh101)
    assert en["means"] == ("Stay at home: please do not leave your flat; supplies are brought to your door"
                           ", you are sampled at home."), en["means"]


def test_kept_past_its_day_the_family_reads_what_they_can_do_not_the_rules_jargon(world, presets, client):
    w = world
    d = _sealed_in_controlled(w)
    rule = lifting.rule_for(d)
    back = timezone.now() - datetime.timedelta(days=rule.clean_days + 3)
    Designation.objects.filter(pk=d.pk).update(starts_at=back, clock_from=back)
    assert lifting.recommendations([Designation.objects.get(pk=d.pk)])[0].overdue
    nxt = _part(_panel(client, w.users.resident, w.hh101), "zone-lifting", "</div>")
    assert "满足以下条件" not in nxt and "末轮核酸" not in nxt, nxt
    assert "您能做的：全家按时做下一轮核酸" in nxt, nxt
    assert "做到以后即可能转为管控区（光明小区仍为管控区）。" in nxt, nxt


def test_a_controlled_family_may_leave_the_flat_not_the_compound_and_reads_where_to_collect(
        world, presets, client):
    w = world
    ZoneType.objects.filter(policy__is_active=True, code="controlled").update(
        collect_place_zh="东门取物点", collect_place_en="the east gate", collect_from="07:00", collect_until="18:00")
    _adjust(actor_for(w.users.street), w.street, w.compound, "controlled", "第17号",
            timezone.now() - datetime.timedelta(hours=2), from_notice=True)
    means = _part(_panel(client, w.users.resident, w.hh101), "zone-means")
    words = "可以出家门，不能离开光明小区；取物：每户每 2 天 1 人，东门取物点，07:00–18:00。"
    assert words in means, means
    assert _api(client, w.users.resident, w.hh101)["means"] == words


def test_a_precaution_family_may_leave_the_compound(world, presets, client):
    w = world
    _adjust(actor_for(w.users.street), w.street, w.compound, "precaution", "第16号",
            timezone.now() - datetime.timedelta(hours=2), from_notice=True)
    words = "可以离开光明小区，不聚集，非必要不出市。"
    assert words in _part(_panel(client, w.users.resident, w.hh101), "zone-means")
    assert _api(client, w.users.resident, w.hh101)["means"] == words


def test_another_households_zone_is_not_found(world, presets, client):
    w = world
    _adjust(actor_for(w.users.street), w.street, w.other_compound, "controlled", "第17号",
            timezone.now() - datetime.timedelta(hours=2), from_notice=True)
    client.force_login(w.users.resident)
    assert client.get(f"/households/{w.other_hh.id}/").status_code == 404
    assert client.get(f"/api/v1/zones/households/{w.other_hh.id}").status_code == 404


def test_a_lift_published_a_minute_after_its_notices_time_shows_no_gap_box(world, presets, client):
    w = world
    _sealed_in_controlled(w)
    staff = actor_for(w.users.staff)
    stated = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=1)
    lift = _adjust(staff, w.community, w.building, None, "第19号", stated, op=pub.Op.LIFT)
    assert lift.effective_at != stated  # published from its publication's minute, a minute late
    panel = _panel(client, w.users.resident, w.hh101)
    assert 'id="zone-lifted"' in panel
    assert 'id="zone-lifted-late"' not in panel and "发布时起" not in panel, panel
    # after the lift the family reads that they may leave the flat, not the compound
    assert "可以出家门，不能离开光明小区" in _part(panel, "zone-means"), panel
