"""A re-test positive of someone the health authority reported by hand (found 2026-12, after
d2ff293 made it confirm that case, `escalate._confirms`, rather than raise a second alarm).

What the people around the case were told, before and after that change:
- the family's logins: `families.retested` ("苏霞：单采复核阳性（确诊）… 家里其他人都是密接，也请在家")
  before and after — the re-test's result, once a follow-up; the hand report itself tells the
  family nothing;
- the community's staff and the grid worker: before, the re-test's case message said who lives
  with the case ("1 人与苏霞同住，为密接：请让其留在家中，不解除。", `families.contacts_line`); after,
  nothing — and the hand report's message never says it (the health authority's notice does
  not know the household). So nobody was told to keep the housemates in.

Now the confirmation tells the staff and the grid worker once, in each reader's language, what
the notice could not say (the housemates, close contacts, not released) — as a confirmation
of the same case (kind `screening.case_confirmed`), not a second alarm: no second case,
`screening.case` message or proposal. The family is told once, as before."""

from django.urls import reverse
from django.utils import translation

from fangkong.accounts.models import User
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.screening.actions import lab
from fangkong.zones.actions import escalate
from fangkong.zones.actions import publish as pub
from fangkong.zones.actions.policy import install_presets
from fangkong.zones.models import Adjustment, ZoneCase
from tests.zones.test_case_reported import _controlled

from .test_alert import positive_pool
from .test_case_known_by_hand import KINDS, _retest_positive

CONFIRMED = "screening.case_confirmed"


def _notes(kind, user=None):
    qs = Notification.objects.filter(kind=kind)
    if user is not None:
        qs = qs.filter(user=user)
    return list(qs.order_by("id"))


def test_the_housemates_are_said_when_a_retest_confirms_a_hand_reported_case(world, rnd):
    w = world
    install_presets()
    _controlled(w)
    User.objects.filter(pk__in=[w.users.grid.pk, w.users.resident.pk]).update(language="en")
    staff = Actor.system(w.users.staff)
    hand, proposal = escalate.record_case(staff, w.su, source="市卫健委通报")
    pub.cancel(staff, proposal)
    drafted = Adjustment.objects.count()
    alarms = Notification.objects.filter(kind__in=KINDS).count()
    assert alarms == 3 and "同住" not in _notes("zones.case", w.users.staff)[0].body  # staff, grid, street: the notice's words
    assert not _notes("screening.family_retest")  # nor is the family told by the notice
    positive_pool(w, rnd)  # 苏霞 and 于海涛 (who lives with her) held
    rows = _retest_positive(w, w.su)

    # staff and grid worker: once each, the housemates said, in the reader's language
    (note,) = _notes(CONFIRMED, w.users.staff)
    assert note.title == "单采复核确认病例：苏霞", note.title
    assert "证实了" in note.body and "市卫健委通报" in note.body, note.body
    assert "1 人与苏霞同住，为密接：请让其留在家中，不解除。" in note.body, note.body
    (grid,) = _notes(CONFIRMED, w.users.grid)
    assert grid.title == "Case confirmed by a single re-test: 苏霞"
    assert "1 person lives with 苏霞: a close contact, keep them at home, not released." in grid.body, grid.body
    assert "the single re-test confirmed the case reported at" in grid.body
    assert note.url == reverse("zones_household", args=[w.hh101.id])
    # no second alarm, case or proposal
    assert Notification.objects.filter(kind__in=KINDS).count() == alarms
    assert list(ZoneCase.objects.filter(resident=w.su)) == [hand] and Adjustment.objects.count() == drafted

    # the family: told once that she is a case and that the others at home are close contacts
    (fam,) = _notes("screening.family_retest", w.users.resident)
    assert fam.title == "苏霞: single re-test positive", fam.title  # the family login reads English
    assert "Everyone else at home is a close contact" in fam.body
    with translation.override("zh-hans"):
        title, body = fam.said()
    assert title == "苏霞：单采复核阳性（确诊）" and "家里其他人都是密接" in body, (title, body)

    # the lab's file sent again, a third notice: nobody is told anything more
    lab.record_results(Actor.system(w.users.lab), rows, source="upload")
    again, _p = escalate.record_case(staff, w.su, source="区疾控通报")
    assert again.reported_before
    assert len(_notes(CONFIRMED)) == 2 and len(_notes("screening.family_retest")) == 1
    assert Notification.objects.filter(kind__in=KINDS).count() == alarms


def test_nothing_more_to_say_without_housemates_or_after_an_earlier_retest(world):
    w = world
    staff = Actor.system(w.users.staff)
    # 王新勇 lives alone: the notice said all there is, the confirmation adds nothing
    escalate.record_case(staff, w.wang, source="市卫健委通报")
    escalate.case_confirmed(staff, w.wang, source="单管复核阳性", source_ref="screening.followup:990",
                            kind="screening.case", key="screening.case.990", confirmed_detail=None)
    assert not _notes(CONFIRMED)
    # 苏霞's case first found by a re-test (its message said the housemates): another re-test
    # confirming it says nothing more; a hand-reported case confirmed twice is told once
    escalate.case_confirmed(staff, w.su, source="单管复核阳性", source_ref="screening.followup:991",
                            kind="screening.case", key="screening.case.991", detail=lambda: "同住 1 人")
    escalate.case_confirmed(staff, w.su, source="单管复核阳性", source_ref="screening.followup:992",
                            kind="screening.case", key="screening.case.992", confirmed_detail=lambda: "同住 1 人")
    assert not _notes(CONFIRMED)
    escalate.record_case(Actor.system(w.users.other_staff), w.other_person, source="市卫健委通报")
    for ref in ("993", "993", "994"):
        escalate.case_confirmed(staff, w.other_person, source="单管复核阳性", source_ref=f"screening.followup:{ref}",
                                kind="screening.case", key=f"screening.case.{ref}",
                                confirmed_detail=lambda: "同住 1 人")
    assert [n.user_id for n in _notes(CONFIRMED)] == [w.users.other_staff.id]
