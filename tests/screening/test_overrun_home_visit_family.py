"""The family's block "我家现在的检测情况" dropped a PCR round once it passed its planned end,
though nobody had ended it and a sampler was still coming to the door (walk "family",
2026-12-07: 乔秀兰, 未采样 and on the home list, while round 1 ran past 14:00; the block showed
only the antigen round). Overrunning rounds are the usual case. While the round runs and the
person has an open home visit in it, the family reads "核酸：等待上门采样" for them — within
the window and past it; without a visit, or once the round is ended, the round is history."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.screening.actions import followup, planning
from fangkong.screening.models import HomeVisit, Round

from .test_family_day import blocks, both, family  # noqa: F401 - fixtures
from .test_household_news import panel_of

pytestmark = pytest.mark.django_db
WAITING = "核酸：等待上门采样"


def _past_end(rnd):
    """Past its planned end an hour ago (`Round.running`: still running within its grace)."""
    end = timezone.now() - datetime.timedelta(hours=1)
    Round.objects.filter(pk=rnd.pk).update(starts_at=end - datetime.timedelta(hours=7), ends_at=end)
    rnd.refresh_from_db()
    assert rnd.overrun and not rnd.open_now


def _said(login, family):  # noqa: F811
    html = login(family.login).get(reverse("household", args=[family.id])).content.decode()
    return blocks(panel_of(html))


def test_a_pcr_round_past_its_end_still_says_the_door_visit_to_come(world, family, both, login):  # noqa: F811
    pcr, ag = both
    staff = Actor.system(world.users.staff)
    hv = followup.add_home_visit(staff, pcr, family.yang)
    said = _said(login, family)
    door = [b for b in said if WAITING in b]
    assert len(door) == 1 and "杨振斌" in door[0] and "郑玉梅" not in door[0], said
    _past_end(pcr)
    said = _said(login, family)
    door = [b for b in said if WAITING in b]
    assert len(door) == 1 and "杨振斌" in door[0] and pcr.name in door[0], said
    assert "上门" in door[0] and "采样点" not in door[0]
    # 郑玉梅 has no visit: the round still runs and the station still registers her
    # (`Round.running`), so it still asks her swab — with no "before 14:00" (walk "family" 5)
    mine = [b for b in said if "郑玉梅" in b and pcr.name in b]
    assert mine and "仍在进行" in mine[0] and "采样点" in mine[0] and " 前带上核酸码" not in mine[0], said
    # the antigen round is still said beside it
    assert any("还没有上报抗原结果" in b and "杨振斌" in b for b in said), said
    # the visit taken off the list: history again
    followup.set_home_visit(staff, hv, HomeVisit.Status.CANCELLED)
    assert not [b for b in _said(login, family) if WAITING in b]
    # back on the list, then the round ended: nobody is coming in it any more
    followup.set_home_visit(staff, hv, HomeVisit.Status.OPEN)
    assert [b for b in _said(login, family) if WAITING in b]
    planning.set_status(staff, pcr, "closed")
    assert not [b for b in _said(login, family) if WAITING in b]


def test_the_pcr_door_visit_is_the_line_when_it_is_the_only_round(world, family, rnd, login):  # noqa: F811
    """No antigen round beside it: past its end the PCR round was shown as "上一轮未采样" with
    no step; with a visit to come it says so."""
    followup.add_home_visit(Actor.system(world.users.staff), rnd, family.yang)
    _past_end(rnd)
    said = _said(login, family)
    door = [b for b in said if WAITING in b]
    assert len(door) == 1 and "杨振斌" in door[0], said
    # the staff read it too, on their household page
    html = login(world.users.staff).get(reverse("household", args=[family.id])).content.decode()
    assert WAITING in panel_of(html)


def test_a_pcr_round_past_its_end_still_asks_the_unsampled_until_it_is_ended(world, family, rnd, login):  # noqa: F811
    """Walk "family" 5: a family whose members were not sampled saw no PCR line once the
    planned end had passed, though the round ran on and the station still registered people."""
    _past_end(rnd)
    said = _said(login, family)
    mine = [b for b in said if "郑玉梅" in b]
    assert mine and "还没有采样：本轮采样仍在进行" in mine[0] and "尽快带上核酸码到光明广场采样点采样" in mine[0], said
    planning.set_status(Actor.system(world.users.staff), rnd, "closed")
    said = _said(login, family)
    assert not [b for b in said if "仍在进行" in b], said
