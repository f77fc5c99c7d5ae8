"""A rule change scheduled for later is said where the rule is explained (found walking
zones: 管控区's "区内出现病例 → 封控区" was to become "→ 管控区" on 12-10 05:00, and the policy page
showed only the rule now, with no word of the change to come)."""

import datetime

from django.utils import timezone, translation
from django.utils.formats import date_format

from fangkong.zones.actions import policy
from fangkong.zones.models import ZoneType
from tests.conftest import actor_for


def _card(page, name):
    start = page.index(f'<span class="zone zone-{name}">')
    return page[start:page.index("</section>", start)]


def _row(card, label):
    start = card.index(f"<dt>{label}</dt>")
    return card[start:card.index("</dd>", start)]


def test_the_policy_page_says_a_scheduled_rule_under_the_rule(world, presets, client):
    controlled = ZoneType.objects.get(policy__is_active=True, code="controlled")
    assert controlled.escalate_to.code == "sealed"
    district = actor_for(world.users.district)
    five = (timezone.localtime() + datetime.timedelta(days=4)).replace(hour=5, minute=0, second=0, microsecond=0)
    policy.update_type(district, controlled, {"escalate_to": "controlled"}, effective_from=five.isoformat())
    later = five + datetime.timedelta(days=1)
    policy.update_type(district, controlled, {"pool_size": 5}, effective_from=later.isoformat())
    with translation.override("zh-hans"):
        at, at2 = date_format(five, "DATETIME_FORMAT"), date_format(later, "DATETIME_FORMAT")
    client.force_login(world.users.staff)
    page = client.get("/zones/policy/").content.decode()
    card = _card(page, "controlled")
    case = _row(card, "区内出现病例")
    assert case.startswith("<dt>区内出现病例</dt><dd>→ 封控区 (所在楼栋)"), case  # the rule now, first
    assert f'<small class="later">{at}起：→ 管控区 (所在楼栋)</small>' in case, case
    pool = _row(card, "每管人数")
    assert f'<small class="later">{at2}起：5</small>' in pool and at not in pool, pool
    assert card.count('class="later"') == 2, card  # the facts no change alters say nothing more
    assert 'class="later"' not in _card(page, "sealed")
