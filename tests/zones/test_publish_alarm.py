"""The lifting rule not met comes first at the confirm step (found lifting 3号楼 on day 0:
"规则未满足" was the end of one red paragraph of ~8 lines, after the overlap and the notice's
time). Now: a heading "规则未满足，确定仍要解除？" under the title, one line per place, and each
other warning its own line below."""

import datetime

import pytest
from django.utils import timezone

from fangkong.zones.actions import publish as pub
from fangkong.zones.models import ZoneType
from tests.conftest import actor_for

from .conftest import approve_if_needed, use_policy
from .test_lifting_rule_met import seal


@pytest.fixture(autouse=True)
def _noon(monkeypatch):
    """Today at noon by the test clock: after 22:00 Beijing time the schedule step's "now + 2 h"
    lands on the next day and the rule reads day 1 of 14 (the test failed whenever it ran then).
    Set before the world is built."""
    from tests.day.scene import Clock

    return Clock(monkeypatch, timezone.localdate(), 12)


def lift_on_day_0(w):
    """3号楼 (here 1号楼) sealed today, a lift of it under a notice stating tomorrow 06:00, and
    another open draft over the same building (the overlap)."""
    use_policy("shanghai-2022-04")
    staff = actor_for(w.users.staff)
    seal(w, staff, w.building, "sealed")
    six = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    n = pub.create_notice(staff, w.community, {"number": "第19号", "issued_by": "指挥部", "title": "解除1号楼封控",
                                               "effective_at": six.isoformat()})
    other = pub.draft(staff, w.community, "另一份草稿")  # steps the same building down: a real clash
    pub.add_item(staff, other, pub.Op.CHANGE, w.building, ZoneType.objects.get(
        policy__is_active=True, code="controlled"))
    adj = pub.draft(staff, w.community, "解除1号楼封控", notice=n)
    pub.add_item(staff, adj, pub.Op.LIFT, w.building, None)
    return approve_if_needed(staff, adj)  # a 封控区's lift: the street approves it first


def test_the_rule_not_met_is_the_first_thing_the_confirm_step_says(world, presets, login):
    adj = lift_on_day_0(world)
    c = login(world.users.staff)
    for path, data in ((f"/zones/adjustments/{adj.id}/publish/", {}),
                       (f"/zones/adjustments/{adj.id}/schedule/",
                        {"at": (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")})):
        text = c.post(path, data).content.decode()
        body = text[text.index('id="confirm-title"'):]
        alarm = body[body.index('id="confirm-alarm"'):body.index("</div>", body.index('id="confirm-alarm"'))]
        assert "<h2>规则未满足，确定仍要解除？</h2>" in alarm, alarm
        lines = alarm.split("<li>")[1:]
        assert lines[0].startswith("1号楼（封控区）：") and "无新增第0/14天" in lines[0], lines
        assert len(lines) == 2 and lines[1].startswith("仍可发布；"), lines
        # before anything else the step says: the notice, the households, the other warnings
        assert body.index('id="confirm-alarm"') < body.index("通告：") < body.index('class="error"'), body
        warnings = body.split('<p class="error" role="alert">')[1:]
        assert all("规则未满足" not in w for w in warnings)
        if path.endswith("publish/"):
            assert len(warnings) == 3, warnings  # the rule, the overlap, the notice's time: each its own line
            assert warnings[0].startswith("住户的区域取其所在"), warnings
            assert warnings[1].startswith("光明小区 1号楼：本草稿将其划为无区域，“另一份草稿”（草稿）将其划为管控区"), warnings
            assert warnings[2].startswith("通告写明 "), warnings


def test_a_zone_given_has_no_alarm(world, presets, login):
    use_policy("shanghai-2022-04")
    w, staff = world, actor_for(world.users.staff)
    n = pub.create_notice(staff, w.community, {"number": "第20号", "issued_by": "指挥部", "title": "管控",
                                               "effective_at": timezone.now().isoformat()})
    adj = pub.draft(staff, w.community, "管控", notice=n)
    pub.add_item(staff, adj, pub.Op.CREATE, w.compound, ZoneType.objects.get(policy__is_active=True, code="controlled"))
    text = login(w.users.staff).post(f"/zones/adjustments/{adj.id}/publish/").content.decode()
    assert "confirm-yes" in text and 'id="confirm-alarm"' not in text and "规则未满足" not in text
