"""The staff's lifting advice for a building sealed inside a controlled compound (the family's
page already read "最早 12月21日 可能转为管控区（光明小区仍为管控区）" while the staff's lifting page and
`GET /zones/lifting` said "可以解除" — "can be lifted" — as if the building's households went
free). Once its own zone ends, the building is still in the compound's zone: the advice names
that zone and its place ("可以转为管控区（随光明小区）"), on the lifting page, the zones page and the
API, in the reader's language — one rule (`lifting.Recommendation.after`), the same the family's
page reads."""

import datetime

from django.utils import timezone
from django.utils.formats import date_format

from fangkong.zones import lifting
from fangkong.zones.models import Designation
from tests.conftest import actor_for
from tests.zones.test_lift_home import _adjust


def _sealed(w, compound=True):
    street = actor_for(w.users.street)
    if compound:
        _adjust(street, w.street, w.compound, "controlled", "第17号", timezone.now() - datetime.timedelta(hours=2),
                from_notice=True)
    _adjust(street, w.street, w.building, "sealed", "第18号", timezone.now() - datetime.timedelta(hours=1),
            from_notice=True)
    return Designation.objects.get(place=w.building, ends_at=None)


def _building_row(c, w, d):
    page = c.get(f"/zones/p/{w.building.id}/lifting/").content.decode()
    rows = page[page.index('<ul class="rows">'):]
    return rows[:rows.index("</ul></span>")]  # the first row, its reasons included


def _api_row(c, w, d):
    r = c.get(f"/api/v1/zones/lifting?place={w.building.id}")
    assert r.status_code == 200, r.content
    [one] = [x for x in r.json() if x["designation"] == d.id]
    return one


def test_kept_the_staff_read_when_it_may_become_the_compounds_zone_not_lifted(world, presets, login):
    w = world
    d = _sealed(w)
    rec = lifting.recommendations([d])[0]
    day = date_format(rec.earliest, "MONTH_DAY_FORMAT")
    words = f"最早 {day} 可以转为管控区（随光明小区）。"
    c = login(w.users.staff)
    row = _building_row(c, w, d)
    assert "今日建议：维持" in row and words in row, row
    assert "可以解除" not in row, row
    one = _api_row(c, w, d)
    assert one["action"] == "keep" and one["advice"] == "维持"
    assert one["earliest_words"] == words, one
    assert one["ends_in"] == {"zone_type": "controlled", "zone_name": "管控区", "place": w.compound.id,
                              "place_name": "光明小区"}, one
    # the family's page reads the same zone (its own words)
    c = login(w.users.resident)
    panel = c.get(f"/households/{w.hh101.id}/").content.decode()
    assert f"最早 {day} 可能转为管控区（光明小区仍为管控区）。" in panel


def test_when_its_rule_is_met_the_advice_is_to_become_the_compounds_zone(world, presets, login):
    w = world
    d = _sealed(w)
    rule = lifting.rule_for(d)
    rule.round_day = None  # no final round to wait for: the clean days decide
    rule.save(update_fields=["round_day"])
    back = timezone.now() - datetime.timedelta(days=rule.clean_days + 1)
    Designation.objects.filter(pk=d.pk).update(starts_at=back, clock_from=back)
    c = login(w.users.staff)
    row = _building_row(c, w, d)
    assert "今日建议：转为管控区（随光明小区）" in row, row
    assert "今日建议：解除" not in row, row
    one = _api_row(c, w, d)
    assert one["action"] == "lift" and one["advice"] == "转为管控区（随光明小区）", one
    assert one["ends_in"]["place"] == w.compound.id
    # the zones page says it too
    page = c.get(f"/zones/p/{w.building.id}/").content.decode()
    assert "今日建议：转为管控区（随光明小区）" in page
    # in English for an English reader
    c.cookies.load({"django_language": "en"})
    one = _api_row(c, w, d)
    assert one["advice"] == "Change to Controlled area (as 光明小区)", one
    assert one["ends_in"]["zone_name"] == "Controlled area"


def test_a_building_with_no_zone_around_it_can_be_lifted(world, presets, login):
    w = world
    d = _sealed(w, compound=False)
    rec = lifting.recommendations([d])[0]
    day = date_format(rec.earliest, "MONTH_DAY_FORMAT")
    c = login(w.users.staff)
    one = _api_row(c, w, d)
    assert one["earliest_words"] == f"最早 {day} 可以解除。" and one["ends_in"] is None, one
    assert f"最早 {day} 可以解除。" in _building_row(c, w, d)
